package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
)

// relay-client release gives up a name of the token: refused while a client serves it,
// done once none does, and a name it no longer holds is not found.
func TestReleaseCommand(t *testing.T) {
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, nil))
	cl := relaytest.StartClient(t, srv.URL, relaytest.Token,
		client.Tunnel{Name: "gone", Target: relaytest.Target(t, "http://127.0.0.1:1")})
	release := func() (string, error) {
		var out, errb bytes.Buffer
		getenv := func(k string) string {
			return map[string]string{"HOOKRELAY_SERVER": srv.URL, "HOOKRELAY_TOKEN": relaytest.Token}[k]
		}
		err := run(context.Background(), []string{"release", "gone"}, getenv, &out, &errb)
		return out.String(), err
	}
	if _, err := release(); err == nil || !strings.Contains(err.Error(), "tunnel_online") {
		t.Fatalf("release while served: %v, want tunnel_online", err)
	}
	_ = cl.Stop()
	var out string
	var err error
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if out, err = release(); err == nil || !strings.Contains(err.Error(), "tunnel_online") {
			break
		}
	}
	if err != nil || out != "released tunnel name gone\n" {
		t.Fatalf("release after the client stopped: %q, %v", out, err)
	}
	if _, err := release(); err == nil || !strings.Contains(err.Error(), "not_found") {
		t.Errorf("second release: %v, want not_found", err)
	}
}
