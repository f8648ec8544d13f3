package main

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hookrelay/hookrelay/internal/cli"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/option"
	"github.com/hookrelay/hookrelay/internal/route/targets"
	"github.com/hookrelay/hookrelay/internal/webhook"
	"github.com/hookrelay/hookrelay/internal/webhook/handshake"
	"github.com/hookrelay/hookrelay/proto"
)

type httpOptions struct {
	names      []string
	offline    string
	verify     []string
	verifyFile string
	verifyMode string
	handshake  []string
	inspect    inspectOptions
}

func httpCommand(g *globals) *cobra.Command {
	var o httpOptions
	cmd := &cobra.Command{
		Use:   "http PORT|URL [PORT|URL...] | /PREFIX=PORT|URL...",
		Short: "Open tunnels to local HTTP apps",
		Long: "Open one tunnel per local app. --name picks each tunnel's name, in order;\n" +
			"without it the server assigns a random name.\n\n" +
			"With /PREFIX=PORT|URL arguments all the arguments are one tunnel's targets: each\n" +
			"request goes to the app of the longest prefix covering its path by whole segments\n" +
			"(/webhooks covers /webhooks/x, not /webhooksx), prefix kept in the forwarded path;\n" +
			"a bare PORT|URL is the / target, and a path nothing covers gets 502 no_local_target:\n" +
			"  relay-client http /webhooks/leads=4000 /webhooks=3000 --name sitegpt",
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
	cmd.Flags().StringArrayVar(&o.handshake, "handshake", nil, "URL-verification handshakes the relay answers, client online or not: slack, meta:VERIFY_TOKEN,\n"+
		"zoom:SECRET_TOKEN, twitter:CONSUMER_SECRET, msgraph, dropbox (repeatable; slack checks the signature with a --verify slack: secret)")
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
	tunnels, err := tunnelTargets(args)
	if err != nil {
		return nil, err
	}
	if len(o.names) > len(tunnels) {
		return nil, usagef("%d --name for %d tunnels", len(o.names), len(tunnels))
	}
	if o.offline != "" && o.offline != proto.OfflineReject && o.offline != proto.OfflineQueue {
		return nil, usagef("--offline %q: want reject or queue", o.offline)
	}
	specs, err := o.verifySpecs(g)
	if err != nil {
		return nil, err
	}
	if _, err := handshake.ParseConfig(o.handshake); err != nil {
		return nil, option.Usage(fmt.Errorf("--handshake: %w", err)) // never a secret
	}
	tc, err := g.tlsConfig()
	if err != nil {
		return nil, err
	}
	cfg := client.Config{Server: srv, Token: g.token, Out: g.stdout, TLS: tc, JSON: g.json,
		Logger: slog.New(slog.NewTextHandler(g.stderr, nil)), Version: cli.Version(), OnConnect: g.versions()}
	for i, t := range tunnels {
		t.Offline, t.Verify, t.VerifyMode, t.Handshake = o.offline, specs, o.verifyMode, o.handshake
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

// tunnelTargets reads the targets as targets.Group groups them: without a /PREFIX=
// argument each is a tunnel of its own (parsed as always, by parseTarget), with one or
// more they are one tunnel's per-path targets.
func tunnelTargets(args []string) ([]client.Tunnel, error) {
	if slices.ContainsFunc(args, targets.HasPrefix) {
		sets, err := targets.Group(args)
		if err != nil {
			return nil, option.Usage(err)
		}
		out := make([]client.Tunnel, len(sets))
		for i, set := range sets {
			out[i].Targets = set
		}
		return out, nil
	}
	out := make([]client.Tunnel, len(args))
	for i, a := range args {
		u, err := parseTarget(a)
		if err != nil {
			return nil, err
		}
		out[i].Target = u
	}
	return out, nil
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
