package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// sProbe runs an UPDATE that matches no row, which a standby or a read-only
// database refuses before looking at any row (25006, store.ErrUnavailable),
// and takes a transaction id, so that its commit goes through the WAL as a
// delivery's does. It changes nothing.
const sProbe = `WITH w AS (UPDATE job_leases SET holder = holder WHERE false RETURNING 1)
	SELECT pg_current_xact_id()::text`

// Probe checks that the store can write without changing anything a reader
// sees: it goes through the writer, as Insert does, so it fails when
// deliveries would. A relay whose store failed probes until it succeeds, so
// that it recovers with no traffic.
func (db *DB) Probe(ctx context.Context) error {
	return db.call(ctx, "probe", func(ctx context.Context) error {
		var xid string
		return db.w.write(ctx, sProbe, func(r pgx.Row) error { return r.Scan(&xid) })
	})
}
