package server

import (
	"context"
	"io"
	"net/http"
	"runtime"
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
	retry bool         // the client trying may pass d on (see fate passed)
	cur   *binding     // the client trying now
	at    attemptStart // its attempt's
	n     atomic.Int32
	// copyReq is the request head copies send (cloned before forwarding, so nothing the
	// forwarding does to r reaches them); nil when there are no copies to send.
	copyReq *http.Request
	copied  atomic.Bool
	// held is the attempt of the client that answered when copies follow: saved with
	// theirs (see holds).
	held []store.Attempt
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

// answer is the attempt of the client that answered, cw its answer: saved with the
// completion (see saveWithAttempt), or with the copies' attempts (see holds).
func (sh *sharing) answer(cw *captureWriter) store.Attempt {
	a := sh.attempt(sh.at, sh.cur, sh.plan.role)
	a.Status, a.Error = cw.status, string(sh.d.code)
	if a.Error == "" && cw.header != nil {
		a.Error = cw.header.Get(proto.HeaderError)
	}
	return a
}

// holds keeps a, the attempt of the client that answered, to be saved in one write
// with the copies' attempts when there are copies to send and nobody waits for the
// record (see savesInPlace); it reports whether it did. A mirrored delivery then costs
// the store three commits (request, response, attempts) as a delivery to one client
// does: 3.0 a delivery with 3 clients in BenchmarkShareMirrorPaced, where the
// attempts one by one took 4.9.
func (sh *sharing) holds(a store.Attempt) bool {
	if sh.d.origin.savesInPlace() || len(sh.targets()) == 0 {
		return false
	}
	sh.held = []store.Attempt{a}
	return true
}

// targets are the clients that get copies: those after the one that answered in
// plan.order, when d is mirrored.
func (sh *sharing) targets() []*binding {
	if sh.copyReq == nil {
		return nil
	}
	for i, b := range sh.plan.order {
		if b == sh.cur {
			return sh.plan.order[i+1:]
		}
	}
	return nil
}

// passed records the attempt of b, which passed d on (see fate passed).
func (sh *sharing) passed(st attemptStart, b *binding) {
	a := sh.attempt(st, b, sh.plan.role)
	a.Error = string(proto.CodeTunnelOffline)
	sh.srv.addAttempts(sh.d, sh.d.origin.savesInPlace(), a)
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
	targets := sh.targets()
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
	as := sh.held
	for _, b := range targets {
		a := sh.attempt(sh.begin(b, proto.RoleMirror), b, proto.RoleMirror)
		a.Error = why
		as = append(as, a)
	}
	sh.srv.addAttempts(sh.d, false, as...)
}

// sendCopies sends body to each target within the limits. The copies' attempts, after
// the one held (see holds), are saved together, in one write, and the body's bytes
// given back to the budget, when the last copy is done (see copyBatch).
func (sh *sharing) sendCopies(targets []*binding, body []byte) {
	s := sh.srv
	batch := &copyBatch{sh: sh, size: int64(len(body)), pending: len(targets) + 1, as: sh.held}
	defer batch.end(nil, false) // the loop's own hold: none ends before every copy began
	for _, b := range targets {
		st := sh.begin(b, proto.RoleMirror)
		if why := sh.takeSlot(b); why != "" {
			a := sh.attempt(st, b, proto.RoleMirror)
			a.Error = why
			batch.end(&a, false)
			continue
		}
		if !s.work.add() {
			sh.giveSlot(b)
			batch.end(nil, false)
			continue
		}
		go func() {
			defer s.work.done()
			// A goroutine started here runs next on this processor, before those
			// already waiting (another delivery's handler, the read of the sender's next
			// request): yielding once puts the copy behind them.
			runtime.Gosched()
			a := sh.sendCopy(b, body, st)
			sh.giveSlot(b)
			batch.end(&a, true)
		}()
	}
}

// copyBatch is the copies of one delivery in flight: their attempts, saved together
// by the last one to end, which also gives the body's bytes back. One by one, each
// cost the store a commit of its own (SQLite: tens of µs of CPU, on the cores the
// next delivery needs).
type copyBatch struct {
	sh      *sharing
	size    int64 // the body's bytes on the copies' budget
	mu      sync.Mutex
	pending int // copies not ended yet, and the loop starting them
	as      []store.Attempt
}

// end notes that one copy ended, with its attempt a if it has one; inGoroutine says
// the caller is a copy's goroutine, which may save the batch itself.
func (c *copyBatch) end(a *store.Attempt, inGoroutine bool) {
	c.mu.Lock()
	if a != nil {
		c.as = append(c.as, *a)
	}
	c.pending--
	last := c.pending == 0
	c.mu.Unlock()
	if !last {
		return
	}
	s := c.sh.srv
	s.copies.bytes.give(c.size)
	s.addAttempts(c.sh.d, inGoroutine, c.as...)
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
// the answer to its end and returns the attempt. The tunnel's Timeout bounds the wait
// for the answer's head, twice that the whole copy.
func (sh *sharing) sendCopy(b *binding, body []byte, st attemptStart) store.Attempt {
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
	return a
}

// copyError is the code of a copy that failed.
func copyError(err error, b *binding) proto.Code {
	if code := classify(err, b.gone()); code != "" {
		return code
	}
	return "canceled" // the server is closing
}

// addAttempts records as of d, in one write: in place when the caller waits for the
// record (a replay's, the queue's next delivery) or runs in a goroutine of its own
// already, else in the background.
func (s *Server) addAttempts(d *delivery, inPlace bool, as ...store.Attempt) {
	if s.cfg.Store == nil || d.rec == nil || len(as) == 0 {
		return
	}
	save := func() {
		if err := s.cfg.Store.AddAttempt(context.Background(), d.id, as...); err != nil {
			s.log.Debug("record attempts", "id", d.id, "attempts", len(as), "err", err) // see storeWatch
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
