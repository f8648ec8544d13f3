// Package pgtest gives tests a real PostgreSQL: a throwaway schema per test
// on the server named by HOOKRELAY_TEST_PG_DSN, or on a throwaway cluster
// the test binary starts itself when PostgreSQL's server binaries (initdb)
// are installed. Without either, tests that need PostgreSQL skip with a
// message saying so, unless HOOKRELAY_REQUIRE_PG=1 (CI), where they fail.
//
// A package using it runs its tests through Main, which stops the cluster
// after the last test (and on Linux the server dies with the test binary
// anyway, should a -timeout kill it first):
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// Measured here: starting a cluster takes 2-3 s on a quiet 2-core machine
// and up to ~8 s under load, which is why one cluster serves the whole test
// binary; creating a schema and migrating it takes 0.1-0.5 s, against
// 0.3-0.9 s for CREATE DATABASE, which is why tests get schemas.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables.
const (
	// EnvDSN names a PostgreSQL to use instead of starting one. Tests
	// create and drop their own schemas in its database, so a shared
	// server is safe.
	EnvDSN = "HOOKRELAY_TEST_PG_DSN"
	// EnvRequire, set to 1, turns every skip for want of PostgreSQL into a
	// failure.
	EnvRequire = "HOOKRELAY_REQUIRE_PG"
)

var shared struct {
	mu      sync.Mutex
	main    bool // Main is running the tests
	tried   bool
	cluster *Cluster
	dsn     string
	err     error
	others  []*Cluster // started by tests, stopped by Main
}

// Main runs the tests of m and then stops the cluster started for them, if
// any. It returns m.Run's exit code.
func Main(m *testing.M) int {
	shared.mu.Lock()
	shared.main = true
	shared.mu.Unlock()
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	for _, c := range append(shared.others, shared.cluster) {
		if c == nil {
			continue
		}
		if err := c.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stop postgres: %v\n", err)
		}
	}
	shared.cluster, shared.others = nil, nil
	return code
}

// StopAtExit has Main stop c after the last test, for a cluster that
// outlives the test that started it.
func StopAtExit(c *Cluster) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.others = append(shared.others, c)
}

// DSN returns the connection string of the test PostgreSQL, starting the
// shared cluster on first use, or skips tb (fails it under
// HOOKRELAY_REQUIRE_PG=1) when there is none.
func DSN(tb testing.TB) string {
	tb.Helper()
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		return dsn
	}
	dsn, err := sharedCluster()
	switch {
	case err == errNoInitdb:
		unavailable(tb, "PostgreSQL tests need initdb (package postgresql) or "+EnvDSN)
	case err != nil:
		tb.Fatalf("pgtest: start a throwaway postgres: %v", err)
	}
	return dsn
}

func sharedCluster() (string, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.main {
		return "", fmt.Errorf("the package's TestMain must run its tests through pgtest.Main")
	}
	if !shared.tried {
		shared.tried = true
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		shared.cluster, shared.err = Start(ctx, Config{})
		if shared.err == nil {
			shared.dsn = shared.cluster.DSN()
		}
	}
	return shared.dsn, shared.err
}

// NewCluster starts a cluster of tb's own, for a test that must crash or
// restart its server, and deletes it when tb ends; it skips tb (fails it
// under HOOKRELAY_REQUIRE_PG=1) when initdb is not installed.
func NewCluster(tb testing.TB, cfg Config) *Cluster {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := Start(ctx, cfg)
	switch {
	case err == errNoInitdb:
		unavailable(tb, "this test starts its own PostgreSQL and needs initdb (package postgresql)")
		return nil
	case err != nil:
		tb.Fatalf("pgtest: start postgres: %v", err)
	}
	tb.Cleanup(func() {
		if err := c.Stop(); err != nil {
			tb.Errorf("pgtest: stop postgres: %v", err)
		}
	})
	return c
}

// unavailable skips tb with why, or fails it when PostgreSQL is required.
func unavailable(tb testing.TB, why string) {
	tb.Helper()
	if os.Getenv(EnvRequire) == "1" {
		tb.Fatalf("pgtest: %s (%s=1: not skipping)", why, EnvRequire)
		return
	}
	tb.Skipf("pgtest: %s; skipping", why)
}

// Schema creates an empty schema named hr_<16 hex> on the test PostgreSQL,
// drops it with everything in it when tb ends, and returns a DSN whose
// search_path is that schema.
func Schema(tb testing.TB) string {
	tb.Helper()
	return SchemaOn(tb, DSN(tb))
}

// SchemaOn is Schema on the server named by dsn.
func SchemaOn(tb testing.TB, dsn string) string {
	tb.Helper()
	var b [8]byte
	_, _ = rand.Read(b[:])
	name := "hr_" + hex.EncodeToString(b[:])
	admin(tb, dsn, "CREATE SCHEMA "+name)
	tb.Cleanup(func() { admin(tb, dsn, "DROP SCHEMA "+name+" CASCADE") })
	return WithSearchPath(dsn, name)
}

// admin runs one statement on its own connection, failing tb on error.
func admin(tb testing.TB, dsn, sql string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		tb.Fatalf("pgtest: %s: %v", sql, err)
	}
}

// WithSearchPath returns dsn, a URL or a key=value string, with its
// search_path set to schema.
func WithSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}
