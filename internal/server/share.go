package server

import (
	"bytes"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/hookrelay/hookrelay/internal/route"
	"github.com/hookrelay/hookrelay/proto"
)

// clientInflight is how many deliveries and copies one client of a shared tunnel has in
// flight before balance passes it over and mirror copies to it are dropped (recorded as
// attempts with the error mirror_busy). 64 is a quarter of the tunnel's slots: one slow
// app cannot take them all, and a mirror that falls behind holds at most 64 bodies.
const clientInflight = 64

// plan is where one delivery goes among a tunnel's clients.
type plan struct {
	// order lists who answers: the first that takes the delivery; the next one when a
	// client turns out to be gone before any byte of it left (see fate passed).
	order []*binding
	role  string // the role of the one that answers
	// mirror: every client in order that did not answer gets a copy.
	mirror bool
	// shared: the tunnel has several clients (or routes): attempts are recorded.
	shared bool
}

// planFor applies the routes and the share policy (see package route, Select) to d.
// An empty order means no client takes it: the tunnel's offline policy applies.
func (s *Server) planFor(a *attached, d *delivery, view func() *route.Delivery) plan {
	if d.toClient != "" { // a replay to one client, by label
		if b := a.labelled(d.toClient); b != nil {
			return plan{order: []*binding{b}, role: roleReplay, shared: true}
		}
		return plan{}
	}
	p := a.plan(view, &d.tunnel.turn)
	p.shared = true
	switch d.origin {
	case fromReplay: // one receiver: the one that would answer a sender
		p.role, p.mirror = roleReplay, false
	case fromQueue:
		p.role = roleQueue
	}
	return p
}

// Roles of attempts beyond those of clients (proto.Role*).
const (
	roleReplay = "replay"
	roleQueue  = "queue"
)

func (a *attached) plan(view func() *route.Delivery, turn *atomic.Uint32) plan {
	if a.routed {
		var v *route.Delivery
		if view != nil {
			v = view()
		}
		if ch := route.Select(a.routes, v); ch.Routed {
			order := make([]*binding, len(ch.Clients))
			for i, c := range ch.Clients {
				order[i] = a.clients[c]
			}
			return plan{order: order, role: proto.RoleRouted, mirror: true}
		}
	}
	if len(a.unrouted) == 0 {
		return plan{}
	}
	if a.share == proto.ShareBalance {
		return plan{order: rotate(a.unrouted, turn), role: proto.RoleBalance}
	}
	return plan{order: a.mirrorOrder(), role: proto.RolePrimary, mirror: true}
}

// labelled is the first attached client labelled label, else the one of that client
// id (labels need not be unique: two clients of one token both default to its label);
// nil if none is attached.
func (a *attached) labelled(label string) *binding {
	for _, b := range a.all() {
		if b.client.label == label {
			return b
		}
	}
	for _, b := range a.all() {
		if b.client.id == label {
			return b
		}
	}
	return nil
}

// mirrorOrder is the primary, then the other clients without routes in attach order:
// the primary's successor when it is gone is the longest attached.
func (a *attached) mirrorOrder() []*binding {
	order := make([]*binding, 0, len(a.unrouted))
	order = append(order, a.primary)
	for _, b := range a.unrouted {
		if b != a.primary {
			order = append(order, b)
		}
	}
	return order
}

// rotate is the clients in turn from the next one, those at clientInflight last.
func rotate(pool []*binding, turn *atomic.Uint32) []*binding {
	n := len(pool)
	start := int((turn.Add(1) - 1) % uint32(n))
	order := make([]*binding, 0, n)
	var busy []*binding
	for i := range n {
		b := pool[(start+i)%n]
		if b.busy.Load() >= clientInflight {
			busy = append(busy, b)
			continue
		}
		order = append(order, b)
	}
	return append(order, busy...)
}

// routeView is the view of a live delivery that routes match: its body when the relay
// holds it whole (else json routes match nothing).
func routeView(r *http.Request, d *delivery) func() *route.Delivery {
	return func() *route.Delivery {
		var body []byte
		if d.body.kind == bodyInMemory {
			body = d.body.data
		}
		return route.NewDelivery(r.Method, d.path, r.Header, body)
	}
}

// forwardShared forwards d on a tunnel of several clients following p: to the first
// client of p.order that takes it, then copies to the others (see mirrorCopies).
func (s *Server) forwardShared(w http.ResponseWriter, r *http.Request, d *delivery, p plan) {
	sh := newSharing(s, r, d, p)
	d.shared = sh
	defer func() {
		// The copies start once the sender's answer is on the wire, not merely in the
		// response buffer: they never compete with it (see sharing.finish).
		flush(w)
		sh.finish()
	}()
	for i, b := range p.order {
		sh.retry = i+1 < len(p.order) && sh.canRetry()
		if i > 0 {
			sh.rewind(r)
		}
		if !sh.try(w, r, b) {
			return
		}
	}
}

// try forwards d to b; it reports whether the next client should try (b was gone
// before any byte left). The attempt of b goes with the completion (see complete),
// that of a pass on its own.
func (sh *sharing) try(w http.ResponseWriter, r *http.Request, b *binding) (next bool) {
	sh.cur, sh.at = b, sh.begin(b, sh.plan.role)
	b.busy.Add(1)
	defer func() {
		b.busy.Add(-1)
		if sh.d.fate == passed {
			sh.passed(sh.at, b)
		}
	}()
	sh.srv.forward(w, r, b, sh.d)
	return sh.d.fate == passed
}

// flush sends what w holds of the response to the sender now.
func flush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// canRetry reports whether d can go to another client after one was found gone: its
// body is held whole.
func (sh *sharing) canRetry() bool {
	_, ok := sh.heldBody()
	return ok
}

// rewind makes d ready for the next client after one passed it on.
func (sh *sharing) rewind(r *http.Request) {
	d := sh.d
	d.code, d.err, d.fate = "", nil, forwarded
	body, _ := sh.heldBody()
	r.Body = http.NoBody
	if len(body) > 0 {
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
}
