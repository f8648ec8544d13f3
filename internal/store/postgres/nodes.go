package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Defaults of the node options.
const (
	DefaultNodeTTL   = 15 * time.Second
	DefaultReapAfter = 30 * time.Second
)

// nodeConfig is this DB's identity among the processes sharing the database.
type nodeConfig struct {
	id             string
	ttl, reapAfter time.Duration
	config         string // Options.ConfigHash
}

// NewNodeID returns a node id for one start of this process: the host name
// and 8 random hex digits, so that a restart on the same host is a new node
// whose old leases belong to a dead one.
func NewNodeID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "node"
	}
	host, _, _ = strings.Cut(host, ".")
	var b [4]byte
	_, _ = rand.Read(b[:])
	return host + "-" + hex.EncodeToString(b[:])
}

// NodeID is the id this DB registers, holds leases and runs jobs under.
func (db *DB) NodeID() string { return db.node.id }

// Join registers this node, reachable by peers at addr, alive for NodeTTL;
// joining again (after being reaped) starts a fresh row.
func (db *DB) Join(ctx context.Context, addr string) error {
	var from int64
	err := db.call(ctx, "join cluster", func(ctx context.Context) error {
		return db.pool.QueryRow(ctx, qJoin, db.node.id, addr, millis(db.node.ttl), db.node.config,
			db.pending.mark()).Scan(&from)
	})
	if err == nil {
		db.pending.saw(from - 1)
	}
	return err
}

// qJoin inserts or renews this node's row. Its pending_from is the node's mark ($5),
// or, for a node that has seen no seq yet, the next seq the sequence can hand out:
// whatever it inserts from now on is at or above it.
const qJoin = `INSERT INTO nodes (node_id, cluster_addr, expires_at, config_hash, pending_from)
	VALUES ($1, $2, now() + $3::bigint * interval '1 ms', $4, CASE WHEN $5::bigint > 0 THEN $5::bigint
		ELSE (SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM records_seq) END)
	ON CONFLICT (node_id) DO UPDATE SET cluster_addr = EXCLUDED.cluster_addr,
		heartbeat_at = now(), expires_at = EXCLUDED.expires_at, draining = false,
		config_hash = EXCLUDED.config_hash, pending_from = EXCLUDED.pending_from
	RETURNING pending_from`

// ConfigDiffers returns the live nodes, other than this one, whose
// configuration digest (Options.ConfigHash) differs from this node's, by id;
// none when either has no digest.
func (db *DB) ConfigDiffers(ctx context.Context) ([]string, error) {
	var ids []string
	if db.node.config == "" {
		return nil, nil
	}
	err := db.call(ctx, "compare node configurations", func(ctx context.Context) error {
		rows, err := db.pool.Query(ctx, `SELECT node_id FROM nodes WHERE expires_at > now() AND node_id <> $1
			AND config_hash <> '' AND config_hash <> $2 ORDER BY node_id`, db.node.id, db.node.config)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	return ids, err
}

// Heartbeat extends this node's life by NodeTTL. It returns false when the
// node has no row: it was reaped, and must Join again and re-acquire the
// leases it serves.
func (db *DB) Heartbeat(ctx context.Context) (bool, error) {
	var alive bool
	err := db.call(ctx, "heartbeat", func(ctx context.Context) error {
		tag, err := db.pool.Exec(ctx, `UPDATE nodes SET heartbeat_at = now(), expires_at = now() + $2::bigint * interval '1 ms',
			pending_from = CASE WHEN $3::bigint > 0 THEN $3::bigint ELSE pending_from END
			WHERE node_id = $1`, db.node.id, millis(db.node.ttl), db.pending.mark())
		alive = err == nil && tag.RowsAffected() == 1
		return err
	})
	return alive, err
}

// Drain marks this node as leaving: Lookup stops returning its leases,
// while its sessions finish.
func (db *DB) Drain(ctx context.Context) error {
	return db.exec(ctx, "drain node", `UPDATE nodes SET draining = true WHERE node_id = $1`, db.node.id)
}

// Leave deletes this node and, with it, its leases.
func (db *DB) Leave(ctx context.Context) error {
	return db.exec(ctx, "leave cluster", `DELETE FROM nodes WHERE node_id = $1`, db.node.id)
}

// Reap deletes the nodes whose heartbeat expired more than ReapAfter ago,
// and their leases with them, and settles the records they left pending as
// interrupted: nothing will complete those now. It returns how many nodes
// and records. It is a job for one node at a time (LeadJob), though running
// it twice is harmless. Both happen in one transaction, so a dead node is
// never gone with its records still pending; settling reads each dead
// node's records from its pending_from on, as Interrupt does, and only in a
// round that found a dead node.
func (db *DB) Reap(ctx context.Context) (nodes, records int, err error) {
	err = db.call(ctx, "reap nodes", func(ctx context.Context) error {
		return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `DELETE FROM nodes WHERE expires_at < now() - $1::bigint * interval '1 ms'
				RETURNING node_id, pending_from`, millis(db.node.reapAfter))
			if err != nil {
				return err
			}
			gone, err := collectGone(rows)
			if err != nil || len(gone.ids) == 0 {
				return err
			}
			n, err := gone.settle(ctx, tx, math.MaxInt64)
			nodes, records = len(gone.ids), int(n)
			return err
		})
	})
	return nodes, records, err
}

