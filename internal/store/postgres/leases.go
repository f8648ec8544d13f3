package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookrelay/hookrelay/internal/store"
)

// Lease says that one client session serves a tunnel from one node. A
// tunnel shared by a team may have several, one per client id.
type Lease struct {
	Tunnel   string
	Token    string // the public id of the client's token: a lease is (tunnel, token, client id)
	ClientID string // "" for a client that sends none: one such lease per tunnel and token
	NodeID   string // the node holding the session (Acquire: this DB's)
	Addr     string // the node's cluster address (Lookup only)
	Session  string // the session's id on its node
	Label    string
	Primary  bool     // the client asked to be the tunnel's primary
	Routes   []string // the client's routes (internal/route grammar)
	Share    string   // the share policy the client asked for; "" for none
	// Verify, VerifyMode and Handshake are the client's --verify specs (with their
	// secrets), verify mode and --handshake kinds: other nodes check its deliveries
	// with them.
	Verify     []string
	VerifyMode string
	Handshake  []string
	// Generation is the lease's fencing token, from a sequence shared by the
	// cluster: each Acquire gets a higher one than any lease of the same
	// (tunnel, client id) before it, so "is this session still current?" is
	// an equality check a superseded holder can never pass.
	Generation int64
	AttachedAt time.Time // PostgreSQL's clock
	// Cap is Acquire's only: with Cap > 0, Acquire refuses (ErrTooManyClients) while
	// the tunnel has Cap leases of other clients on live nodes.
	Cap int
}

// ErrTooManyClients refuses a lease over Lease.Cap.
var ErrTooManyClients = fmt.Errorf("%w: the tunnel has as many clients as it may", store.ErrConflict)

// leaseColumns are read by every lease query, in scanLease's order.
const leaseColumns = `l.name, l.token_id, l.client_id, l.node_id, n.cluster_addr, l.session_id, l.label,
	l.is_primary, l.routes, l.generation, l.attached_at, l.verify, l.verify_mode, l.handshake, l.share`

// primaryOrder is the primary rule (see the package doc) as SQL.
const primaryOrder = `l.is_primary DESC, l.attached_at, l.generation`

// leaseInsert inserts the lease of (name, client id) with a new generation;
// the statements using it say what a conflict with the client id's lease does.
const leaseInsert = `INSERT INTO tunnel_leases AS l
	(name, client_id, node_id, session_id, label, is_primary, routes, verify, verify_mode, handshake, share, token_id,
	 generation)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, nextval('lease_gen'))`

// sAcquire inserts or replaces the lease of (name, token, client id). A replacement
// draws its generation after it holds the row's lock, so that it is higher
// than the one it replaces even when several Acquires race.
// The tunnel row keeps the checks of the latest lease (TunnelChecks), written in
// the same statement.
const sAcquire = `WITH l AS (` + leaseInsert + `
	ON CONFLICT (name, token_id, client_id) DO UPDATE SET node_id = EXCLUDED.node_id,
		session_id = EXCLUDED.session_id, label = EXCLUDED.label, is_primary = EXCLUDED.is_primary,
		routes = EXCLUDED.routes, verify = EXCLUDED.verify, verify_mode = EXCLUDED.verify_mode,
		handshake = EXCLUDED.handshake, share = EXCLUDED.share, generation = nextval('lease_gen')
	RETURNING generation, attached_at),
	t AS (UPDATE tunnels SET verify = $8, verify_mode = $9, handshake = $10,
		checks_gen = (SELECT generation FROM l) WHERE name = $1)
	SELECT generation, attached_at FROM l`

// Acquire makes l's session, on this node, the one serving l.Tunnel for
// l.ClientID of l.Token, replacing only that client's older lease, and returns l
// with its generation and attach time. The tunnel must exist (ErrNotFound
// otherwise) and this node must have joined (ErrNotFound too: a reaped node
// joins again first). With l.Cap it first takes the tunnel row's lock, so that
// the Acquires of one tunnel count its leases one after another, and refuses
// with ErrTooManyClients while l.Cap other clients hold one.
func (db *DB) Acquire(ctx context.Context, l Lease) (Lease, error) {
	args := db.insertArgs(&l)
	err := db.call(ctx, "acquire lease on "+l.Tunnel, func(ctx context.Context) error {
		if l.Cap <= 0 {
			return db.pool.QueryRow(ctx, sAcquire, args...).Scan(&l.Generation, &l.AttachedAt)
		}
		return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			if err := roomFor(ctx, tx, l); err != nil {
				return err
			}
			return tx.QueryRow(ctx, sAcquire, args...).Scan(&l.Generation, &l.AttachedAt)
		})
	})
	return l, notJoined(err)
}

