package sqlite

import "slices"

// runBatch runs ops in one transaction and answers each of them. There is
// no savepoint per op: when an op fails, the transaction is rolled back,
// the op gets its error and the others run again in a new transaction.
// Failures are rare (a taken ID, an unknown record), so a batch costs two
// statements besides its writes instead of two more per op. If the
// transaction itself fails, every op still in it gets that error.
func runBatch(c *wconn, ops []*writeOp) {
	ops = slices.Clone(ops) // failed ops are dropped from it below
	results := make([]writeResult, len(ops))
	for len(ops) > 0 {
		bad, err := attempt(c, ops, results)
		switch {
		case err != nil:
			failAll(ops, err)
			return
		case bad < 0:
			for i, op := range ops {
				op.done <- results[i]
			}
			return
		}
		ops[bad].done <- results[bad]
		ops = slices.Delete(ops, bad, bad+1)
		results = results[:len(ops)]
	}
}

// attempt runs ops in a transaction and commits it, filling results. If
// an op fails, it rolls back and returns the op's index, with its error in
// results; otherwise bad is -1.
func attempt(c *wconn, ops []*writeOp, results []writeResult) (bad int, err error) {
	if _, err := c.exec(sBegin, nil); err != nil {
		c.rollback() // in case a transaction was left open: it would fail every BEGIN
		return -1, wrap("begin write", err)
	}
	seq, err := c.seqs.begin(c)
	if err != nil {
		c.rollback()
		return -1, wrap("begin write", err)
	}
	for i, op := range ops {
		n, err := op.tx(c)
		results[i] = writeResult{n: n, err: err}
		if err != nil {
			c.rollback()
			c.seqs.rollback(seq)
			return i, nil
		}
	}
	if _, err := c.exec(sCommit, nil); err != nil {
		c.rollback() // a failed COMMIT (SQLITE_BUSY) leaves the transaction open
		c.seqs.rollback(seq)
		return -1, wrap("commit write", err)
	}
	c.seqs.committed()
	return -1, nil
}
