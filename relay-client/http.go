package main

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hookrelay/hookrelay/internal/cli"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/option"
	"github.com/hookrelay/hookrelay/internal/webhook"
	"github.com/hookrelay/hookrelay/proto"
)

type httpOptions struct {
	names      []string
	offline    string
	verify     []string
	verifyFile string
	verifyMode string
	inspect    inspectOptions
	clientID   string
	label      string
	share      string
	primary    bool
	routes     []string
}

func httpCommand(g *globals) *cobra.Command {
	var o httpOptions
	cmd := &cobra.Command{
		Use:   "http PORT|URL [PORT|URL...]",
		Short: "Open tunnels to local HTTP apps",
		Long: "Open one tunnel per local app. --name picks each tunnel's name, in order;\n" +
			"without it the server assigns a random name.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client(g, args)
			if err != nil {
				return err
			}
			err = o.inspect.run(cmd.Context(), g, c)
			if errors.Is(err, client.ErrPermanent) {
				return &cli.ShownError{Err: err} // the client printed it already
			}
			return err
		},
	}
	cmd.Flags().StringArrayVar(&o.names, "name", nil, "tunnel name, one per PORT|URL, in order")
	o.inspect.bind(cmd.Flags())
	cmd.Flags().StringVar(&o.offline, "offline", "", "while no client is connected: reject (503) or queue (202, delivered on reconnect)")
	cmd.Flags().StringArrayVar(&o.verify, "verify", nil, "verify signatures at the relay: PROVIDER:SECRET, nexusgpt:HEADER=VALUE or hmac:SPEC (repeatable;\n"+
		"also HOOKRELAY_VERIFY, one spec per line, or --verify-file, to keep secrets out of process lists)")
	cmd.Flags().StringVar(&o.verifyFile, "verify-file", "", "file with one verify spec per line (# comments)")
	cmd.Flags().StringVar(&o.verifyMode, "verify-mode", "flag", "flag: forward and mark the verdict; enforce: answer 401 to bad signatures")
	o.bindSharing(cmd.Flags())
	return cmd
}

func (o *httpOptions) client(g *globals, args []string) (*client.Client, error) {
	srv, err := g.serverURL()
	if err != nil {
		return nil, err
	}
	if err := g.needToken(); err != nil {
		return nil, err
	}
	if len(o.names) > len(args) {
		return nil, usagef("%d --name for %d targets", len(o.names), len(args))
	}
	if o.offline != "" && o.offline != proto.OfflineReject && o.offline != proto.OfflineQueue {
		return nil, usagef("--offline %q: want reject or queue", o.offline)
	}
	specs, err := o.verifySpecs(g)
	if err != nil {
		return nil, err
	}
	tc, err := g.tlsConfig()
	if err != nil {
		return nil, err
	}
	cfg := client.Config{Server: srv, Token: g.token, Out: g.stdout, TLS: tc, JSON: g.json,
		Logger: slog.New(slog.NewTextHandler(g.stderr, nil)), Version: cli.Version(), OnConnect: g.versions(),
		Label: o.label}
	if err := o.checkSharing(); err != nil {
		return nil, err
	}
	if cfg.ClientID, err = g.clientID(o.clientID); err != nil {
		return nil, err
	}
	for i, a := range args {
		target, err := parseTarget(a)
		if err != nil {
			return nil, err
		}
		t := client.Tunnel{Target: target, Offline: o.offline, Verify: specs, VerifyMode: o.verifyMode,
			Share: o.share, Primary: o.primary, Routes: o.routes}
		if i < len(o.names) {
			if err := proto.ValidName(o.names[i]); err != nil {
				return nil, option.Usage(err)
			}
			t.Name = o.names[i]
		}
		cfg.Tunnels = append(cfg.Tunnels, t)
	}
	return client.New(cfg)
}

// versions returns the OnConnect hook that shows both sides' versions at the first
// connect, and again when a reconnect reaches a server of another version.
func (g *globals) versions() func(*proto.Welcome) {
	var last *string
	return func(w *proto.Welcome) {
		if g.json || last != nil && *last == w.SoftwareVersion {
			return
		}
		last = &w.SoftwareVersion
		fmt.Fprintf(g.stdout, "relay-client %s, relay-server %s\n", cli.Version(), cmp.Or(w.SoftwareVersion, "of unknown version"))
	}
}

// verifySpecs gathers verify specs from --verify, --verify-file and HOOKRELAY_VERIFY, and
// checks each locally so a typo fails before connecting (errors never show secrets).
func (o *httpOptions) verifySpecs(g *globals) ([]string, error) {
	if o.verifyMode != "flag" && o.verifyMode != "enforce" && o.verifyMode != "off" {
		return nil, usagef("--verify-mode %q: want flag, enforce or off", o.verifyMode)
	}
	specs := append([]string(nil), o.verify...)
	specs = append(specs, specLines(g.getenv("HOOKRELAY_VERIFY"))...)
	if o.verifyFile != "" {
		b, err := os.ReadFile(o.verifyFile)
		if err != nil {
			return nil, fmt.Errorf("read --verify-file: %w", err)
		}
		specs = append(specs, specLines(string(b))...)
	}
	for _, s := range specs {
		if _, err := webhook.Parse(s); err != nil {
			return nil, option.Usage(err)
		}
	}
	return specs, nil
}

func specLines(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}
