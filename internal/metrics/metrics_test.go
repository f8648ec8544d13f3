package metrics_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/hookrelay/hookrelay/internal/metrics"
	"github.com/hookrelay/hookrelay/internal/server"
)

var update = flag.Bool("update", false, "rewrite golden files")

// delivery is one Observer.Delivery call.
type delivery struct {
	tunnel    string
	status    int
	code      string
	d         time.Duration
	in, out   int64
	storeErrs []string
}

// ownNames are the metric families this package defines (not go_* or process_*).
var ownNames = []string{
	"hookrelay_requests_total", "hookrelay_request_duration_seconds", "hookrelay_request_bytes_total",
	"hookrelay_response_bytes_total", "hookrelay_store_errors_total", "hookrelay_connected_clients",
	"hookrelay_online_tunnels", "hookrelay_queue_depth", "hookrelay_cert_expiry_timestamp_seconds",
}

func TestExposition(t *testing.T) {
	tests := []struct {
		name       string
		deliveries []delivery
	}{
		{name: "empty"},
		{name: "one_ok", deliveries: []delivery{{tunnel: "app", status: 200, d: 3 * time.Millisecond, in: 120, out: 2}}},
		{name: "mixed", deliveries: []delivery{
			{tunnel: "app", status: 200, d: time.Millisecond, in: 10, out: 20},
			{tunnel: "app", status: 200, d: 40 * time.Second, in: 10, out: 20},
			{tunnel: "app", status: 503, code: "tunnel_offline", d: 50 * time.Microsecond},
			{tunnel: "shop", status: 0, d: 2 * time.Minute, in: -1, out: 5, storeErrs: []string{"insert", "insert"}},
			{tunnel: "shop", status: 504, code: "local_timeout", d: 30 * time.Second, in: 1 << 20},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMetrics(t, fixedConfig())
			for _, d := range tt.deliveries {
				m.Delivery(d.tunnel, d.status, d.code, d.d, d.in, d.out)
				for _, op := range d.storeErrs {
					m.StoreError(op)
				}
			}
			got, err := testutil.GatherAndFormat(m.Gatherer(), expfmt.TypeTextPlain, ownNames...)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", tt.name+".golden"), got)
		})
	}
}

// fixedConfig exports a queue depth of 3 and one certificate expiring at a fixed time.
func fixedConfig() metrics.Config {
	expiry := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	return metrics.Config{
		QueueDepth: func(context.Context) (int, error) { return 3, nil },
		CertExpiry: func(host string) (time.Time, bool) { return expiry, host == "relay.example.com" },
		CertHosts:  []string{"relay.example.com", "unknown.example.com", "relay.example.com", ""},
	}
}

func newMetrics(t *testing.T, cfg metrics.Config) *metrics.Metrics {
	t.Helper()
	m, err := metrics.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	stats := server.Stats{Sessions: 2, Tunnels: 5}
	if err := m.WatchStats(func() server.Stats { return stats }); err != nil {
		t.Fatal(err)
	}
	return m
}

// golden compares got with the file at path, rewriting it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update to accept):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestWatchStatsTwice(t *testing.T) {
	m := newMetrics(t, metrics.Config{})
	if err := m.WatchStats(func() server.Stats { return server.Stats{} }); err == nil {
		t.Fatal("second WatchStats succeeded")
	}
}

