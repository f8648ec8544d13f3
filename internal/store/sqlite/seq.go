package sqlite

import (
	"fmt"

	"modernc.org/sqlite"
)

// seqCounter hands out record seqs in the writer, which is cheaper than
// AUTOINCREMENT: that keeps the largest seq in sqlite_sequence and so
// rewrites a row of it on every insert. A seq must never be reused, even
// once purges have deleted every record (cursors hold seqs), so the counter
// starts above both the largest seq in the table and seq_floor, which
// purges raise before deleting.
//
// The counter is only trusted while no other connection has written the
// file: SQLite's data version, read at the start of each transaction,
// changes when one has (another process, say), and the counter is then read
// again from the table.
type seqCounter struct {
	fc      sqlite.FileControl
	last    int64  // the last seq handed out
	version uint32 // the data version after this writer's last commit
	valid   bool   // last and version are current
}

// begin makes the counter current at the start of a write transaction and
// returns its state, for rollback to restore.
func (s *seqCounter) begin(c *wconn) (int64, error) {
	v, err := s.fc.FileControlDataVersion("main")
	if err != nil {
		return 0, fmt.Errorf("data version: %w", err)
	}
	if s.valid && v == s.version {
		return s.last, nil
	}
	next, _, err := c.queryInt(sNextSeq, nil)
	if err != nil {
		return 0, fmt.Errorf("next seq: %w", err)
	}
	s.last, s.valid = next-1, false // valid again once this transaction commits
	return s.last, nil
}

// next hands out a seq.
func (s *seqCounter) next() int64 {
	s.last++
	return s.last
}

// rollback forgets the seqs handed out since begin returned last.
func (s *seqCounter) rollback(last int64) {
	s.last = last
}

// committed records the data version this writer's commit left, so that
// the next begin can tell whether anyone else has written since.
func (s *seqCounter) committed() {
	v, err := s.fc.FileControlDataVersion("main")
	s.version, s.valid = v, err == nil
}
