package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
)

// TestKill9PendingSettledAtRestart kills a recording server with SIGKILL under load while
// the app holds one request, then starts a new server process on the same database:
// nothing is left pending, what the first process never finished is interrupted, and
// the missed listing (replay --missed) shows it.
func TestKill9PendingSettledAtRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	path := t.TempDir() + "/hookrelay.db"
	first, cmd := startChild(t, path)
	held := make(chan struct{}, 1)
	app := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hold" {
			held <- struct{}{}
			<-r.Context().Done() // answers only when the relay is gone
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	relaytest.StartClient(t, first, relaytest.Token, client.Tunnel{Name: "crash", Target: relaytest.Target(t, app)})
	go func() {
		resp, err := http.Post(first+"/t/crash/hold", "text/plain", strings.NewReader("held"))
		if err == nil {
			resp.Body.Close()
		}
	}()
	recv(t, held, "the app to hold a request")
	answered := loadUntilKill(t, first, cmd)
	t.Logf("%d requests answered before kill -9", len(answered))
	_ = cmd.Wait()

	second, _ := startChild(t, path)
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	outcomes, heldID := outcomesOf(t, db)
	t.Logf("outcomes after restart: %v", outcomes)
	if outcomes[store.OutcomePending] != 0 {
		t.Fatalf("%d records still pending after a restart", outcomes[store.OutcomePending])
	}
	missed := missedIDs(t, second)
	if heldID == "" || !missed[heldID] {
		t.Fatalf("the held delivery %q is not listed as missed (%d listed)", heldID, len(missed))
	}
	if len(missed) < outcomes[store.OutcomeInterrupted] {
		t.Fatalf("missed lists %d records, want all %d interrupted", len(missed), outcomes[store.OutcomeInterrupted])
	}
}

// outcomesOf counts the store's records by outcome and returns the id of /hold's record,
// which must be interrupted.
func outcomesOf(t *testing.T, db *sqlite.DB) (map[store.Outcome]int, string) {
	counts := make(map[store.Outcome]int)
	heldID := ""
	f := store.Filter{AllOwners: true, Limit: store.MaxLimit}
	for {
		page, err := db.List(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Records {
			counts[r.Outcome]++
			if r.Path == "/hold" && r.Outcome == store.OutcomeInterrupted {
				heldID = r.ID
			}
		}
		if page.Next == "" {
			return counts, heldID
		}
		f.Cursor = page.Next
	}
}

// missedIDs lists tunnel crash's missed deliveries through the API of the server at u.
func missedIDs(t *testing.T, u string) map[string]bool {
	base, _ := url.Parse(u)
	c := &api.Client{Base: base, Token: relaytest.Token}
	out := make(map[string]bool)
	f := store.Filter{Tunnel: "crash", Missed: true, Limit: store.MaxLimit}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		page, err := c.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Requests {
			out[s.ID] = true
		}
		if page.Next == "" {
			return out
		}
		f.Cursor = page.Next
	}
}
