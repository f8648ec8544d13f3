package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/proto"
)

// delivery is one request on its way to a tunnel, with its record.
type delivery struct {
	id, path, query string
	replayOf        string
	verdict         string // X-Hookrelay-Verified value, if verified
	start           time.Time
	tunnel          *tunnel
	rec             *store.Record // nil without a store
	reqBody         *bodyCapture  // set while a large body streams through
	code            proto.Code    // the relay's own answer, if it gave one
	err             error
}

func (d *delivery) fail(code proto.Code, err error) { d.code, d.err = code, err }

// servePathTunnel serves /t/NAME/rest as /rest on tunnel NAME.
func (s *Server) servePathTunnel(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	uri := rawRequestURI(r)
	rest := strings.TrimPrefix(uri, "/t/"+name)
	if rest == uri { // the name was percent-encoded in the request; no such tunnel
		writeError(w, proto.CodeTunnelNotFound, "no tunnel named "+name, "")
		return
	}
	if rest == "" || rest[0] == '?' {
		rest = "/" + rest
	}
	s.serveTunnel(w, r, name, rest)
}

// rawRequestURI is the request target as the sender wrote it, for origin-form targets.
func rawRequestURI(r *http.Request) string {
	if strings.HasPrefix(r.RequestURI, "/") {
		return r.RequestURI
	}
	return r.URL.RequestURI()
}

func (s *Server) serveTunnel(w http.ResponseWriter, r *http.Request, name, uri string) {
	t, err := s.lookup(r.Context(), name)
	if errors.Is(err, errUnknownTunnel) {
		writeError(w, proto.CodeTunnelNotFound, "no tunnel named "+name, "")
		return
	}
	if err != nil {
		s.storeFailed(w, err, "")
		return
	}
	d := s.newDelivery(r, t, uri)
	s.deliver(w, r, d)
}

func (s *Server) newDelivery(r *http.Request, t *tunnel, uri string) *delivery {
	now := s.cfg.Now()
	d := &delivery{id: store.NewID(now), start: now, tunnel: t}
	d.path, d.query, _ = strings.Cut(uri, "?")
	if s.cfg.Store != nil {
		d.rec = &store.Record{
			ID: d.id, Tunnel: t.name, Owner: t.owner, ReceivedAt: now,
			Method: r.Method, Host: r.Host, Path: d.path, RawQuery: d.query, Proto: r.Proto,
			RemoteAddr: r.RemoteAddr, Headers: headerList(r.Header), Outcome: store.OutcomePending,
		}
	}
	return d
}

// deliver records a request and forwards it to its tunnel, or applies the tunnel's offline
// policy. Live traffic, replays and queued deliveries all go through here.
func (s *Server) deliver(w http.ResponseWriter, r *http.Request, d *delivery) {
	cfg := d.tunnel.config()
	if r.ContentLength > cfg.bodyLimit {
		s.refuse(w, d, proto.CodeBodyTooLarge)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, cfg.bodyLimit)
	b := d.tunnel.live.Load()
	if b == nil {
		s.offline(w, r, d, cfg)
		return
	}
	if !d.tunnel.acquire() {
		s.refuse(w, d, proto.CodeTunnelBusy)
		return
	}
	defer d.tunnel.release()
	if err := s.recordRequest(r, d); err != nil {
		s.failRecord(w, d, err)
		return
	}
	s.forward(w, r, b, d)
}

// forward proxies r over binding b and completes its record.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, b *binding, d *delivery) {
	cw := &captureWriter{ResponseWriter: w, body: newBodyCapture(s.cfg.RecordCap)}
	if d.reqBody != nil && d.rec != nil {
		cw.onHeader = func(int) { s.saveStreamedBody(d) }
	}
	ctx := context.WithValue(r.Context(), forwardKey{}, d)
	b.proxy.ServeHTTP(cw, r.WithContext(ctx))
	s.complete(d, cw)
}

// recordRequest inserts the request half of the record before anything is forwarded. A
// small body with a known length is read first, so it is stored with the record; a large
// or chunked one is recorded as it streams and saved before the response goes out.
func (s *Server) recordRequest(r *http.Request, d *delivery) error {
	if d.rec == nil {
		return nil
	}
	if r.ContentLength >= 0 && r.ContentLength <= DefaultPrebufferCap {
		body, err := s.readBody(r)
		if err != nil {
			return err
		}
		d.rec.Body = body
	} else {
		d.reqBody = newBodyCapture(s.cfg.RecordCap)
		r.Body = &teeBody{rc: r.Body, cap: d.reqBody}
	}
	return s.cfg.Store.Insert(context.WithoutCancel(r.Context()), d.rec)
}

