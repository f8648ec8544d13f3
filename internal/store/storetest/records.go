package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// allBytes is a body holding every byte value, NULs and invalid UTF-8
// included.
func allBytes() []byte {
	b := make([]byte, 512)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// fullRecord sets every field of the record.
func fullRecord(r *store.Record) {
	r.Method, r.Host, r.Path, r.RawQuery = "PUT", "shop.relay.test", "/hooks/ÄÖ%20x", "a=1&b=%ff"
	r.Proto, r.RemoteAddr = "HTTP/2.0", "[2001:db8::1]:443"
	r.Headers = []store.Header{
		hdr("X-B", "2"), hdr("x-a", "1"), hdr("X-B", "again"), hdr("Empty", ""), hdr("Bin", "\xff\xfe\x00ok"),
	}
	r.Body = newBody(allBytes())
	r.Body.Size, r.Body.Truncated = 1<<20, true
	r.Status, r.Outcome, r.ErrorCode = 418, store.OutcomeOK, "teapot"
	r.RespHeaders = []store.Header{hdr("Content-Type", "application/octet-stream"), hdr("Set-Cookie", "a=b")}
	r.RespBody = newBody([]byte{0, 1, 2, 0xff})
	r.Duration = 1234567 * time.Nanosecond
	r.ReplayOf = store.NewID(base)
	r.Verification = &store.Verification{Provider: "stripe", OK: true}
	r.EventID, r.Duplicate, r.Attempts, r.Resigned = "evt_123", true, 3, true
}

func testRoundTrip(t *testing.T, s store.Store) {
	tests := []struct {
		name string
		mod  func(*store.Record)
	}{
		{"minimal", func(r *store.Record) {
			r.Method, r.Host, r.Path, r.Proto, r.RemoteAddr, r.Outcome = "", "", "", "", "", ""
		}},
		{"every field", fullRecord},
		{"failed verification", func(r *store.Record) {
			r.Verification = &store.Verification{Provider: "github", Reason: "bad signature"}
		}},
		{"answered by the relay", func(r *store.Record) { // a handshake: inserted whole, response half included
			r.Status, r.Outcome, r.Duration = 200, store.OutcomeHandshake, time.Millisecond
			r.RespHeaders = []store.Header{hdr("Content-Type", "text/plain; charset=utf-8"), hdr("Cache-Control", "no-store")}
			r.RespBody = newBody([]byte("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"))
		}},
		{"caller id", func(r *store.Record) { r.ID = store.NewID(base) }},
		{"nanosecond time", func(r *store.Record) { r.ReceivedAt = base.Add(123456789 * time.Nanosecond) }},
		{"local time zone", func(r *store.Record) { r.ReceivedAt = base.In(time.FixedZone("X", 3600)) }},
		{"zero time", func(r *store.Record) { r.ReceivedAt = time.Time{} }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRecord("rt", "owner-a", time.Duration(i)*time.Second, tt.mod)
			want := *r
			mustInsert(t, s, r)
			if !store.ValidID(r.ID) || r.Seq <= 0 {
				t.Fatalf("Insert assigned ID %q Seq %d", r.ID, r.Seq)
			}
			if want.ID != "" && r.ID != want.ID {
				t.Fatalf("Insert changed caller ID %q to %q", want.ID, r.ID)
			}
			want.ID, want.Seq = r.ID, r.Seq
			if want.ReceivedAt.IsZero() {
				if r.ReceivedAt.IsZero() {
					t.Fatal("Insert left ReceivedAt zero")
				}
				want.ReceivedAt = r.ReceivedAt
			}
			if want.Outcome == "" {
				want.Outcome = store.OutcomePending
			}
			checkRecord(t, want, *mustGet(t, s, "owner-a", r.ID))
		})
	}
}

func testComplete(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := mustInsert(t, s, newRecord("c", "owner-a", 0, func(r *store.Record) {
		r.Body = newBody([]byte("request"))
		r.EventID = "evt_1"
	}))
	done := *r
	fullRecord(&done)
	done.Method, done.Path, done.Headers, done.Body = r.Method, r.Path, r.Headers, r.Body
	done.Host, done.RawQuery, done.Proto, done.RemoteAddr = r.Host, r.RawQuery, r.Proto, r.RemoteAddr
	done.ReplayOf, done.EventID = r.ReplayOf, r.EventID // not part of the response half
	if err := s.Complete(ctx, &done); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	checkRecord(t, done, *mustGet(t, s, "owner-a", r.ID))

	again := done
	again.Status, again.Outcome, again.RespBody, again.RespHeaders = 0, store.OutcomeTimeout, store.Body{}, nil
	again.Verification, again.Duplicate, again.ErrorCode = nil, false, "timeout"
	if err := s.Complete(ctx, &again); err != nil {
		t.Fatalf("second Complete: %v", err)
	}
	checkRecord(t, again, *mustGet(t, s, "owner-a", r.ID))

	missing := done
	missing.ID = store.NewID(base)
	if err := s.Complete(ctx, &missing); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Complete of unknown id = %v, want ErrNotFound", err)
	}
	bad := done
	bad.Outcome = "finished"
	if err := s.Complete(ctx, &bad); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Complete with bad outcome = %v, want ErrInvalid", err)
	}
}

