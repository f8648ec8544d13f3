// Command relay-server is the public side of hookrelay: it accepts relay-client tunnels,
// records every delivery and forwards it to the tunnel's client.
//
// It serves HTTPS on --addr with certificates from ACME (Let's Encrypt by default),
// from files (--tls-cert/--tls-key) or from a local CA (--self-signed); plain HTTP on
// --http-addr for ACME challenges and redirects; and /metrics, /healthz and /readyz on
// --admin-addr. --dev serves plain HTTP on loopback instead.
//
// Every option is defined once, in the table of options.go: a flag, HOOKRELAY_<FLAG>
// and a key of the YAML file given by --config (flags win over env, env over the file;
// see internal/option).
//
// Subcommands: "relay-server healthcheck" probes a running server's admin listener, for
// container health checks; "relay-server tokens add|list|revoke" manages client tokens in
// the server's database while it runs; "version" and "completion" do what they say. Exit codes are
// internal/cli's: 0 ok, 1 error, 2 usage.
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
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, nil)
	stop()
	os.Exit(cli.Exit(os.Stderr, "relay-server", err))
}
