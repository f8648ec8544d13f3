package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Defaults of Options.
const (
	defaultWriters  = 2
	defaultMaxBatch = 256
	defaultMaxConns = 10
	defaultTimeout  = 10 * time.Second
)

// Options tune a store. Zero values take the defaults.
type Options struct {
	// Schema is the schema every table lives in (the connections'
	// search_path); "" leaves the DSN's search_path, normally public. It
	// must exist.
	Schema string
	// Writers is how many goroutines commit batches of writes at once
	// (default 2), each on its own connection.
	Writers int
	// MaxBatch caps the writes committed together (default 256).
	MaxBatch int
	// MaxConns caps the pool (default 10 unless the DSN sets
	// pool_max_conns): the writers plus concurrent readers.
	MaxConns int
	// Timeout bounds one call's wait for the server (default 10 s); past it
	// the call fails with store.ErrUnavailable.
	Timeout time.Duration
	// AsyncCommit turns synchronous_commit off for this store's
	// connections: a write returns before its WAL is flushed, saving the
	// flush's latency (about 5 ms on this VM's disk), at the price of losing
	// the last fraction of a second of writes if PostgreSQL itself crashes
	// (never on a crash of the relay). Off by default.
	AsyncCommit bool
	// NodeID names this process among those sharing the database (nodes,
	// leases, job holders); default NewNodeID(), a new one per Open.
	NodeID string
	// NodeTTL is how long a node counts as alive after its last heartbeat
	// (default 15 s); ReapAfter how long after that its row and leases are
	// deleted by Reap (default 30 s). See nodes.go.
	NodeTTL, ReapAfter time.Duration
	// SealSecret, when set (the cluster secret), seals the --verify specs the store
	// keeps for other nodes (tunnel_leases.verify, tunnels.verify) with AES-256-GCM under
	// a key derived from it (seal.go): a copy of the database then holds no signing
	// secret. Every node must have the same; a node with another cannot open them
	// (store.ErrInvalid). Unset, the specs are stored as given, like request bodies.
	SealSecret []byte
	// ConfigHash is a digest of the configuration every node must share; Join
	// stores it and ConfigDiffers compares it with the other nodes'. "" compares
	// with nothing.
	ConfigHash string
}

func (o *Options) defaults() {
	if o.Writers <= 0 {
		o.Writers = defaultWriters
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = defaultMaxBatch
	}
	if o.Timeout <= 0 {
		o.Timeout = defaultTimeout
	}
	if o.NodeID == "" {
		o.NodeID = NewNodeID()
	}
	if o.NodeTTL <= 0 {
		o.NodeTTL = DefaultNodeTTL
	}
	if o.ReapAfter <= 0 {
		o.ReapAfter = DefaultReapAfter
	}
}

// DB is a store.Store on PostgreSQL. It is safe for concurrent use; several
// DBs, in one process or many, may share one schema.
type DB struct {
	pool    *pgxpool.Pool
	w       *writer
	timeout time.Duration
	node    nodeConfig
	seal    sealer
	closed  atomic.Bool
	once    sync.Once
	chans   channels // see notify.go
	pending *inflight
}

// Open connects to the PostgreSQL named by dsn (a URL or key=value
// string, as libpq takes), creates or upgrades the schema and starts the
// writers.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	opts.defaults()
	cfg, err := poolConfig(dsn, opts)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrap("open store", err)
	}
	mctx, cancel := context.WithTimeout(ctx, 4*opts.Timeout)
	defer cancel()
	if err := migrate(mctx, pool); err != nil {
		pool.Close()
		return nil, wrap("migrate store", err)
	}
	db := &DB{pool: pool, timeout: opts.Timeout, pending: newInflight(),
		node: nodeConfig{id: opts.NodeID, ttl: opts.NodeTTL, reapAfter: opts.ReapAfter, config: opts.ConfigHash}}
	if db.seal, err = newSealer(opts.SealSecret); err != nil {
		pool.Close()
		return nil, err
	}
	db.w = startWriter(pool, opts)
	return db, nil
}

func poolConfig(dsn string, opts Options) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open store: parse database url: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = int32(opts.MaxConns)
	} else if cfg.MaxConns < defaultMaxConns && !hasParam(dsn, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	if opts.AsyncCommit {
		cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
	}
	if opts.Schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{opts.Schema}.Sanitize()
	}
	return cfg, nil
}

// Close stops the writers, after the writes already submitted, and closes
// the pool. Calls after Close fail with store.ErrUnavailable.
func (db *DB) Close() error {
	db.once.Do(func() {
		db.closed.Store(true)
		db.w.close()
		db.pool.Close()
	})
	return nil
}

// call runs fn with the call's timeout, failing at once after Close.
func (db *DB) call(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	if db.closed.Load() {
		return fmt.Errorf("%s: %w", op, errClosed)
	}
	ctx, cancel := context.WithTimeout(ctx, db.timeout)
	defer cancel()
	return wrap(op, fn(ctx))
}

// hasParam reports whether a DSN sets the named parameter.
func hasParam(dsn, name string) bool {
	return strings.Contains(dsn, name+"=")
}
