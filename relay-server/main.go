// Command relay-server is the public side of hookrelay: it accepts relay-client tunnels,
// records every delivery and forwards it to the tunnel's client.
//
// It serves HTTPS on --addr with certificates from ACME (Let's Encrypt by default),
// from files (--tls-cert/--tls-key) or from a local CA (--self-signed); plain HTTP on
// --http-addr for ACME challenges and redirects; and /metrics, /healthz and /readyz on
// --admin-addr. --dev serves plain HTTP on loopback instead.
//
// See the README for flags; every flag is also read from HOOKRELAY_<FLAG> and from the
// YAML file given by --config (flags win over env, env over the file).
//
// "relay-server healthcheck" probes a running server's admin listener, for container
// health checks.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		err = healthcheck(ctx, os.Args[2:], os.Getenv)
	} else {
		err = run(ctx, os.Args[1:], os.Getenv, os.Stdout, nil)
	}
	if errors.Is(err, pflag.ErrHelp) {
		return // the usage has been printed
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "relay-server:", err)
		os.Exit(1)
	}
}
