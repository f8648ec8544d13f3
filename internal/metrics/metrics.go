package metrics

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookrelay/hookrelay/internal/server"
)

// DefaultQueueDepthEvery is the default of Config.QueueDepthEvery.
const DefaultQueueDepthEvery = 5 * time.Second

// durationBuckets spread request durations from 1 ms (a local app answering at once)
// to 60 s (beyond the default 30 s timeout), roughly 2.5x apart.
var durationBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// Config configures New. Every field is optional; a nil source leaves its metric out.
type Config struct {
	// QueueDepth counts the deliveries waiting in offline queues, for
	// hookrelay_queue_depth. It usually runs a store query, so it is called during a
	// scrape at most once per QueueDepthEvery and under a 2 s deadline; in between, and
	// when it fails, the last value is exported (a failure also counts as
	// hookrelay_store_errors_total{op="queue_depth"}).
	QueueDepth func(ctx context.Context) (int, error)
	// QueueDepthEvery is the shortest time between two QueueDepth calls. Default
	// DefaultQueueDepthEvery (5 s). Lowering it makes every scrape query the store.
	QueueDepthEvery time.Duration
	// CertExpiry reports the NotAfter of the certificate served for a host (see
	// certs.Provider.Expiry), for hookrelay_cert_expiry_timestamp_seconds. It is called
	// for each of CertHosts at every scrape and must be fast; a host it reports no
	// certificate for is left out.
	CertExpiry func(host string) (time.Time, bool)
	// CertHosts are the host names whose certificate expiry is exported.
	CertHosts []string
	// Now is the clock of the queue depth cache. Default time.Now.
	Now func() time.Time
}

// Metrics holds the relay's metrics in a private registry. It implements
// server.Observer and is safe for concurrent use.
type Metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	bytesIn     *prometheus.CounterVec
	bytesOut    *prometheus.CounterVec
	storeErrors *prometheus.CounterVec
}

var _ server.Observer = (*Metrics)(nil)

// New registers the relay's metrics, and the Go runtime and process collectors, in a
// new registry.
func New(cfg Config) (*Metrics, error) {
	m := newMetrics()
	cs := []prometheus.Collector{m.requests, m.duration, m.bytesIn, m.bytesOut, m.storeErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})}
	if cfg.QueueDepth != nil {
		cs = append(cs, m.queueGauge(cfg))
	}
	if cfg.CertExpiry != nil {
		cs = append(cs, newCertCollector(cfg.CertHosts, cfg.CertExpiry))
	}
	if err := m.register(cs...); err != nil {
		return nil, err
	}
	m.zeroStoreErrors(cfg.QueueDepth != nil)
	return m, nil
}

// opQueueDepth is the store operation of Config.QueueDepth.
const opQueueDepth = "queue_depth"

// zeroStoreErrors creates every hookrelay_store_errors_total series at 0, so that an
// alert on its rate works before the first failure.
func (m *Metrics) zeroStoreErrors(queueDepth bool) {
	ops := server.StoreOps
	if queueDepth {
		ops = append(slices.Clip(ops), opQueueDepth)
	}
	for _, op := range ops {
		m.storeErrors.WithLabelValues(op)
	}
}

// newMetrics creates the delivery and store metrics.
func newMetrics() *Metrics {
	return &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hookrelay_requests_total",
			Help: "Deliveries finished, by tunnel, status sent to the sender (0: none) and relay error code."},
			[]string{"tunnel", "status", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hookrelay_request_duration_seconds",
			Help: "Time from receiving a delivery to the end of its response.", Buckets: durationBuckets},
			[]string{"tunnel"}),
		bytesIn: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hookrelay_request_bytes_total",
			Help: "Request body bytes received from senders."}, []string{"tunnel"}),
		bytesOut: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hookrelay_response_bytes_total",
			Help: "Response body bytes sent back to senders."}, []string{"tunnel"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hookrelay_store_errors_total",
			Help: "Failed store operations, by operation."}, []string{"op"}),
	}
}

func (m *Metrics) register(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return fmt.Errorf("register metrics: %w", err)
		}
	}
	return nil
}

// WatchStats exports hookrelay_connected_clients, hookrelay_online_tunnels,
// hookrelay_store_healthy and hookrelay_store_waiting_completions, read
// from stats (usually (*server.Server).Stats) at every scrape. Call it once, after the
// server exists; a second call fails.
func (m *Metrics) WatchStats(stats func() server.Stats) error {
	clients := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hookrelay_connected_clients",
		Help: "Relay clients connected."}, func() float64 { return float64(stats().Sessions) })
	tunnels := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hookrelay_online_tunnels",
		Help: "Tunnels with a connected client."}, func() float64 { return float64(stats().Tunnels) })
	healthy := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hookrelay_store_healthy",
		Help: "1 while the store writes, 0 while its writes fail (deliveries get 503 store_unavailable)."},
		func() float64 {
			if stats().StoreFailing {
				return 0
			}
			return 1
		})
	waiting := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hookrelay_store_waiting_completions",
		Help: "Delivery outcomes the store refused, kept in memory and retried until it takes them."},
		func() float64 { return float64(stats().WaitingCompletions) })
	return m.register(clients, tunnels, healthy, waiting)
}

// queueGauge is hookrelay_queue_depth, cached as Config describes.
func (m *Metrics) queueGauge(cfg Config) prometheus.Collector {
	onErr := func() { m.StoreError(opQueueDepth) }
	c := newCachedCount(cfg.QueueDepth, cfg.QueueDepthEvery, cfg.Now, onErr)
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hookrelay_queue_depth",
		Help: "Deliveries waiting in offline queues for their client."}, c.value)
}

// Delivery counts one finished delivery. It implements server.Observer.
func (m *Metrics) Delivery(tunnel string, status int, code string, d time.Duration, bytesIn, bytesOut int64) {
	m.requests.WithLabelValues(tunnel, strconv.Itoa(status), code).Inc()
	m.duration.WithLabelValues(tunnel).Observe(d.Seconds())
	m.bytesIn.WithLabelValues(tunnel).Add(float64(max(bytesIn, 0)))
	m.bytesOut.WithLabelValues(tunnel).Add(float64(max(bytesOut, 0)))
}

// StoreError counts one failed store operation. It implements server.Observer.
func (m *Metrics) StoreError(op string) {
	m.storeErrors.WithLabelValues(op).Inc()
}

// Gatherer returns the registry, for tests and for embedding in another exporter.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Handler serves the registry in the Prometheus exposition formats. A collector that
// fails is reported in the response and the other metrics are still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// uniqueHosts drops empty and repeated names, keeping the first occurrence's order.
func uniqueHosts(hosts []string) []string {
	out := make([]string, 0, len(hosts))
	for _, h := range hosts {
		if h != "" && !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}
