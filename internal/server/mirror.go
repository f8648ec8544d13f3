package server

import (
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/wire"
	"github.com/hookrelay/hookrelay/proto"
)

// Bounds of mirror copies, server-wide (see "Several clients on a tunnel" in the
// package doc): the bodies held for copies in flight, and the copies in flight. A copy
// over either is not sent; its attempt is recorded with the error mirror_overloaded.
const (
	mirrorBytes    = 32 << 20
	mirrorInflight = 256
)

// Errors of copies that were not sent, as recorded in their attempts.
const (
	errMirrorOverloaded = "mirror_overloaded" // over mirrorBytes or mirrorInflight
	errMirrorBusy       = "mirror_busy"       // the client has clientInflight in flight
	errMirrorBody       = "mirror_body_not_held"
	errMirrorUpgrade    = "mirror_not_possible" // an upgrade cannot be copied
)

// copyLimits are the server's bounds on mirror copies.
type copyLimits struct {
	bytes budget
	slots chan struct{}
}

func (c *copyLimits) init() {
	c.slots = make(chan struct{}, mirrorInflight)
	c.bytes.limit = mirrorBytes
}

// sharing is a delivery's state on a tunnel of several clients (delivery.shared).
type sharing struct {
	srv   *Server
	d     *delivery
	plan  plan
	retry bool     // the client trying may pass d on (see fate passed)
	cur   *binding // the client trying now
	n     atomic.Int32
	// status and code are the answer of the client that answered.
	status int
	code   string
	// copyReq is the request head copies send (cloned before forwarding, so nothing the
	// forwarding does to r reaches them); nil when there are no copies to send.
	copyReq *http.Request
	copied  atomic.Bool
	// empty: the request has no body at all (not one of unknown length).
	empty bool
}

func newSharing(s *Server, r *http.Request, d *delivery, p plan) *sharing {
	sh := &sharing{srv: s, d: d, plan: p, empty: r.ContentLength == 0}
	if p.mirror && len(p.order) > 1 {
		sh.copyReq = r.Clone(s.ctx)
		sh.copyReq.Body, sh.copyReq.Trailer = nil, nil
		for _, k := range []string{"Expect", "Te", "Trailer"} {
			delete(sh.copyReq.Header, k)
		}
	}
	return sh
}

// attemptStart is an attempt begun: its number and start.
type attemptStart struct {
	n  int
	at time.Time
}

func (sh *sharing) begin(*binding, string) attemptStart {
	return attemptStart{n: int(sh.n.Add(1)), at: sh.srv.cfg.Now()}
}

// answered notes the answer of the client that answered (called by forward).
func (sh *sharing) answered(cw *captureWriter) {
	sh.status = cw.status
	sh.code = string(sh.d.code)
	if sh.code == "" && cw.header != nil {
		sh.code = cw.header.Get(proto.HeaderError)
	}
}

// ended records the attempt of b, the client that answered or passed d on.
func (sh *sharing) ended(st attemptStart, b *binding, passed bool) {
	a := sh.attempt(st, b, sh.plan.role)
	a.Status, a.Error = sh.status, sh.code
	if passed {
		a.Status, a.Error = 0, string(proto.CodeTunnelOffline)
	}
	sh.srv.addAttempt(sh.d, a, sh.d.origin.savesInPlace())
}

func (sh *sharing) attempt(st attemptStart, b *binding, role string) store.Attempt {
	return store.Attempt{N: st.n, ClientID: b.client.id, Label: b.client.label, Role: role,
		At: st.at, Duration: sh.srv.cfg.Now().Sub(st.at)}
}

// heldBody is d's whole body when the relay holds it: read before forwarding, recorded
// whole as it streamed (once it has), or the record's (queued deliveries).
func (sh *sharing) heldBody() ([]byte, bool) {
	d := sh.d
	switch d.body.kind {
	case bodyInMemory:
		return d.body.data, true
	case bodyStreaming:
		return d.body.capture.whole()
	}
	if d.origin == fromQueue && d.rec != nil && !d.rec.Body.Truncated {
		return d.rec.Body.Data, true
	}
	return nil, sh.empty
}

