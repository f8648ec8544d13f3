package postgres

import (
	"errors"
	"sync"

	"github.com/hookrelay/hookrelay/internal/store"
)

// inflight follows the records this node may have left pending, so that its nodes row
// can say where they begin (nodes.pending_from, written by Join and Heartbeat): the
// settling of a dead node's records then reads the records from that seq on, not the
// whole table. The mark is a lower bound, never above a seq this node could still
// leave pending:
//
//   - a record inserted pending counts until this node completes it with another
//     outcome (pending records are inserted, and completed, by the node that
//     received them: internal/server's ingress);
//   - an insert under way counts as the lowest seq it can get, one above the highest
//     this node has seen: seqs come from one sequence that only grows, so any later
//     nextval is above every value already returned;
//   - an insert whose outcome is unknown (the connection failed around the commit)
//     pins the mark at its floor for the life of the DB: the record may exist, and
//     nobody will complete it. Scans grow back from there; nothing is missed.
type inflight struct {
	mu      sync.Mutex
	pending map[int64]struct{} // inserted pending, not completed otherwise yet
	floors  map[uint64]int64   // inserts under way: the lowest seq each can get
	pinned  int64              // the lowest floor of an insert of unknown outcome; 0: none
	top     int64              // the highest seq this node has seen (inserted, or at Join)
	next    uint64
}

func newInflight() *inflight {
	return &inflight{pending: map[int64]struct{}{}, floors: map[uint64]int64{}}
}

// begin registers an insert under way and returns its token for inserted.
func (f *inflight) begin() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	f.floors[f.next] = f.top + 1
	return f.next
}

// inserted ends the insert of token: seq was inserted with outcome o, or err.
func (f *inflight) inserted(token uint64, seq int64, o store.Outcome, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	floor := f.floors[token]
	delete(f.floors, token)
	switch {
	case err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrInvalid):
		if f.pinned == 0 || floor < f.pinned {
			f.pinned = floor
		}
	case err != nil:
	default:
		f.top = max(f.top, seq)
		if o == store.OutcomePending {
			f.pending[seq] = struct{}{}
		}
	}
}

// completed notes that seq was completed with outcome o.
func (f *inflight) completed(seq int64, o store.Outcome) {
	if o == store.OutcomePending {
		return
	}
	f.mu.Lock()
	delete(f.pending, seq)
	f.mu.Unlock()
}

// seqs returns the seqs this node inserted pending and has not completed otherwise.
func (f *inflight) seqs() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]int64, 0, len(f.pending))
	for seq := range f.pending {
		out = append(out, seq)
	}
	return out
}

// saw raises the highest seq seen to seq (the sequence's value when the node joined).
func (f *inflight) saw(seq int64) {
	f.mu.Lock()
	f.top = max(f.top, seq)
	f.mu.Unlock()
}

// mark is the lowest seq this node may still leave pending, or 0 when it has seen no
// seq at all (the caller keeps the mark it wrote at Join).
func (f *inflight) mark() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.top == 0 && f.pinned == 0 && len(f.floors) == 0 {
		return 0
	}
	m := f.top + 1
	if f.pinned != 0 {
		m = min(m, f.pinned)
	}
	for _, floor := range f.floors {
		m = min(m, floor)
	}
	for seq := range f.pending {
		m = min(m, seq)
	}
	return m
}
