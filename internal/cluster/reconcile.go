package cluster

import (
	"cmp"
	"slices"
)

// Key names one lease: a client's attachment to a tunnel. A client is its
// token's (public id) and its client id's.
type Key struct {
	Tunnel, Token, ClientID string
}

// Plan is what a node must do to make the store's leases and its sessions agree.
type Plan struct {
	// Release: leases the store says this node holds for sessions it no
	// longer serves (a Release that failed, a session that ended during an
	// outage): delete them, by their generation.
	Release map[Key]int64
	// Superseded: sessions this node serves whose lease is now another's
	// (another generation: the client re-attached elsewhere): end them
	// (replaced).
	Superseded []Key
	// Lost: sessions this node serves whose lease is gone (reaped while the
	// store was unreachable): acquire again.
	Lost []Key
}

// Reconcile compares the leases the store has for this node (stored, from
// postgres.DB.Held: key to generation) and for the whole tunnel (current:
// key to the generation of the lease whichever node holds it) with the
// sessions the node serves (serving: key to the generation it acquired).
func Reconcile(stored, current, serving map[Key]int64) Plan {
	var p Plan
	for k, gen := range stored {
		if _, ok := serving[k]; !ok { // served under another generation: Superseded below
			if p.Release == nil {
				p.Release = make(map[Key]int64)
			}
			p.Release[k] = gen
		}
	}
	for k, gen := range serving {
		switch g, ok := current[k]; {
		case !ok:
			p.Lost = append(p.Lost, k)
		case g != gen:
			p.Superseded = append(p.Superseded, k)
		}
	}
	slices.SortFunc(p.Lost, CompareKeys)
	slices.SortFunc(p.Superseded, CompareKeys)
	return p
}

// CompareKeys orders keys by tunnel, token and client id.
func CompareKeys(a, b Key) int {
	return cmp.Or(cmp.Compare(a.Tunnel, b.Tunnel), cmp.Compare(a.Token, b.Token), cmp.Compare(a.ClientID, b.ClientID))
}
