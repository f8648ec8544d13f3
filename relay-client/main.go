// Command relay-client opens hookrelay tunnels from a relay-server to local apps, and
// inspects, replays and exports the deliveries the server recorded.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "relay-client:", err)
		os.Exit(1)
	}
}
