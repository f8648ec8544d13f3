package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// sProbe takes a transaction id, which only a server that can write hands out
// (a standby or a read-only transaction refuses), and commits nothing else.
const sProbe = `SELECT pg_current_xact_id()::text`

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
