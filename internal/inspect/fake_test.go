package inspect

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/store"
)

// fakeSource is an in-memory Source with fixed records, newest first.
type fakeSource struct {
	mu      sync.Mutex
	recs    []*api.Record
	tunnels []api.Tunnel
	events  chan api.Summary
	lists   []store.Filter
	replays []replayCall
	bulk    []store.Filter
}

type replayCall struct {
	ID   string
	Edit *api.Edit
}

func newFake(recs ...*api.Record) *fakeSource {
	return &fakeSource{recs: recs, events: make(chan api.Summary, 16), tunnels: []api.Tunnel{
		{Name: "hook", Online: true, URLs: []string{"https://relay.example/t/hook/", "https://hook.relay.example/"}, Offline: "queue"},
		{Name: "other", Offline: "reject", URLs: []string{"https://relay.example/t/other/"}},
	}}
}

func (f *fakeSource) List(_ context.Context, flt store.Filter) (*api.List, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists = append(f.lists, flt)
	var match []api.Summary
	for _, r := range f.recs {
		if matchesSummary(flt, r.Summary) && (flt.Text == "" || containsFold([]byte(r.Path), flt.Text) ||
			containsFold(r.Request.Body, flt.Text)) {
			match = append(match, r.Summary)
		}
	}
	start := 0
	if flt.Cursor != "" {
		start = slices.IndexFunc(match, func(s api.Summary) bool { return s.ID == flt.Cursor }) + 1
	}
	limit := cmpOr(flt.Limit, store.DefaultLimit)
	out := &api.List{Requests: match[start:min(start+limit, len(match))]}
	if start+limit < len(match) {
		out.Next = out.Requests[len(out.Requests)-1].ID
	}
	return out, nil
}

func (f *fakeSource) Get(_ context.Context, id string) (*api.Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.recs {
		if r.ID == id {
			return r, nil
		}
	}
	return nil, &api.Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such record"}
}

func (f *fakeSource) Replay(_ context.Context, id string, edit *api.Edit) (*api.Record, error) {
	orig, err := f.Get(context.Background(), id)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replays = append(f.replays, replayCall{id, edit})
	rec := *orig
	rec.ID, rec.ReplayOf = fmt.Sprintf("replay%02d", len(f.replays)), id
	f.recs = append([]*api.Record{&rec}, f.recs...)
	return &rec, nil
}

func (f *fakeSource) BulkReplay(ctx context.Context, flt store.Filter, _ api.BulkOptions, progress func(api.ReplayResult)) error {
	f.mu.Lock()
	f.bulk = append(f.bulk, flt)
	var ids []string
	for _, r := range f.recs {
		if matchesSummary(flt, r.Summary) {
			ids = append(ids, r.ID)
		}
	}
	f.mu.Unlock()
	for i, id := range ids {
		rec, err := f.Replay(ctx, id, &api.Edit{})
		if err != nil {
			return err
		}
		progress(api.ReplayResult{Original: id, Record: rec, Done: i + 1, Total: len(ids)})
	}
	return nil
}

func (f *fakeSource) Tunnels(context.Context) ([]api.Tunnel, error) { return f.tunnels, nil }

func (f *fakeSource) Events(ctx context.Context, tunnel string, fn func(api.Summary)) error {
	for {
		select {
		case s := <-f.events:
			if tunnel == "" || s.Tunnel == tunnel {
				fn(s)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (f *fakeSource) replayCalls() []replayCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.replays)
}

// base is the fixed time of the test records.
var base = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

func hdrs(kv ...string) [][2]string {
	var out [][2]string
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, [2]string{kv[i], kv[i+1]})
	}
	return out
}

// fixture returns the records of the golden pages: JSON, form, binary, a replay and a
// hostile one, newest first.
func fixture() []*api.Record {
	stripe := []byte(`{"id":"evt_1","type":"invoice.paid","data":{"object":{"amount":4200,"currency":"eur"}}}`)
	recs := []*api.Record{
		rec("01jpa0000000000000000000e5", 5, "POST", "/<script>alert(1)</script>", "x=<b>", 200,
			hdrs("Content-Type", "text/html", "X-Evil", `"><img src=x onerror=alert(1)>`),
			[]byte("</pre><script>alert('body')</script>")),
		rec("01jpa0000000000000000000d4", 4, "POST", "/hooks/stripe", "", 200,
			hdrs("Content-Type", "application/json", "Stripe-Signature", "t=1,v1=abc"), stripe),
		rec("01jpa0000000000000000000c3", 3, "POST", "/upload", "", 500,
			hdrs("Content-Type", "application/octet-stream"), []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR binary")),
		rec("01jpa0000000000000000000b2", 2, "POST", "/form", "", 404,
			hdrs("Content-Type", "application/x-www-form-urlencoded"), []byte("name=Ada+Lovelace&lang=en&empty=")),
		rec("01jpa0000000000000000000a1", 1, "GET", "/health", "deep=1", 0, hdrs("Accept", "*/*"), nil),
	}
	recs[1].Verification = &store.Verification{Provider: "stripe", OK: true}
	recs[1].EventID = "evt_1"
	recs[1].Tries = []api.Try{
		{N: 1, ClientID: "c-9f2", Label: "ana's laptop", Role: "primary", Status: 502, DurationMS: 12.5,
			Error: "local_unreachable", At: base},
		{N: 2, ClientID: "c-41a", Role: "mirror", Status: 200, DurationMS: 3.25, At: base.Add(time.Millisecond)},
	}
	recs[0].Tries = []api.Try{{N: 1, Label: "<script>alert('label')</script>", Role: "primary",
		Error: "<img src=x onerror=alert(1)>", At: base}}
	recs[1].Response = api.Message{Headers: hdrs("Content-Type", "application/json"), Body: []byte(`{"received":true}`), BodySize: 17}
	recs[2].Request.BodyTruncated, recs[2].Request.BodySize = true, 4096
	recs[2].ReplayOf, recs[2].Attempts = "01jpa0000000000000000000a1", 2
	recs[3].Verification = &store.Verification{Provider: "github", OK: false, Reason: "signature mismatch"}
	recs[3].Duplicate, recs[3].EventID = true, "gh-7"
	recs[4].Outcome, recs[4].ErrorCode = store.OutcomeOffline, "tunnel_offline"
	return recs
}

func rec(id string, n int, method, path, query string, status int, h [][2]string, body []byte) *api.Record {
	return &api.Record{Summary: api.Summary{ID: id, Tunnel: "hook", Method: method, Path: path, Query: query,
		Status: status, Outcome: store.OutcomeOK, ReceivedAt: base.Add(time.Duration(n) * 1500 * time.Millisecond),
		DurationMS: float64(n) * 3.25, Size: int64(len(body))},
		Host: "relay.example", Proto: "HTTP/1.1", RemoteAddr: "203.0.113.7:5" + strings.Repeat("1", n),
		Request:  api.Message{Headers: h, Body: body, BodySize: int64(len(body))},
		Response: api.Message{Headers: hdrs("Content-Type", "text/plain"), Body: []byte("ok"), BodySize: 2}}
}
