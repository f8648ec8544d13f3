package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/cli"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
)

// TestTriggerJSONHasRecordID: trigger --json names the record of the delivery it sent,
// and trigger --list --json uses lower-case keys.
func TestTriggerJSONHasRecordID(t *testing.T) {
	e := newEnv(t, "flag", "github:s")
	var out struct {
		ID     string `json:"id"`
		Status int    `json:"status"`
	}
	if err := json.Unmarshal([]byte(e.cli(t, "trigger", "github", "push", "--name", "hook", "--secret", "s", "--json")), &out); err != nil {
		t.Fatal(err)
	}
	if rec := e.lastRecord(t); out.ID == "" || out.ID != rec.ID || out.Status != 200 {
		t.Fatalf("trigger --json: %+v, last record %s", out, rec.ID)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(e.cli(t, "trigger", "--list", "--json")), &list); err != nil || len(list) == 0 {
		t.Fatalf("trigger --list --json: %v", err)
	}
	for _, k := range []string{"provider", "event", "description", "path"} {
		if _, ok := list[0][k]; !ok {
			t.Fatalf("trigger --list --json lacks %q: %v", k, list[0])
		}
	}
}

// TestReplaySaysTheAppAnswered: a replay the app refuses with 400 reads as the app's
// answer, not as "400 ok", and a bulk replay counts it as failed.
func TestReplaySaysTheAppAnswered(t *testing.T) {
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, nil))
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad payload", http.StatusBadRequest)
	}))
	t.Cleanup(be.Close)
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "hook", Target: relaytest.Target(t, be.URL)})
	e := &env{srv: srv, url: srv.URL}
	resp, err := http.Post(srv.URL+"/t/hook/x", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := e.lastRecord(t).ID
	if out := e.cli(t, "replay", id); !strings.Contains(out, ": the app answered 400 Bad Request,") {
		t.Fatalf("replay output: %s", out)
	}
	out, err := e.cliErr("replay", "--name", "hook", "--since", "1h")
	if !strings.Contains(out, "Replayed 1 delivery: 0 ok, 1 failed") || !strings.Contains(out, "the app answered 400 Bad Request") {
		t.Fatalf("bulk replay output: %s", out)
	}
	if code := cli.ExitCode(err); code != cli.ExitPartial {
		t.Errorf("bulk replay with a failure: %v, exit code %d, want %d", err, code, cli.ExitPartial)
	}
}

// TestBadTokenReportedOnce: a refused token is printed once, by the client, and main
// adds nothing.
func TestBadTokenReportedOnce(t *testing.T) {
	srv := relaytest.StartServer(t, "", nil)
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string {
		return map[string]string{"HOOKRELAY_SERVER": srv.URL, "HOOKRELAY_TOKEN": "wrong-token"}[k]
	}
	err := run(context.Background(), []string{"http", "3000", "--inspect", "off"}, getenv, &stdout, &stderr)
	if err == nil {
		t.Fatal("a bad token must fail")
	}
	var exit bytes.Buffer
	cli.Exit(&exit, "relay-client", err)
	all := stdout.String() + stderr.String() + exit.String()
	if n := strings.Count(strings.ToLower(all), "token"); n != 1 {
		t.Fatalf("the token error is said %d times:\nstdout: %s\nstderr: %s\nexit: %q", n, stdout.String(), stderr.String(), exit.String())
	}
}
