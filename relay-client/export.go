package main

import (
	"context"
	"fmt"
	"io"
	"strings"

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
			open, ok := exporters[format]
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
			return exportAll(cmd.Context(), c, f, open(cmd.Context(), c, g.stdout), g.stderr)
		},
	}
	ff.bind(cmd, 10000)
	cmd.Flags().StringVar(&format, "format", "jsonl", "har, jsonl or curl")
	return cmd
}

// exportAll writes up to f.Limit records oldest first, each fetched with its bodies when
// its turn comes: jsonl and curl hold one record at a time, however many are exported.
func exportAll(ctx context.Context, c *api.Client, f store.Filter, w export.RecordWriter, progress io.Writer) error {
	n, err := export.Each(ctx, c, f, f.Limit, w.Write)
	if err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	fmt.Fprintf(progress, "exported %s\n", deliveries(n))
	return nil
}

// exporters open a writer of one format on w; c is there for what the records lack.
var exporters = map[string]func(context.Context, *api.Client, io.Writer) export.RecordWriter{
	"jsonl": func(_ context.Context, _ *api.Client, w io.Writer) export.RecordWriter { return export.JSONL(w) },
	"curl":  func(_ context.Context, _ *api.Client, w io.Writer) export.RecordWriter { return export.CurlScript(w) },
	"har":   openHAR,
}

// openHAR opens a HAR 1.2 log (package export), URLs with the scheme of each tunnel's
// public URL.
func openHAR(ctx context.Context, c *api.Client, w io.Writer) export.RecordWriter {
	schemes := map[string]string{}
	if ts, err := c.Tunnels(ctx); err == nil {
		for _, t := range ts {
			if len(t.URLs) > 0 {
				schemes[t.Name], _, _ = strings.Cut(t.URLs[0], "://")
			}
		}
	}
	return export.HARLog(w, schemes)
}
