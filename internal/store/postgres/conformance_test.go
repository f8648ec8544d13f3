package postgres_test

import (
	"context"
	"os"
	"testing"

	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/postgres"
	"github.com/hookrelay/hookrelay/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// mustOpen opens a store with opts on dsn and closes it when tb ends.
func mustOpen(tb testing.TB, dsn string, opts postgres.Options) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), dsn, opts)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	return db
}

func TestConformance(t *testing.T) {
	tests := []struct {
		name string
		opts postgres.Options
	}{
		{"defaults", postgres.Options{}},
		{"no group commit, one writer", postgres.Options{MaxBatch: 1, Writers: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store { return mustOpen(t, pgtest.Schema(t), tt.opts) })
		})
	}
}

func TestShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		dsn := pgtest.Schema(t)
		return mustOpen(t, dsn, postgres.Options{}), mustOpen(t, dsn, postgres.Options{Writers: 1})
	})
}
