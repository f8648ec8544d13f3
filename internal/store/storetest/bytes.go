package storetest

import (
	"bytes"
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// byteValues holds every byte value once, 0 to 255 in order.
func byteValues() string {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return string(b)
}

// testBytesInStrings: the strings a sender controls (path, query, host,
// header names and values, the event id taken from a header) may hold any
// bytes, invalid UTF-8 and NUL included, and are stored exactly; the event id
// and the text filter work on such bytes.
func testBytesInStrings(t *testing.T, s store.Store) {
	ctx := context.Background()
	all := byteValues()
	r := mustInsert(t, s, newRecord("bs", "owner-a", 0, func(r *store.Record) {
		r.Path, r.RawQuery, r.Host = "/a\xff\xfeb/Ünï", "q=\xff\x00&all="+all, "h\xc3("
		r.Proto, r.RemoteAddr, r.EventID = "HTTP/1.1\x00", "\xff:1", "ev\xc3("
		r.Headers = []store.Header{hdr("X-All", all), hdr("\xff\x00name", "v\r\n\x00"), hdr("", ""),
			hdr("X-Id", "ev\xc3(")}
		r.Body = newBody([]byte("before \xff PAYLOAD\x00after nul"))
	}))
	done := *r
	done.Status, done.Outcome, done.ErrorCode = 500, store.OutcomeError, "code\xff\x00"
	done.RespHeaders = []store.Header{hdr("Set-Cookie", all), hdr("X-\xfe", "")}
	done.RespBody = newBody([]byte(all))
	done.Verification = &store.Verification{Provider: "p\x00", Reason: "bad \xff byte"}
	if err := s.Complete(ctx, &done); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	checkRecord(t, done, *mustGet(t, s, "owner-a", r.ID))
	if seen, err := s.SeenEvent(ctx, "owner-a", "bs", "ev\xc3(", 0); err != nil || !seen {
		t.Errorf("SeenEvent of an id with invalid UTF-8 = %v, %v; want true", seen, err)
	}
	if seen, err := s.SeenEvent(ctx, "owner-a", "bs", "ev\xc3", 0); err != nil || seen {
		t.Errorf("SeenEvent of a prefix = %v, %v; want false", seen, err)
	}
	for _, tt := range []struct {
		text string
		want bool
	}{
		{"A\xFF\xfeB", true},   // path, ASCII case folded, across 0xff
		{"\xff payload", true}, // body before its NUL
		{"after nul", false},   // body after its NUL: not searched
		{"ünï", false},         // only ASCII letters fold
		{"Ünï", true},
	} {
		p := mustList(t, s, store.Filter{Owner: "owner-a", Text: tt.text})
		if got := slices.Equal(ids(p.Records), []string{r.ID}); got != tt.want {
			t.Errorf("Text %q matches = %v, want %v", tt.text, got, tt.want)
		}
	}
}

// testByteExactBodies: bodies of every byte value and of sizes up to several
// MiB come back exactly, request and response, through Insert, Complete and
// SaveRequestBody.
func testByteExactBodies(t *testing.T, s store.Store) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, size := range []int{256, 1023, 1024, 1025, 64 << 10, 4<<20 + 3} {
		req := randomBytes(rng, size)
		copy(req, byteValues())
		resp := randomBytes(rng, size)
		r := mustInsert(t, s, newRecord("bx", "owner-a", 0, func(r *store.Record) { r.Body = newBody(req) }))
		r.Status, r.Outcome, r.RespBody = 200, store.OutcomeOK, newBody(resp)
		if err := s.Complete(ctx, r); err != nil {
			t.Fatalf("Complete with %d bytes: %v", size, err)
		}
		got := mustGet(t, s, "owner-a", r.ID)
		if !bytes.Equal(got.Body.Data, req) || !bytes.Equal(got.RespBody.Data, resp) {
			t.Fatalf("%d bytes: got request %d bytes, response %d bytes, not the bytes stored",
				size, len(got.Body.Data), len(got.RespBody.Data))
		}
		saved := mustInsert(t, s, newRecord("bx", "owner-a", time.Second))
		saved.Body = newBody(resp)
		if err := s.SaveRequestBody(ctx, saved); err != nil {
			t.Fatalf("SaveRequestBody with %d bytes: %v", size, err)
		}
		if got := mustGet(t, s, "owner-a", saved.ID); !bytes.Equal(got.Body.Data, resp) {
			t.Fatalf("%d bytes saved: got %d bytes back, not the bytes stored", size, len(got.Body.Data))
		}
	}
}

