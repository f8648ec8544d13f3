package server

import (
	"context"
	"time"

	"github.com/hookrelay/hookrelay/internal/route"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/proto"
)

// maxDrainBatch is how many queued deliveries are loaded at a time when a client reconnects.
const maxDrainBatch = 1000

// startDrain delivers a tunnel's queued requests to its clients, in arrival order.
func (s *Server) startDrain(b *binding) { s.kickDrain(b.tunnel) }

// kickDrain makes sure a drain of t's queue runs, in a goroutine owned by the server. At
// most one drain runs per tunnel, so no queued request is sent twice by two drains; a
// kick during a drain makes it look at the queue once more when it is done.
func (s *Server) kickDrain(t *tunnel) {
	if s.cfg.Store == nil {
		return
	}
	t.drainWanted.Store(true)
	if !t.draining.CompareAndSwap(false, true) {
		return
	}
	if !s.work.add() {
		t.draining.Store(false) // the server is closing
		return
	}
	go func() {
		defer s.work.done()
		for {
			for t.drainWanted.Swap(false) {
				if t.live.Load() != nil && s.ctx.Err() == nil {
					s.drainLeased(t)
				}
			}
			t.draining.Store(false)
			if !t.drainWanted.Load() || !t.draining.CompareAndSwap(false, true) {
				return
			}
		}
	}()
}

// drain delivers t's queue while a client serves it. A record no client takes (every
// client has routes and none matches) stays queued; a batch of nothing but those ends
// the drain until the next kick.
func (s *Server) drain(t *tunnel) {
	for {
		if !s.holdsDrain(t) {
			return // another node drains it
		}
		recs, err := s.cfg.Store.Queued(s.ctx, t.name, maxDrainBatch)
		if err != nil || len(recs) == 0 {
			return
		}
		s.log.Info("delivering queued requests", "tunnel", t.name, "count", len(recs))
		skipped := 0
		for i := range recs {
			if recs[i].Owner != t.owner {
				// Queued for an earlier owner of a released name: never delivered to this one.
				if !s.expireForeign(&recs[i]) {
					return
				}
				continue
			}
			if s.isParked(recs[i].ID) {
				return // delivered; its outcome waits for the store, which drains again after
			}
			a := t.live.Load()
			if a == nil || s.ctx.Err() != nil {
				return // the clients went away again: what is left stays queued
			}
			p := s.planQueued(s.clientsNow(s.ctx, t), t, &recs[i])
			if len(p.order) == 0 {
				skipped++
				continue
			}
			if !s.deliverQueued(p, &recs[i]) {
				return // the client went away, or the store holds back: what is left stays queued
			}
		}
		if skipped == len(recs) {
			return
		}
	}
}

// planQueued is where a queued record goes: to the one client on the fast path, else
// as a live delivery would (routes on the record, then the share policy).
func (s *Server) planQueued(a *attached, t *tunnel, rec *store.Record) plan {
	if a.solo != nil {
		return plan{order: []*binding{a.solo}, role: roleQueue}
	}
	d := &delivery{origin: fromQueue, tunnel: t}
	return s.planFor(a, d, func() *route.Delivery { return route.RecordDelivery(rec) })
}

// expireForeign gives a queued record of another owner the outcome expired.
func (s *Server) expireForeign(rec *store.Record) bool {
	rec.Outcome = store.OutcomeExpired
	if err := s.cfg.Store.Complete(s.ctx, rec); err != nil {
		s.log.Error("expire queued record of an earlier owner", "id", rec.ID, "err", err)
		return false
	}
	return true
}

// deliverQueued sends one queued request with its original id (so the app can
// de-duplicate an at-least-once delivery) and records the outcome on the same record. It
// reports false if the tunnel went offline, leaving the record queued, or if the store
// did not take the outcome: the completion waits for the store (see park), which starts
// the drain again once it has it, so that the same delivery is not sent again meanwhile.
func (s *Server) deliverQueued(p plan, rec *store.Record) bool {
	t := p.order[0].tunnel
	req, err := replayRequest(s.ctx, rec, nil)
	if err != nil { // cannot be sent: take it out of the queue for good
		s.log.Error("rebuild queued request", "id", rec.ID, "err", err)
		rec.Outcome, rec.ErrorCode = store.OutcomeError, string(proto.CodeBadRequest)
		return s.saveComplete(rec, t)
	}
	d := &delivery{id: rec.ID, origin: fromQueue, start: s.cfg.Now(), tunnel: t, rec: rec}
	d.path, d.query = rec.Path, rec.RawQuery
	s.restamp(req, d, t.config())
	rec.Attempts++
	if !p.shared {
		s.forward(newDiscardWriter(), req, p.order[0], d)
	} else {
		s.forwardShared(newDiscardWriter(), req, d, p)
	}
	if d.code != proto.CodeTunnelOffline && s.ctx.Err() == nil {
		return d.fate == saved
	}
	// The client left, or the server is closing: it stays queued for the next client.
	rec.Outcome = store.OutcomeQueued
	if err := s.cfg.Store.Complete(context.Background(), rec); err != nil {
		s.log.Error("requeue", "id", rec.ID, "err", err)
	}
	return false
}

// startPurger runs retention in the background: records older than Retention, beyond
// MaxRecords per tunnel, and queued ones older than QueueTTL (marked expired).
// It also releases the names no client has served for NameTTL (see sweepNames), from
// one PurgeEvery after the start on: clients served before a restart come back first.
func (s *Server) startPurger() {
	if s.cfg.Store == nil {
		return
	}
	s.work.add()
	go func() {
		defer s.work.done()
		t := time.NewTicker(s.cfg.PurgeEvery)
		defer t.Stop()
		for {
			if s.cfg.Retention > 0 {
				s.purge()
			}
			select {
			case <-t.C:
			case <-s.ctx.Done():
				return
			}
			s.sweepNames()
		}
	}()
}

func (s *Server) purge() {
	if !s.leadsPurge() {
		return
	}
	now := s.cfg.Now()
	n, err := s.cfg.Store.Purge(s.ctx, now.Add(-s.cfg.Retention), s.cfg.MaxRecords, now.Add(-s.cfg.QueueTTL))
	if err != nil {
		s.log.Warn("purge old records", "err", err)
		return
	}
	if n > 0 {
		s.log.Info("purged old records", "count", n)
	}
}

// jobLeader is implemented by stores several relays share (postgres.DB): one relay at a
// time holds a job's lease, so that they do not all purge the same rows.
type jobLeader interface {
	LeadJob(ctx context.Context, job string, ttl time.Duration) (bool, error)
	DropJob(ctx context.Context, job string) error
}

// jobs is the store's job leases, nil on a store of this relay's own.
func (s *Server) jobs() jobLeader {
	ws, _ := s.cfg.Store.(watchedStore)
	l, _ := ws.Store.(jobLeader)
	return l
}

// jobPurge names retention's job lease. Its holder renews it at every PurgeEvery and
// holds it for two, so that another relay takes over within two PurgeEvery of the
// holder's end.
const jobPurge = "purge"

// leadsPurge reports whether this relay runs retention now: always on a store of its
// own, on a shared one only while it holds the purge job.
func (s *Server) leadsPurge() bool {
	l := s.jobs()
	if l == nil {
		return true
	}
	lead, err := l.LeadJob(s.ctx, jobPurge, 2*s.cfg.PurgeEvery)
	if err != nil {
		s.log.Warn("purge old records: take the job lease", "err", err)
		return false
	}
	return lead
}
