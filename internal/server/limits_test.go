package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
	"github.com/hookrelay/hookrelay/proto"
)

// A tunnel client answering with an endless response head gets its sender a 502
// bad_response on both forwarding paths, and the record keeps none of that head.
func TestEndlessResponseHead(t *testing.T) {
	var db *sqlite.DB
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, &db))
	c, err := dialHostile(t, srv.URL, relaytest.Token, "endless")
	if err != nil {
		t.Fatal(err)
	}
	c.serve(endlessHead)
	for _, tc := range []struct {
		name string
		body func() *http.Request
	}{
		{"direct", func() *http.Request {
			r, _ := http.NewRequest("POST", srv.URL+"/t/endless/", strings.NewReader("{}"))
			return r
		}},
		{"proxy", func() *http.Request {
			r, _ := http.NewRequest("POST", srv.URL+"/t/endless/", bytes.NewReader(make([]byte, 100<<10)))
			return r
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := mustDo(t, tc.body())
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadGateway || codeOf(resp) != proto.CodeBadResponse {
				t.Fatalf("status %d code %q, want 502 bad_response", resp.StatusCode, codeOf(resp))
			}
			rec := waitStored(t, db, resp.Header.Get(proto.HeaderRequestID))
			size := 0
			for _, h := range rec.RespHeaders {
				size += len(h.Name) + len(h.Value)
			}
			if size > 64<<10 || rec.ErrorCode != string(proto.CodeBadResponse) {
				t.Errorf("record: %d bytes of response headers, error code %q", size, rec.ErrorCode)
			}
		})
	}
}

// tokenOwner is the owner id of relaytest.Token.
var tokenOwner = server.OwnerID(sha256.Sum256([]byte(relaytest.Token)))

// waitRecord waits until the record with id has its response half.
func waitStored(tb testing.TB, db *sqlite.DB, id string) *store.Record {
	tb.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		rec, err := db.Get(context.Background(), tokenOwner, id)
		if err == nil && rec.Outcome != store.OutcomePending {
			return rec
		}
	}
	tb.Fatalf("record %s never completed", id)
	return nil
}

// A client that opens a stream of its own loses its session at once, instead of making
// the server hold what it writes there.
func TestClientOpenedStreamEndsSession(t *testing.T) {
	srv := relaytest.StartServer(t, "", nil)
	c, err := dialHostile(t, srv.URL, relaytest.Token, "opener")
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.mux.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = st.Write(make([]byte, 200<<10)) }()
	select {
	case <-c.mux.CloseChan():
	case <-time.After(time.Minute):
		t.Fatal("the session is still open after the client opened a stream")
	}
}

// One token opens at most SessionsPerToken sessions; another token is not affected, and
// a closed session frees its place.
func TestSessionsPerToken(t *testing.T) {
	srv := relaytest.StartServer(t, "", func(c *server.Config) { c.SessionsPerToken = 2 })
	first, err := dialHostile(t, srv.URL, relaytest.Token, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dialHostile(t, srv.URL, relaytest.Token, "s2"); err != nil {
		t.Fatal(err)
	}
	_, err = dialHostile(t, srv.URL, relaytest.Token, "s3")
	if err == nil || err.Error() != "status 429 too_many_sessions" {
		t.Fatalf("third session: %v, want status 429 too_many_sessions", err)
	}
	if _, err := dialHostile(t, srv.URL, relaytest.OtherToken, "o1"); err != nil {
		t.Fatalf("other token: %v", err)
	}
	_ = first.mux.Close()
	var again error
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, again = dialHostile(t, srv.URL, relaytest.Token, "s1"); again == nil {
			return
		}
	}
	t.Fatalf("after a session closed: %v", again)
}

