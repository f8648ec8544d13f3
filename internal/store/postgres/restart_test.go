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
	var committed []string // every insert answered with nil must survive
	insert := func() error {
		r := &store.Record{Tunnel: "r", Owner: "a"}
		err := db.Insert(ctx, r)
		if err == nil {
			committed = append(committed, r.ID)
		}
		return err
	}
	if err := insert(); err != nil {
		t.Fatal(err)
	}
	c.Crash()
	// A backend of the killed server may serve a last call before it
	// notices its postmaster is gone: wait for the first failure.
	if err := firstFailure(t, insert); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Insert with the server down = %v, want ErrUnavailable", err)
	}
	if err := firstFailure(t, func() error { _, err := db.Get(ctx, "a", committed[0]); return err }); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Get with the server down = %v, want ErrUnavailable", err)
	}
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := c.Restart(rctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		err := insert()
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrUnavailable) || time.Now().After(deadline) {
			t.Fatalf("Insert after the restart = %v, want success (or ErrUnavailable for a while)", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, id := range committed {
		if _, err := db.Get(ctx, "a", id); err != nil {
			t.Errorf("record %s, committed: %v", id, err)
		}
	}
}

// firstFailure calls call until it fails, for at most a minute.
func firstFailure(t *testing.T, call func() error) error {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err := call(); err != nil {
			return err
		}
	}
	t.Fatal("calls still succeed a minute after the server was killed")
	return nil
}