func TestOptionalSourcesLeftOut(t *testing.T) {
	m, err := metrics.New(metrics.Config{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := testutil.GatherAndCount(m.Gatherer(), "hookrelay_queue_depth",
		"hookrelay_cert_expiry_timestamp_seconds", "hookrelay_connected_clients")
	if err != nil || n != 0 {
		t.Fatalf("got %d series (%v), want none", n, err)
	}
	if n, _ := testutil.GatherAndCount(m.Gatherer(), "go_goroutines"); n != 1 {
		t.Errorf("go collector missing")
	}
}

func TestQueueDepthCache(t *testing.T) {
	type step struct {
		advance time.Duration
		result  int
		fail    bool
		want    string // exported value
		calls   int    // total QueueDepth calls so far
	}
	tests := []struct {
		name  string
		every time.Duration
		steps []step
	}{
		{name: "cached within interval", steps: []step{
			{result: 4, want: "4", calls: 1},
			{advance: 4 * time.Second, result: 9, want: "4", calls: 1},
			{advance: time.Second, result: 9, want: "9", calls: 2},
		}},
		{name: "failure keeps last value and waits", steps: []step{
			{result: 4, want: "4", calls: 1},
			{advance: 5 * time.Second, fail: true, want: "4", calls: 2},
			{advance: time.Second, result: 7, want: "4", calls: 2},
			{advance: 5 * time.Second, result: 7, want: "7", calls: 3},
		}},
		{name: "custom interval", every: time.Second, steps: []step{
			{result: 1, want: "1", calls: 1},
			{advance: time.Second, result: 2, want: "2", calls: 2},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := time.Unix(1_700_000_000, 0)
			var calls int
			var cur step
			m, err := metrics.New(metrics.Config{
				QueueDepthEvery: tt.every,
				Now:             func() time.Time { return clock },
				QueueDepth: func(ctx context.Context) (int, error) {
					calls++
					if _, ok := ctx.Deadline(); !ok {
						t.Error("QueueDepth called without a deadline")
					}
					if cur.fail {
						return 0, errors.New("disk on fire")
					}
					return cur.result, nil
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tt.steps {
				clock, cur = clock.Add(s.advance), s
				got := gatherValue(t, m, "hookrelay_queue_depth")
				if got != s.want || calls != s.calls {
					t.Errorf("step %d: value %s after %d calls, want %s after %d", i, got, calls, s.want, s.calls)
				}
			}
		})
	}
}

// gatherValue returns the single sample of a metric family, as text.
func gatherValue(t *testing.T, m *metrics.Metrics, name string) string {
	t.Helper()
	b, err := testutil.GatherAndFormat(m.Gatherer(), expfmt.TypeTextPlain, name)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, name+" ") {
			return strings.TrimPrefix(line, name+" ")
		}
	}
	t.Fatalf("no sample of %s in:\n%s", name, b)
	return ""
}

func TestQueueDepthFailureCounted(t *testing.T) {
	m, err := metrics.New(metrics.Config{QueueDepth: func(context.Context) (int, error) {
		return 0, errors.New("store closed")
	}})
	if err != nil {
		t.Fatal(err)
	}
	_ = gatherValue(t, m, "hookrelay_queue_depth")
	want := "# HELP hookrelay_store_errors_total Failed store operations, by operation.\n" +
		"# TYPE hookrelay_store_errors_total counter\n" +
		"hookrelay_store_errors_total{op=\"claim\"} 0\n" +
		"hookrelay_store_errors_total{op=\"complete\"} 0\n" +
		"hookrelay_store_errors_total{op=\"insert\"} 0\n" +
		"hookrelay_store_errors_total{op=\"interrupt\"} 0\n" +
		"hookrelay_store_errors_total{op=\"probe\"} 0\n" +
		"hookrelay_store_errors_total{op=\"queue_depth\"} 1\n" +
		"hookrelay_store_errors_total{op=\"save_body\"} 0\n" +
		"hookrelay_store_errors_total{op=\"touch\"} 0\n"
	if err := testutil.GatherAndCompare(m.Gatherer(), strings.NewReader(want), "hookrelay_store_errors_total"); err != nil {
		t.Error(err)
	}
}

// TestStoreErrorsPresentAtZero: every store operation's error counter is exported at 0
// before anything failed, so alerts on it work from the start.
func TestStoreErrorsPresentAtZero(t *testing.T) {
	m, err := metrics.New(metrics.Config{})
	if err != nil {
		t.Fatal(err)
	}
	want := "# HELP hookrelay_store_errors_total Failed store operations, by operation.\n" +
		"# TYPE hookrelay_store_errors_total counter\n" +
		"hookrelay_store_errors_total{op=\"claim\"} 0\n" +
		"hookrelay_store_errors_total{op=\"complete\"} 0\n" +
		"hookrelay_store_errors_total{op=\"insert\"} 0\n" +
		"hookrelay_store_errors_total{op=\"interrupt\"} 0\n" +
		"hookrelay_store_errors_total{op=\"probe\"} 0\n" +
		"hookrelay_store_errors_total{op=\"save_body\"} 0\n" +
		"hookrelay_store_errors_total{op=\"touch\"} 0\n"
	if err := testutil.GatherAndCompare(m.Gatherer(), strings.NewReader(want), "hookrelay_store_errors_total"); err != nil {
		t.Error(err)
	}
}
