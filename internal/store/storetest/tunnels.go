package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

func mustGetTunnel(t *testing.T, s store.Store, name string) store.Tunnel {
	t.Helper()
	got, err := s.GetTunnel(context.Background(), name)
	if err != nil {
		t.Fatalf("GetTunnel(%q): %v", name, err)
	}
	return *got
}

func checkTunnel(t *testing.T, want, got store.Tunnel) {
	t.Helper()
	if got.Name != want.Name || got.Owner != want.Owner || got.Offline != want.Offline ||
		got.QueueStatus != want.QueueStatus || !got.CreatedAt.Equal(want.CreatedAt) ||
		!got.LastSeen.Equal(want.LastSeen) {
		t.Errorf("tunnel = %+v, want %+v", got, want)
	}
}

func testTunnels(t *testing.T, s store.Store) {
	ctx := context.Background()
	first := store.Tunnel{Name: "shop", Owner: "owner-a", CreatedAt: base, LastSeen: base}
	mustClaim(t, s, first)
	first.Offline = store.OfflineReject // the default
	checkTunnel(t, first, mustGetTunnel(t, s, "shop"))

	// Reclaiming by the owner updates settings and LastSeen, not CreatedAt.
	re := store.Tunnel{Name: "shop", Owner: "owner-a", Offline: store.OfflineQueue, QueueStatus: 202,
		CreatedAt: base.Add(time.Hour), LastSeen: base.Add(time.Hour)}
	mustClaim(t, s, re)
	re.CreatedAt = base
	checkTunnel(t, re, mustGetTunnel(t, s, "shop"))

	// Another owner cannot take it, and the attempt changes nothing.
	steal := store.Tunnel{Name: "shop", Owner: "owner-b", LastSeen: base.Add(2 * time.Hour)}
	if err := s.ClaimTunnel(ctx, steal); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("ClaimTunnel by another owner = %v, want ErrConflict", err)
	}
	checkTunnel(t, re, mustGetTunnel(t, s, "shop"))

	if err := s.TouchTunnel(ctx, "shop", base.Add(3*time.Hour)); err != nil {
		t.Fatalf("TouchTunnel: %v", err)
	}
	re.LastSeen = base.Add(3 * time.Hour)
	checkTunnel(t, re, mustGetTunnel(t, s, "shop"))

	mustClaim(t, s, store.Tunnel{Name: "api", Owner: "owner-a"})
	mustClaim(t, s, store.Tunnel{Name: "blog", Owner: "owner-b"})
	for _, tt := range []struct {
		owner string
		want  []string
	}{{"owner-a", []string{"api", "shop"}}, {"owner-b", []string{"blog"}}, {"", []string{"api", "blog", "shop"}}, {"nobody", nil}} {
		ts, err := s.ListTunnels(ctx, tt.owner)
		if err != nil {
			t.Fatalf("ListTunnels(%q): %v", tt.owner, err)
		}
		var names []string
		for _, tn := range ts {
			names = append(names, tn.Name)
		}
		if !slices.Equal(names, tt.want) {
			t.Errorf("ListTunnels(%q) = %v, want %v", tt.owner, names, tt.want)
		}
	}
	if api := mustGetTunnel(t, s, "api"); api.CreatedAt.IsZero() || api.LastSeen.IsZero() {
		t.Errorf("claim without times left them zero: %+v", api)
	}
}

func testTunnelErrors(t *testing.T, s store.Store) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"claim without name", func() error { return s.ClaimTunnel(ctx, store.Tunnel{Owner: "o"}) }, store.ErrInvalid},
		{"claim without owner", func() error { return s.ClaimTunnel(ctx, store.Tunnel{Name: "n"}) }, store.ErrInvalid},
		{"claim bad offline mode", func() error {
			return s.ClaimTunnel(ctx, store.Tunnel{Name: "n", Owner: "o", Offline: "drop"})
		}, store.ErrInvalid},
		{"get unknown", func() error { _, err := s.GetTunnel(ctx, "nope"); return err }, store.ErrNotFound},
		{"touch unknown", func() error { return s.TouchTunnel(ctx, "nope", base) }, store.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}
