package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/inspect"
	"github.com/hookrelay/hookrelay/internal/inspect/sessiontest"
	"github.com/hookrelay/hookrelay/internal/pgtest"
)

func TestInspectorSessionsConformance(t *testing.T) {
	sessiontest.Run(t, func(t *testing.T) inspect.SessionStore {
		return openTest(t, pgtest.Schema(t), Options{}).InspectorSessions()
	})
}

// TestInspectorSessionsShared: a session created through one handle is seen
// through another on the same schema, and ends for both when either deletes
// it. The table holds the ID's hash, not the ID.
func TestInspectorSessionsShared(t *testing.T) {
	dsn := pgtest.Schema(t)
	a, b := openTest(t, dsn, Options{}), openTest(t, dsn, Options{})
	ctx := context.Background()
	made, err := a.InspectorSessions().Create(ctx, "tok_1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.InspectorSessions().Get(ctx, made.ID)
	if err != nil || got.Subject != "tok_1" || got.CSRF != made.CSRF {
		t.Fatalf("get through the other handle = %+v, %v", got, err)
	}
	var hashed, plain int
	if err := a.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE id_hash = sha256(convert_to($1, 'UTF8'))),
		count(*) FILTER (WHERE id_hash = convert_to($1, 'UTF8') OR subject = $1 OR csrf = $1)
		FROM inspector_sessions`, made.ID).Scan(&hashed, &plain); err != nil || hashed != 1 || plain != 0 {
		t.Fatalf("rows keyed by the ID's hash = %d, rows holding the ID = %d, %v; want 1, 0", hashed, plain, err)
	}
	if err := b.InspectorSessions().Delete(ctx, made.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.InspectorSessions().Get(ctx, made.ID); !errors.Is(err, inspect.ErrNoSession) {
		t.Errorf("get after the other handle deleted = %v, want ErrNoSession", err)
	}
}

// BenchmarkInspectorSessions measures the read every inspector request makes.
func BenchmarkInspectorSessions(b *testing.B) {
	s := openTest(b, pgtest.Schema(b), Options{}).InspectorSessions()
	ctx := context.Background()
	made, err := s.Create(ctx, "tok_1", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Get(ctx, made.ID); err != nil {
			b.Fatal(err)
		}
	}
}
