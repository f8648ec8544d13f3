package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/store/postgres"
)

// BenchmarkAcquire: one re-attach of a client (its lease replaced), sequentially, on
// the test cluster (fsync off) and on a durable one of its own (fsync on); without a
// cap (one statement) and with the relay's default cap of 16 (a transaction that locks
// the tunnel's row and counts its leases first).
func BenchmarkAcquire(b *testing.B) {
	for _, cap := range []int{0, 16} {
		b.Run(fmt.Sprintf("fsync=off/cap=%d", cap), func(b *testing.B) { benchAcquire(b, benchCluster(b), cap) })
		b.Run(fmt.Sprintf("fsync=on/cap=%d", cap), func(b *testing.B) {
			c := pgtest.NewCluster(b, pgtest.Config{Durable: true})
			dbs, _ := clusterOn(b, pgtest.SchemaOn(b, c.DSN()), 1, postgres.Options{})
			benchAcquire(b, dbs[0], cap)
		})
	}
}

func benchAcquire(b *testing.B, db *postgres.DB, cap int) {
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		l := postgres.Lease{Tunnel: "t", ClientID: "c", Session: fmt.Sprint(i), Cap: cap}
		if _, err := db.Acquire(ctx, l); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookup: the live leases of a tunnel with three clients on two nodes.
func BenchmarkLookup(b *testing.B) {
	db := benchCluster(b)
	ctx := context.Background()
	for _, c := range []string{"a", "b", "c"} {
		if _, err := db.Acquire(ctx, postgres.Lease{Tunnel: "t", ClientID: c, Session: "s"}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if ls, err := db.Lookup(ctx, "t"); err != nil || len(ls) != 3 {
			b.Fatal(ls, err)
		}
	}
}

// benchCluster is one joined node on a fresh schema with tunnel t claimed.
func benchCluster(b *testing.B) *postgres.DB { return clusterOf(b, 1, postgres.Options{})[0] }

// BenchmarkSettle: settling what a dead node left pending, among n records of 1 KiB
// bodies of which one in a thousand is pending: Interrupt as a relay runs it at start
// (the node expired), and Reap of the node. Each reads the node's records from its
// pending_from on: mark=0 reads them all (a node that never published a mark), and
// mark=last starts at its last pending record, as the heartbeat of a node whose
// deliveries all ended but one would leave it.
func BenchmarkSettle(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			db, dsn := benchSettleCluster(b, n)
			reap := func(ctx context.Context, _ time.Time) (int, error) {
				_, k, err := db.Reap(ctx)
				return k, err
			}
			for _, m := range []struct {
				name       string
				from, want int
			}{{"mark=0", 0, n / 1000}, {"mark=last", n, 1}} {
				gone := fmt.Sprintf(`INSERT INTO nodes (node_id, expires_at, pending_from) VALUES ('gone', now() - interval '1 hour', %d)
					ON CONFLICT (node_id) DO UPDATE SET expires_at = EXCLUDED.expires_at, pending_from = EXCLUDED.pending_from`, m.from)
				b.Run("interrupt/"+m.name, func(b *testing.B) { benchSettle(b, dsn, m.want, gone, db.Interrupt) })
				b.Run("reap/"+m.name, func(b *testing.B) { benchSettle(b, dsn, m.want, gone, reap) })
			}
		})
	}
}

// benchSettleCluster is one joined node on a schema holding n records of node gone.
func benchSettleCluster(b testing.TB, n int) (*postgres.DB, string) {
	dbs, dsn := clusterOn(b, pgtest.Schema(b), 1, postgres.Options{})
	execSQL(b, dsn, `INSERT INTO records (seq, id, tunnel, owner, received_at, request, response, body, body_len, node_id)
		SELECT nextval('records_seq'), 'bench' || g, 't', 'team', g, ''::bytea, ''::bytea,
			convert_to(repeat('x', 1024), 'UTF8'), 1024, 'gone' FROM generate_series(1, $1::int) g`, n)
	execSQL(b, dsn, `INSERT INTO responses (seq, status, outcome, response)
		SELECT seq, 200, 'ok', ''::bytea FROM records WHERE seq % 1000 <> 0`)
	execSQL(b, dsn, `VACUUM ANALYZE`)
	return dbs[0], dsn
}

// benchSettle times settle, with node gone's records pending again and gone as
// prepare leaves it before each call; settle must settle want records.
func benchSettle(b *testing.B, dsn string, want int, prepare string, settle func(context.Context, time.Time) (int, error)) {
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		execSQL(b, dsn, `DELETE FROM responses WHERE outcome = 'interrupted'`)
		execSQL(b, dsn, prepare)
		b.StartTimer()
		if k, err := settle(ctx, time.Now()); err != nil || k != want {
			b.Fatalf("settled %d, %v; want %d", k, err, want)
		}
	}
}

// execSQL runs one statement on the schema of dsn.
func execSQL(b testing.TB, dsn, sql string, args ...any) {
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		b.Fatal(err)
	}
}
