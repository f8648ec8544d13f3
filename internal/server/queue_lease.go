package server

import (
	"context"
	"time"
)

// drainLease is how long a node holds a tunnel's drain job without renewing it: it
// renews it before each batch, so a node that dies mid-drain hands the queue to the
// next node's sweep within this long.
const drainLease = time.Minute

// jobDrain names the job lease of a tunnel's queue drain on a store several nodes share.
func jobDrain(tunnel string) string { return "drain:" + tunnel }

// drainLeased drains t's queue and then gives up its drain job, if it took one. With
// clients of one tunnel on several nodes, each node starts drains (a client attaching,
// the sweep), and each drain plans deliveries among every node's clients: the job lets
// one node at a time drain, so that each queued record is delivered once, in order.
func (s *Server) drainLeased(t *tunnel) {
	s.drain(t)
	if l := s.jobs(); l != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := l.DropJob(ctx, jobDrain(t.name)); err != nil {
			s.log.Warn("drain queue: give up the job lease", "tunnel", t.name, "err", err)
		}
	}
}

// holdsDrain takes or renews this node's drain job of t: always true on a store of
// this relay's own; false while another node drains t, or the store is out of reach.
func (s *Server) holdsDrain(t *tunnel) bool {
	l := s.jobs()
	if l == nil {
		return true
	}
	lead, err := l.LeadJob(s.ctx, jobDrain(t.name), drainLease)
	if err != nil {
		s.log.Warn("drain queue: take the job lease", "tunnel", t.name, "err", err)
	}
	return lead && err == nil
}
