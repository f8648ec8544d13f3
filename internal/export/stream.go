package export

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/store"
)

// Source is where Each reads records: a page of summaries at a time, then each record
// whole, with its bodies. *api.Client is one.
type Source interface {
	List(ctx context.Context, f store.Filter) (*api.List, error)
	Get(ctx context.Context, id string) (*api.Record, error)
}

// Each passes fn the first limit records f selects, oldest first, paging through the
// list with its cursor and fetching each record only when its turn comes: it holds one
// page of summaries (store.MaxLimit) and the record fn has, whatever the count. It
// returns how many records fn took; fn's error stops it.
func Each(ctx context.Context, src Source, f store.Filter, limit int, fn func(*api.Record) error) (int, error) {
	f.Oldest, f.Limit = true, store.MaxLimit
	n := 0
	for n < limit {
		page, err := src.List(ctx, f)
		if err != nil {
			return n, err
		}
		for _, s := range page.Requests {
			if n == limit {
				break
			}
			rec, err := src.Get(ctx, s.ID)
			if err != nil {
				return n, err
			}
			if err := fn(rec); err != nil {
				return n, err
			}
			n++
		}
		if page.Next == "" {
			break
		}
		f.Cursor = page.Next
	}
	return n, nil
}

// RecordWriter writes records in one export format, one Write per record; Close ends
// the document. Neither closes the underlying writer.
type RecordWriter interface {
	Write(rec *api.Record) error
	Close() error
}

// JSONL writes one api.Record per line, as the API answers it, each as it comes.
func JSONL(w io.Writer) RecordWriter { return jsonl{json.NewEncoder(w)} }

type jsonl struct{ enc *json.Encoder }

func (j jsonl) Write(rec *api.Record) error { return j.enc.Encode(rec) }
func (j jsonl) Close() error                { return nil }

// ScriptInlineMax is the largest body a command of a curl script carries in its own line.
const ScriptInlineMax = 64 << 10

// CurlScript writes a POSIX shell script with one curl command per delivery, each as it
// comes, aimed at the original path and query on $TARGET (default
// http://localhost:3000). A body that is not plain text, or is large, is written by the
// script from a base64 here-document to [BodyFile] next to it, which curl then reads:
// the bytes sent are the bytes recorded.
func CurlScript(w io.Writer) RecordWriter { return &curlScript{w: &stickyWriter{w: w}} }

type curlScript struct {
	w       *stickyWriter
	started bool
}

func (s *curlScript) start() {
	if !s.started {
		s.started = true
		fmt.Fprintln(s.w, "#!/bin/sh\n# Sends each delivery again: TARGET=http://localhost:3000 sh THIS-FILE\nset -e")
	}
}

func (s *curlScript) Write(r *api.Record) error {
	s.start()
	fmt.Fprintf(s.w, "\n# %s %s on %s at %s\n", r.ID, r.Method, r.Tunnel, r.ReceivedAt.Format(time.RFC3339))
	if !InlineBody(r, ScriptInlineMax) {
		s.writeBodyFile(r)
	}
	fmt.Fprintln(s.w, Curl(r, ShellVar("TARGET", "http://localhost:3000"), ScriptInlineMax))
	return s.w.err
}

// Close writes the script's head if no delivery did: an empty export is still a script.
func (s *curlScript) Close() error {
	s.start()
	return s.w.err
}

// writeBodyFile writes the shell lines that recreate r's request body in BodyFile(r),
// 76 base64 characters a line.
func (s *curlScript) writeBodyFile(r *api.Record) {
	if r.Request.BodyTruncated {
		fmt.Fprintf(s.w, "# only %d of %d body bytes were recorded\n", len(r.Request.Body), r.Request.BodySize)
	}
	fmt.Fprintf(s.w, "base64 -d > %s <<'HOOKRELAY_BODY'\n", Quote(BodyFile(r)))
	enc := base64.StdEncoding.EncodeToString(r.Request.Body)
	for len(enc) > 76 {
		fmt.Fprintln(s.w, enc[:76])
		enc = enc[76:]
	}
	fmt.Fprintf(s.w, "%s\nHOOKRELAY_BODY\n", enc)
}

// stickyWriter keeps the first write error and writes nothing after it, so that a
// script cut short (a closed pipe) stops the export at the next record.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (s *stickyWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	s.err = err
	return n, err
}

// HARLog collects records and writes them as one HAR 1.2 log on Close (see [HAR]). It
// holds every record until then, unlike JSONL and CurlScript: a HAR file is a single
// JSON document, written indented as a whole, and the tools that read one (browser
// developer tools, HAR viewers) load it whole anyway. scheme is as for HAR.
func HARLog(w io.Writer, scheme map[string]string) RecordWriter {
	return &harLogWriter{w: w, scheme: scheme}
}

type harLogWriter struct {
	w      io.Writer
	scheme map[string]string
	recs   []*api.Record
}

func (h *harLogWriter) Write(rec *api.Record) error {
	h.recs = append(h.recs, rec)
	return nil
}

func (h *harLogWriter) Close() error { return HAR(h.w, h.recs, h.scheme) }
