package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store"
)

// fakeTunnels is an in-memory tunnelClaimer.
type fakeTunnels struct {
	owners map[string]string
	err    error
}

func (f *fakeTunnels) GetTunnel(_ context.Context, name string) (*store.Tunnel, error) {
	if f.err != nil {
		return nil, f.err
	}
	if o, ok := f.owners[name]; ok {
		return &store.Tunnel{Name: name, Owner: o}, nil
	}
	return nil, store.ErrNotFound
}

func (f *fakeTunnels) ClaimTunnel(_ context.Context, t store.Tunnel) error {
	f.owners[t.Name] = t.Owner
	return nil
}

func TestSeedReservations(t *testing.T) {
	tests := []struct {
		name   string
		before map[string]string
		err    error
		after  map[string]string
		logged string
	}{
		{name: "claims free names", before: map[string]string{},
			after: map[string]string{"a": "o1", "b": "o2"}},
		{name: "keeps own names", before: map[string]string{"a": "o1"},
			after: map[string]string{"a": "o1", "b": "o2"}},
		{name: "warns about names owned by others", before: map[string]string{"b": "o9"},
			after: map[string]string{"a": "o1", "b": "o9"}, logged: "owned by another token"},
		{name: "store down", before: map[string]string{}, err: store.ErrUnavailable, after: map[string]string{}},
	}
	res := []reservation{{name: "a", owner: "o1"}, {name: "b", owner: "o2"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log strings.Builder
			f := &fakeTunnels{owners: tt.before, err: tt.err}
			err := seedReservations(context.Background(), f, res, slog.New(slog.NewTextHandler(&log, nil)))
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if len(f.owners) != len(tt.after) {
				t.Errorf("owners %v, want %v", f.owners, tt.after)
			}
			for k, v := range tt.after {
				if f.owners[k] != v {
					t.Errorf("owners %v, want %v", f.owners, tt.after)
				}
			}
			if !strings.Contains(log.String(), tt.logged) {
				t.Errorf("log %q lacks %q", log.String(), tt.logged)
			}
		})
	}
}

// TestDevReservedNameAndMetrics runs a --dev server (plain HTTP, so the real relay
// client can connect) with a reserved name: another token cannot take it, its owner
// can, and a delivery through it shows up on /metrics.
func TestDevReservedNameAndMetrics(t *testing.T) {
	const owner, other = "hr_owner_token", "hr_other_token"
	cfgFile := writeFile(t, "relay.yaml", []byte("tokens:\n  - "+other+"\n  - token: "+
		server.HashToken(owner)+"\n    names: [hooks]\n"))
	r := startRelay(t, "--dev", "--config", cfgFile, "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0")
	if strings.Contains(r.out.String(), "dev token") {
		t.Error("a dev token was generated although tokens are configured")
	}
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "handled")
	}))
	t.Cleanup(app.Close)
	tunnel := client.Tunnel{Name: "hooks", Target: relaytest.Target(t, app.URL)}

	thief := relaytest.RunClient(t, r.PublicURL, other, tunnel)
	select {
	case <-thief.Done():
		if !errors.Is(thief.Err(), client.ErrPermanent) || !strings.Contains(thief.Err().Error(), "name_taken") {
			t.Errorf("other token: %v, want a permanent name_taken", thief.Err())
		}
	case <-time.After(startTimeout):
		t.Fatal("the other token's client neither failed nor stopped")
	}

	relaytest.StartClient(t, r.PublicURL, owner, tunnel)
	resp, body := do(t, http.DefaultClient, http.MethodPost, r.PublicURL+"/t/hooks/event", `{"n":1}`)
	if resp.StatusCode != http.StatusOK || body != "handled" {
		t.Fatalf("delivery: %s %q", resp.Status, body)
	}
	assertAdmin(t, r.AdminAddr, []string{
		`hookrelay_requests_total{code="",status="200",tunnel="hooks"} 1`,
		`hookrelay_request_bytes_total{tunnel="hooks"} 7`,
		`hookrelay_response_bytes_total{tunnel="hooks"} 7`,
		"hookrelay_connected_clients 1",
		"hookrelay_online_tunnels 1",
		"hookrelay_queue_depth 0",
	})
}
