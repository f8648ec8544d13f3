package relaytest

import (
	"testing"

	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
	"github.com/hookrelay/hookrelay/internal/store/sqlite/sqlitetest"
)

// WithStore gives a test server a real SQLite store in tb.TempDir() and returns it
// through *db so tests can inspect and break it.
func WithStore(tb testing.TB, db **sqlite.DB) func(*server.Config) {
	return func(c *server.Config) {
		s := sqlitetest.MustOpen(tb)
		if db != nil {
			*db = s
		}
		c.Store = s
	}
}

// Chain applies several config changes in order.
func Chain(fs ...func(*server.Config)) func(*server.Config) {
	return func(c *server.Config) {
		for _, f := range fs {
			if f != nil {
				f(c)
			}
		}
	}
}
