package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/store"
)

// ErrBadEdit is returned for an "Edit and replay" form that cannot become an api.Edit.
var ErrBadEdit = errors.New("inspect: bad edit")

// serveReplay replays a delivery: as recorded, re-signed, or edited with the form's
// fields, then shows the new record.
func (h *Handler) serveReplay(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	edit := &api.Edit{Resign: checked(r.PostForm, "resign")}
	if r.PostForm.Get("edit") != "" {
		rec, err := s.src.Get(r.Context(), id)
		if err != nil {
			h.fail(w, r, sourceStatus(err), "Cannot load this delivery: "+err.Error())
			return
		}
		if edit, err = parseEdit(r.PostForm, rec); err != nil {
			h.fail(w, r, http.StatusBadRequest, err.Error())
			return
		}
	}
	out, err := s.src.Replay(r.Context(), id, edit)
	if err != nil {
		h.fail(w, r, sourceStatus(err), "Replay failed: "+err.Error())
		return
	}
	http.Redirect(w, r, h.cfg.BasePath+"r/"+url.PathEscape(out.ID), http.StatusSeeOther)
}

func checked(form url.Values, key string) bool {
	v := form.Get(key)
	return v == "on" || v == "1" || v == "true"
}

// parseEdit turns the edit form into an api.Edit holding only what differs from rec, so
// an untouched field replays byte-exact.
func parseEdit(form url.Values, rec *api.Record) (*api.Edit, error) {
	e := &api.Edit{Resign: checked(form, "resign")}
	if m := strings.ToUpper(strings.TrimSpace(form.Get("method"))); m != "" && m != rec.Method {
		e.Method = m
	}
	target, orig := strings.TrimSpace(form.Get("target")), rec.Path
	if rec.Query != "" {
		orig += "?" + rec.Query
	}
	if target != "" && target != orig {
		if !strings.HasPrefix(target, "/") {
			return nil, fmt.Errorf("%w: the path must start with /", ErrBadEdit)
		}
		e.Path = target
	}
	hs, err := parseHeaderLines(form.Get("headers"))
	if err != nil {
		return nil, err
	}
	if !slices.Equal(hs, rec.Request.Headers) {
		e.Headers = hs
	}
	if checked(form, "replace_body") {
		e.Body = editedBody(form.Get("body"), rec.Request.Body)
	}
	return e, nil
}

// maxHeaderLines caps the headers of an edit.
const maxHeaderLines = 1000

// parseHeaderLines reads "Name: value" lines; blank lines are skipped.
func parseHeaderLines(text string) ([][2]string, error) {
	out := [][2]string{} // non-nil: an emptied box means "no headers", not "as recorded"
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || !validHeaderName(name) {
			return nil, fmt.Errorf("%w: header line %q: want Name: value", ErrBadEdit, clip(line, 80))
		}
		if len(out) == maxHeaderLines {
			return nil, fmt.Errorf("%w: more than %d headers", ErrBadEdit, maxHeaderLines)
		}
		out = append(out, [2]string{name, strings.TrimSpace(value)})
	}
	return out, nil
}

// validHeaderName reports whether s is an HTTP token (RFC 9110).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// editedBody is the body typed into the form. Browsers send a textarea's line breaks as
// CRLF; they become LF again unless the recorded body used CRLF. nil means unchanged. An
// emptied body is a non-nil empty slice: JSON encodes a nil one as null, which would keep
// the recorded body.
func editedBody(typed string, orig []byte) *[]byte {
	b := []byte(typed)
	if !bytes.Contains(orig, []byte("\r\n")) {
		b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	}
	if bytes.Equal(b, orig) {
		return nil
	}
	if b == nil {
		b = []byte{}
	}
	return &b
}

// bulkPage is the data of the bulk replay result template.
type bulkPage struct {
	page
	Results []bulkResult
	Err     string
}

type bulkResult struct {
	api.ReplayResult
	URL string // the new record, "" on error
}

// serveReplayMissed replays every delivery that reached no client, oldest first.
func (h *Handler) serveReplayMissed(w http.ResponseWriter, r *http.Request, s *session) {
	p := bulkPage{page: h.page("Replay missed deliveries", s)}
	f := store.Filter{Missed: true, Tunnel: r.PostForm.Get("tunnel")}
	err := s.src.BulkReplay(r.Context(), f, api.BulkOptions{}, func(res api.ReplayResult) {
		br := bulkResult{ReplayResult: res}
		if res.Record != nil {
			br.URL = h.cfg.BasePath + "r/" + url.PathEscape(res.Record.ID)
		}
		p.Results = append(p.Results, br)
	})
	status := http.StatusOK
	if err != nil {
		p.Err, status = "Bulk replay stopped: "+err.Error(), sourceStatus(err)
	}
	h.render(w, status, "bulk", p)
}
