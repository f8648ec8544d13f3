package server_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/proto"
)

// TestClientGoneAndBack: a stopped client makes its tunnel answer 503 at once; a new
// client with the same token and name serves the same URL again.
func TestClientGoneAndBack(t *testing.T) {
	srv, be, cl := setup(t)
	url := srv.URL + "/t/myapp/ping"
	if resp := mustDo(t, mustRequest(t, "GET", url, nil)); resp.StatusCode != 200 {
		t.Fatalf("before: status %d", resp.StatusCode)
	}
	cl.Stop()
	deadline := time.Now().Add(time.Second)
	for {
		resp := mustDo(t, mustRequest(t, "GET", url, nil))
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get(proto.HeaderError) == string(proto.CodeTunnelOffline) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %d a second after the client stopped", resp.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "myapp", Target: relaytest.Target(t, be.URL)})
	if resp := mustDo(t, mustRequest(t, "GET", url, nil)); resp.StatusCode != 200 {
		t.Fatalf("after restart: status %d", resp.StatusCode)
	}
}

// TestServerRestart: the client notices the server went away and is back within 5 s of
// the server listening again, on the same name.
func TestServerRestart(t *testing.T) {
	srv := relaytest.StartServer(t, "", nil)
	be := backend(t)
	cl := relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Target: relaytest.Target(t, be.URL)})
	name := cl.Names()[0]
	srv.Stop()
	srv2 := relaytest.StartServer(t, srv.Addr, nil)
	start := time.Now()
	select {
	case w := <-cl.Welcomes:
		if w.Tunnels[0].Name != name {
			t.Fatalf("reconnected as %q, want the same name %q", w.Tunnels[0].Name, name)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("client not back within 5s of the server restart")
	}
	t.Logf("client back %v after the server restarted", time.Since(start))
	if resp := mustDo(t, mustRequest(t, "GET", srv2.URL+"/t/"+name+"/x", nil)); resp.StatusCode != 200 {
		t.Fatalf("after reconnect: status %d", resp.StatusCode)
	}
}

// TestSameTokenReplacesSession: a second client with the same token and name takes the
// tunnel over; the first one is told and stops.
func TestSameTokenReplacesSession(t *testing.T) {
	srv, _, first := setup(t)
	be2 := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(299) }))
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "myapp", Target: relaytest.Target(t, be2)})
	select {
	case <-first.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("replaced client still running")
	}
	if resp := mustDo(t, mustRequest(t, "GET", srv.URL+"/t/myapp/", nil)); resp.StatusCode != 299 {
		t.Fatalf("status %d, want 299 from the new client's app", resp.StatusCode)
	}
}

func TestManyTunnels(t *testing.T) {
	srv := relaytest.StartServer(t, "", nil)
	be := backend(t)
	const clients, perClient = 10, 5
	for i := range clients {
		var ts []client.Tunnel
		for j := range perClient {
			ts = append(ts, client.Tunnel{Name: fmt.Sprintf("t%d-%d", i, j), Target: relaytest.Target(t, be.URL)})
		}
		relaytest.StartClient(t, srv.URL, relaytest.Token, ts...)
	}
	for i := range clients {
		for j := range perClient {
			path := fmt.Sprintf("/t/t%d-%d/p", i, j)
			if s := decodeSeen(t, mustDo(t, mustRequest(t, "GET", srv.URL+path, nil))); s.URI != "/p" {
				t.Fatalf("%s reached %q", path, s.URI)
			}
		}
	}
	if got := srv.Stats().Tunnels; got != clients*perClient {
		t.Fatalf("online tunnels = %d, want %d", got, clients*perClient)
	}
}
