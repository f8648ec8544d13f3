package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/option"
	"github.com/hookrelay/hookrelay/internal/store"
)

// apiClient returns a client of the server's API from the global flags.
func (g *globals) apiClient() (*api.Client, error) {
	u, err := g.serverURL()
	if err != nil {
		return nil, err
	}
	if err := g.needToken(); err != nil {
		return nil, err
	}
	hc, err := g.httpClient()
	if err != nil {
		return nil, err
	}
	return &api.Client{Base: u, Token: g.token, HTTP: hc}, nil
}

// filterFlags are the list filters shared by requests, replay and export.
type filterFlags struct {
	name, since, until, method, status, outcome, text, verified string
	limit                                                       int
}

func (f *filterFlags) bind(cmd *cobra.Command, limit int) {
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "tunnel name (default: all of the token's tunnels)")
	fl.StringVar(&f.since, "since", "", "only deliveries since a time (RFC 3339) or a duration ago (1h)")
	fl.StringVar(&f.until, "until", "", "only deliveries before a time or a duration ago")
	fl.StringVar(&f.method, "method", "", "only this HTTP method")
	fl.StringVar(&f.status, "status", "", "only this status class: 2xx, 3xx, 4xx or 5xx")
	fl.StringVar(&f.outcome, "outcome", "", "only this outcome: "+outcomeList())
	fl.StringVar(&f.text, "search", "", "only deliveries whose path or body contains this text")
	fl.StringVar(&f.verified, "verified", "", "only signature verdict ok or failed")
	fl.IntVar(&f.limit, "limit", limit, "how many deliveries at most")
}

// filter turns the flags into a store.Filter through the same parser the server uses.
func (f *filterFlags) filter() (store.Filter, error) {
	q := url.Values{}
	for k, v := range map[string]string{"tunnel": f.name, "since": f.since, "until": f.until, "method": f.method,
		"status": f.status, "outcome": f.outcome, "q": f.text, "verified": f.verified} {
		if v != "" {
			q.Set(k, v)
		}
	}
	flt, err := api.ParseFilter(q, time.Now())
	flt.Limit = f.limit
	return flt, option.Usage(err)
}

func requestsCommand(g *globals) *cobra.Command {
	var ff filterFlags
	cmd := &cobra.Command{
		Use:   "requests",
		Short: "List recorded deliveries, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.apiClient()
			if err != nil {
				return err
			}
			f, err := ff.filter()
			if err != nil {
				return err
			}
			list, err := c.List(cmd.Context(), f)
			if err != nil {
				return err
			}
			if g.json {
				return writeJSON(g.stdout, list)
			}
			printList(g.stdout, list.Requests)
			return nil
		},
	}
	ff.bind(cmd, 20)
	cmd.AddCommand(showCommand(g))
	return cmd
}

func printList(w io.Writer, rs []api.Summary) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME\tTUNNEL\tMETHOD\tPATH\tSTATUS\tOUTCOME\tDURATION\tSIZE\tVERIFIED\tNOTE")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1fms\t%d\t%s\t%s\n", r.ID, r.ReceivedAt.Local().Format("15:04:05"),
			r.Tunnel, r.Method, shorten(pathQuery(r.Path, r.Query), 48), status(r.Status), r.Outcome, r.DurationMS,
			r.Size, verdict(r.Verification), note(r))
	}
	tw.Flush()
}

func pathQuery(p, q string) string {
	if q == "" {
		return p
	}
	return p + "?" + q
}

func status(s int) string {
	if s == 0 {
		return "-"
	}
	return fmt.Sprint(s)
}

func verdict(v *store.Verification) string {
	switch {
	case v == nil:
		return "-"
	case v.OK:
		return v.Provider + " ok"
	}
	return v.Provider + " " + v.Reason
}

func note(r api.Summary) string {
	var n []string
	if r.ReplayOf != "" {
		n = append(n, "replay of "+r.ReplayOf)
	}
	if r.Duplicate {
		n = append(n, "duplicate")
	}
	if r.ErrorCode != "" {
		n = append(n, r.ErrorCode)
	}
	return strings.Join(n, ", ")
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// outcomeList names every outcome, for help texts.
func outcomeList() string {
	names := make([]string, len(store.Outcomes))
	for i, o := range store.Outcomes {
		names[i] = string(o)
	}
	return strings.Join(names, ", ")
}
