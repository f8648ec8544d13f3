package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
	"github.com/hookrelay/hookrelay/internal/store/sqlite/sqlitetest"
	"github.com/hookrelay/hookrelay/proto"
)

// attemptStore is a real SQLite store that also keeps the attempts the server adds, as
// a store with attempts does.
type attemptStore struct {
	*sqlite.DB
	mu       sync.Mutex
	attempts map[string][]store.Attempt
	writes   map[string]int // AddAttempt calls a record
}

func (s *attemptStore) AddAttempt(ctx context.Context, id string, as ...store.Attempt) error {
	if err := s.DB.AddAttempt(ctx, id, as...); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts[id] = append(s.attempts[id], as...)
	s.writes[id]++
	return nil
}

// count is how many attempts of record id were added.
func (s *attemptStore) count(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.attempts[id])
}

// writesOf is how many AddAttempt calls recorded the attempts of record id.
func (s *attemptStore) writesOf(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes[id]
}

func (s *attemptStore) of(id string) []store.Attempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]store.Attempt(nil), s.attempts[id]...)
}

// waitAttempts waits until record id has n attempts and returns them.
func (s *attemptStore) waitAttempts(tb testing.TB, id string, n int) []store.Attempt {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if as := s.of(id); len(as) >= n {
			return as
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatalf("record %s: attempts %+v, want %d", id, s.of(id), n)
	return nil
}

// shareServer starts a server recording into SQLite with attempts, its session-open
// rates lifted for tests that attach many clients quickly.
func shareServer(tb testing.TB, mutate func(*server.Config)) (*relaytest.Server, *attemptStore) {
	st := &attemptStore{attempts: make(map[string][]store.Attempt), writes: make(map[string]int)}
	srv := relaytest.StartServer(tb, "", relaytest.Chain(func(c *server.Config) {
		st.DB = sqlitetest.MustOpen(tb)
		c.Store = st
		c.SessionRate, c.SessionBurst, c.SourceSessionRate, c.SourceSessionBurst = 1000, 1000, 1000, 1000
		c.SessionsPerToken = proto.MaxClientsPerTunnel
		c.SourceRate, c.TunnelRate = 1e6, 1e6
	}, mutate))
	return srv, st
}

// app is the local app of one client: it answers with its name and counts what it got.
type app struct {
	name  string
	url   string
	delay time.Duration // how long it takes to answer
	hits  atomic.Int64
	mu    sync.Mutex
	ids   []string    // request ids received, in order
	ended []time.Time // when each answer was finished
}

func newApp(tb testing.TB, name string, delay time.Duration) *app {
	a := &app{name: name, delay: delay}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		a.hits.Add(1)
		a.mu.Lock()
		a.ids = append(a.ids, r.Header.Get(proto.HeaderRequestID))
		a.mu.Unlock()
		time.Sleep(a.delay)
		w.Header().Set("X-App", a.name)
		w.Header().Set("X-Seen-Id", r.Header.Get(proto.HeaderRequestID))
		_, _ = io.WriteString(w, a.name)
		a.mu.Lock()
		a.ended = append(a.ended, time.Now())
		a.mu.Unlock()
	}))
	tb.Cleanup(srv.Close)
	a.url = srv.URL
	return a
}

func (a *app) got(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, x := range a.ids {
		if x == id {
			return true
		}
	}
	return false
}

// waitGot waits until the app received request id.
func (a *app) waitGot(tb testing.TB, id string) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if a.got(id) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	tb.Fatalf("app %s never got %s", a.name, id)
}

// member is a client attached to tunnel "team" under its own client id.
type member struct {
	*relaytest.Client
	app    *app
	frames chan *proto.Clients
	out    *syncBuffer
}

// attach starts a client of tunnel "team" for app, with client id and label its name.
func attach(tb testing.TB, srv *relaytest.Server, a *app, mod func(*client.Tunnel)) *member {
	tb.Helper()
	m := startMember(tb, srv, a, a.name, mod)
	m.WaitOnline(tb)
	return m
}

func startMember(tb testing.TB, srv *relaytest.Server, a *app, id string, mod func(*client.Tunnel)) *member {
	m := &member{app: a, frames: make(chan *proto.Clients, 64), out: new(syncBuffer)}
	t := client.Tunnel{Name: "team", Target: relaytest.Target(tb, a.url)}
	if mod != nil {
		mod(&t)
	}
	m.Client = relaytest.RunClientWith(tb, srv.URL, relaytest.Token, func(c *client.Config) {
		c.ClientID, c.Label, c.Out = id, a.name, m.out
		c.OnClients = func(cl *proto.Clients) {
			select {
			case m.frames <- cl:
			default:
			}
		}
	}, t)
	return m
}

// waitOutput waits until m's client has printed want.
func waitOutput(tb testing.TB, m *member, want string) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(m.out.String(), want) {
		if time.Now().After(deadline) {
			tb.Fatalf("client %s printed no %q: %s", m.app.name, want, m.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitClients waits for a clients frame listing want (label:role), in order.
func (m *member) waitClients(tb testing.TB, want ...string) *proto.Clients {
	tb.Helper()
	timeout := time.After(20 * time.Second)
	var last *proto.Clients
	for {
		select {
		case cl := <-m.frames:
			last = cl
			if sameClients(cl, want) {
				return cl
			}
		case <-timeout:
			tb.Fatalf("%s: last clients frame %+v, want %v", m.app.name, last, want)
		}
	}
}

func sameClients(cl *proto.Clients, want []string) bool {
	if len(cl.Clients) != len(want) {
		return false
	}
	for i, c := range cl.Clients {
		if c.Label+":"+c.Role != want[i] {
			return false
		}
	}
	return true
}

// send POSTs body to path on tunnel "team" and returns the answering app's name and
// the record id.
func send(tb testing.TB, srv *relaytest.Server, path string, header http.Header, body string) (status int, from, id string) {
	tb.Helper()
	req, _ := http.NewRequest("POST", srv.URL+"/t/team"+path, strings.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	resp := mustDo(tb, req)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("X-Seen-Id")
}

// waitAttached waits until the API lists n clients on tunnel "team".
func waitAttached(tb testing.TB, c *api.Client, n int) *api.Tunnel {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var t *api.Tunnel
	var err error
	for time.Now().Before(deadline) {
		if t, err = c.Tunnel(context.Background(), "team"); err == nil && len(t.Clients) == n {
			return t
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatalf("tunnel team: %+v (err %v), want %d clients", t, err, n)
	return nil
}

// syncBuffer is a bytes buffer safe for a client's output and a test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func itoa(n int) string { return strconv.Itoa(n) }
