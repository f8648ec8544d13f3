package server_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/proto"
)

func TestWebsocketThroughTunnel(t *testing.T) {
	srv := relaytest.StartServer(t, "", nil)
	up := websocket.Upgrader{}
	echo := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			typ, msg, err := ws.ReadMessage()
			if err != nil || ws.WriteMessage(typ, msg) != nil {
				return
			}
		}
	}))
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "ws", Target: relaytest.Target(t, echo)})
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/t/ws/socket"
	ws, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
	if err != nil {
		t.Fatalf("dial through tunnel: %v", err)
	}
	defer ws.Close()
	for i := range 20 {
		msg := fmt.Sprintf("hello %d %s", i, strings.Repeat("z", i*1000))
		if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		_, got, err := ws.ReadMessage()
		if err != nil || string(got) != msg {
			t.Fatalf("echo %d: got %d bytes, err %v", i, len(got), err)
		}
	}
}

func TestServerSentEventsStream(t *testing.T) {
	srv := relaytest.StartServer(t, "", nil)
	next := make(chan struct{})
	sse := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			fmt.Fprintf(w, "data: event %d\n\n", i)
			w.(http.Flusher).Flush()
			select {
			case <-next:
			case <-r.Context().Done():
				return
			}
		}
	}))
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "sse", Target: relaytest.Target(t, sse)})
	resp := mustDo(t, mustRequest(t, "GET", srv.URL+"/t/sse/events", nil))
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for i := range 3 {
		line, err := br.ReadString('\n')
		if err != nil || line != fmt.Sprintf("data: event %d\n", i) {
			t.Fatalf("event %d: got %q, %v (events must arrive before the stream ends)", i, line, err)
		}
		_, _ = br.ReadString('\n')
		next <- struct{}{}
	}
}

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

// TestWebsocketRecordedAsUpgraded: a websocket session that worked is recorded with the
// app's 101 and its headers, outcome ok, once it ends.
func TestWebsocketRecordedAsUpgraded(t *testing.T) {
	srv, _, _, _, _ := recordSetup(t, nil, "")
	c := apiClient(t, srv, relaytest.Token)
	up := websocket.Upgrader{}
	echo := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, http.Header{"X-App": {"yes"}})
		if err != nil {
			return
		}
		defer ws.Close()
		typ, msg, err := ws.ReadMessage()
		if err == nil {
			_ = ws.WriteMessage(typ, msg)
		}
	}))
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "ws", Target: relaytest.Target(t, echo)})
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/t/ws/socket", nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = ws.WriteMessage(websocket.TextMessage, []byte("hi"))
	if _, got, err := ws.ReadMessage(); err != nil || string(got) != "hi" {
		t.Fatalf("echo: %q %v", got, err)
	}
	ws.Close()
	deadline := time.Now().Add(time.Minute)
	for {
		page, err := c.List(context.Background(), store.Filter{Tunnel: "ws", Limit: 1})
		if err == nil && len(page.Requests) == 1 && page.Requests[0].Outcome != store.OutcomePending {
			rec, err := c.Get(context.Background(), page.Requests[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Status != 101 || rec.Outcome != store.OutcomeOK || header(rec.Response.Headers, "X-App") != "yes" {
				t.Fatalf("websocket record: status %d outcome %s error %q headers %v", rec.Status, rec.Outcome, rec.ErrorCode, rec.Response.Headers)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the websocket record never completed: %v %+v", err, page)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
