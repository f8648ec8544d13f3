package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
	"github.com/hookrelay/hookrelay/proto"
)

// testClock is a settable clock for Config.Now.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *testClock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// countingApp answers 200 to everything and counts requests by path.
func countingApp(tb testing.TB) (*httptest.Server, func(path string) int64) {
	var mu sync.Mutex
	seen := make(map[string]int64)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path]++
		mu.Unlock()
	}))
	tb.Cleanup(app.Close)
	return app, func(path string) int64 { mu.Lock(); defer mu.Unlock(); return seen[path] }
}

// openAt opens the SQLite store at path; the caller closes it.
func openAt(tb testing.TB, path string) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

// The daily record quotas of a tunnel and of a token hold across a restart of the
// server on the same store: the counts are rebuilt from the records.
func TestRecordQuotaSurvivesRestart(t *testing.T) {
	// A clock at midday UTC that moves with real time: the day does not end mid-test.
	midday := time.Now().UTC().Truncate(24 * time.Hour).Add(12 * time.Hour)
	offset := time.Until(midday)
	clock := func() time.Time { return time.Now().Add(offset) }
	for _, tt := range []struct {
		name  string
		quota func(*server.Config)
	}{
		{"tunnel", func(c *server.Config) { c.TunnelRecordQuota = 10 << 10 }},
		{"token", func(c *server.Config) { c.TokenRecordQuota = 10 << 10 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hookrelay.db")
			start := func(db *sqlite.DB) (*relaytest.Server, *relaytest.Client) {
				srv := relaytest.StartServer(t, "", relaytest.Chain(tt.quota,
					func(c *server.Config) { c.Store, c.Now = db, clock }))
				cl := relaytest.StartClient(t, srv.URL, relaytest.Token,
					client.Tunnel{Name: "myapp", Target: relaytest.Target(t, backend(t).URL)})
				return srv, cl
			}
			db := openAt(t, path)
			srv, cl := start(db)
			var got []int
			for range 3 {
				got = append(got, post(t, srv.URL+"/t/myapp/", string(make([]byte, 6<<10))).StatusCode)
			}
			if got[0] != 200 || got[1] != 200 || got[2] != http.StatusTooManyRequests {
				t.Fatalf("before the restart: statuses %v, want 200 200 429", got)
			}
			_ = cl.Stop()
			srv.Stop()
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}

			db = openAt(t, path)
			t.Cleanup(func() { _ = db.Close() })
			srv, _ = start(db)
			resp := post(t, srv.URL+"/t/myapp/", "small")
			if resp.StatusCode != http.StatusTooManyRequests || codeOf(resp) != proto.CodeQuotaExceeded ||
				resp.Header.Get("Retry-After") == "" {
				t.Errorf("after the restart: %d %s Retry-After %q, want 429 quota_exceeded with Retry-After",
					resp.StatusCode, codeOf(resp), resp.Header.Get("Retry-After"))
			}
		})
	}
}

