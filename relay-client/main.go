// Command relay-client opens hookrelay tunnels from a relay-server to local apps, and
// inspects, replays and exports the deliveries the server recorded.
//
// Every flag can also be set with HOOKRELAY_<FLAG>, read after the flags are parsed so
// that --help never shows a secret. Exit codes are internal/cli's: 0 ok, 1 error, 2
// usage, 3 partial failure of a bulk replay.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/hookrelay/hookrelay/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(cli.Exit(os.Stderr, "relay-client", err))
}
