package sqlite_test

import (
	"testing"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
	"github.com/hookrelay/hookrelay/internal/store/sqlite/sqlitetest"
	"github.com/hookrelay/hookrelay/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	tests := []struct {
		name string
		opts sqlite.Options
	}{
		{"defaults", sqlite.Options{}},
		{"no group commit, sync full", sqlite.Options{MaxBatch: 1, SyncFull: true, Readers: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store { return sqlitetest.MustOpenWith(t, tt.opts) })
		})
	}
}
