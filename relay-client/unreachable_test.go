package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/proto"
)

// TestLocalUnreachableBody: when the app is not running, the public sender gets 502
// local_unreachable with the delivery's request_id, and nothing about the app's address.
func TestLocalUnreachableBody(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	appURL := "http://" + ln.Addr().String()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close() // nothing listens there now
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, nil))
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "hook", Target: relaytest.Target(t, appURL)})
	e := &env{srv: srv, url: srv.URL}
	resp, err := http.Post(srv.URL+"/t/hook/x", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var body struct {
		Error struct {
			Code      string `json:"code"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("body %q: %v", raw, err)
	}
	rec := e.lastRecord(t)
	if resp.StatusCode != 502 || body.Error.Code != string(proto.CodeLocalUnreachable) || body.Error.RequestID != rec.ID {
		t.Fatalf("answer %d %s (record %s)", resp.StatusCode, raw, rec.ID)
	}
	if strings.Contains(string(raw), port) || strings.Contains(string(raw), "127.0.0.1") || strings.Contains(string(raw), "localhost") {
		t.Fatalf("the public answer names the local app: %s", raw)
	}
}