// roomFor locks l's tunnel row and checks that fewer than l.Cap other clients hold a
// lease of it on a live node. The count is a statement of its own, after the lock: its
// snapshot then sees every lease committed by the Acquire that held the lock before.
func roomFor(ctx context.Context, tx pgx.Tx, l Lease) error {
	if _, err := tx.Exec(ctx, `SELECT 1 FROM tunnels WHERE name = $1 FOR UPDATE`, l.Tunnel); err != nil {
		return err
	}
	var n int
	err := tx.QueryRow(ctx, `SELECT count(*) FROM tunnel_leases l JOIN nodes n USING (node_id)
		WHERE l.name = $1 AND n.expires_at > now() AND NOT (l.token_id = $2 AND l.client_id = $3)`,
		l.Tunnel, l.Token, l.ClientID).Scan(&n)
	if err == nil && n >= l.Cap {
		return fmt.Errorf("%w (%d)", ErrTooManyClients, l.Cap)
	}
	return err
}

// insertArgs makes l this node's and returns leaseInsert's arguments.
func (db *DB) insertArgs(l *Lease) []any {
	l.NodeID = db.node.id
	for _, list := range []*[]string{&l.Routes, &l.Verify, &l.Handshake} {
		if *list == nil {
			*list = []string{}
		}
	}
	return []any{l.Tunnel, l.ClientID, l.NodeID, l.Session, l.Label, l.Primary, l.Routes,
		db.seal.seal(l.Tunnel, l.Verify), l.VerifyMode, l.Handshake, l.Share, l.Token}
}

// Release deletes l's lease if it is still current (same generation) and
// reports whether it was.
func (db *DB) Release(ctx context.Context, l Lease) (bool, error) {
	var released bool
	err := db.call(ctx, "release lease on "+l.Tunnel, func(ctx context.Context) error {
		tag, err := db.pool.Exec(ctx, `DELETE FROM tunnel_leases WHERE name = $1 AND token_id = $2 AND client_id = $3
			AND generation = $4`, l.Tunnel, l.Token, l.ClientID, l.Generation)
		released = tag.RowsAffected() == 1
		return err
	})
	return released, err
}

// Lookup returns the live leases of the tunnel, those on nodes alive and not
// draining, primary first (the package doc's rule); none when it has no
// client anywhere.
func (db *DB) Lookup(ctx context.Context, name string) ([]Lease, error) {
	return db.leases(ctx, "look up "+name, `SELECT `+leaseColumns+`
		FROM tunnel_leases l JOIN nodes n USING (node_id)
		WHERE l.name = $1 AND n.expires_at > now() AND NOT n.draining
		ORDER BY `+primaryOrder, name)
}

// Held returns every lease of this node, live or not, by tunnel and primary
// rule: what the node must compare with the sessions it serves (reconcile).
func (db *DB) Held(ctx context.Context) ([]Lease, error) {
	return db.leases(ctx, "held leases", `SELECT `+leaseColumns+`
		FROM tunnel_leases l JOIN nodes n USING (node_id)
		WHERE l.node_id = $1 ORDER BY l.name, `+primaryOrder, db.node.id)
}

func (db *DB) leases(ctx context.Context, op, q string, args ...any) ([]Lease, error) {
	var out []Lease
	err := db.call(ctx, op, func(ctx context.Context) error {
		rows, err := db.pool.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanLease)
		return err
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Verify, err = db.seal.open(out[i].Tunnel, out[i].Verify); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	return out, nil
}

func scanLease(row pgx.CollectableRow) (Lease, error) {
	var l Lease
	err := row.Scan(&l.Tunnel, &l.Token, &l.ClientID, &l.NodeID, &l.Addr, &l.Session, &l.Label, &l.Primary,
		&l.Routes, &l.Generation, &l.AttachedAt, &l.Verify, &l.VerifyMode, &l.Handshake, &l.Share)
	return l, err
}

// notJoined explains a lease refused because its node or tunnel is missing.
func notJoined(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w (the tunnel is unclaimed or this node has not joined)", err)
	}
	return err
}

// TunnelChecks returns the --verify specs, verify mode and --handshake kinds
// of the client that attached to the tunnel last, attached or not, with the
// generation of its lease as Generation (0: no client ever attached). They
// are what every node checks the tunnel's deliveries with while no client is
// attached anywhere.
func (db *DB) TunnelChecks(ctx context.Context, name string) (Lease, error) {
	l := Lease{Tunnel: name}
	err := db.call(ctx, "tunnel checks of "+name, func(ctx context.Context) error {
		return db.pool.QueryRow(ctx, `SELECT verify, verify_mode, handshake, checks_gen FROM tunnels WHERE name = $1`,
			name).Scan(&l.Verify, &l.VerifyMode, &l.Handshake, &l.Generation)
	})
	if err != nil {
		return l, err
	}
	if l.Verify, err = db.seal.open(name, l.Verify); err != nil {
		return Lease{Tunnel: name}, fmt.Errorf("tunnel checks of %s: %w", name, err)
	}
	return l, nil
}
