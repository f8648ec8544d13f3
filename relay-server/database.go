package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/hookrelay/hookrelay/internal/cluster"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/postgres"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
)

// relayStore is the store the relay (and relay-server tokens) runs on: SQLite in the
// data directory, or PostgreSQL with --database-url.
type relayStore = store.Store

// openDB opens the store the config selects.
func openDB(ctx context.Context, cfg *config) (relayStore, error) {
	if cfg.DatabaseURL != "" {
		secret, err := clusterSecret(cfg)
		if err != nil {
			return nil, err
		}
		db, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.Options{Schema: cfg.DatabaseSchema, SealSecret: secret,
			ConfigHash: cfg.fingerprint(secret)})
		if err != nil {
			return nil, fmt.Errorf("open store on %s: %w", redactDSN(cfg.DatabaseURL), scrubDSN(err, cfg.DatabaseURL))
		}
		return db, nil
	}
	opts := sqlite.Options{SyncFull: cfg.Sync == syncFull}
	db, err := sqlite.Open(ctx, cfg.dbPath(), opts)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return db, nil
}

// membership runs this relay's node in the cluster of relays sharing its PostgreSQL
// (internal/cluster): heartbeats and the reaping of dead nodes.
type membership struct {
	cancel context.CancelFunc
	done   chan struct{}
	drain  func(context.Context) error // nil when the store cannot mark the node leaving
}

// startMembership starts the node loop when db is shared (PostgreSQL), else returns nil.
// rejoined runs after the node found itself reaped as dead and joined again.
func startMembership(db relayStore, log *slog.Logger, addr string, rejoined func(context.Context)) *membership {
	m, ok := db.(cluster.Membership)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	mb := &membership{cancel: cancel, done: make(chan struct{})}
	if d, ok := db.(interface{ Drain(context.Context) error }); ok {
		mb.drain = d.Drain
	}
	log.Info("cluster node", "node", m.NodeID())
	go func() {
		defer close(mb.done)
		if err := cluster.Run(ctx, m, cluster.Config{Addr: addr, Rejoined: rejoined, Log: log}); err != nil {
			log.Warn("leave cluster", "node", m.NodeID(), "err", err)
		}
	}()
	return mb
}

// joinBeforeSettle registers this node, at its peer address, before the server settles
// the records left pending (server.New): on a shared database that takes the records of
// this process's previous life only once this node holds the same address (see
// postgres.DB.Interrupt). A failure is logged; the node loop joins again, and records
// still pending are then settled when their node is reaped.
func joinBeforeSettle(ctx context.Context, db relayStore, addr string, log *slog.Logger) {
	m, ok := db.(cluster.Membership)
	if !ok {
		return
	}
	if err := m.Join(ctx, addr); err != nil {
		log.Warn("join cluster before settling pending records", "node", m.NodeID(), "err", err)
	}
}

// leaving marks the node as leaving before the server closes: other nodes stop sending
// it deliveries, while its row (and so the records it has in flight) stays alive until
// stop. Bounded by leaveTimeout; nil does nothing.
func (mb *membership) leaving(log *slog.Logger) {
	if mb == nil || mb.drain == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), leaveTimeout)
	defer cancel()
	if err := mb.drain(ctx); err != nil {
		log.Warn("mark this node as leaving the cluster", "err", err)
	}
}

// leaveTimeout bounds the write that marks a stopping node as leaving.
const leaveTimeout = 5 * time.Second

// stop leaves the cluster and waits until it has; nil does nothing.
func (mb *membership) stop() {
	if mb == nil {
		return
	}
	mb.cancel()
	<-mb.done
}

// checkDatabase checks the options of the store: --database-schema and --sync
// belong to one backend each, and a relay that records nothing has no database.
func (c *config) checkDatabase() error {
	switch {
	case c.DatabaseURL == "" && c.DatabaseSchema != "":
		return errors.New("--database-schema needs --database-url")
	case c.DatabaseURL != "" && c.NoRecord:
		return errors.New("--no-record keeps no database: drop --database-url or --no-record")
	case c.DatabaseURL != "" && c.set.Changed("sync"):
		return errors.New("--sync is SQLite's durability; PostgreSQL's is its own synchronous_commit")
	}
	return nil
}

// redactDSN is dsn as it may be shown: a URL without its password, a key=value
// string as its host and database only. The DSN itself is never logged.
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		for k := range q {
			if strings.Contains(strings.ToLower(k), "password") {
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
		return u.Redacted()
	}
	var keep []string
	for _, kv := range strings.Fields(dsn) {
		k, _, _ := strings.Cut(kv, "=")
		if k == "host" || k == "port" || k == "dbname" || k == "user" {
			keep = append(keep, kv)
		}
	}
	return strings.Join(keep, " ")
}

// scrubDSN returns err with any copy of dsn's password replaced, for drivers
// that quote a bad DSN back.
func scrubDSN(err error, dsn string) error {
	pw := passwordOf(dsn)
	if pw == "" || !strings.Contains(err.Error(), pw) {
		return err
	}
	return scrubbed{msg: strings.ReplaceAll(err.Error(), pw, "xxxxx"), err: err}
}

// scrubbed is an error shown without a secret it quoted; errors.Is still sees
// through it (store.ErrUnavailable).
type scrubbed struct {
	msg string
	err error
}

func (e scrubbed) Error() string { return e.msg }
func (e scrubbed) Unwrap() error { return e.err }

// passwordOf is the password a DSN carries, "" if none.
func passwordOf(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			return pw
		}
	}
	for _, kv := range strings.Fields(dsn) {
		if k, v, ok := strings.Cut(kv, "="); ok && k == "password" {
			return strings.Trim(v, "'")
		}
	}
	return ""
}
