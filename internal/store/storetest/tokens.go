package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// digest is a valid Token.Digest made of one repeated hex digit.
func digest(c byte) string { return strings.Repeat(string(c), 64) }

func mustVersion(t *testing.T, s store.Store) int64 {
	t.Helper()
	v, err := s.TokensVersion(context.Background())
	if err != nil {
		t.Fatalf("TokensVersion: %v", err)
	}
	return v
}

func mustListTokens(t *testing.T, s store.Store) []store.Token {
	t.Helper()
	ts, err := s.ListTokens(context.Background())
	if err != nil {
		t.Fatalf("ListTokens: %v", err)
	}
	return ts
}

func testTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	if v := mustVersion(t, s); v != 0 {
		t.Fatalf("TokensVersion of an empty store = %d, want 0", v)
	}
	if ts := mustListTokens(t, s); len(ts) != 0 {
		t.Fatalf("ListTokens of an empty store = %v, want none", ts)
	}
	alice := store.Token{ID: "a1", Digest: digest('a'), Team: "payments", Label: "alice", CreatedAt: base}
	bob := store.Token{ID: "b2", Digest: digest('b'), Team: "payments", CreatedAt: base.Add(time.Second)}
	solo := store.Token{ID: "c3", Digest: digest('c'), CreatedAt: base.Add(time.Second)}
	v := mustVersion(t, s)
	for _, tok := range []store.Token{bob, solo, alice} {
		if err := s.AddToken(ctx, tok); err != nil {
			t.Fatalf("AddToken(%s): %v", tok.ID, err)
		}
		next := mustVersion(t, s)
		if next <= v {
			t.Fatalf("TokensVersion after AddToken = %d, want above %d", next, v)
		}
		v = next
	}
	checkTokens(t, mustListTokens(t, s), alice, bob, solo)

	at := base.Add(time.Hour)
	if err := s.RevokeToken(ctx, "b2", at); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	if next := mustVersion(t, s); next <= v {
		t.Fatalf("TokensVersion after RevokeToken = %d, want above %d", next, v)
	}
	// Revoking again succeeds and keeps the first time.
	if err := s.RevokeToken(ctx, "b2", at.Add(time.Hour)); err != nil {
		t.Fatalf("RevokeToken again: %v", err)
	}
	bob.RevokedAt = at
	checkTokens(t, mustListTokens(t, s), alice, bob, solo)
}

func checkTokens(t *testing.T, got []store.Token, want ...store.Token) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("ListTokens = %d tokens, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.ID != w.ID || g.Digest != w.Digest || g.Team != w.Team || g.Label != w.Label ||
			!g.CreatedAt.Equal(w.CreatedAt) || !g.RevokedAt.Equal(w.RevokedAt) || g.Revoked() != w.Revoked() {
			t.Errorf("token %d = %+v, want %+v", i, g, w)
		}
	}
}

func testTokenErrors(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.AddToken(ctx, store.Token{ID: "a1", Digest: digest('a')}); err != nil {
		t.Fatalf("AddToken: %v", err)
	}
	v := mustVersion(t, s)
	for _, tt := range []struct {
		name string
		tok  store.Token
		want error
	}{
		{"no id", store.Token{Digest: digest('b')}, store.ErrInvalid},
		{"no digest", store.Token{ID: "b2"}, store.ErrInvalid},
		{"short digest", store.Token{ID: "b2", Digest: "abc"}, store.ErrInvalid},
		{"upper-case digest", store.Token{ID: "b2", Digest: digest('B')}, store.ErrInvalid},
		{"not hex", store.Token{ID: "b2", Digest: digest('g')}, store.ErrInvalid},
		{"id taken", store.Token{ID: "a1", Digest: digest('b')}, store.ErrConflict},
		{"digest taken", store.Token{ID: "b2", Digest: digest('a')}, store.ErrConflict},
	} {
		if err := s.AddToken(ctx, tt.tok); !errors.Is(err, tt.want) {
			t.Errorf("AddToken %s = %v, want %v", tt.name, err, tt.want)
		}
	}
	if err := s.RevokeToken(ctx, "nope", time.Time{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeToken of an unknown id = %v, want ErrNotFound", err)
	}
	if got := mustVersion(t, s); got != v {
		t.Errorf("TokensVersion after refused changes = %d, want %d", got, v)
	}
	if ts := mustListTokens(t, s); len(ts) != 1 || ts[0].Revoked() || ts[0].CreatedAt.IsZero() {
		t.Errorf("ListTokens = %+v, want a1 alone, valid, with a creation time", ts)
	}
}
