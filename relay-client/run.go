package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// globals are the options every command shares.
type globals struct {
	server string
	token  string
	json   bool
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// run executes the relay-client command line.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	g := &globals{getenv: getenv, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "relay-client",
		Short:         "Tunnel webhook deliveries from a hookrelay server to localhost",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&g.server, "server", getenv("HOOKRELAY_SERVER"), "relay-server URL (env HOOKRELAY_SERVER)")
	pf.StringVar(&g.token, "token", getenv("HOOKRELAY_TOKEN"), "client token (env HOOKRELAY_TOKEN)")
	pf.BoolVar(&g.json, "json", false, "print JSON instead of text")
	root.AddCommand(httpCommand(g), requestsCommand(g), replayCommand(g), exportCommand(g),
		triggerCommand(g))
	return root.ExecuteContext(ctx)
}

func (g *globals) serverURL() (*url.URL, error) {
	if g.server == "" {
		return nil, errors.New("--server is required (or HOOKRELAY_SERVER)")
	}
	u, err := url.Parse(g.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--server %q: want http(s)://host[:port]", g.server)
	}
	return u, nil
}

func (g *globals) needToken() error {
	if g.token == "" {
		return errors.New("--token is required (or HOOKRELAY_TOKEN)")
	}
	return nil
}

// parseTarget turns "3000", "localhost:3000" or "http://host:port/base" into a URL.
func parseTarget(s string) (*url.URL, error) {
	if p, err := strconv.Atoi(s); err == nil {
		if p <= 0 || p > 65535 {
			return nil, fmt.Errorf("port %d out of range", p)
		}
		return &url.URL{Scheme: "http", Host: "localhost:" + s}, nil
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("target %q: want PORT, HOST:PORT or http(s)://HOST:PORT[/path]", s)
	}
	return u, nil
}
