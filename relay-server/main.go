// Command relay-server is the public side of hookrelay: it accepts relay-client tunnels,
// records every delivery and forwards it to the tunnel's client.
//
// See the README for flags; every flag is also read from HOOKRELAY_<FLAG> and from the
// YAML file given by --config (flags win over env, env over the file).
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
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "relay-server:", err)
		os.Exit(1)
	}
}
