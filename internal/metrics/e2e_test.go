package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/metrics"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
)

// TestObserverThroughTunnel sends real deliveries through a relay whose Observer is a
// *Metrics and scrapes its handler over HTTP.
func TestObserverThroughTunnel(t *testing.T) {
	m, err := metrics.New(metrics.Config{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "relay.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	srv := relaytest.StartServer(t, "", func(c *server.Config) { c.Observer, c.Store = m, db })
	if err := m.WatchStats(srv.Stats); err != nil {
		t.Fatal(err)
	}
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, "thanks")
	}))
	t.Cleanup(app.Close)
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "hooks", Target: relaytest.Target(t, app.URL)})

	post(t, srv.URL+"/t/hooks/stripe", "{\"id\":1}", http.StatusAccepted)
	post(t, srv.URL+"/t/nobody/x", "{}", http.StatusServiceUnavailable) // unknown names answer like offline ones

	scrape := httptest.NewServer(m.Handler())
	t.Cleanup(scrape.Close)
	body := get(t, scrape.URL)
	for _, want := range []string{
		`hookrelay_requests_total{code="",status="202",tunnel="hooks"} 1`,
		`hookrelay_request_bytes_total{tunnel="hooks"} 8`,
		`hookrelay_response_bytes_total{tunnel="hooks"} 6`,
		`hookrelay_request_duration_seconds_count{tunnel="hooks"} 1`,
		"hookrelay_connected_clients 1",
		"hookrelay_online_tunnels 1",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if strings.Contains(body, `tunnel="nobody"`) {
		t.Error("a request for an unclaimed name created a series")
	}
}

func post(t *testing.T, url, body string, want int) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s: status %d, want %d: %s", url, resp.StatusCode, want, b)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}