// goneNodes are nodes whose pending records are to be settled: ids[i]'s from seq
// from[i] on (nodes.pending_from).
type goneNodes struct {
	ids  []string
	from []int64
}

// collectGone reads rows of (node_id, pending_from).
func collectGone(rows pgx.Rows) (goneNodes, error) {
	var g goneNodes
	var id string
	var from int64
	_, err := pgx.ForEachRow(rows, []any{&id, &from}, func() error {
		g.ids, g.from = append(g.ids, id), append(g.from, from)
		return nil
	})
	return g, err
}

// settle settles the pending records of the nodes received before before (Unix
// nanoseconds), and returns how many. It runs one statement per node, with its bound as
// a value the planner sees: a range scan of records from pending_from on and a lookup
// of each in responses, where one statement for all nodes was planned as a scan of
// both tables (the planner cannot tell how far a bound read from an array reaches).
func (g goneNodes) settle(ctx context.Context, q querier, before int64) (int64, error) {
	var n int64
	for i, id := range g.ids {
		// Planned for these values each time: a cached generic plan cannot see the bound.
		tag, err := q.Exec(ctx, qSettleNode, pgx.QueryExecModeExec, id, g.from[i], before)
		if err != nil {
			return n, err
		}
		n += tag.RowsAffected()
	}
	return n, nil
}

// querier is a pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// qSettleNode settles the pending records of node $1 from seq $2 on, received
// before $3.
const qSettleNode = `INSERT INTO responses (seq, status, outcome, verified, response, resp_body)
	SELECT s.seq, s.status, 'interrupted', s.verified, s.response, s.resp_body
	  FROM record_state s
	 WHERE s.node_id = $1 AND s.seq >= $2 AND s.outcome = 'pending' AND s.received_at < $3
	` + settlePending

// settlePending ends an interrupting insert into responses: a record whose
// answer was saved meanwhile keeps it.
const settlePending = `ON CONFLICT (seq) DO UPDATE SET outcome = 'interrupted' WHERE responses.outcome = 'pending'`

// LeadJob takes or renews this node's lease on the singleton job for ttl and
// reports whether it holds it: false while another node's lease has not
// expired. A holder that stops renewing loses the job ttl after its last
// renewal.
func (db *DB) LeadJob(ctx context.Context, job string, ttl time.Duration) (bool, error) {
	var held bool
	err := db.call(ctx, "lead job "+job, func(ctx context.Context) error {
		var holder string
		err := db.pool.QueryRow(ctx, `INSERT INTO job_leases AS j (name, holder, expires_at)
			VALUES ($1, $2, now() + $3::bigint * interval '1 ms')
			ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
			 WHERE j.holder = EXCLUDED.holder OR j.expires_at < now()
			RETURNING holder`, job, db.node.id, millis(ttl)).Scan(&holder)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		held = err == nil
		return err
	})
	return held, err
}

// DropJob gives up this node's lease on job, if it holds it, so that another
// node may take it at once.
func (db *DB) DropJob(ctx context.Context, job string) error {
	return db.exec(ctx, "drop job "+job, `DELETE FROM job_leases WHERE name = $1 AND holder = $2`, job, db.node.id)
}

// millis is d in whole milliseconds, how durations reach SQL intervals here.
func millis(d time.Duration) int64 { return d.Milliseconds() }
