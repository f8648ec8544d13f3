// Package sessiontest is the conformance suite of inspect.SessionStore: every
// implementation runs Run on a fresh store. It waits on the real clock (about a
// second) because a shared store expires sessions by its server's clock, which a test
// cannot move.
package sessiontest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/inspect"
)

// Run checks the store open returns; each subtest opens its own.
func Run(t *testing.T, open func(t *testing.T) inspect.SessionStore) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, s inspect.SessionStore)
	}{
		{"CreateGet", createGet},
		{"DistinctSessions", distinct},
		{"Delete", deleteSession},
		{"Unknown", unknown},
		{"Expiry", expiry},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// subject holds what a subject may: spaces, a newline, non-ASCII.
const subject = "tok_1 team:ops\nü"

func mustCreate(t *testing.T, s inspect.SessionStore, subject string, ttl time.Duration) inspect.Session {
	t.Helper()
	ss, err := s.Create(context.Background(), subject, ttl)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return ss
}

func createGet(t *testing.T, s inspect.SessionStore) {
	before := time.Now()
	made := mustCreate(t, s, subject, time.Hour)
	if len(made.ID) < 32 || len(made.CSRF) < 32 || made.ID == made.CSRF || made.Subject != subject {
		t.Fatalf("created %+v: want a long ID and CSRF token and the subject", made)
	}
	// The store may expire by another clock (a database server's): allow a minute.
	if lo, hi := before.Add(time.Hour-time.Minute), time.Now().Add(time.Hour+time.Minute); made.Expires.Before(lo) || made.Expires.After(hi) {
		t.Errorf("expires %v, want about an hour from now", made.Expires)
	}
	got, err := s.Get(context.Background(), made.ID)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.ID != made.ID || got.Subject != subject || got.CSRF != made.CSRF || !got.Expires.Equal(made.Expires) {
		t.Errorf("get = %+v, want %+v", got, made)
	}
}

func distinct(t *testing.T, s inspect.SessionStore) {
	a, b := mustCreate(t, s, "a", time.Hour), mustCreate(t, s, "b", time.Hour)
	if a.ID == b.ID || a.CSRF == b.CSRF {
		t.Fatalf("two sessions share an ID or CSRF token: %+v %+v", a, b)
	}
	for _, want := range []inspect.Session{a, b} {
		got, err := s.Get(context.Background(), want.ID)
		if err != nil || got.Subject != want.Subject || got.CSRF != want.CSRF {
			t.Errorf("get %s = %+v, %v; want subject %q", want.Subject, got, err, want.Subject)
		}
	}
}

func deleteSession(t *testing.T, s inspect.SessionStore) {
	gone, kept := mustCreate(t, s, "gone", time.Hour), mustCreate(t, s, "kept", time.Hour)
	ctx := context.Background()
	if err := s.Delete(ctx, gone.ID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := s.Get(ctx, gone.ID); !errors.Is(err, inspect.ErrNoSession) {
		t.Errorf("get after delete = %v, want ErrNoSession", err)
	}
	if got, err := s.Get(ctx, kept.ID); err != nil || got.Subject != "kept" {
		t.Errorf("the other session: %+v, %v", got, err)
	}
	if err := s.Delete(ctx, gone.ID); err != nil {
		t.Errorf("second delete = %v, want nil", err)
	}
}

func unknown(t *testing.T, s inspect.SessionStore) {
	made := mustCreate(t, s, subject, time.Hour)
	for _, id := range []string{"", "nope", made.CSRF, made.ID + "x", made.ID[:len(made.ID)-1]} {
		if _, err := s.Get(context.Background(), id); !errors.Is(err, inspect.ErrNoSession) {
			t.Errorf("get %q = %v, want ErrNoSession", id, err)
		}
	}
}

func expiry(t *testing.T, s inspect.SessionStore) {
	short := mustCreate(t, s, "short", 300*time.Millisecond)
	long := mustCreate(t, s, "long", time.Hour)
	time.Sleep(time.Second)
	if _, err := s.Get(context.Background(), short.ID); !errors.Is(err, inspect.ErrNoSession) {
		t.Errorf("get of an expired session = %v, want ErrNoSession", err)
	}
	mustCreate(t, s, "after", time.Hour) // may sweep expired sessions
	if _, err := s.Get(context.Background(), long.ID); err != nil {
		t.Errorf("get of a live session after another expired: %v", err)
	}
}
