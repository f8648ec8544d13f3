package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
)

// Two `relay-client http` runs of one token share a tunnel: each keeps a client id in
// its config dir, both print who is attached, and a replay picks its receiver by label.
func TestHTTPSharedTunnel(t *testing.T) {
	srv := relaytest.StartServer(t, "", relaytest.Chain(relaytest.WithStore(t, nil),
		func(c *server.Config) { c.SessionRate, c.SessionBurst = 100, 100 }))
	env := func(home string) func(string) string {
		return func(k string) string {
			return map[string]string{"HOOKRELAY_SERVER": srv.URL, "HOOKRELAY_TOKEN": relaytest.Token, "HOME": home}[k]
		}
	}
	homes := [2]string{t.TempDir(), t.TempDir()}
	outs := [2]*lines{{ch: make(chan string, 64)}, {ch: make(chan string, 64)}}
	hits := [2]chan string{make(chan string, 8), make(chan string, 8)}
	for i, label := range []string{"alice", "bob"} {
		be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits[i] <- r.URL.Path
			io.WriteString(w, label)
		}))
		t.Cleanup(be.Close)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"http", be.URL, "--name", "shared", "--inspect", "off", "--label", label},
				env(homes[i]), outs[i], io.Discard)
		}()
		t.Cleanup(func() { cancel(); <-done })
		waitLine(t, outs[i].ch, "Forwarding")
	}
	waitLine(t, outs[1].ch, "Clients on shared (mirror): alice (primary), bob (mirror, you)")
	ids := [2]string{}
	for i, h := range homes {
		b, err := os.ReadFile(filepath.Join(h, ".config", clientIDFile))
		if err != nil {
			t.Fatalf("client id file: %v", err)
		}
		ids[i] = strings.TrimSpace(string(b))
	}
	if ids[0] == ids[1] || checkClientID(ids[0]) != nil {
		t.Fatalf("client ids %q", ids)
	}
	resp, err := http.Post(srv.URL+"/t/shared/first", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	id := resp.Header.Get("X-Hookrelay-Request-Id")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "alice" {
		t.Fatalf("answered by %q", body)
	}
	<-hits[0]
	<-hits[1] // the mirror's copy
	if id == "" {
		list := replayOut(t, env(homes[0]), "requests", "--name", "shared")
		id = strings.Fields(list[strings.Index(list, "\n")+1:])[0]
	}
	replayOut(t, env(homes[0]), "replay", id, "--to-client", "bob")
	if p := <-hits[1]; p != "/first" {
		t.Errorf("bob got %s", p)
	}
	select {
	case p := <-hits[0]:
		t.Errorf("alice got the replay to bob: %s", p)
	default:
	}
}

func replayOut(t *testing.T, getenv func(string) string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if err := run(context.Background(), args, getenv, &out, &errb); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, errb.String())
	}
	return out.String()
}

var clientIDCases = []struct {
	in string
	ok bool
}{
	{"3f9a0c1d2e4b5a6978c0d1e2", true}, {"laptop-1", true}, {"", false}, {"a b", false},
	{"caf\u00e9", false}, {strings.Repeat("x", 64), true}, {strings.Repeat("x", 65), false},
}

func TestCheckClientID(t *testing.T) {
	for _, c := range clientIDCases {
		if err := checkClientID(c.in); (err == nil) != c.ok {
			t.Errorf("checkClientID(%q) = %v", c.in, err)
		}
	}
}

func FuzzCheckClientID(f *testing.F) {
	for _, c := range clientIDCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if checkClientID(s) != nil {
			return
		}
		if s == "" || len(s) > 64 || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r > '~' }) {
			t.Fatalf("%q passed", s)
		}
	})
}

// The id is made once and then read back; a damaged file is an error naming it.
func TestLoadClientID(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hookrelay", "client-id")
	first, err := loadClientID(path)
	if err != nil || checkClientID(first) != nil {
		t.Fatalf("first run: %q, %v", first, err)
	}
	again, err := loadClientID(path)
	if err != nil || again != first {
		t.Fatalf("second run: %q, %v; want %q", again, err, first)
	}
	if err := os.WriteFile(path, []byte("two words\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadClientID(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("damaged file: %v", err)
	}
	g := &globals{getenv: func(string) string { return "" }, stderr: io.Discard}
	if id, err := g.clientID(""); err != nil || checkClientID(id) != nil {
		t.Errorf("no config dir: %q, %v", id, err)
	}
	if id, err := g.clientID("given"); err != nil || id != "given" {
		t.Errorf("--client-id: %q, %v", id, err)
	}
}