func testInsertInvalid(t *testing.T, s store.Store) {
	taken := mustInsert(t, s, newRecord("inv", "owner-a", 0))
	tests := []struct {
		name string
		mod  func(*store.Record)
		want error
	}{
		{"no tunnel", func(r *store.Record) { r.Tunnel = "" }, store.ErrInvalid},
		{"no owner", func(r *store.Record) { r.Owner = "" }, store.ErrInvalid},
		{"malformed id", func(r *store.Record) { r.ID = "../etc" }, store.ErrInvalid},
		{"unknown outcome", func(r *store.Record) { r.Outcome = "done" }, store.ErrInvalid},
		{"taken id", func(r *store.Record) { r.ID = taken.ID }, store.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Insert(context.Background(), newRecord("inv", "owner-a", time.Second, tt.mod))
			if !errors.Is(err, tt.want) {
				t.Errorf("Insert = %v, want %v", err, tt.want)
			}
		})
	}
	checkRecord(t, *taken, *mustGet(t, s, "owner-a", taken.ID))
}

// testManyInserts stores 1,000 records with random binary bodies and
// headers and reads every one back byte for byte.
func testManyInserts(t *testing.T, s store.Store) {
	rng := rand.New(rand.NewPCG(1, 2))
	want := make([]store.Record, 1000)
	for i := range want {
		r := newRecord("many", "owner-a", time.Duration(i)*time.Millisecond, func(r *store.Record) {
			r.Body = newBody(randomBytes(rng, rng.IntN(4096)))
			r.Headers = []store.Header{hdr("X-N", fmt.Sprint(i)), hdr("X-R", string(randomBytes(rng, 16)))}
		})
		want[i] = *mustInsert(t, s, r)
	}
	for _, w := range want {
		checkRecord(t, w, *mustGet(t, s, "owner-a", w.ID))
	}
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func testOwnerIsolation(t *testing.T, s store.Store) {
	ctx := context.Background()
	mine := mustInsert(t, s, newRecord("iso", "owner-a", 0))
	theirs := mustInsert(t, s, newRecord("iso2", "owner-b", 0))
	for _, tt := range []struct{ owner, id string }{
		{"owner-b", mine.ID}, {"owner-a", theirs.ID}, {"", mine.ID}, {"owner-a", store.NewID(base)},
	} {
		if _, err := s.Get(ctx, tt.owner, tt.id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(%q, %q) = %v, want ErrNotFound", tt.owner, tt.id, err)
		}
	}
	if got := ids(mustList(t, s, store.Filter{Owner: "owner-b"}).Records); len(got) != 1 || got[0] != theirs.ID {
		t.Errorf("owner-b lists %v, want only %s", got, theirs.ID)
	}
}

// testConcurrentWriters records and completes from many goroutines at once
// and checks that nothing was lost or mixed up.
func testConcurrentWriters(t *testing.T, s store.Store) {
	const writers, each = 8, 50
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				errs <- insertComplete(ctx, s, w, i)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	all := listAll(t, s, store.Filter{Owner: "owner-a", Limit: 77})
	seen := map[int64]bool{}
	for _, r := range all {
		if seen[r.Seq] || r.Outcome != store.OutcomeOK || r.Status != 200 {
			t.Fatalf("bad or repeated record %+v", r)
		}
		seen[r.Seq] = true
	}
	if len(all) != writers*each {
		t.Fatalf("listed %d records, want %d", len(all), writers*each)
	}
}

func insertComplete(ctx context.Context, s store.Store, w, i int) error {
	body := []byte(fmt.Sprintf("writer %d request %d", w, i))
	r := newRecord(fmt.Sprint("cw", w), "owner-a", time.Duration(i)*time.Millisecond,
		func(r *store.Record) { r.Body = newBody(body) })
	if err := s.Insert(ctx, r); err != nil {
		return fmt.Errorf("writer %d Insert: %w", w, err)
	}
	r.Status, r.Outcome, r.RespBody = 200, store.OutcomeOK, newBody(body)
	if err := s.Complete(ctx, r); err != nil {
		return fmt.Errorf("writer %d Complete: %w", w, err)
	}
	got, err := s.Get(ctx, "owner-a", r.ID)
	if err != nil {
		return fmt.Errorf("writer %d Get: %w", w, err)
	}
	if string(got.Body.Data) != string(body) || string(got.RespBody.Data) != string(body) {
		return fmt.Errorf("writer %d record %d: bodies %q / %q", w, i, got.Body.Data, got.RespBody.Data)
	}
	return nil
}
