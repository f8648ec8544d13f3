package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/webhook"
	"github.com/hookrelay/hookrelay/internal/webhook/samples"
	"github.com/hookrelay/hookrelay/proto"
)

type triggerOptions struct {
	list   bool
	name   string
	secret string
	sets   []string
	path   string
}

func triggerCommand(g *globals) *cobra.Command {
	var o triggerOptions
	cmd := &cobra.Command{
		Use:   "trigger PROVIDER EVENT",
		Short: "Send a realistic, correctly signed sample delivery through a tunnel",
		Long: "Send a sample event the way PROVIDER would, signed with --secret, to the tunnel's\n" +
			"public URL. `trigger --list` shows the events.",
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.list {
				return listEvents(g)
			}
			if len(args) != 2 {
				return usagef("want PROVIDER EVENT (see trigger --list)")
			}
			return o.send(cmd, g, args[0], args[1])
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.list, "list", false, "list the sample events")
	fl.StringVar(&o.name, "name", "", "tunnel to send to (required)")
	fl.StringVar(&o.secret, "secret", "", "signing secret (nexusgpt: HEADER=VALUE); better in HOOKRELAY_SECRET (or HOOKRELAY_TRIGGER_SECRET), out of process lists")
	fl.StringArrayVar(&o.sets, "set", nil, "override a payload field: data.x=y (repeatable; JSON values allowed)")
	fl.StringVar(&o.path, "path", "", "path on the tunnel (default: the provider's usual one)")
	return cmd
}

func listEvents(g *globals) error {
	evs := samples.List()
	if g.json {
		return writeJSON(g.stdout, evs)
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROVIDER\tEVENT\tPATH\tDESCRIPTION")
	for _, e := range evs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Provider, e.Name, e.Path, e.Description)
	}
	return tw.Flush()
}

func (o *triggerOptions) send(cmd *cobra.Command, g *globals, provider, event string) error {
	srv, err := g.serverURL()
	if err != nil {
		return err
	}
	if o.name == "" {
		return usagef("--name is required: the tunnel to send to")
	}
	req, err := o.request(g, srv.String(), provider, event)
	if err != nil {
		return err
	}
	sent, _ := req.GetBody()
	hc, err := g.httpClient()
	if err != nil {
		return err
	}
	resp, err := hc.Do(req.WithContext(cmd.Context()))
	if err != nil {
		return fmt.Errorf("send %s %s: %w", provider, event, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	id := resp.Header.Get(proto.HeaderRequestID) // the relay answered itself
	if id == "" {
		id = recordID(cmd.Context(), g, o.name, sent)
	}
	if g.json {
		out := map[string]any{"provider": provider, "event": event, "url": req.URL.String(), "status": resp.StatusCode}
		if id != "" {
			out["id"] = id
		}
		_ = writeJSON(g.stdout, out)
	} else {
		fmt.Fprintf(g.stdout, "Sent %s %s to %s: %s\n", provider, event, req.URL, resp.Status)
		if id != "" {
			fmt.Fprintf(g.stdout, "Recorded as %s\n", id)
		}
	}
	if resp.StatusCode >= 400 {
		return fmt.Errorf("%s %s answered %s: %s", provider, event, resp.Status, bytes.TrimSpace(body))
	}
	return nil
}

// request builds the signed sample delivery.
func (o *triggerOptions) request(g *globals, server, provider, event string) (*http.Request, error) {
	now := time.Now()
	body, h, err := samples.Build(provider, event, now, o.sets)
	if err != nil {
		return nil, err
	}
	secret := o.secret
	if secret == "" {
		secret = g.getenv("HOOKRELAY_TRIGGER_SECRET")
	}
	if secret == "" {
		fmt.Fprintf(g.stderr, "warning: no --secret: sending %s %s unsigned\n", provider, event)
	} else {
		scheme, err := webhook.Parse(provider + ":" + secret)
		if err != nil {
			return nil, err
		}
		if err := scheme.Sign(h, body, now, ""); err != nil {
			return nil, err
		}
	}
	path := o.path
	if path == "" {
		path = eventPath(provider, event)
	}
	req, err := http.NewRequest(http.MethodPost, strings.TrimSuffix(server, "/")+"/t/"+o.name+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = h
	return req, nil
}

func eventPath(provider, event string) string {
	for _, e := range samples.List() {
		if e.Provider == provider && e.Name == event && e.Path != "" {
			return e.Path
		}
	}
	return "/webhooks/" + provider
}

// recentRecords is how many of the tunnel's newest records recordID looks through.
const recentRecords = 20

// recordID finds the record of the delivery trigger just sent through the API: among
// the tunnel's newest records, the one with the same body (signed just now, with a
// fresh timestamp, so unique). "" without a token or when none matches.
func recordID(ctx context.Context, g *globals, tunnel string, sent io.ReadCloser) string {
	if g.token == "" || sent == nil {
		return ""
	}
	body, _ := io.ReadAll(sent)
	c, err := g.apiClient()
	if err != nil {
		return ""
	}
	page, err := c.List(ctx, store.Filter{Tunnel: tunnel, Limit: recentRecords})
	if err != nil {
		return ""
	}
	for _, s := range page.Requests {
		if rec, err := c.Get(ctx, s.ID); err == nil && bytes.Equal(rec.Request.Body, body) {
			return rec.ID
		}
	}
	return ""
}
