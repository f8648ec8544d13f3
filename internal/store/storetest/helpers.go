package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// base is the fixed time test records are received around.
var base = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func hdr(name, value string) store.Header {
	return store.Header{Name: name, Value: value}
}

// newBody returns a complete (untruncated) body holding data.
func newBody(data []byte) store.Body {
	sum := sha256.Sum256(data)
	return store.Body{Data: data, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
}

// newRecord returns a pending POST on tunnel owned by owner, received at
// base+at, changed by mods.
func newRecord(tunnel, owner string, at time.Duration, mods ...func(*store.Record)) *store.Record {
	r := &store.Record{
		Tunnel: tunnel, Owner: owner, ReceivedAt: base.Add(at),
		Method: "POST", Host: tunnel + ".relay.test", Path: "/hook", Proto: "HTTP/1.1",
		RemoteAddr: "192.0.2.1:5555", Outcome: store.OutcomePending,
	}
	for _, m := range mods {
		m(r)
	}
	return r
}

func mustInsert(t *testing.T, s store.Store, r *store.Record) *store.Record {
	t.Helper()
	if err := s.Insert(context.Background(), r); err != nil {
		t.Fatalf("Insert: %v", err)
	}
	return r
}

func mustGet(t *testing.T, s store.Store, owner, id string) *store.Record {
	t.Helper()
	got, err := s.Get(context.Background(), owner, id)
	if err != nil {
		t.Fatalf("Get(%q, %q): %v", owner, id, err)
	}
	return got
}

func mustList(t *testing.T, s store.Store, f store.Filter) store.Page {
	t.Helper()
	p, err := s.List(context.Background(), f)
	if err != nil {
		t.Fatalf("List(%+v): %v", f, err)
	}
	return p
}

func mustClaim(t *testing.T, s store.Store, tn store.Tunnel) {
	t.Helper()
	if err := s.ClaimTunnel(context.Background(), tn); err != nil {
		t.Fatalf("ClaimTunnel(%+v): %v", tn, err)
	}
}

// normalize maps the representations a store may legitimately return
// differently (empty vs nil slices, time zone, monotonic clock) to one.
func normalize(r store.Record) store.Record {
	r.ReceivedAt = time.Unix(0, r.ReceivedAt.UnixNano()).UTC()
	if len(r.Headers) == 0 {
		r.Headers = nil
	}
	if len(r.RespHeaders) == 0 {
		r.RespHeaders = nil
	}
	if len(r.Body.Data) == 0 {
		r.Body.Data = nil
	}
	if len(r.RespBody.Data) == 0 {
		r.RespBody.Data = nil
	}
	return r
}

// checkRecord fails the test listing every field where got differs from
// want.
func checkRecord(t *testing.T, want, got store.Record) {
	t.Helper()
	w, g := reflect.ValueOf(normalize(want)), reflect.ValueOf(normalize(got))
	for i := range w.NumField() {
		if !reflect.DeepEqual(w.Field(i).Interface(), g.Field(i).Interface()) {
			t.Errorf("record %s field %s = %s, want %s", want.ID, w.Type().Field(i).Name,
				short(g.Field(i).Interface()), short(w.Field(i).Interface()))
		}
	}
}

// short formats v for an error message, eliding long values.
func short(v any) string {
	s := fmt.Sprintf("%+v", v)
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

func ids(recs []store.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

// reversed returns a reversed copy of s.
func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

// listAll follows Next until the end and returns every record.
func listAll(t *testing.T, s store.Store, f store.Filter) []store.Record {
	t.Helper()
	var all []store.Record
	for range 10000 {
		p := mustList(t, s, f)
		all = append(all, p.Records...)
		if p.Next == "" {
			return all
		}
		f.Cursor = p.Next
	}
	t.Fatalf("List(%+v) never ended", f)
	return nil
}
