package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/hookrelay/hookrelay/internal/api"
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
				return fmt.Errorf("--format %q: want har, jsonl or curl", format)
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
			return write(g.stdout, recs)
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
	fmt.Fprintf(progress, "exported %d deliveries\n", len(out))
	return out, nil
}

var exporters = map[string]func(io.Writer, []*api.Record) error{
	"jsonl": exportJSONL,
	"curl":  exportCurl,
	"har":   exportHAR,
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

// exportCurl writes one curl command per delivery, aimed at the original path on a
// $TARGET the user sets (default http://localhost:3000).
func exportCurl(w io.Writer, recs []*api.Record) error {
	for _, r := range recs {
		fmt.Fprintf(w, "# %s %s on %s at %s\n", r.ID, r.Method, r.Tunnel, r.ReceivedAt.Format("2006-01-02T15:04:05Z07:00"))
		fmt.Fprintf(w, "%s\n\n", curlCommand(r))
	}
	return nil
}

func curlCommand(r *api.Record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "curl -sS -X %s \"${TARGET:-http://localhost:3000}\"%s", shellQuote(r.Method), shellQuote(pathQuery(r.Path, r.Query)))
	for _, h := range r.Request.Headers {
		if strings.EqualFold(h[0], "Content-Length") {
			continue
		}
		fmt.Fprintf(&b, " \\\n  -H %s", shellQuote(h[0]+": "+h[1]))
	}
	if len(r.Request.Body) > 0 {
		fmt.Fprintf(&b, " \\\n  --data-binary %s", shellQuote(string(r.Request.Body)))
	}
	return b.String()
}

// shellQuote quotes s for POSIX sh with single quotes.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// HAR 1.2, the subset viewers need.
type harLog struct {
	Log struct {
		Version string     `json:"version"`
		Creator harCreator `json:"creator"`
		Entries []harEntry `json:"entries"`
	} `json:"log"`
}

type harCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type harEntry struct {
	StartedDateTime string         `json:"startedDateTime"`
	Time            float64        `json:"time"`
	Request         harRequest     `json:"request"`
	Response        harResponse    `json:"response"`
	Cache           struct{}       `json:"cache"`
	Timings         map[string]any `json:"timings"`
	Comment         string         `json:"comment,omitempty"`
}

type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harRequest struct {
	Method      string   `json:"method"`
	URL         string   `json:"url"`
	HTTPVersion string   `json:"httpVersion"`
	Headers     []harNV  `json:"headers"`
	QueryString []harNV  `json:"queryString"`
	Cookies     []harNV  `json:"cookies"`
	HeadersSize int      `json:"headersSize"`
	BodySize    int64    `json:"bodySize"`
	PostData    *harPost `json:"postData,omitempty"`
}

type harPost struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
	Encoding string `json:"encoding,omitempty"`
}

type harResponse struct {
	Status      int        `json:"status"`
	StatusText  string     `json:"statusText"`
	HTTPVersion string     `json:"httpVersion"`
	Headers     []harNV    `json:"headers"`
	Cookies     []harNV    `json:"cookies"`
	Content     harContent `json:"content"`
	RedirectURL string     `json:"redirectURL"`
	HeadersSize int        `json:"headersSize"`
	BodySize    int64      `json:"bodySize"`
}

type harContent struct {
	Size     int64  `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text,omitempty"`
	Encoding string `json:"encoding,omitempty"`
}

func exportHAR(w io.Writer, recs []*api.Record) error {
	var h harLog
	h.Log.Version, h.Log.Creator = "1.2", harCreator{Name: "hookrelay", Version: "1"}
	h.Log.Entries = []harEntry{}
	for _, r := range recs {
		h.Log.Entries = append(h.Log.Entries, harEntryOf(r))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(h)
}

func harEntryOf(r *api.Record) harEntry {
	e := harEntry{StartedDateTime: r.ReceivedAt.Format("2006-01-02T15:04:05.000Z07:00"), Time: r.DurationMS,
		Timings: map[string]any{"send": 0, "wait": r.DurationMS, "receive": 0}, Comment: "hookrelay " + r.ID}
	e.Request = harRequest{Method: r.Method, URL: "http://" + r.Host + pathQuery(r.Path, r.Query),
		HTTPVersion: r.Proto, Headers: harHeaders(r.Request.Headers), QueryString: []harNV{}, Cookies: []harNV{},
		HeadersSize: -1, BodySize: r.Request.BodySize}
	if r.Request.BodySize > 0 {
		text, enc := harText(r.Request.Body)
		e.Request.PostData = &harPost{MimeType: header(r.Request.Headers, "Content-Type"), Text: text, Encoding: enc}
	}
	text, enc := harText(r.Response.Body)
	e.Response = harResponse{Status: r.Status, HTTPVersion: "HTTP/1.1", Headers: harHeaders(r.Response.Headers),
		Cookies: []harNV{}, HeadersSize: -1, BodySize: r.Response.BodySize,
		Content: harContent{Size: r.Response.BodySize, MimeType: header(r.Response.Headers, "Content-Type"), Text: text, Encoding: enc}}
	return e
}

func harHeaders(hs [][2]string) []harNV {
	out := make([]harNV, len(hs))
	for i, h := range hs {
		out[i] = harNV{Name: h[0], Value: h[1]}
	}
	return out
}

// harText is a body as HAR text: as is when UTF-8, else base64.
func harText(b []byte) (string, string) {
	if utf8.Valid(b) {
		return string(b), ""
	}
	enc, _ := json.Marshal(b) // a quoted base64 string
	return strings.Trim(string(enc), `"`), "base64"
}

func header(hs [][2]string, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h[0], name) {
			return h[1]
		}
	}
	return ""
}