// testNanosecondTimes: times keep their nanoseconds, and the time filters
// and Missed compare at that precision.
func testNanosecondTimes(t *testing.T, s store.Store) {
	ctx := context.Background()
	at := base.Add(time.Nanosecond)
	r := mustInsert(t, s, newRecord("ns", "owner-a", time.Nanosecond, withOutcome(store.OutcomeOffline)))
	if got := mustGet(t, s, "owner-a", r.ID).ReceivedAt; !got.Equal(at) {
		t.Errorf("ReceivedAt = %v, want %v", got.Format(time.RFC3339Nano), at.Format(time.RFC3339Nano))
	}
	for _, tt := range []struct {
		f    store.Filter
		want int
	}{
		{store.Filter{Owner: "owner-a", Since: at}, 1},
		{store.Filter{Owner: "owner-a", Since: at.Add(1)}, 0},
		{store.Filter{Owner: "owner-a", Until: at}, 0},
		{store.Filter{Owner: "owner-a", Until: at.Add(1)}, 1},
	} {
		if got := len(mustList(t, s, tt.f).Records); got != tt.want {
			t.Errorf("List(since %v, until %v) = %d records, want %d", tt.f.Since, tt.f.Until, got, tt.want)
		}
	}
	if n, err := s.Missed(ctx, "owner-a", "ns", at.Add(1)); err != nil || n != 0 {
		t.Errorf("Missed one nanosecond after = %d, %v; want 0", n, err)
	}
	tn := store.Tunnel{Name: "ns", Owner: "owner-a", CreatedAt: at, LastSeen: at.Add(1)}
	mustClaim(t, s, tn)
	if err := s.TouchTunnel(ctx, "ns", at.Add(2)); err != nil {
		t.Fatal(err)
	}
	tn.Offline, tn.LastSeen = store.OfflineReject, at.Add(2)
	checkTunnel(t, tn, mustGetTunnel(t, s, "ns"))
}

// testRequeueByComplete: Complete with the outcome queued (a live delivery
// that lost its client) puts a record in the queue, and completing it
// otherwise takes it out, whatever outcome it was inserted with.
func testRequeueByComplete(t *testing.T, s store.Store) {
	ctx := context.Background()
	live := mustInsert(t, s, newRecord("rq", "owner-a", 0, func(r *store.Record) { r.Body = newBody([]byte("x")) }))
	queued := mustInsert(t, s, newRecord("rq", "owner-a", time.Second, withOutcome(store.OutcomeQueued)))
	checkQueue := func(step string, want ...string) {
		t.Helper()
		got, err := s.Queued(ctx, "rq", 0)
		if err != nil || !slices.Equal(ids(got), want) {
			t.Errorf("%s: Queued = %v, %v; want %v", step, ids(got), err, want)
		}
	}
	checkQueue("inserted", queued.ID)
	live.Outcome, live.ErrorCode = store.OutcomeQueued, "tunnel_offline"
	if err := s.Complete(ctx, live); err != nil {
		t.Fatal(err)
	}
	checkQueue("requeued by Complete", live.ID, queued.ID)
	if err := s.Complete(ctx, live); err != nil {
		t.Fatal(err)
	}
	checkQueue("requeued twice", live.ID, queued.ID)
	if n, err := s.Missed(ctx, "owner-a", "rq", time.Time{}); err != nil || n != 2 {
		t.Errorf("Missed = %d, %v; want 2", n, err)
	}
	for _, r := range []*store.Record{queued, live} {
		r.Status, r.Outcome, r.Attempts = 200, store.OutcomeOK, 1
		if err := s.Complete(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	checkQueue("delivered")
	if got := mustGet(t, s, "owner-a", live.ID); got.Outcome != store.OutcomeOK || got.Attempts != 1 ||
		string(got.Body.Data) != "x" {
		t.Errorf("delivered record = %+v", got)
	}
}
