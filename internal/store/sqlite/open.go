package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Defaults for Options fields left zero.
const (
	DefaultBusyTimeout = 5 * time.Second
	DefaultReaders     = 4
	DefaultMaxBatch    = 64
)

// Options tune Open. The zero value is a sound default.
type Options struct {
	// SyncFull sets synchronous=FULL: every commit is fsynced, so committed
	// writes survive power loss and OS crashes, not only process crashes.
	// Default false (synchronous=NORMAL): a kill -9 of the process loses
	// nothing, but a power cut can lose the most recent commits. FULL costs
	// one fsync per commit (shared by a group-committed batch).
	SyncFull bool
	// BusyTimeout is how long a statement waits for a lock held by another
	// process before failing with ErrUnavailable. Default
	// DefaultBusyTimeout.
	BusyTimeout time.Duration
	// Readers caps the read connection pool. Default DefaultReaders.
	Readers int
	// MaxBatch caps how many waiting writes share one transaction. Default
	// DefaultMaxBatch; 1 turns group commit off. Larger batches raise
	// throughput under load but one batch's writers all wait for its commit.
	MaxBatch int
}

func (o Options) withDefaults() Options {
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	if o.Readers <= 0 {
		o.Readers = DefaultReaders
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	return o
}

// DB is the SQLite store. It implements store.Store and is safe for
// concurrent use. Only one DB (in one process) should write a file at a
// time; a second one works but contends for the write lock.
type DB struct {
	wdb, rdb *sql.DB
	w        *writer
	rs       readerStmts
	lists    listCache

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*DB)(nil)

// Open opens (creating if needed) the database file at path, brings its
// schema up to date and starts the writer. path must name a file: ":memory:"
// and paths containing '?' are refused. Failures of the file or disk wrap
// store.ErrUnavailable.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" || strings.ContainsRune(path, '?') || strings.HasPrefix(path, ":memory:") ||
		strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("open store: %w: path %q must be a plain file name", store.ErrInvalid, path)
	}
	opts = opts.withDefaults()
	db := &DB{}
	if err := db.open(ctx, path, opts); err != nil {
		return nil, errors.Join(fmt.Errorf("open store: %w", err), db.release())
	}
	return db, nil
}

func (db *DB) open(ctx context.Context, path string, opts Options) error {
	var err error
	if db.wdb, err = openWriter(ctx, path, opts); err != nil {
		return err
	}
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return err
	}
	n, err := migrate(ctx, db.wdb, ms)
	if err != nil {
		return err
	}
	if n == len(ms) {
		// A new database: the later migrations dropped tables the earlier
		// ones created. Give their pages back, so that the file holds only
		// what is in use (cheap now, while it is empty).
		if _, err := db.wdb.ExecContext(ctx, `VACUUM`); err != nil {
			return wrap("vacuum", err)
		}
	}
	if db.rdb, err = openReaders(ctx, path, opts); err != nil {
		return err
	}
	if err := prepareAll(ctx, db.rdb, db.rs.sql()); err != nil {
		return err
	}
	db.w, err = newWriter(ctx, db.wdb, opts.MaxBatch)
	return err
}

// openWriter opens the single write connection. _txlock=immediate makes
// BEGIN take the write lock at once, so a transaction never fails halfway
// because another process wrote first (the migrations' transaction; the
// writer begins its own with BEGIN IMMEDIATE).
func openWriter(ctx context.Context, path string, opts Options) (*sql.DB, error) {
	mode := "NORMAL"
	if opts.SyncFull {
		mode = "FULL"
	}
	dsn := fmt.Sprintf("%s?_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)"+
		"&_pragma=synchronous(%s)&_txlock=immediate", path, opts.BusyTimeout.Milliseconds(), mode)
	return openPool(ctx, dsn, 1)
}

// openReaders opens the read pool. query_only guarantees the pool can never
// write, so every write goes through the writer.
func openReaders(ctx context.Context, path string, opts Options) (*sql.DB, error) {
	dsn := fmt.Sprintf("%s?_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_query_only=1",
		path, opts.BusyTimeout.Milliseconds())
	return openPool(ctx, dsn, opts.Readers)
}

// openPool opens a pool of at most n connections that are kept open for the
// life of the DB (prepared statements and per-connection pragmas stay put).
func openPool(ctx context.Context, dsn string, n int) (*sql.DB, error) {
	pool, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, wrap("open", err)
	}
	pool.SetMaxOpenConns(n)
	pool.SetMaxIdleConns(n)
	pool.SetConnMaxLifetime(0)
	pool.SetConnMaxIdleTime(0)
	if err := pool.PingContext(ctx); err != nil {
		return nil, errors.Join(wrap("connect", err), pool.Close())
	}
	return pool, nil
}

// Close waits for the writes in progress, then closes the database. Writes
// still waiting to start fail with ErrUnavailable. Close is idempotent.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.closed.Store(true)
		db.closeErr = db.release()
	})
	return db.closeErr
}

// release stops the writer and closes statements and pools, whatever of
// them is open.
func (db *DB) release() error {
	var errs []error
	if db.w != nil {
		errs = append(errs, db.w.close())
	}
	errs = append(errs, closeAll(db.rs.sql()), db.lists.close())
	for _, p := range []*sql.DB{db.rdb, db.wdb} {
		if p != nil {
			errs = append(errs, p.Close())
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}
