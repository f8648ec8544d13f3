package server_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/webhook"
	"github.com/hookrelay/hookrelay/proto"
)

// recv receives from ch, failing the test after a generous deadline.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(60 * time.Second):
		t.Fatalf("waited 60 s for %s", what)
		panic("unreachable")
	}
}

// eventually waits for cond, failing the test after a generous deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 60 s for %s", what)
		}
	}
}

// waitRecord polls the record until ok accepts it (generous deadline: outcome, not speed).
func waitRecord(t *testing.T, c *api.Client, id string, ok func(*api.Record) bool) *api.Record {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r, err := c.Get(context.Background(), id)
		if err == nil && ok(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("record %s: %+v, %v", id, r, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestQueuedDeliveryRefusedEndsFailed: a queued delivery the app answers 400 (its sender
// had a 202 and will not retry) ends failed and is listed as missed; one answered 2xx is
// ok and is not.
func TestQueuedDeliveryRefusedEndsFailed(t *testing.T) {
	srv, _, _, _, cl := recordSetup(t, nil, proto.OfflineQueue)
	cl.Stop()
	for _, path := range []string{"/refuse", "/accept"} {
		if resp := post(t, srv.URL+"/t/hook"+path, `{}`); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("queue %s: status %d", path, resp.StatusCode)
		}
	}
	app := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/refuse" {
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "hook", Target: relaytest.Target(t, app)})
	c := apiClient(t, srv, relaytest.Token)
	page, err := c.List(context.Background(), store.Filter{Tunnel: "hook", Oldest: true})
	if err != nil || len(page.Requests) != 2 {
		t.Fatalf("list: %v %d", err, len(page.Requests))
	}
	refused := waitRecord(t, c, page.Requests[0].ID, func(r *api.Record) bool { return r.Outcome != store.OutcomeQueued })
	accepted := waitRecord(t, c, page.Requests[1].ID, func(r *api.Record) bool { return r.Outcome != store.OutcomeQueued })
	if refused.Outcome != store.OutcomeFailed || refused.Status != 400 || accepted.Outcome != store.OutcomeOK {
		t.Fatalf("outcomes: refused %s %d, accepted %s %d", refused.Outcome, refused.Status, accepted.Outcome, accepted.Status)
	}
	missed, err := c.List(context.Background(), store.Filter{Tunnel: "hook", Missed: true})
	if err != nil || len(missed.Requests) != 1 || missed.Requests[0].ID != refused.ID {
		t.Fatalf("missed: %v %+v, want only the refused delivery", err, missed.Requests)
	}
}

// TestQueuedTimestampedDeliveryResigned queues Stripe deliveries and delivers them ten
// minutes later. One the relay verified gets a fresh signature the app accepts, marked
// X-Hookrelay-Resigned, with the verdict made at delivery, and its record says resigned.
// A forged one is passed on as it came, with a failing verdict, and ends failed.
func TestQueuedTimestampedDeliveryResigned(t *testing.T) {
	const spec = "stripe:whsec_dGVzdHNlY3JldA"
	tests := []struct {
		name, signWith, verdict, resigned string
		outcome                           store.Outcome
	}{
		{"verified on arrival", spec, "stripe; ok", "stripe", store.OutcomeOK},
		{"forged", "stripe:whsec_b3RoZXI", "stripe; failed=bad_signature", "", store.OutcomeFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, r := queueStripeDelivery(t, spec, tt.signWith)
			if h.Get(proto.HeaderResigned) != tt.resigned || h.Get(proto.HeaderVerified) != tt.verdict ||
				r.Outcome != tt.outcome || r.Resigned != (tt.resigned != "") {
				t.Fatalf("delivered with resigned %q, verdict %q; record %s resigned %v", h.Get(proto.HeaderResigned),
					h.Get(proto.HeaderVerified), r.Outcome, r.Resigned)
			}
		})
	}
}

