package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/wire"
	"github.com/hookrelay/hookrelay/proto"
)

// maxEditBytes caps a replay edit's JSON: the edited body plus headers, base64-encoded.
const maxEditBytes = 64 << 20

func (s *Server) apiReplay(w http.ResponseWriter, r *http.Request, owner string) {
	var edit api.Edit
	if err := decodeEdit(r, &edit); err != nil {
		writeError(w, proto.CodeBadRequest, err.Error(), "")
		return
	}
	rec, err := s.Replay(r.Context(), owner, r.PathValue("id"), &edit)
	if err != nil {
		s.apiError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, api.RecordOf(rec))
}

// replayTunnel is the tunnel a replay of owner's record on name goes to: only one owner
// still holds. A released name, taken by another token or by none, answers alike: a
// replay must never reach another token's app nor be signed with its secret.
func (s *Server) replayTunnel(ctx context.Context, owner, name string) (*tunnel, error) {
	t, err := s.lookup(ctx, name)
	if errors.Is(err, errUnknownTunnel) || (err == nil && t.owner != owner) {
		return nil, &proto.Error{Code: proto.CodeTunnelOffline, Message: "tunnel " + name +
			" is no longer this token's (the name was released); connect a client with this name to claim it again"}
	}
	return t, err
}

func decodeEdit(r *http.Request, edit *api.Edit) error {
	if r.ContentLength == 0 {
		return nil
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxEditBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(edit); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("replay edit: %w", err)
	}
	return nil
}

// Replay sends a recorded delivery of owner's again through its tunnel, like live traffic,
// and returns the new record, linked to the original. The server only ever sends to a
// tunnel: a replay names a record, never a URL.
func (s *Server) Replay(ctx context.Context, owner, id string, edit *api.Edit) (*store.Record, error) {
	s.settling.wait(ctx)
	orig, err := s.cfg.Store.Get(ctx, owner, id)
	if err != nil {
		return nil, err
	}
	if orig.Body.Truncated && (edit == nil || edit.Body == nil) {
		return nil, &proto.Error{Code: proto.CodeNotReplayable, Message: fmt.Sprintf(
			"record %s kept only %d of %d body bytes; it cannot be replayed byte-exact (replay it with an edited body instead)",
			id, len(orig.Body.Data), orig.Body.Size)}
	}
	t, err := s.replayTunnel(ctx, owner, orig.Tunnel)
	if err != nil {
		return nil, err
	}
	if edit != nil && edit.ToClient != "" && s.clientsNow(ctx, t).labelled(edit.ToClient) == nil {
		return nil, &proto.Error{Code: proto.CodeNotFound,
			Message: fmt.Sprintf("no client labelled %q is attached to tunnel %s", edit.ToClient, t.name)}
	}
	// A context without the API request's server values: a replay's response has no
	// sender to abort, so the proxy must not panic when copying it fails.
	rctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()
	req, err := replayRequest(rctx, orig, edit)
	if err != nil {
		return nil, err
	}
	if err := s.resign(t, req, edit, orig); err != nil {
		return nil, err
	}
	d := s.newDelivery(req, t, req.RequestURI)
	d.origin, d.replayOf, d.rec.ReplayOf = fromReplay, orig.ID, orig.ID
	if edit != nil {
		d.toClient = edit.ToClient
	}
	s.deliver(newDiscardWriter(), req, d)
	return d.rec, nil
}

// replayRequest rebuilds the recorded request, with edits applied, for a replay or a
// queued delivery. An edited head is held to the rules of one read off the wire
// (wire.CheckRequest: method, target, Host and field syntax), X-Hookrelay-* fields are
// dropped as at ingress, and the framing is the body's own: the recorded
// Content-Length and Transfer-Encoding are dropped and the length set from the bytes.
func replayRequest(ctx context.Context, rec *store.Record, edit *api.Edit) (*http.Request, error) {
	method, uri, hs, body := rec.Method, rec.Path, rec.Headers, rec.Body.Data
	if rec.RawQuery != "" {
		uri += "?" + rec.RawQuery
	}
	if edit != nil {
		method, uri, hs, body = applyEdit(edit, method, uri, hs, body)
	}
	if !strings.HasPrefix(uri, "/") {
		return nil, &proto.Error{Code: proto.CodeBadRequest, Message: "replay path must start with /"}
	}
	header, host := headerMap(hs), rec.Host
	if v, ok := header["Host"]; ok { // an edited Host: the one Host field of the head
		host = v[len(v)-1]
		delete(header, "Host")
	}
	if err := wire.CheckRequest(method, uri, host, header); err != nil {
		return nil, &proto.Error{Code: proto.CodeBadRequest, Message: "replay: " + err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://replay"+uri, bytes.NewReader(body))
	if err != nil {
		return nil, &proto.Error{Code: proto.CodeBadRequest, Message: "replay: " + err.Error()}
	}
	wire.DropRelayFields(header)
	req.Header = header
	req.Header.Del("Content-Length")
	req.Header.Del("Transfer-Encoding")
	req.ContentLength = int64(len(body))
	if len(body) == 0 {
		req.Body = http.NoBody
	}
	req.Host, req.RequestURI, req.RemoteAddr = host, uri, rec.RemoteAddr
	return req, nil
}

func applyEdit(e *api.Edit, method, uri string, hs []store.Header, body []byte) (string, string, []store.Header, []byte) {
	if e.Method != "" {
		method = strings.ToUpper(e.Method)
	}
	if e.Path != "" {
		uri = e.Path
	}
	if e.Headers != nil {
		hs = api.Headers(e.Headers)
	}
	if e.Body != nil {
		body = *e.Body
	}
	return method, uri, hs, body
}

// discardWriter is the ResponseWriter of a replay or a queued delivery: the record keeps
// the response, nobody else waits for it.
type discardWriter struct{ h http.Header }

func newDiscardWriter() *discardWriter               { return &discardWriter{h: make(http.Header)} }
func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}
