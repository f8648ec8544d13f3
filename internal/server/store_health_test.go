package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"strings"
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

// logCounter counts log records by level and message, passing them on.
type logCounter struct {
	slog.Handler
	mu     *sync.Mutex
	counts map[string]int
}

func (h logCounter) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	h.counts[r.Level.String()+" "+r.Message]++
	h.mu.Unlock()
	return h.Handler.Handle(ctx, r)
}

func (h logCounter) WithAttrs(as []slog.Attr) slog.Handler {
	return logCounter{h.Handler.WithAttrs(as), h.mu, h.counts}
}

// get counts the records of level whose message starts with prefix.
func (h logCounter) get(level slog.Level, prefix string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for k, v := range h.counts {
		if strings.HasPrefix(k, level.String()+" "+prefix) {
			n += v
		}
	}
	return n
}

// TestStoreFullLoggedOncePerChange fills the disk: every delivery gets 503
// store_unavailable, the log says so once (not once per delivery), the server reports why
// it is not ready, and one line says when the store writes again.
func TestStoreFullLoggedOncePerChange(t *testing.T) {
	logs := logCounter{relaytest.Logger(t).Handler(), new(sync.Mutex), map[string]int{}}
	var db *sqlite.DB
	srv, _, rec, _, _ := recordSetup(t, relaytest.Chain(relaytest.WithStore(t, &db),
		func(c *server.Config) { c.Logger = slog.New(logs) }), "")
	post(t, srv.URL+"/t/hook/warm", "{}")
	rec.wait(t, 1)
	if err := db.SetMaxPages(1); err != nil {
		t.Fatal(err)
	}
	const refused = 40
	for i := range refused {
		resp := post(t, srv.URL+"/t/hook/x", strings.Repeat("y", 64<<10))
		if resp.StatusCode != 503 || resp.Header.Get(proto.HeaderError) != string(proto.CodeStoreUnavailable) {
			t.Fatalf("delivery %d on a full disk: status %d", i, resp.StatusCode)
		}
	}
	if errs := logs.get(slog.LevelError, ""); errs != 1 {
		t.Errorf("%d ERROR lines for %d refused deliveries, want 1", errs, refused)
	}
	if srv.StoreErr() == nil || !srv.Stats().StoreFailing {
		t.Errorf("store full: StoreErr %v, stats %+v", srv.StoreErr(), srv.Stats())
	}
	if err := db.SetMaxPages(0); err != nil {
		t.Fatal(err)
	}
	if resp := post(t, srv.URL+"/t/hook/x", "{}"); resp.StatusCode != http.StatusOK {
		t.Fatalf("store healed: status %d", resp.StatusCode)
	}
	if n := logs.get(slog.LevelInfo, "store writes again"); srv.StoreErr() != nil || n != 1 {
		t.Errorf("store healed: StoreErr %v, recovery lines %d", srv.StoreErr(), n)
	}
}

// TestStartOnReadOnlyStoreSettlesLater starts a server on a store that cannot write: it
// starts all the same, says why it is not ready, and settles what a previous run left
// pending once the store writes again.
func TestStartOnReadOnlyStoreSettlesLater(t *testing.T) {
	var db *sqlite.DB
	srv := relaytest.StartServer(t, "", func(c *server.Config) {
		relaytest.WithStore(t, &db)(c)
		left := &store.Record{Tunnel: "hook", Owner: "o", ReceivedAt: time.Now().Add(-time.Minute)}
		if err := db.Insert(context.Background(), left); err != nil {
			t.Fatal(err)
		}
		if err := db.SetReadOnly(true); err != nil {
			t.Fatal(err)
		}
	})
	if srv.StoreErr() == nil {
		t.Fatal("server on a read-only store reports no store error")
	}
	if err := db.SetReadOnly(false); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the pending record to be settled", func() bool {
		p, err := db.List(context.Background(), store.Filter{AllOwners: true, Outcome: store.OutcomeInterrupted})
		return err == nil && len(p.Records) == 1
	})
	eventually(t, "the store to be seen writing", func() bool { return srv.StoreErr() == nil })
}

// TestCompletionRetriedUntilStoreWrites makes the store read-only while the app holds a
// request: its response half cannot be saved, is kept, and lands once the store writes
// again; meanwhile the server says why it is not ready.
func TestCompletionRetriedUntilStoreWrites(t *testing.T) {
	var db *sqlite.DB
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, &db))
	arrived, release := make(chan struct{}), make(chan struct{})
	app := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
		w.WriteHeader(http.StatusCreated)
	}))
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "hook", Target: relaytest.Target(t, app)})
	done := make(chan *http.Response, 1)
	go func() { done <- post(t, srv.URL+"/t/hook/x", `{}`) }()
	recv(t, arrived, "the request at the app")
	if err := db.SetReadOnly(true); err != nil {
		t.Fatal(err)
	}
	close(release)
	if resp := recv(t, done, "the answer"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d", resp.StatusCode)
	}
	eventually(t, "the server to see the store fail", func() bool { return srv.StoreErr() != nil })
	time.Sleep(3 * time.Second) // past the retries in place: the completion waits in memory
	if err := db.SetReadOnly(false); err != nil {
		t.Fatal(err)
	}
	c := apiClient(t, srv, relaytest.Token)
	r := waitRecord(t, c, lastID(t, c, "hook"), func(r *api.Record) bool { return r.Outcome != store.OutcomePending })
	if r.Outcome != store.OutcomeOK || r.Status != http.StatusCreated {
		t.Fatalf("record: outcome %s status %d", r.Outcome, r.Status)
	}
	// The probe or the completion saw the store write again.
	eventually(t, "the server to see the store write again", func() bool { return srv.StoreErr() == nil })
}

// TestStreamedBodySavedOnceStoreWrites: a streamed body (larger than the read-ahead)
// whose save the store refuses as the app answers still reaches the record, whole and
// byte-exact, once the store writes again: the sender got the app's 2xx, so its record
// must not lose the body. (Only a store that still fails when the server closes, or a
// crash, leaves the placeholder, which replay refuses: see
// TestTunnelLostMidUploadIsNotReplayable for a cut body.)
func TestStreamedBodySavedOnceStoreWrites(t *testing.T) {
	var db *sqlite.DB
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, &db))
	read, release := make(chan struct{}), make(chan struct{})
	app := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		close(read)
		<-release
		w.WriteHeader(http.StatusCreated)
	}))
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "hook", Target: relaytest.Target(t, app)})
	body := strings.Repeat("0123456789abcdef", 16<<10) // 256 KiB: streamed, not read ahead
	done := make(chan *http.Response, 1)
	go func() { done <- post(t, srv.URL+"/t/hook/x", body) }()
	recv(t, read, "the body at the app")
	if err := db.SetReadOnly(true); err != nil {
		t.Fatal(err)
	}
	close(release)
	if resp := recv(t, done, "the answer"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d", resp.StatusCode)
	}
	time.Sleep(3 * time.Second) // past the retries in place: the completion waits in memory
	if err := db.SetReadOnly(false); err != nil {
		t.Fatal(err)
	}
	c := apiClient(t, srv, relaytest.Token)
	r := waitRecord(t, c, lastID(t, c, "hook"), func(r *api.Record) bool { return r.Outcome != store.OutcomePending })
	sum := sha256.Sum256([]byte(body))
	if r.Request.BodyTruncated || string(r.Request.Body) != body || r.Request.BodySHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("record body: %d bytes, truncated %v, sha256 %q; want the %d bytes sent",
			len(r.Request.Body), r.Request.BodyTruncated, r.Request.BodySHA256, len(body))
	}
}