// One token holds at most NamesPerToken names; names it holds can be served again.
func TestNamesPerToken(t *testing.T) {
	var db *sqlite.DB
	srv := relaytest.StartServer(t, "", relaytest.Chain(relaytest.WithStore(t, &db),
		func(c *server.Config) { c.NamesPerToken = 3 }))
	_, err := dialHostile(t, srv.URL, relaytest.Token, "n1", "n2", "n3", "n4")
	var perr *proto.Error
	if !errors.As(err, &perr) || perr.Code != proto.CodeTooManyTunnels {
		t.Fatalf("four names: %v, want too_many_tunnels", err)
	}
	first, err := dialHostile(t, srv.URL, relaytest.Token, "n1", "n2", "n3")
	if err != nil {
		t.Fatal(err)
	}
	_ = first.mux.Close()
	if _, err := dialHostile(t, srv.URL, relaytest.Token, "n4"); !errors.As(err, &perr) || perr.Code != proto.CodeTooManyTunnels {
		t.Fatalf("a fourth name in another session: %v, want too_many_tunnels", err)
	}
	if _, err := dialHostile(t, srv.URL, relaytest.Token, "n2", ""); !errors.As(err, &perr) || perr.Code != proto.CodeTooManyTunnels {
		t.Fatalf("a random fourth name: %v, want too_many_tunnels", err)
	}
	if _, err := dialHostile(t, srv.URL, relaytest.Token, "n2", "n3"); err != nil {
		t.Fatalf("names held already: %v", err)
	}
	if _, err := dialHostile(t, srv.URL, relaytest.OtherToken, "m1", "m2", "m3"); err != nil {
		t.Fatalf("other token: %v", err)
	}
}

// Requests over the per-source rate get 429 rate_limited with a Retry-After, while the
// tunnel keeps serving within the rate.
func TestRateLimited(t *testing.T) {
	srv, _, _ := setupWith(t, func(c *server.Config) { c.SourceRate = 2 }) // burst 4
	limited, ok := 0, 0
	for range 10 {
		resp, err := http.Post(srv.URL+"/t/myapp/", "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK:
			ok++
		case resp.StatusCode == http.StatusTooManyRequests && codeOf(resp) == proto.CodeRateLimited:
			limited++
			if resp.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		default:
			t.Errorf("status %d %s", resp.StatusCode, codeOf(resp))
		}
	}
	if ok < 4 || limited == 0 {
		t.Errorf("%d answered, %d rate limited; want the burst of 4 answered and the rest limited", ok, limited)
	}
}

// blockingApp is an app that holds every request until release is closed.
func blockingApp(tb testing.TB) (url string, entered chan struct{}, release chan struct{}) {
	entered, release = make(chan struct{}, 100), make(chan struct{})
	url = httpServer(tb, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		fmt.Fprint(w, "ok")
	}))
	tb.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	return url, entered, release
}

