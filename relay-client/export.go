package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/export"
	"github.com/hookrelay/hookrelay/internal/store"
)

func exportCommand(g *globals) *cobra.Command {
	var ff filterFlags
	var format string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export recorded deliveries as HAR, JSON lines or curl commands, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			write, ok := exporters[format]
			if !ok {
				return usagef("--format %q: want har, jsonl or curl", format)
			}
			c, err := g.apiClient()
			if err != nil {
				return err
			}
			f, err := ff.filter()
			if err != nil {
				return err
			}
			recs, err := fetchAll(cmd.Context(), c, f, g.stderr)
			if err != nil {
				return err
			}
			return write(cmd.Context(), c, g.stdout, recs)
		},
	}
	ff.bind(cmd, 10000)
	cmd.Flags().StringVar(&format, "format", "jsonl", "har, jsonl or curl")
	return cmd
}

// fetchAll lists up to f.Limit records oldest first and fetches each with its bodies.
func fetchAll(ctx context.Context, c *api.Client, f store.Filter, progress io.Writer) ([]*api.Record, error) {
	want := f.Limit
	f.Oldest, f.Limit = true, store.MaxLimit
	var out []*api.Record
	for len(out) < want {
		page, err := c.List(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, s := range page.Requests {
			if len(out) == want {
				break
			}
			rec, err := c.Get(ctx, s.ID)
			if err != nil {
				return nil, err
			}
			out = append(out, rec)
		}
		if page.Next == "" {
			break
		}
		f.Cursor = page.Next
	}
	fmt.Fprintf(progress, "exported %s\n", deliveries(len(out)))
	return out, nil
}

// exporters write recs in one format; c is there for what the records lack.
var exporters = map[string]func(context.Context, *api.Client, io.Writer, []*api.Record) error{
	"jsonl": func(_ context.Context, _ *api.Client, w io.Writer, recs []*api.Record) error {
		return exportJSONL(w, recs)
	},
	"curl": func(_ context.Context, _ *api.Client, w io.Writer, recs []*api.Record) error {
		return exportCurl(w, recs)
	},
	"har": exportHAR,
}

func exportJSONL(w io.Writer, recs []*api.Record) error {
	enc := json.NewEncoder(w)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// curlInlineMax is the largest body an exported curl command carries in its own line.
const curlInlineMax = 64 << 10

// exportCurl writes a POSIX shell script with one curl command per delivery, aimed at
// the original path and query on $TARGET (default http://localhost:3000). A body that
// is not plain text, or is large, is written by the script from a base64 here-document
// to a file next to it, which curl then reads: the bytes sent are the bytes recorded.
func exportCurl(w io.Writer, recs []*api.Record) error {
	fmt.Fprintln(w, "#!/bin/sh\n# Sends each delivery again: TARGET=http://localhost:3000 sh THIS-FILE\nset -e")
	for _, r := range recs {
		fmt.Fprintf(w, "\n# %s %s on %s at %s\n", r.ID, r.Method, r.Tunnel, r.ReceivedAt.Format(time.RFC3339))
		if !export.InlineBody(r, curlInlineMax) {
			writeBodyFile(w, r)
		}
		fmt.Fprintln(w, export.Curl(r, export.ShellVar("TARGET", "http://localhost:3000"), curlInlineMax))
	}
	return nil
}

// writeBodyFile writes the shell lines that recreate r's request body in
// export.BodyFile(r).
func writeBodyFile(w io.Writer, r *api.Record) {
	if r.Request.BodyTruncated {
		fmt.Fprintf(w, "# only %d of %d body bytes were recorded\n", len(r.Request.Body), r.Request.BodySize)
	}
	fmt.Fprintf(w, "base64 -d > %s <<'HOOKRELAY_BODY'\n", export.Quote(export.BodyFile(r)))
	enc := base64.StdEncoding.EncodeToString(r.Request.Body)
	for len(enc) > 76 {
		fmt.Fprintln(w, enc[:76])
		enc = enc[76:]
	}
	fmt.Fprintf(w, "%s\nHOOKRELAY_BODY\n", enc)
}

// exportHAR writes a HAR 1.2 log (package export), URLs with the scheme of each
// tunnel's public URL.
func exportHAR(ctx context.Context, c *api.Client, w io.Writer, recs []*api.Record) error {
	schemes := map[string]string{}
	if ts, err := c.Tunnels(ctx); err == nil {
		for _, t := range ts {
			if len(t.URLs) > 0 {
				schemes[t.Name], _, _ = strings.Cut(t.URLs[0], "://")
			}
		}
	}
	return export.HAR(w, recs, schemes)
}