// A name no client has served for NameTTL is released by the sweep: another token can
// take it and sees none of the old owner's records, which stay the old owner's; what the
// old owner had queued for it expires instead of reaching the new owner's app.
func TestNameReleasedAfterTTL(t *testing.T) {
	ctx := context.Background()
	clock := &testClock{now: time.Now()}
	var db *sqlite.DB
	srv := relaytest.StartServer(t, "", relaytest.Chain(relaytest.WithStore(t, &db), func(c *server.Config) {
		c.NameTTL, c.PurgeEvery, c.Now = time.Hour, 20*time.Millisecond, clock.Now
	}))
	appA, _ := countingApp(t)
	a := relaytest.StartClient(t, srv.URL, relaytest.Token,
		client.Tunnel{Name: "old", Target: relaytest.Target(t, appA.URL), Offline: proto.OfflineQueue})
	served := post(t, srv.URL+"/t/old/served", "for a")
	if served.StatusCode != http.StatusOK {
		t.Fatalf("delivery to the first owner: %d %s", served.StatusCode, codeOf(served))
	}
	_ = a.Stop()
	var queued *http.Response
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if queued = post(t, srv.URL+"/t/old/queued", "queued for a"); queued.StatusCode == http.StatusAccepted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the tunnel never queued a delivery")
		}
	}
	servedID, queuedID := recordAt(t, db, "/served"), recordAt(t, db, "/queued")

	clock.Add(2 * time.Hour)
	waitReleased(t, db, "old")
	if rec, err := db.Get(ctx, tokenOwner, queuedID); err != nil || rec.Outcome != store.OutcomeExpired {
		t.Errorf("the old owner's queued delivery after the release: %v, %v; want outcome expired", rec, err)
	}

	appB, hits := countingApp(t)
	relaytest.StartClient(t, srv.URL, relaytest.OtherToken, client.Tunnel{Name: "old", Target: relaytest.Target(t, appB.URL)})
	if resp := post(t, srv.URL+"/t/old/mine", "for b"); resp.StatusCode != http.StatusOK || hits("/mine") != 1 {
		t.Fatalf("delivery to the new owner: %d %s, app saw %d", resp.StatusCode, codeOf(resp), hits("/mine"))
	}
	if n := hits("/queued"); n != 0 {
		t.Errorf("the new owner's app got the old owner's queued delivery %d times", n)
	}

	b := apiClient(t, srv, relaytest.OtherToken)
	list, err := b.List(ctx, store.Filter{Tunnel: "old"})
	if err != nil || len(list.Requests) != 1 || list.Requests[0].Path != "/mine" {
		t.Errorf("new owner's list of tunnel old: %+v, %v; want only its own delivery", list, err)
	}
	for _, id := range []string{servedID, queuedID} {
		if _, err := b.Get(ctx, id); !api.IsNotFound(err) {
			t.Errorf("new owner reading old record %s: %v, want 404", id, err)
		}
	}
	oldList, err := apiClient(t, srv, relaytest.Token).List(ctx, store.Filter{Tunnel: "old"})
	if err != nil || len(oldList.Requests) < 2 {
		t.Errorf("old owner's list of tunnel old: %+v, %v; want its records kept", oldList, err)
	}
	if _, err := apiClient(t, srv, relaytest.Token).Get(ctx, servedID); err != nil {
		t.Errorf("old owner reading its record: %v", err)
	}
	// Nor can the old owner replay its records into the new owner's app.
	var e *api.Error
	if _, err := apiClient(t, srv, relaytest.Token).Replay(ctx, servedID, nil); !errors.As(err, &e) || e.Code != proto.CodeTunnelOffline {
		t.Errorf("old owner replaying into the retaken name: %v, want tunnel_offline", err)
	}
	if n := hits("/served"); n != 0 {
		t.Errorf("the new owner's app got the old owner's replay %d times", n)
	}
}

// recordAt is the id of relaytest.Token's first record with path p.
func recordAt(tb testing.TB, db *sqlite.DB, p string) string {
	tb.Helper()
	page, err := db.List(context.Background(), store.Filter{Owner: tokenOwner, Oldest: true})
	if err != nil {
		tb.Fatal(err)
	}
	for _, r := range page.Records {
		if r.Path == p {
			return r.ID
		}
	}
	tb.Fatalf("no record of %s", p)
	return ""
}

func waitReleased(tb testing.TB, db *sqlite.DB, name string) {
	tb.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := db.GetTunnel(context.Background(), name); errors.Is(err, store.ErrNotFound) {
			return
		}
	}
	tb.Fatalf("tunnel name %s was never released", name)
}

