package server

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hookrelay/hookrelay/proto"
)

// clientsWriteTimeout bounds the write of one clients frame: a client that reads
// nothing on its control stream does not hold the goroutine that tells it.
const clientsWriteTimeout = 5 * time.Second

// announce tells every client attached to the session's tunnels who is attached now.
func (ss *session) announce() {
	for _, b := range ss.bindings {
		ss.srv.announce(b.tunnel)
	}
}

// announce sends a clients frame to each client attached to t that understands it (it
// sent a client id), each in a goroutine of its own: a slow reader delays nobody.
func (s *Server) announce(t *tunnel) {
	for _, b := range t.live.Load().all() {
		if b.sess.clientID == "" || !s.work.add() {
			continue
		}
		go func() {
			defer s.work.done()
			b.sess.sendClients(t)
		}()
	}
}

// sendClients writes t's clients frame as it is when the control stream is free: of two
// announcements racing, the later write carries the later state.
func (ss *session) sendClients(t *tunnel) {
	ss.ctlMu.Lock()
	defer ss.ctlMu.Unlock()
	ctx, cancel := context.WithTimeout(ss.srv.ctx, clientsWriteTimeout)
	defer cancel()
	a := ss.srv.clientsNow(ctx, t) // with a cluster, every node's
	var me *binding
	for _, b := range a.all() {
		if b.sess == ss {
			me = b
		}
	}
	if me == nil {
		return // detached meanwhile
	}
	_ = ss.ctl.SetWriteDeadline(time.Now().Add(clientsWriteTimeout))
	defer ss.ctl.SetWriteDeadline(time.Time{})
	if err := proto.WriteFrame(ss.ctl, proto.FrameClients, clientsFrame(t.name, a, me)); err != nil {
		ss.srv.log.Debug("send clients frame", "tunnel", t.name, "owner", ss.owner, "err", err)
	}
}

// clientsFrame lists a's clients in attach order, marking me.
func clientsFrame(name string, a *attached, me *binding) *proto.Clients {
	f := &proto.Clients{Tunnel: name, Share: a.share, Clients: make([]proto.ClientInfo, 0, len(a.clients))}
	for _, b := range a.clients {
		ci := proto.ClientInfo{Label: b.client.label, Role: a.role(b), You: b == me}
		ci.Routes, ci.RoutesCut = shownRoutes(b.client.exprs)
		f.Clients = append(f.Clients, ci)
	}
	return f
}

// shownRoutes is the routes that fit in proto.MaxRoutesShown bytes of JSON, and
// whether some were left out.
func shownRoutes(exprs []string) ([]string, bool) {
	n := 0
	for i, e := range exprs {
		enc, _ := json.Marshal(e)
		if n += len(enc) + 1; n > proto.MaxRoutesShown {
			return exprs[:i], true
		}
	}
	return exprs, false
}
