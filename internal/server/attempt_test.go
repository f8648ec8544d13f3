package server_test

import (
	"context"
	"net"
	"net/http"
	"testing"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/proto"
)

// closedTarget is an address nothing listens on.
func closedTarget(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// Every delivery that reaches a client records one attempt, with the client's label (its
// token's), the role the delivery played, the app's status, a duration and the error:
// live traffic as "primary", a replay as "replay", a queued delivery as "queue". One that
// reached no client has none.
func TestDeliveryAttemptsRecorded(t *testing.T) {
	const token = "labelled-token"
	ctx := context.Background()
	srv := relaytest.StartServer(t, "", relaytest.Chain(relaytest.WithStore(t, nil), func(c *server.Config) {
		if err := c.Tokens.AddMember(token, "", "ana"); err != nil {
			t.Fatal(err)
		}
	}))
	app := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusCreated) }))
	tunnels := []client.Tunnel{{Name: "hook", Target: relaytest.Target(t, app), Offline: proto.OfflineQueue},
		{Name: "down", Target: relaytest.Target(t, closedTarget(t))}}
	cl := relaytest.StartClient(t, srv.URL, token, tunnels...)
	c := apiClient(t, srv, token)
	check := func(what, id string, want api.Try) {
		t.Helper()
		rec := waitRecord(t, c, id, func(r *api.Record) bool { return len(r.Tries) > 0 })
		got := rec.Tries[0]
		if len(rec.Tries) != 1 || got.N != 1 || got.Label != want.Label || got.Role != want.Role ||
			got.Status != want.Status || got.Error != want.Error || got.DurationMS < 0 || got.At.IsZero() {
			t.Errorf("%s: tries %+v, want one like %+v", what, rec.Tries, want)
		}
	}

	post(t, srv.URL+"/t/hook/live", "{}")
	live := lastID(t, c, "hook")
	check("live delivery", live, api.Try{Label: "ana", Role: "primary", Status: http.StatusCreated})

	post(t, srv.URL+"/t/down/x", "{}")
	check("delivery to an app that is down", lastID(t, c, "down"),
		api.Try{Label: "ana", Role: "primary", Status: http.StatusBadGateway, Error: string(proto.CodeLocalUnreachable)})

	rep, err := c.Replay(ctx, live, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Tries) != 1 || rep.Tries[0].Role != "replay" {
		t.Errorf("replay answered with tries %+v, want its replay attempt", rep.Tries)
	}
	check("replay", rep.ID, api.Try{Label: "ana", Role: "replay", Status: http.StatusCreated})

	_ = cl.Stop()
	waitOffline(t, c, "hook")
	if resp := post(t, srv.URL+"/t/hook/later", "{}"); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("queue: status %d", resp.StatusCode)
	}
	queued := lastID(t, c, "hook")
	if rec, err := c.Get(ctx, queued); err != nil || len(rec.Tries) != 0 {
		t.Errorf("a queued delivery no client got yet: tries %+v, %v; want none", rec.Tries, err)
	}
	relaytest.StartClient(t, srv.URL, token, tunnels...)
	check("queued delivery", queued, api.Try{Label: "ana", Role: "queue", Status: http.StatusCreated})
}
