package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/store"
)

// TestServerCrashAndRestart: while PostgreSQL is down, writes and reads fail
// with ErrUnavailable (the relay answers 503 and forwards nothing); once it
// is back the store works again by itself, and what was committed before
// the crash is there.
func TestServerCrashAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts, kills and restarts a PostgreSQL cluster")
	}
	c := pgtest.NewCluster(t, pgtest.Config{Durable: true})
	db := openTest(t, c.DSN(), Options{Timeout: 5 * time.Second})
	ctx := context.Background()
	before := &store.Record{Tunnel: "r", Owner: "a"}
	if err := db.Insert(ctx, before); err != nil {
		t.Fatal(err)
	}
	c.Crash()
	if err := db.Insert(ctx, &store.Record{Tunnel: "r", Owner: "a"}); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Insert with the server down = %v, want ErrUnavailable", err)
	}
	if _, err := db.Get(ctx, "a", before.ID); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Get with the server down = %v, want ErrUnavailable", err)
	}
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := c.Restart(rctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		err := db.Insert(ctx, &store.Record{Tunnel: "r", Owner: "a"})
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrUnavailable) || time.Now().After(deadline) {
			t.Fatalf("Insert after the restart = %v, want success (or ErrUnavailable for a while)", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := db.Get(ctx, "a", before.ID); err != nil {
		t.Errorf("record committed before the crash: %v", err)
	}
}
