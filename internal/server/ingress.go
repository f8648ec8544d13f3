package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/wire"
	"github.com/hookrelay/hookrelay/proto"
)

// servePathTunnel serves /t/NAME/rest as /rest on tunnel NAME; after is what follows
// "/t/" in the raw request target.
func (s *Server) servePathTunnel(w http.ResponseWriter, r *http.Request, after string) {
	end := strings.IndexAny(after, "/?")
	if end < 0 {
		end = len(after)
	}
	name, rest := after[:end], after[end:]
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
	if !strings.HasPrefix(uri, "/") {
		writeError(w, proto.CodeBadRequest, "the request target must be a path (origin-form)", "")
		return
	}
	if ok, wait := s.rateLimit(r, name); !ok {
		s.cfg.Observer.Delivery(name, http.StatusTooManyRequests, string(proto.CodeRateLimited), 0, 0, 0)
		setRetryAfter(w, wait)
		writeError(w, proto.CodeRateLimited, shedMessage(proto.CodeRateLimited, name), "")
		return
	}
	t, err := s.lookup(r.Context(), name)
	if errors.Is(err, errUnknownTunnel) {
		if s.answerUnclaimed(w, r, name, uri) {
			return
		}
		writeError(w, proto.CodeTunnelOffline, errorMessage(proto.CodeTunnelOffline, name), "") // as if offline: see publicID
		return
	}
	if err != nil {
		s.storeFailed(w, err, "")
		return
	}
	wire.DropRelayFields(r.Header) // only the relay speaks for itself, in records too
	d := s.newDelivery(r, t, uri)
	d.timer = s.timeBody(w, r)
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
	d.body.declared = max(r.ContentLength, 0)
	a := d.tunnel.live.Load()
	if s.cfg.Cluster != nil {
		var err error
		if a, cfg, err = s.clusterClients(r.Context(), d.tunnel, a, cfg); err != nil {
			s.storeFailed(w, err, d.id)
			return
		}
	}
	if s.answerHandshake(w, r, d, cfg.handshake) {
		return
	}
	if a == nil {
		s.offline(w, r, d, cfg)
		return
	}
	s.deliverLive(w, r, a, d, cfg)
}

// deliverLive admits, records and forwards a request to a live tunnel. A body known to
// fit the prebuffer is read before the delivery takes a tunnel slot and its bytes on the
// in-flight budgets, so a sender still uploading holds neither; any other body is
// admitted first, so nothing is buffered for a request that is shed, and holds its slot
// while it streams, bounded by the body deadline.
//
// A tunnel with one client and no routes forwards to it (a.solo); any other is planned
// (planFor) once the small body is read, so that json routes can look into it.
func (s *Server) deliverLive(w http.ResponseWriter, r *http.Request, a *attached, d *delivery, cfg tunnelConfig) {
	small := r.ContentLength >= 0 && r.ContentLength <= s.prebufferCap(cfg)
	if small && !s.read(w, r, d, cfg) {
		return
	}
	var p plan
	if a.solo == nil || d.toClient != "" {
		if p = s.planFor(a, d, routeView(r, d)); len(p.order) == 0 {
			s.offline(w, r, d, cfg) // routed away from every client
			return
		}
	}
	adm, ok := s.admitOrShed(w, r, d)
	if !ok {
		return
	}
	defer adm.release()
	if !small && !s.read(w, r, d, cfg) {
		return
	}
	if err := s.insert(r, d); err != nil {
		s.failRecord(w, d, err)
		return
	}
	if d.code == proto.CodeSignatureInvalid {
		writeError(w, d.code, "the delivery's signature does not verify: "+d.verdict, d.id)
		return
	}
	if p.order == nil {
		s.forward(w, r, a.solo, d)
		return
	}
	s.forwardShared(w, r, d, p)
}

// read reads what is recorded of the request, or answers why it could not.
func (s *Server) read(w http.ResponseWriter, r *http.Request, d *delivery, cfg tunnelConfig) bool {
	if err := s.readRequest(r, d, cfg); err != nil {
		s.failRecord(w, d, err)
		return false
	}
	return true
}

// admitOrShed admits d or answers why not: 429 over a record quota, 503 tunnel_busy
// (recorded, head only) or 503 overloaded (recorded for a replay only).
func (s *Server) admitOrShed(w http.ResponseWriter, r *http.Request, d *delivery) (*admission, bool) {
	if code, wait := s.overQuota(d); code != "" {
		s.shed(w, d, code, wait)
		return nil, false
	}
	adm, code := s.admit(d, reserveOf(r))
	switch code {
	case "":
		return adm, true
	case proto.CodeTunnelBusy:
		if d.rec != nil {
			d.rec.Body = store.Body{} // a refused request's record keeps its head only
		}
		s.refuse(w, d, code)
	default:
		if d.origin == fromReplay {
			s.refuse(w, d, code) // the replay's caller gets the record
			return nil, false
		}
		s.shed(w, d, code, overloadRetry)
	}
	return nil, false
}

