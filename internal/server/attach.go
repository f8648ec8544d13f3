package server

import (
	"errors"
	"fmt"
	"slices"

	"github.com/hookrelay/hookrelay/internal/route"
	"github.com/hookrelay/hookrelay/proto"
)

// clientOf is who a binding serves a tunnel for: the client instance, as its Hello and
// TunnelRequest named it.
type clientOf struct {
	id, label string
	token     string // the public id of the token it connected with
	routes    route.Routes
	exprs     []string // the routes as the client wrote them, for display
	primary   bool     // asked to answer senders (--primary)
}

// attached is the set of clients serving a tunnel. It is never changed: every attach
// or detach stores a new one (tunnel.live), so a delivery reads one consistent set with
// one atomic load. The single-client case takes solo and nothing else.
type attached struct {
	clients  []*binding     // attach order
	routes   []route.Routes // each client's routes, same order
	solo     *binding       // the only client, when it has no routes: the fast path
	primary  *binding       // the client without routes that answers under mirror
	share    string         // proto.ShareMirror or ShareBalance
	routed   bool           // some client has routes
	unrouted []*binding     // the clients without routes, attach order
}

func newAttached(clients []*binding, share string) *attached {
	if len(clients) == 0 {
		return nil
	}
	a := &attached{clients: clients, share: share, routes: make([]route.Routes, len(clients))}
	for i, b := range clients {
		a.routes[i] = b.client.routes
		if len(b.client.routes) > 0 {
			a.routed = true
			continue
		}
		a.unrouted = append(a.unrouted, b)
		if a.primary == nil || b.client.primary && !a.primary.client.primary {
			a.primary = b
		}
	}
	if len(clients) == 1 && !a.routed {
		a.solo = clients[0]
	}
	return a
}

func (a *attached) all() []*binding {
	if a == nil {
		return nil
	}
	return a.clients
}

// role is what b does on the tunnel, for the clients frame and the API.
func (a *attached) role(b *binding) string {
	switch {
	case len(b.client.routes) > 0:
		return proto.RoleRouted
	case a.share == proto.ShareBalance:
		return proto.RoleBalance
	case b == a.primary:
		return proto.RolePrimary
	}
	return proto.RoleMirror
}

// ErrTooManyClients refuses a client over the tunnel's cap (Config.ClientsPerTunnel), on
// this node or, with a cluster, on all nodes together (Cluster.Acquire).
var ErrTooManyClients = errors.New("server: too many clients on the tunnel")

// room reports whether b can attach: it replaces a client of its id, or the tunnel has
// fewer than max clients.
func (t *tunnel) room(b *binding, max int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	cur := t.live.Load().all()
	if len(cur) < max || slices.ContainsFunc(cur, b.sameClient) {
		return nil
	}
	return ErrTooManyClients
}

// sameClient reports whether o is an older session of b's client instance: the same
// client id sent with the same token (clients that send none share the empty id). The
// token counts so that a team member can never push a teammate's client off a tunnel by
// sending its id.
func (b *binding) sameClient(o *binding) bool {
	return o.client.id == b.client.id && o.client.token == b.client.token
}

// attach adds b to the tunnel's clients, in the place of the older session of the same
// client if any (so a reconnecting primary stays primary), and returns the bindings it
// replaced.
func (t *tunnel) attach(b *binding, max int) ([]*binding, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var list, old []*binding
	placed := false
	for _, c := range t.live.Load().all() {
		if !b.sameClient(c) {
			list = append(list, c)
			continue
		}
		old = append(old, c)
		if !placed {
			list, placed = append(list, b), true
		}
	}
	if !placed {
		if len(list) >= max {
			return nil, ErrTooManyClients
		}
		list = append(list, b)
	}
	t.live.Store(newAttached(list, t.settings.share))
	return old, nil
}

// detach removes b from the tunnel's clients. gone reports that b was attached; offline
// that no client is left.
func (t *tunnel) detach(b *binding) (gone, offline bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	cur := t.live.Load()
	i := slices.Index(cur.all(), b)
	if i < 0 {
		return false, cur == nil
	}
	list := slices.Delete(slices.Clone(cur.clients), i, i+1)
	next := newAttached(list, t.settings.share)
	t.live.Store(next)
	return true, next == nil
}

// parseShare checks a share policy: "" keeps the current one.
func parseShare(s string) error {
	switch s {
	case "", proto.ShareMirror, proto.ShareBalance:
		return nil
	}
	return fmt.Errorf("share policy %q: want mirror or balance", s)
}
