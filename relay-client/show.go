package main

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/hookrelay/hookrelay/internal/api"
)

func showCommand(g *globals) *cobra.Command {
	var raw, response bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show one delivery: request and response headers and bodies",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.apiClient()
			if err != nil {
				return err
			}
			rec, err := c.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			switch {
			case raw && response:
				_, err = g.stdout.Write(rec.Response.Body)
			case raw:
				_, err = g.stdout.Write(rec.Request.Body)
			case g.json:
				err = writeJSON(g.stdout, rec)
			default:
				printRecord(g.stdout, rec)
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&raw, "raw", false, "write the exact request body bytes and nothing else")
	cmd.Flags().BoolVar(&response, "response", false, "with --raw: the response body instead")
	return cmd
}

func printRecord(w io.Writer, r *api.Record) {
	fmt.Fprintf(w, "Delivery %s on %s, received %s from %s\n", r.ID, r.Tunnel,
		r.ReceivedAt.Local().Format("2006-01-02 15:04:05.000"), r.RemoteAddr)
	fmt.Fprintf(w, "Outcome %s, status %s, %.1f ms", r.Outcome, status(r.Status), r.DurationMS)
	if n := note(r.Summary); n != "" {
		fmt.Fprintf(w, " (%s)", n)
	}
	fmt.Fprintf(w, "\nSignature: %s\n", verdict(r.Verification))
	printTries(w, r.Tries)
	fmt.Fprintln(w)
	fmt.Fprintf(w, "> %s %s %s\n> Host: %s\n", r.Method, pathQuery(r.Path, r.Query), r.Proto, r.Host)
	printMessage(w, "> ", r.Request)
	fmt.Fprintf(w, "\n< %s\n", status(r.Status))
	printMessage(w, "< ", r.Response)
}

// printTries lists the delivery attempts, one a line: number, client, role, status,
// duration and error. A client chooses its label: control characters in it, or in an
// error text, are shown as "?" so that they cannot drive the terminal.
func printTries(w io.Writer, ts []api.Try) {
	if len(ts) == 0 {
		return
	}
	fmt.Fprintln(w, "Attempts:")
	for _, t := range ts {
		fmt.Fprintf(w, "  #%d %s, %s, status %s, %.1f ms", t.N, printable(t.Who()), printable(t.Role), status(t.Status), t.DurationMS)
		if t.Error != "" {
			fmt.Fprintf(w, ", %s", printable(t.Error))
		}
		fmt.Fprintln(w)
	}
}

// printable replaces control characters and invalid UTF-8 in s with "?".
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}

func printMessage(w io.Writer, prefix string, m api.Message) {
	for _, h := range m.Headers {
		fmt.Fprintf(w, "%s%s: %s\n", prefix, h[0], h[1])
	}
	fmt.Fprintln(w)
	switch {
	case m.BodySize == 0:
	case utf8.Valid(m.Body):
		fmt.Fprintf(w, "%s\n", m.Body)
	default:
		fmt.Fprintf(w, "(%d bytes of binary data; use --raw)\n", m.BodySize)
	}
	if m.BodyTruncated {
		fmt.Fprintf(w, "(truncated: %d of %d bytes recorded, sha256 %s)\n", len(m.Body), m.BodySize, m.BodySHA256)
	}
}
