package main

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/proto"
)

type httpOptions struct {
	names   []string
	offline string
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
			return c.Run(cmd.Context())
		},
	}
	cmd.Flags().StringArrayVar(&o.names, "name", nil, "tunnel name, one per PORT|URL, in order")
	cmd.Flags().StringVar(&o.offline, "offline", "", "while no client is connected: reject (503) or queue (202, delivered on reconnect)")
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
		return nil, fmt.Errorf("%d --name for %d targets", len(o.names), len(args))
	}
	if o.offline != "" && o.offline != proto.OfflineReject && o.offline != proto.OfflineQueue {
		return nil, fmt.Errorf("--offline %q: want reject or queue", o.offline)
	}
	cfg := client.Config{Server: srv, Token: g.token, Out: g.stdout,
		Logger: slog.New(slog.NewTextHandler(g.stderr, nil))}
	for i, a := range args {
		target, err := parseTarget(a)
		if err != nil {
			return nil, err
		}
		t := client.Tunnel{Target: target, Offline: o.offline}
		if i < len(o.names) {
			if err := proto.ValidName(o.names[i]); err != nil {
				return nil, err
			}
			t.Name = o.names[i]
		}
		cfg.Tunnels = append(cfg.Tunnels, t)
	}
	return client.New(cfg)
}
