// Command relay-client opens hookrelay tunnels from a relay-server to local apps, and
// inspects, replays and exports the deliveries the server recorded.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if msg := exitMessage(err); msg != "" {
			fmt.Fprintln(os.Stderr, msg)
		}
		os.Exit(1)
	}
}

// shownError is an error the command already told the user about.
type shownError struct{ error }

func (e shownError) Unwrap() error { return e.error }

// exitMessage is what main prints for err on the way out: nothing when it was shown.
func exitMessage(err error) string {
	var shown shownError
	if errors.As(err, &shown) {
		return ""
	}
	return "relay-client: " + err.Error()
}
