package inspect

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
)

// sseEvent is one parsed server-sent event.
type sseEvent struct {
	Name string
	Data string
}

// openFeed connects to the inspector's live feed and returns its events.
func openFeed(t *testing.T, srv *httptest.Server, query string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/events?"+query, nil)
	req.Header.Set("Origin", srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("feed: status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan sseEvent, 16)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.Name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.Data = line[len("data: "):]
			case line == "" && ev.Name != "":
				out <- ev
				ev = sseEvent{}
			}
		}
	}()
	return out
}

func next(t *testing.T, events <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("feed closed")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return sseEvent{}
}

func TestLiveFeedFiltersAndRendersRows(t *testing.T) {
	recs := fixture()
	src := newFake(recs...)
	h := newLocal(t, src)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	events := openFeed(t, srv, "method=POST&q=invoice&tunnel=")
	// Only the last matches: GET, then a POST whose path and body lack "invoice", then
	// the stripe delivery whose body has it.
	src.events <- recs[4].Summary
	src.events <- recs[3].Summary
	src.events <- recs[1].Summary
	ev := next(t, events)
	var row liveRow
	if err := json.Unmarshal([]byte(ev.Data), &row); err != nil || ev.Name != "delivery" {
		t.Fatalf("event %q %q: %v", ev.Name, ev.Data, err)
	}
	if row.ID != recs[1].ID || !strings.HasPrefix(row.HTML, `<tr id="r-`+recs[1].ID+`"`) ||
		!strings.Contains(row.HTML, "/hooks/stripe") {
		t.Fatalf("row %+v", row)
	}
}

func TestLiveFeedEscapesRows(t *testing.T) {
	recs := fixture()
	src := newFake(recs...)
	srv := httptest.NewServer(newLocal(t, src))
	t.Cleanup(srv.Close)
	events := openFeed(t, srv, "")
	src.events <- recs[0].Summary
	var row liveRow
	_ = json.Unmarshal([]byte(next(t, events).Data), &row)
	if strings.Contains(row.HTML, "<script>") || !strings.Contains(row.HTML, "&lt;script&gt;") {
		t.Fatalf("row not escaped: %s", row.HTML)
	}
}

func TestLiveFeedPushesState(t *testing.T) {
	var state atomic.Value
	state.Store("online")
	h, err := New(Config{Source: newFake(), State: func() string { return state.Load().(string) }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	events := openFeed(t, srv, "")
	state.Store("reconnecting")
	ev := next(t, events)
	if ev.Name != "state" || ev.Data != `{"state":"reconnecting"}` {
		t.Fatalf("event %q %q, want the new state", ev.Name, ev.Data)
	}
}

// flakySource fails its feed a few times before it works, like a relay restarting.
type flakySource struct {
	*fakeSource
	fails atomic.Int32
}

func (f *flakySource) Events(ctx context.Context, tunnel string, fn func(api.Summary)) error {
	if f.fails.Add(-1) >= 0 {
		return context.DeadlineExceeded
	}
	return f.fakeSource.Events(ctx, tunnel, fn)
}

func TestLiveFeedResubscribes(t *testing.T) {
	recs := fixture()
	src := &flakySource{fakeSource: newFake(recs...)}
	src.fails.Store(2)
	h, err := New(Config{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	events := openFeed(t, srv, "")
	src.events <- recs[1].Summary
	if ev := next(t, events); ev.Name != "delivery" {
		t.Fatalf("event %q after the feed came back", ev.Name)
	}
}
