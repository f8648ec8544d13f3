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
)

func TestWebsocketThroughTunnel(t *testing.T) {
	srv := relaytest.StartServer(t, "", nil)
	echo := httpServer(t, http.HandlerFunc(wsEcho))
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

// wsEcho upgrades to a websocket and echoes every message until the peer goes.
func wsEcho(w http.ResponseWriter, r *http.Request) {
	var up websocket.Upgrader
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
}
