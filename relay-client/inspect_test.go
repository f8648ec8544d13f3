package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/relaytest"
)

func TestInspectAddrCheck(t *testing.T) {
	tests := []struct {
		addr, password string
		enabled, ok    bool
	}{
		{"127.0.0.1:4040", "", true, true},
		{"localhost:0", "", true, true},
		{"[::1]:4040", "", true, true},
		{"false", "", false, true},
		{"off", "", false, true},
		{"", "", false, true},
		{"0.0.0.0:4040", "", true, false},
		{":4040", "", true, false},
		{"192.0.2.10:4040", "", true, false},
		{"myhost:4040", "", true, false},
		{"0.0.0.0:4040", "s3cret", true, true},
		{"4040", "", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			o := inspectOptions{addr: tt.addr, password: tt.password}
			if o.enabled() != tt.enabled {
				t.Fatalf("enabled() = %v, want %v", o.enabled(), tt.enabled)
			}
			if err := o.check(); (err == nil) != tt.ok {
				t.Fatalf("check() = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

// lines is a goroutine-safe writer that hands out complete lines.
type lines struct {
	mu  sync.Mutex
	buf strings.Builder
	ch  chan string
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		s := l.buf.String()
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			return len(p), nil
		}
		select {
		case l.ch <- s[:i]:
		default:
		}
		l.buf.Reset()
		l.buf.WriteString(s[i+1:])
	}
}

// TestHTTPServesInspector runs `relay-client http` with --inspect on a free loopback port
// and reads the tunnel's delivery in the inspector.
func TestHTTPServesInspector(t *testing.T) {
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, nil))
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }))
	t.Cleanup(be.Close)
	out := &lines{ch: make(chan string, 64)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"http", be.URL, "--name", "insp", "--inspect", "127.0.0.1:0"},
			func(k string) string {
				return map[string]string{"HOOKRELAY_SERVER": srv.URL, "HOOKRELAY_TOKEN": relaytest.Token}[k]
			}, out, io.Discard)
	}()
	t.Cleanup(func() { cancel(); <-done })
	inspector := waitLine(t, out.ch, "Inspector: ")
	waitLine(t, out.ch, "Forwarding")
	resp, err := http.Post(srv.URL+"/t/insp/from-cli", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	page := fetch(t, inspector)
	if !strings.Contains(page, "/from-cli") || !strings.Contains(page, `class="state state-online"`) {
		t.Fatalf("inspector page lacks the delivery or the online state:\n%s", page)
	}
}

func waitLine(t *testing.T, ch <-chan string, prefix string) string {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case l := <-ch:
			if rest, ok := strings.CutPrefix(l, prefix); ok {
				return rest
			}
			if strings.Contains(l, prefix) {
				return l
			}
		case <-deadline:
			t.Fatalf("no %q line within 15s", prefix)
		}
	}
}

func fetch(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