// forward sends r over binding b, on the direct path when it can take it and through
// the ReverseProxy otherwise, and completes its record. Every way out of here, an
// abort included, goes through complete exactly once.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, b *binding, d *delivery) {
	// The response is recorded as it passes through: its first RecordCap bytes, with its
	// length and SHA-256. A streamed request body is saved just before the status goes
	// out, so that a sender that got an answer has its body in the store.
	cw := &captureWriter{ResponseWriter: w, body: newBodyCapture(s.cfg.RecordCap)}
	if d.body.kind == bodyStreaming && d.rec != nil {
		cw.onHeader = func(int) { s.saveStreamedBody(d) }
	}
	ctx := context.WithValue(r.Context(), forwardKey{}, d)
	defer func() {
		// ReverseProxy aborts a response it cannot finish copying (sender gone, tunnel
		// lost mid-body) by panicking with http.ErrAbortHandler: record that first.
		if p := recover(); p != nil {
			d.fail(d.code, errAborted)
			s.complete(d, cw)
			panic(p)
		}
	}()
	if expectsContinue(r) {
		// The sender may never send its body (the app can answer first): its connection
		// ends after the answer. net/http would see to that itself, but it cannot tell
		// whether a body it no longer holds directly (ingress wraps it) was read.
		w.Header().Set("Connection", "close")
	}
	d.try = try{via: b, at: s.cfg.Now()}
	if direct(r, d) {
		b.serveDirect(cw, r, d)
	} else {
		b.proxy.ServeHTTP(cw, r.WithContext(ctx))
	}
	if d.fate == passed {
		return // the next client takes it (see forwardShared)
	}
	s.complete(d, cw)
}

// errAborted marks a delivery whose response was cut off mid-body.
var errAborted = errors.New("server: response aborted mid-body")

// readRequest reads what is recorded of the request before anything is forwarded. A
// body that fits the prebuffer (64 KiB, or the record cap when the tunnel verifies
// signatures) is read first and verified; a larger one is recorded as it streams and
// saved before the response goes out.
//
// A request with Expect: 100-continue is not read ahead unless the tunnel verifies
// signatures: reading it would make net/http answer 100 Continue for the app, and the
// sender would upload a body the app may refuse unread. Its body goes through as the
// app asks for it.
func (s *Server) readRequest(r *http.Request, d *delivery, cfg tunnelConfig) error {
	if d.rec == nil && cfg.verify == nil {
		return readSmall(r, d)
	}
	var body []byte
	var complete bool
	if cfg.verify != nil || !expectsContinue(r) {
		var err error
		if body, complete, err = prebuffer(r, s.prebufferCap(cfg)); err != nil {
			return err
		}
	}
	if complete {
		s.verifySignature(r, d, cfg, body)
		if d.rec != nil {
			d.rec.Body = cappedBody(body, s.cfg.RecordCap)
		}
		d.body.kind, d.body.data = bodyInMemory, body
		return nil
	}
	s.verifySignature(r, d, cfg, nil)
	d.body.kind, d.body.capture = bodyStreaming, newStreamCapture(s.cfg.RecordCap, r.ContentLength)
	// r.Body yields the prebuffered bytes again before the rest (see prebuffer): the tee
	// records each byte once, as it goes to the tunnel.
	r.Body = &teeBody{rc: r.Body, cap: d.body.capture}
	if d.rec != nil {
		d.rec.Body = unsavedBody(r.ContentLength)
	}
	return nil
}

// insert stores the request half of the record, once the delivery is admitted.
func (s *Server) insert(r *http.Request, d *delivery) error {
	if d.rec == nil {
		return nil
	}
	s.quotas.add(d, recordedSize(r, d), s.cfg.Now())
	return s.cfg.Store.Insert(context.WithoutCancel(r.Context()), d.rec)
}

// prebufferCap is how much of a body is read before it is forwarded: 64 KiB, or the
// record cap when the tunnel verifies signatures.
func (s *Server) prebufferCap(cfg tunnelConfig) int64 {
	if cfg.verify != nil {
		return max64(DefaultPrebufferCap, s.cfg.RecordCap)
	}
	return DefaultPrebufferCap
}

