package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/store/postgres"
)

// TestNotifyListen: a payload sent through one handle reaches a listener on another
// handle of the same schema, byte for byte, and never one on another schema.
func TestNotifyListen(t *testing.T) {
	dsn := pgtest.Schema(t)
	a, b := mustOpen(t, dsn, postgres.Options{}), mustOpen(t, dsn, postgres.Options{})
	other := mustOpen(t, pgtest.Schema(t), postgres.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got, stray := make(chan string, 16), make(chan string, 16)
	go b.Listen(ctx, "test", func(p string) { got <- p })
	go other.Listen(ctx, "test", func(p string) { stray <- p })
	payload := "ünïcode \x01 \"quoted\""
	for i := 0; ; i++ { // the listeners need a moment to LISTEN: send until one hears
		if i == 100 {
			t.Fatal("no notification reached the listener")
		}
		if err := a.Notify(ctx, "test", payload); err != nil {
			t.Fatal(err)
		}
		select {
		case p := <-got:
			if p != payload {
				t.Fatalf("payload %q, want %q", p, payload)
			}
			select {
			case p := <-stray:
				t.Fatalf("a listener on another schema heard %q", p)
			case <-time.After(200 * time.Millisecond):
			}
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}