// finish sends a copy of d to every client after the one that answered in plan.order,
// once, each in a goroutine of its own, when the exchange is over and the sender's
// answer flushed: the sender never waits for them, and they never compete with its
// answer for the relay's time. A streamed body is held whole by then if it was kept.
func (sh *sharing) finish() {
	if sh.copyReq == nil {
		return
	}
	if !sh.copied.CompareAndSwap(false, true) {
		return
	}
	var targets []*binding
	for i, b := range sh.plan.order {
		if b == sh.cur {
			targets = sh.plan.order[i+1:]
		}
	}
	if len(targets) == 0 {
		return
	}
	body, held := sh.heldBody()
	switch {
	case len(sh.copyReq.Header["Upgrade"]) > 0:
		sh.refuseCopies(targets, errMirrorUpgrade)
	case !held:
		sh.refuseCopies(targets, errMirrorBody)
	case !sh.srv.copies.bytes.take(int64(len(body))):
		sh.refuseCopies(targets, errMirrorOverloaded)
	default:
		sh.sendCopies(targets, body)
	}
}

func (sh *sharing) refuseCopies(targets []*binding, why string) {
	for _, b := range targets {
		a := sh.attempt(sh.begin(b, proto.RoleMirror), b, proto.RoleMirror)
		a.Error = why
		sh.srv.addAttempt(sh.d, a, false)
	}
}

// sendCopies sends body to each target within the limits; the body's bytes are given
// back to the budget when the last copy is done.
func (sh *sharing) sendCopies(targets []*binding, body []byte) {
	s := sh.srv
	var wg sync.WaitGroup
	for _, b := range targets {
		st := sh.begin(b, proto.RoleMirror)
		if why := sh.takeSlot(b); why != "" {
			a := sh.attempt(st, b, proto.RoleMirror)
			a.Error = why
			s.addAttempt(sh.d, a, false)
			continue
		}
		if !s.work.add() {
			sh.giveSlot(b)
			continue
		}
		wg.Add(1)
		go func() {
			defer s.work.done()
			defer wg.Done()
			defer sh.giveSlot(b)
			sh.sendCopy(b, body, st)
		}()
	}
	go func() {
		wg.Wait()
		s.copies.bytes.give(int64(len(body)))
	}()
}

func (sh *sharing) takeSlot(b *binding) string {
	if b.busy.Add(1) > clientInflight {
		b.busy.Add(-1)
		return errMirrorBusy
	}
	select {
	case sh.srv.copies.slots <- struct{}{}:
		return ""
	default:
		b.busy.Add(-1)
		return errMirrorOverloaded
	}
}

func (sh *sharing) giveSlot(b *binding) {
	<-sh.srv.copies.slots
	b.busy.Add(-1)
}

// sendCopy writes one copy straight onto a stream of b, as the direct path does, reads
// the answer to its end and records the attempt. The tunnel's Timeout bounds the wait
// for the answer's head, twice that the whole copy.
func (sh *sharing) sendCopy(b *binding, body []byte, st attemptStart) {
	timeout := b.tunnel.config().timeout
	ctx, cancel := context.WithTimeout(sh.srv.ctx, 2*timeout)
	defer cancel()
	req := sh.copyReq.WithContext(ctx)
	var head wire.Head
	wire.ForwardHead(&head, req, sh.d.target(), sh.d.relay(), body)
	a := sh.attempt(st, b, proto.RoleMirror)
	sc, resp, err := b.streams.RoundTrip(&head, req, timeout)
	if err == nil {
		a.Status, a.Error = resp.StatusCode, resp.Header.Get(proto.HeaderError)
		_, err = io.Copy(io.Discard, resp.Body)
		if err != nil || resp.Close {
			sc.Close()
		} else {
			b.streams.Put(sc)
		}
	}
	if err != nil && a.Error == "" {
		a.Error = string(copyError(err, b))
	}
	a.Duration = sh.srv.cfg.Now().Sub(st.at)
	sh.srv.addAttempt(sh.d, a, false)
}

// copyError is the code of a copy that failed.
func copyError(err error, b *binding) proto.Code {
	if code := classify(err, b.gone()); code != "" {
		return code
	}
	return "canceled" // the server is closing
}

// addAttempt records a of d: in place when the caller waits for the record (a
// replay's, the queue's next delivery), else in the background.
func (s *Server) addAttempt(d *delivery, a store.Attempt, inPlace bool) {
	if s.cfg.Store == nil || d.rec == nil {
		return
	}
	save := func() {
		if err := s.cfg.Store.AddAttempt(context.Background(), d.id, a); err != nil {
			s.log.Debug("record attempt", "id", d.id, "client", a.Label, "err", err) // see storeWatch
		}
	}
	if inPlace || !s.work.add() {
		save()
		return
	}
	go func() {
		defer s.work.done()
		save()
	}()
}