// readSmall reads a body of known length up to the prebuffer size into memory, so that
// an unrecorded request can take the direct path too; anything else streams.
func readSmall(r *http.Request, d *delivery) error {
	if r.ContentLength < 0 || r.ContentLength > DefaultPrebufferCap || expectsContinue(r) {
		return nil
	}
	body, complete, err := prebuffer(r, r.ContentLength)
	if err != nil || !complete {
		return err
	}
	d.body.kind, d.body.data = bodyInMemory, body
	return nil
}

// prebuffer reads up to max body bytes. complete reports that this was the whole body;
// otherwise r.Body is left to yield the bytes read and then the rest.
func prebuffer(r *http.Request, max int64) (body []byte, complete bool, err error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, true, nil
	}
	if r.ContentLength > max {
		return nil, false, nil
	}
	body, err = io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(body)) > max {
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
		return body, false, nil
	}
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	if len(body) == 0 {
		r.Body = http.NoBody
	}
	return body, true, nil
}

func cappedBody(b []byte, cap int64) store.Body {
	c := newBodyCapture(cap)
	c.Write(b)
	return c.body()
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// readBody reads a whole request body for the offline path and returns the recorded
// form (truncated beyond keep bytes).
func (s *Server) readBody(r *http.Request, keep int64) (store.Body, error) {
	c := newBodyCapture(keep)
	if r.Body != nil && r.Body != http.NoBody {
		if _, err := io.Copy(c, r.Body); err != nil {
			return store.Body{}, err
		}
	}
	return c.body(), nil
}

// refuse answers with the relay's own error and records the request (headers only).
func (s *Server) refuse(w http.ResponseWriter, d *delivery, code proto.Code) {
	s.recordRefused(d, code)
	writeError(w, code, errorMessage(code, d.tunnel.name), d.id)
}

// refuseOffline records a request to an offline tunnel and answers 503 tunnel_offline,
// exactly as a name nobody owns is answered, unless the sender is the owner (see
// publicID).
func (s *Server) refuseOffline(w http.ResponseWriter, r *http.Request, d *delivery) {
	s.recordRefused(d, proto.CodeTunnelOffline)
	writeError(w, proto.CodeTunnelOffline, errorMessage(proto.CodeTunnelOffline, d.tunnel.name), s.publicID(r, d))
}

// publicID is the record id an offline answer may carry: only the tunnel's owner (the
// request has the owner's bearer token) learns it. Anyone else gets the answer a name
// nobody owns gets, so unknown and offline names cannot be told apart.
func (s *Server) publicID(r *http.Request, d *delivery) string {
	if owner, ok := s.cfg.Tokens.Owner(bearer(r)); ok && owner == d.tunnel.owner {
		return d.id
	}
	return ""
}

// recordRefused records a refused request (headers only) and counts it.
func (s *Server) recordRefused(d *delivery, code proto.Code) {
	d.code = code
	s.cfg.Observer.Delivery(d.tunnel.name, code.Status(), string(code), s.cfg.Now().Sub(d.start), 0, 0)
	if d.rec != nil {
		d.rec.Status, d.rec.ErrorCode = code.Status(), string(code)
		d.rec.Outcome = outcomeOf(code, nil, 0)
		d.rec.Duration = s.cfg.Now().Sub(d.start)
		if err := s.cfg.Store.Insert(context.Background(), d.rec); err != nil {
			s.log.Debug("record refused request", "id", d.id, "err", err) // see storeWatch
		}
		s.hub.publish(d.rec)
	}
}

// failRecord answers a request that could not be recorded or read.
func (s *Server) failRecord(w http.ResponseWriter, d *delivery, err error) {
	var maxErr *http.MaxBytesError
	code := proto.CodeBodyTooLarge
	if errors.Is(err, errBodyTimeout) {
		code = proto.CodeBodyTimeout
	} else if !errors.As(err, &maxErr) {
		s.storeFailed(w, err, d.id)
		return
	}
	if d.rec != nil {
		d.rec.Body = store.Body{}
	}
	s.refuse(w, d, code)
}

// storeFailed fails closed: a request that cannot be recorded is not forwarded.
func (s *Server) storeFailed(w http.ResponseWriter, err error, id string) {
	if errors.Is(err, store.ErrUnavailable) {
		// Logged and counted once per change of the store's health (see storeWatch).
		s.log.Debug("delivery refused: store unavailable", "id", id, "err", err)
		writeError(w, proto.CodeStoreUnavailable, "the relay cannot record deliveries right now; retry later", id)
		return
	}
	s.log.Warn("read request", "id", id, "err", err)
	writeError(w, proto.CodeBadRequest, "could not read the request", id)
}

// expectsContinue reports whether the sender waits for 100 Continue before its body.
func expectsContinue(r *http.Request) bool {
	return r.ContentLength != 0 && strings.EqualFold(r.Header.Get("Expect"), "100-continue")
}