// readBody reads a whole (small) request body, leaves r ready to be forwarded and returns
// the recorded form.
func (s *Server) readBody(r *http.Request) (store.Body, error) {
	c := newBodyCapture(s.cfg.RecordCap)
	if r.Body != nil && r.Body != http.NoBody {
		if _, err := io.Copy(c, r.Body); err != nil {
			return store.Body{}, err
		}
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(c.data))
	}
	return c.body(), nil
}

func (s *Server) saveStreamedBody(d *delivery) {
	d.rec.Body = d.reqBody.body()
	if err := s.cfg.Store.Complete(context.Background(), d.rec); err != nil {
		s.log.Error("save request body", "id", d.id, "err", err)
	}
}

// complete stores the response half of the record.
func (s *Server) complete(d *delivery, cw *captureWriter) {
	var in int64
	if d.reqBody != nil {
		in = d.reqBody.size
	} else if d.rec != nil {
		in = d.rec.Body.Size
	}
	s.cfg.Observer.Delivery(d.tunnel.name, cw.status, string(d.code), s.cfg.Now().Sub(d.start), in, cw.body.size)
	if d.rec == nil {
		return
	}
	rec := d.rec
	if d.reqBody != nil {
		rec.Body = d.reqBody.body()
	}
	rec.Status = cw.status
	rec.RespHeaders = headerList(cw.header)
	rec.RespBody = cw.body.body()
	rec.Duration = s.cfg.Now().Sub(d.start)
	rec.ErrorCode = string(d.code)
	if rec.ErrorCode == "" && cw.header != nil {
		rec.ErrorCode = cw.header.Get(proto.HeaderError) // the client's own answer, e.g. local_unreachable
	}
	rec.Outcome = outcomeOf(proto.Code(rec.ErrorCode), d.err, cw.status)
	if err := s.cfg.Store.Complete(context.Background(), rec); err != nil {
		s.log.Error("complete record", "id", d.id, "err", err)
	}
}

func outcomeOf(code proto.Code, err error, status int) store.Outcome {
	switch code {
	case "":
		if err != nil || status == 0 {
			return store.OutcomeError
		}
		return store.OutcomeOK
	case proto.CodeLocalTimeout:
		return store.OutcomeTimeout
	case proto.CodeLocalUnreachable:
		return store.OutcomeRefused
	case proto.CodeBodyTooLarge:
		return store.OutcomeTooLarge
	case proto.CodeTunnelOffline:
		return store.OutcomeOffline
	case proto.CodeSignatureInvalid:
		return store.OutcomeRejected
	}
	return store.OutcomeError
}

// refuse answers with the relay's own error and records the request (headers only).
func (s *Server) refuse(w http.ResponseWriter, d *delivery, code proto.Code) {
	d.code = code
	s.cfg.Observer.Delivery(d.tunnel.name, code.Status(), string(code), s.cfg.Now().Sub(d.start), 0, 0)
	if d.rec != nil {
		d.rec.Status, d.rec.ErrorCode = code.Status(), string(code)
		d.rec.Outcome = outcomeOf(code, nil, 0)
		d.rec.Duration = s.cfg.Now().Sub(d.start)
		if err := s.cfg.Store.Insert(context.Background(), d.rec); err != nil {
			s.log.Error("record refused request", "id", d.id, "err", err)
		}
	}
	writeError(w, code, errorMessage(code, d.tunnel.name), d.id)
}

// failRecord answers a request that could not be recorded or read.
func (s *Server) failRecord(w http.ResponseWriter, d *delivery, err error) {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		d.rec.Body = store.Body{}
		s.refuse(w, d, proto.CodeBodyTooLarge)
		return
	}
	s.storeFailed(w, err, d.id)
}

// storeFailed fails closed: a request that cannot be recorded is not forwarded.
func (s *Server) storeFailed(w http.ResponseWriter, err error, id string) {
	if errors.Is(err, store.ErrUnavailable) {
		s.cfg.Observer.StoreError("insert")
		s.log.Error("store cannot write; refusing deliveries until it can", "err", err)
		writeError(w, proto.CodeStoreUnavailable, "the relay cannot record deliveries right now; retry later", id)
		return
	}
	s.log.Warn("read request", "id", id, "err", err)
	writeError(w, proto.CodeBadRequest, "could not read the request", id)
}