// A request whose body would take the server over its in-flight bytes is shed at once
// with 503 overloaded and a short Retry-After, and the ones in flight still finish.
func TestOverloadedSheds(t *testing.T) {
	srv := relaytest.StartServer(t, "", func(c *server.Config) { c.ServerInflightBytes = 150 << 10 })
	app, entered, release := blockingApp(t)
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "myapp", Target: relaytest.Target(t, app)})
	held := make(chan *http.Response, 1)
	go func() {
		resp, err := http.Post(srv.URL+"/t/myapp/", "application/octet-stream", bytes.NewReader(make([]byte, 100<<10)))
		if err != nil {
			t.Error(err)
		}
		held <- resp
	}()
	<-entered
	resp, err := http.Post(srv.URL+"/t/myapp/", "application/octet-stream", bytes.NewReader(make([]byte, 100<<10)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || codeOf(resp) != proto.CodeOverloaded || resp.Header.Get("Retry-After") != "2" {
		t.Errorf("second request: %d %s Retry-After %q, want 503 overloaded Retry-After 2",
			resp.StatusCode, codeOf(resp), resp.Header.Get("Retry-After"))
	}
	close(release)
	if first := <-held; first == nil || first.StatusCode != http.StatusOK {
		t.Fatalf("the request in flight did not finish: %v", first)
	}
	resp, err = http.Post(srv.URL+"/t/myapp/", "application/octet-stream", bytes.NewReader(make([]byte, 100<<10)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after the load: %d %s, want 200", resp.StatusCode, codeOf(resp))
	}
}

// A tunnel that recorded its daily quota refuses more with 429 quota_exceeded.
func TestRecordQuota(t *testing.T) {
	srv, _, _ := setupWith(t, relaytest.Chain(relaytest.WithStore(t, nil),
		func(c *server.Config) { c.TunnelRecordQuota = 10 << 10 }))
	var got []int
	for range 3 {
		resp, err := http.Post(srv.URL+"/t/myapp/", "application/octet-stream", bytes.NewReader(make([]byte, 6<<10)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got = append(got, resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests && (codeOf(resp) != proto.CodeQuotaExceeded || resp.Header.Get("Retry-After") == "") {
			t.Errorf("429 with code %q, Retry-After %q", codeOf(resp), resp.Header.Get("Retry-After"))
		}
	}
	if got[0] != 200 || got[1] != 200 || got[2] != http.StatusTooManyRequests {
		t.Errorf("statuses %v, want 200 200 429", got)
	}
}

// A request refused because its tunnel is offline keeps its metadata, length and hash,
// but only the first RejectRecordCap bytes of its body.
func TestOfflineRejectKeepsBoundedBody(t *testing.T) {
	var db *sqlite.DB
	srv, _, cl := setupWith(t, relaytest.WithStore(t, &db))
	if err := cl.Stop(); err != nil && !errors.Is(err, context.Canceled) {
		t.Logf("stop client: %v", err)
	}
	waitOfflineURL(t, srv.URL+"/t/myapp/")
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/t/myapp/", bytes.NewReader(make([]byte, 1<<20)))
	req.Header.Set("Authorization", "Bearer "+relaytest.Token) // only the owner learns the record id
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if codeOf(resp) != proto.CodeTunnelOffline {
		t.Fatalf("status %d %s, want tunnel_offline", resp.StatusCode, codeOf(resp))
	}
	rec, err := db.Get(context.Background(), tokenOwner, resp.Header.Get(proto.HeaderRequestID))
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Body.Data) != server.DefaultRejectRecordCap || rec.Body.Size != 1<<20 || !rec.Body.Truncated {
		t.Errorf("record body: %d bytes kept, size %d, truncated %v; want %d, %d, true",
			len(rec.Body.Data), rec.Body.Size, rec.Body.Truncated, server.DefaultRejectRecordCap, 1<<20)
	}
}

func waitOfflineURL(tb testing.TB, url string) {
	tb.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if codeOf(resp) == proto.CodeTunnelOffline {
				return
			}
		}
	}
	tb.Fatal("tunnel never went offline")
}

// Negative limits are refused.
func TestNegativeLimitsRefused(t *testing.T) {
	for _, mutate := range []func(*server.Limits){
		func(l *server.Limits) { l.BodyTimeout = -1 },
		func(l *server.Limits) { l.ServerInflightBytes = -1 },
		func(l *server.Limits) { l.SourceRate = -1 },
		func(l *server.Limits) { l.NamesPerToken = -1 },
		func(l *server.Limits) { l.RejectRecordCap = -1 },
		func(l *server.Limits) { l.SessionRate = -1 },
		func(l *server.Limits) { l.SourceSessionBurst = -1 },
	} {
		cfg := server.Config{Domain: "localhost", PublicURL: "http://127.0.0.1:1"}
		mutate(&cfg.Limits)
		if _, err := server.New(cfg); err == nil || !strings.Contains(err.Error(), "must not be negative") {
			t.Errorf("New with %+v: %v, want an error", cfg.Limits, err)
		}
	}
}

// A name no client has served for NameTTL stops counting against the token's cap at
// once; it stays the token's until the sweep releases it (TestNameReleasedAfterTTL).
func TestNameTTLFreesRoom(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { // moves a microsecond a call, so each write of last-seen differs
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Microsecond)
		return now
	}
	var db *sqlite.DB
	srv := relaytest.StartServer(t, "", relaytest.Chain(relaytest.WithStore(t, &db), func(c *server.Config) {
		c.NamesPerToken, c.NameTTL, c.Now = 1, time.Hour, clock
	}))
	first, err := dialHostile(t, srv.URL, relaytest.Token, "old")
	if err != nil {
		t.Fatal(err)
	}
	claimed := lastSeen(t, db, "old")
	_ = first.mux.Close()
	waitOfflineURL(t, srv.URL+"/t/old/")
	// The store hears of the session's end just after the tunnel goes offline: wait for
	// it, or the clock moved below could date that write.
	eventually(t, "the session's end in the store", func() bool { return lastSeen(t, db, "old").After(claimed) })
	var perr *proto.Error
	if _, err := dialHostile(t, srv.URL, relaytest.Token, "new"); !errors.As(err, &perr) || perr.Code != proto.CodeTooManyTunnels {
		t.Fatalf("a second name within the TTL: %v, want too_many_tunnels", err)
	}
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	if _, err := dialHostile(t, srv.URL, relaytest.Token, "new"); err != nil {
		t.Fatalf("a second name after the TTL: %v", err)
	}
	if _, err := dialHostile(t, srv.URL, relaytest.OtherToken, "old"); !errors.As(err, &perr) || perr.Code != proto.CodeNameTaken {
		t.Fatalf("another token asking for the old name: %v, want name_taken", err)
	}
}

// lastSeen is the store's last-seen time of tunnel name.
func lastSeen(t *testing.T, db *sqlite.DB, name string) time.Time {
	t.Helper()
	tun, err := db.GetTunnel(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return tun.LastSeen
}

// Sessions of one token asking for new names at once still stay within the cap.
func TestNamesPerTokenConcurrent(t *testing.T) {
	var db *sqlite.DB
	srv := relaytest.StartServer(t, "", relaytest.Chain(relaytest.WithStore(t, &db),
		func(c *server.Config) { c.NamesPerToken = 12 }))
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			names := make([]string, 5)
			for j := range names {
				names[j] = fmt.Sprintf("c%d-%d", i, j)
			}
			_, _ = dialHostile(t, srv.URL, relaytest.Token, names...)
		}()
	}
	wg.Wait()
	ts, err := db.ListTunnels(context.Background(), tokenOwner)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) > 12 {
		t.Errorf("the token holds %d names, over its cap of 12", len(ts))
	}
}

// TestNewRefusesNegativeSettings: a library caller's negative setting is an error from
// New, never a panic later (a negative in-flight cap would make a negative channel size).
func TestNewRefusesNegativeSettings(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*server.Config)
	}{
		{"timeout", func(c *server.Config) { c.Timeout = -time.Second }},
		{"body limit", func(c *server.Config) { c.BodyLimit = -5 }},
		{"record cap", func(c *server.Config) { c.RecordCap = -1 }},
		{"max in-flight", func(c *server.Config) { c.MaxInflight = -1 }},
		{"queue ttl", func(c *server.Config) { c.QueueTTL = -time.Hour }},
		{"purge interval", func(c *server.Config) { c.PurgeEvery = -time.Minute }},
		{"tunnel in-flight bytes", func(c *server.Config) { c.TunnelInflightBytes = -1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := server.Config{Domain: "localhost", PublicURL: "http://localhost"}
			tc.set(&cfg)
			srv, err := server.New(cfg)
			if err == nil {
				srv.Close()
				t.Fatalf("New accepted a negative %s", tc.name)
			}
			if !strings.Contains(err.Error(), tc.name) {
				t.Errorf("error %q does not name %q", err, tc.name)
			}
		})
	}
}