// A name a client served within NameTTL, or one reserved in the config, is not released
// by the sweep.
func TestNameSweepKeeps(t *testing.T) {
	clock := &testClock{now: time.Now()}
	var db *sqlite.DB
	srv := relaytest.StartServer(t, "", relaytest.Chain(relaytest.WithStore(t, &db), func(c *server.Config) {
		c.NameTTL, c.PurgeEvery, c.Now, c.Reserved = time.Hour, 20*time.Millisecond, clock.Now, []string{"kept"}
	}))
	for _, name := range []string{"kept", "recent", "idle", "live"} {
		if err := db.ClaimTunnel(context.Background(), store.Tunnel{Name: name, Owner: tokenOwner, LastSeen: clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := dialHostile(t, srv.URL, relaytest.Token, "live"); err != nil {
		t.Fatal(err)
	}
	clock.Add(2 * time.Hour)
	if err := db.TouchTunnel(context.Background(), "recent", clock.Now()); err != nil {
		t.Fatal(err)
	}
	waitReleased(t, db, "idle")
	for _, name := range []string{"kept", "recent", "live"} {
		if _, err := db.GetTunnel(context.Background(), name); err != nil {
			t.Errorf("tunnel %s after the sweep: %v, want kept", name, err)
		}
	}
}

// DELETE /api/tunnels/{name} releases a name of the token at once: not while a client
// serves it, never another token's, never a name the config reserves.
func TestReleaseNameAPI(t *testing.T) {
	ctx := context.Background()
	var db *sqlite.DB
	srv, _, cl := setupWith(t, relaytest.Chain(relaytest.WithStore(t, &db),
		func(c *server.Config) { c.Reserved = []string{"kept"} }))
	owner, other := apiClient(t, srv, relaytest.Token), apiClient(t, srv, relaytest.OtherToken)
	tests := []struct {
		name   string
		c      *api.Client
		tunnel string
		status int
		code   proto.Code
	}{
		{"another token's name", other, "myapp", http.StatusNotFound, proto.CodeNotFound},
		{"an unknown name", owner, "nobody", http.StatusNotFound, proto.CodeNotFound},
		{"a name a client serves", owner, "myapp", http.StatusConflict, proto.CodeTunnelOnline},
		{"a reserved name", owner, "kept", http.StatusBadRequest, proto.CodeBadName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e *api.Error
			if err := tt.c.Release(ctx, tt.tunnel); !errors.As(err, &e) || e.Status != tt.status || e.Code != tt.code {
				t.Errorf("release %s: %v, want %d %s", tt.tunnel, err, tt.status, tt.code)
			}
		})
	}
	if _, err := db.GetTunnel(ctx, "myapp"); err != nil {
		t.Fatalf("the refused releases released it: %v", err)
	}
	_ = cl.Stop()
	var err error
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var e *api.Error
		if err = owner.Release(ctx, "myapp"); !errors.As(err, &e) || e.Code != proto.CodeTunnelOnline {
			break
		}
	}
	if err != nil {
		t.Fatalf("release after the client stopped: %v", err)
	}
	if _, err := db.GetTunnel(ctx, "myapp"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetTunnel after the release: %v, want ErrNotFound", err)
	}
	if _, err := dialHostile(t, srv.URL, relaytest.OtherToken, "myapp"); err != nil {
		t.Errorf("another token taking the released name: %v", err)
	}
}

// A delivery queued for an earlier owner of a name (one that slipped in while the name
// was released) is never delivered to the name's new owner: it expires.
func TestQueuedOfEarlierOwnerNotDelivered(t *testing.T) {
	ctx := context.Background()
	var db *sqlite.DB
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, &db))
	stale := &store.Record{Tunnel: "shop", Owner: tokenOwner, ReceivedAt: time.Now(), Method: "POST",
		Path: "/for-a", Outcome: store.OutcomeQueued}
	if err := db.Insert(ctx, stale); err != nil {
		t.Fatal(err)
	}
	app, hits := countingApp(t)
	relaytest.StartClient(t, srv.URL, relaytest.OtherToken, client.Tunnel{Name: "shop", Target: relaytest.Target(t, app.URL)})
	var rec *store.Record
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var err error
		if rec, err = db.Get(ctx, tokenOwner, stale.ID); err == nil && rec.Outcome != store.OutcomeQueued {
			break
		}
	}
	if rec == nil || rec.Outcome != store.OutcomeExpired {
		t.Errorf("the earlier owner's queued record: %+v, want outcome expired", rec)
	}
	if n := hits("/for-a"); n != 0 {
		t.Errorf("the new owner's app got the earlier owner's delivery %d times", n)
	}
}
