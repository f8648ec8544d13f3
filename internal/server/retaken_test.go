package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
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

// otherOwner is the owner id of relaytest.OtherToken's records.
var otherOwner = server.OwnerID(sha256.Sum256([]byte(relaytest.OtherToken)))

const retakenSpec = "stripe:whsec_dGVzdHNlY3JldA"

// retaken is a relay where relaytest.Token recorded the signed Stripe event evt_retaken
// twice on tunnel "shop" and released the name, and relaytest.OtherToken then claimed
// the name and sent the same event: every record went through the relay for real.
type retaken struct {
	srv        *relaytest.Server
	db         *sqlite.DB
	a, b       *api.Client
	aRecs      []*api.Record // oldest first
	bRec       *api.Record
	bClient    *relaytest.Client
	bWelcome   *proto.Welcome
	eventBytes []byte
}

func newRetaken(t *testing.T) *retaken {
	r := &retaken{eventBytes: []byte(`{"id":"evt_retaken","type":"invoice.paid"}`)}
	r.srv = relaytest.StartServer(t, "", relaytest.WithStore(t, &r.db))
	r.a, r.b = apiClient(t, r.srv, relaytest.Token), apiClient(t, r.srv, relaytest.OtherToken)
	app := httpServer(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tun := client.Tunnel{Name: "shop", Verify: []string{retakenSpec}, Target: relaytest.Target(t, app)}
	ca := relaytest.StartClient(t, r.srv.URL, relaytest.Token, tun)
	r.aRecs = append(r.aRecs, r.send(t, r.a), r.send(t, r.a))
	_ = ca.Stop()
	releaseWhenOffline(t, r.a, "shop")
	r.bClient = relaytest.RunClient(t, r.srv.URL, relaytest.OtherToken, tun)
	r.bWelcome = r.bClient.WaitOnline(t)
	r.bRec = r.send(t, r.b)
	return r
}

// send posts the signed event to tunnel shop and returns its finished record, read
// through c.
func (r *retaken) send(t *testing.T, c *api.Client) *api.Record {
	t.Helper()
	req := mustRequest(t, "POST", r.srv.URL+"/t/shop/stripe", bytes.NewReader(r.eventBytes))
	if err := mustScheme(t, retakenSpec).Sign(req.Header, r.eventBytes, time.Now(), ""); err != nil {
		t.Fatal(err)
	}
	if resp := mustDo(t, req); resp.StatusCode != http.StatusOK {
		t.Fatalf("send event: %d %s", resp.StatusCode, codeOf(resp))
	}
	rec := waitRecord(t, c, lastID(t, c, "shop"), func(r *api.Record) bool { return r.Outcome == store.OutcomeOK })
	if rec.EventID != "evt_retaken" {
		t.Fatalf("record %s has event id %q, want evt_retaken", rec.ID, rec.EventID)
	}
	return rec
}

// releaseWhenOffline releases name through c once no client of c's token serves it.
func releaseWhenOffline(t *testing.T, c *api.Client, name string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		var e *api.Error
		err := c.Release(context.Background(), name)
		if err == nil {
			return
		}
		if !errors.As(err, &e) || e.Code != proto.CodeTunnelOnline || time.Now().After(deadline) {
			t.Fatalf("release %s: %v", name, err)
		}
	}
}

// The new holder of a released name gets its own duplicate detection: an event the
// earlier holder received neither makes the new holder's delivery a duplicate nor tells
// the new holder that the earlier one received it.
func TestRetakenNameEventNotDuplicate(t *testing.T) {
	r := newRetaken(t)
	if r.aRecs[0].Duplicate || !r.aRecs[1].Duplicate {
		t.Errorf("the first holder's two deliveries: duplicate %v, %v; want false, true",
			r.aRecs[0].Duplicate, r.aRecs[1].Duplicate)
	}
	if r.bRec.Duplicate {
		t.Error("the new holder's first delivery of the event is marked duplicate of the earlier holder's")
	}
	second := r.send(t, r.b)
	if !second.Duplicate {
		t.Error("the new holder's second delivery of the event is not marked duplicate")
	}
}

// The retention cap counts each holder's records of a name apart: a purge with a cap of
// one keeps the latest record of each.
func TestRetakenNamePurgeCapPerOwner(t *testing.T) {
	r := newRetaken(t)
	ctx := context.Background()
	if _, err := r.db.Purge(ctx, time.Time{}, 1, time.Time{}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		who  string
		c    *api.Client
		want string
	}{{"earlier holder", r.a, r.aRecs[1].ID}, {"new holder", r.b, r.bRec.ID}} {
		page, err := tt.c.List(ctx, store.Filter{Tunnel: "shop"})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Requests) != 1 || page.Requests[0].ID != tt.want {
			var got []string
			for _, rec := range page.Requests {
				got = append(got, rec.ID)
			}
			t.Errorf("%s keeps %v after a purge with cap 1, want [%s]", tt.who, got, tt.want)
		}
	}
}

// The Welcome of the new holder of a released name counts only its own missed and
// queued deliveries, even when records of the earlier holder (which slipped in, as a
// relay sharing the store with the one where the name was released may write them)
// are newer than the new holder's last visit.
func TestRetakenNameWelcomeCountsOwn(t *testing.T) {
	r := newRetaken(t)
	if got := r.bWelcome.Tunnels[0]; got.Missed != 0 || got.Queued != 0 {
		t.Errorf("new holder's first Welcome: missed %d, queued %d; want 0, 0", got.Missed, got.Queued)
	}
	leave := func(stop func()) {
		t.Helper()
		at := time.Now()
		stop()
		waitTouched(t, r.db, "shop", at)
	}
	slipIn := func(owner string, o store.Outcome) {
		t.Helper()
		rec := &store.Record{Tunnel: "shop", Owner: owner, ReceivedAt: time.Now(), Method: "POST", Path: "/late",
			Outcome: o}
		if err := r.db.Insert(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	welcome := func(step string, missed, queued int) {
		t.Helper()
		h, err := dialHostile(t, r.srv.URL, relaytest.OtherToken, "shop")
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if got := h.welcome.Tunnels[0]; got.Missed != missed || got.Queued != queued {
			t.Errorf("%s: Welcome says missed %d, queued %d; want %d, %d", step, got.Missed, got.Queued, missed, queued)
		}
		leave(func() { _ = h.mux.Close() })
	}
	leave(func() { _ = r.bClient.Stop() })
	slipIn(tokenOwner, store.OutcomeOffline)
	slipIn(tokenOwner, store.OutcomeQueued)
	welcome("after the earlier holder's records", 0, 0)
	slipIn(otherOwner, store.OutcomeOffline)
	welcome("after one of its own", 1, 0)
}

// waitTouched waits until the tunnel's last-seen time is after t: the relay noted that
// its client left.
func waitTouched(t *testing.T, db *sqlite.DB, name string, after time.Time) {
	t.Helper()
	eventually(t, "the relay noting that the client of "+name+" left", func() bool {
		tn, err := db.GetTunnel(context.Background(), name)
		return err == nil && tn.LastSeen.After(after)
	})
}
