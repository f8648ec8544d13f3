package inspect

import (
	"context"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/hookrelay/hookrelay/internal/api"
)

// detailPage is the data of the detail template.
type detailPage struct {
	page
	Row       row
	Rec       *api.Record
	Request   messageView
	Response  messageView
	ReplayOf  string // URL of the original, when this is a replay
	Curl      string
	Edit      editView
	CanResign bool // the record has a verification verdict
	Tries     []tryView
}

// tryView is one delivery attempt, ready to print.
type tryView struct {
	api.Try
	Duration string
}

func triesOf(ts []api.Try) []tryView {
	out := make([]tryView, len(ts))
	for i, t := range ts {
		out[i] = tryView{Try: t, Duration: formatDuration(t.DurationMS)}
	}
	return out
}

// messageView is one side of a delivery, ready to print.
type messageView struct {
	Name    string // "request" or "response"
	Headers [][2]string
	Body    bodyView
	RawURL  string // the body's raw bytes, as a download
}

// editView fills the "Edit and replay" form with the recorded request.
type editView struct {
	Method   string
	Target   string // path and query
	Headers  string // one "Name: value" per line
	Body     string
	Editable bool // the body is text, stored whole and small enough to edit here
}

func (h *Handler) serveDetail(w http.ResponseWriter, r *http.Request, s *session) {
	rec, err := s.src.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, sourceStatus(err), "Cannot load this delivery: "+err.Error())
		return
	}
	h.render(w, http.StatusOK, "detail", h.detailOf(r.Context(), s, rec))
}

func (h *Handler) detailOf(ctx context.Context, s *session, rec *api.Record) detailPage {
	row := h.rowOf(rec.Summary)
	p := detailPage{page: h.page(rec.Method+" "+rec.Path, s), Row: row, Rec: rec,
		Request: messageOf("request", rec.Request, row.URL), Response: messageOf("response", rec.Response, row.URL),
		Curl: curlCommand(rec, tunnelURL(ctx, s.src, rec.Tunnel)), Edit: editOf(rec), CanResign: rec.Verification != nil,
		Tries: triesOf(rec.Tries)}
	if rec.ReplayOf != "" {
		p.ReplayOf = h.cfg.BasePath + "r/" + url.PathEscape(rec.ReplayOf)
	}
	return p
}

func messageOf(name string, m api.Message, recURL string) messageView {
	return messageView{Name: name, Headers: m.Headers, RawURL: recURL + "/raw?part=" + name,
		Body: renderBody(m.Headers, m.Body, m.BodySize, m.BodyTruncated)}
}

// tunnelURL is the first public URL of the named tunnel, "" when unknown.
func tunnelURL(ctx context.Context, src Source, name string) string {
	ts, err := src.Tunnels(ctx)
	if err != nil {
		return ""
	}
	for _, t := range ts {
		if t.Name == name && len(t.URLs) > 0 {
			return t.URLs[0]
		}
	}
	return ""
}

func editOf(rec *api.Record) editView {
	e := editView{Method: rec.Method, Target: rec.Path, Headers: formatHeaders(rec.Request.Headers)}
	if rec.Query != "" {
		e.Target += "?" + rec.Query
	}
	body := rec.Request.Body
	if !rec.Request.BodyTruncated && len(body) <= RenderCap && looksText(body) {
		e.Editable, e.Body = true, string(body)
	}
	return e
}

func formatHeaders(hs [][2]string) string {
	var b strings.Builder
	for _, h := range hs {
		b.WriteString(h[0] + ": " + h[1] + "\n")
	}
	return b.String()
}

// serveRaw answers one recorded body as an attachment, never rendered by the browser.
func (h *Handler) serveRaw(w http.ResponseWriter, r *http.Request, s *session) {
	rec, err := s.src.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, sourceStatus(err), "Cannot load this delivery: "+err.Error())
		return
	}
	part, msg := "request", rec.Request
	if r.URL.Query().Get("part") == "response" {
		part, msg = "response", rec.Response
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment",
		map[string]string{"filename": rec.ID + "-" + part + ".body"}))
	if msg.BodyTruncated {
		w.Header().Set("X-Hookrelay-Body-Truncated", "true")
	}
	_, _ = w.Write(msg.Body)
}