// queueStripeDelivery queues a delivery signed with signWith on a tunnel verifying spec,
// delivers it ten minutes later to an app that checks the signature as Stripe's library
// does, and returns the headers the app got and the finished record.
func queueStripeDelivery(t *testing.T, spec, signWith string) (http.Header, *api.Record) {
	var skew atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	srv, _, _, _, cl := recordSetup(t, func(c *server.Config) { c.Now = now }, proto.OfflineQueue)
	cl.Stop()
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "hook", Offline: proto.OfflineQueue,
		Verify: []string{spec}, Target: relaytest.Target(t, httpServer(t, http.NotFoundHandler()))}).Stop()
	scheme, signer := mustScheme(t, spec), mustScheme(t, signWith)
	body := []byte(`{"id":"evt_1","type":"invoice.paid"}`)
	req := mustRequest(t, "POST", srv.URL+"/t/hook/stripe", bytes.NewReader(body))
	if err := signer.Sign(req.Header, body, now(), ""); err != nil {
		t.Fatal(err)
	}
	if resp := mustDo(t, req); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("queue: status %d", resp.StatusCode)
	}
	skew.Store(int64(10 * time.Minute))
	got := make(chan http.Header, 1)
	app := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		_, _ = b.ReadFrom(r.Body)
		if v := scheme.Verify(r.Header, b.Bytes(), now()); !v.OK {
			w.WriteHeader(http.StatusBadRequest) // stale or forged, as Stripe's library would say
		}
		got <- r.Header.Clone()
	}))
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "hook", Offline: proto.OfflineQueue,
		Verify: []string{spec}, Target: relaytest.Target(t, app)})
	h := recv(t, got, "the queued delivery")
	c := apiClient(t, srv, relaytest.Token)
	return h, waitRecord(t, c, lastID(t, c, "hook"), func(r *api.Record) bool { return r.Outcome != store.OutcomeQueued })
}

func mustScheme(t *testing.T, spec string) webhook.Scheme {
	sc, err := webhook.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestSenderCannotClaimResigned: X-Hookrelay-Resigned comes from the relay only, on both
// forwarding paths (a small body read first, a large one streamed).
func TestSenderCannotClaimResigned(t *testing.T) {
	srv, _, rec, _, _ := recordSetup(t, nil, "")
	for i, body := range []string{"{}", strings.Repeat("x", 200<<10)} {
		req := mustRequest(t, "POST", srv.URL+"/t/hook/x", strings.NewReader(body))
		req.Header.Set(proto.HeaderResigned, "stripe")
		mustDo(t, req).Body.Close()
		rec.wait(t, 1)
		if got := rec.all()[i].Header.Get(proto.HeaderResigned); got != "" {
			t.Fatalf("body of %d bytes: the app got %s: %q from the sender", len(body), proto.HeaderResigned, got)
		}
	}
}

// TestQueuedLargeBodiesDelivered queues bodies on both sides of every size where the
// store changes where it keeps them, and checks the app gets each one byte for byte
// when its client comes back.
func TestQueuedLargeBodiesDelivered(t *testing.T) {
	srv, _, rec, be, cl := recordSetup(t, nil, proto.OfflineQueue)
	cl.Stop()
	sizes := []int64{2049, 256 << 10, 256<<10 + 1, 3<<20 + 5}
	var sent [][]byte
	for _, n := range sizes {
		body := patternBytes(n)
		resp := post(t, srv.URL+"/t/hook/big", string(body))
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("queue %d bytes: status %d", n, resp.StatusCode)
		}
		sent = append(sent, body)
	}
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "hook", Target: relaytest.Target(t, be)})
	rec.wait(t, len(sizes))
	for i, got := range rec.all() {
		if !bytes.Equal(got.Body, sent[i]) {
			t.Errorf("queued delivery %d: app got %d bytes (content-length %q), want %d", i, len(got.Body),
				got.Header.Get("Content-Length"), len(sent[i]))
		}
	}
}
