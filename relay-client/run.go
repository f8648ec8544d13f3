package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hookrelay/hookrelay/internal/cli"
	"github.com/hookrelay/hookrelay/internal/option"
)

// globals are the options every command shares.
type globals struct {
	server string
	token  string
	caFile string
	json   bool
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// run executes the relay-client command line.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	g := &globals{getenv: getenv, stdout: stdout, stderr: stderr}
	root := rootCommand(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return root.ExecuteContext(ctx)
}

// rootCommand is relay-client and its subcommands. Flags are read from HOOKRELAY_<FLAG>
// after parsing, so --help never prints a token from the environment.
func rootCommand(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "relay-client",
		Short: "Tunnel webhook deliveries from a hookrelay server to localhost",
		Long: "Open tunnels from a relay-server to local apps (http), and inspect, replay, export and\n" +
			"trigger the deliveries the server recorded.",
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			// HOOKRELAY_VERIFY is read by http itself: its specs add to --verify's.
			return cli.ApplyEnv(cmd, g.getenv, cli.EnvRules{Skip: []string{"verify"}, Lines: []string{"set"}})
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.server, "server", "", "relay-server URL")
	pf.StringVar(&g.token, "token", "", "client token")
	pf.BoolVar(&g.json, "json", false, "print JSON instead of text")
	pf.StringVar(&g.caFile, "ca-file", "", "PEM file of extra CA roots to trust for an https server")
	root.AddCommand(httpCommand(g), requestsCommand(g), replayCommand(g), exportCommand(g),
		triggerCommand(g), releaseCommand(g))
	cli.Prepare(root)
	return root
}

// usagef is a usage error: a flag or argument given wrong (exit 2).
func usagef(format string, args ...any) error {
	return option.Usage(fmt.Errorf(format, args...))
}

func (g *globals) serverURL() (*url.URL, error) {
	if g.server == "" {
		return nil, usagef("--server is required (or HOOKRELAY_SERVER)")
	}
	u, err := url.Parse(g.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--server %q: want http(s)://host[:port]", g.server)
	}
	return u, nil
}

func (g *globals) needToken() error {
	if g.token == "" {
		return usagef("--token is required (or HOOKRELAY_TOKEN)")
	}
	return nil
}

// parseTarget turns "3000", "localhost:3000" or "http://host:port/base" into a URL.
func parseTarget(s string) (*url.URL, error) {
	if p, err := strconv.Atoi(s); err == nil {
		if p <= 0 || p > 65535 {
			return nil, usagef("port %d out of range", p)
		}
		return &url.URL{Scheme: "http", Host: "localhost:" + s}, nil
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, usagef("target %q: want PORT, HOST:PORT or http(s)://HOST:PORT[/path]", s)
	}
	return u, nil
}

// tlsConfig returns the TLS settings for the server: system roots plus --ca-file.
func (g *globals) tlsConfig() (*tls.Config, error) {
	if g.caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(g.caFile)
	if err != nil {
		return nil, fmt.Errorf("read --ca-file: %w", err)
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca-file %s: no PEM certificate in it", g.caFile)
	}
	return &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, nil
}

// httpClient is the client for calls to the server (API, trigger).
func (g *globals) httpClient() (*http.Client, error) {
	tc, err := g.tlsConfig()
	if err != nil || tc == nil {
		return http.DefaultClient, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	return &http.Client{Transport: tr}, nil
}
