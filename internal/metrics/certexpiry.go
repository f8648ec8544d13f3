package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// certCollector exports hookrelay_cert_expiry_timestamp_seconds{host} for the hosts
// whose certificate is known at scrape time.
type certCollector struct {
	desc   *prometheus.Desc
	hosts  []string
	expiry func(host string) (time.Time, bool)
}

func newCertCollector(hosts []string, expiry func(string) (time.Time, bool)) *certCollector {
	desc := prometheus.NewDesc("hookrelay_cert_expiry_timestamp_seconds",
		"NotAfter of the TLS certificate served for the host, in Unix seconds.", []string{"host"}, nil)
	return &certCollector{desc: desc, hosts: uniqueHosts(hosts), expiry: expiry}
}

// Describe implements prometheus.Collector.
func (c *certCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *certCollector) Collect(ch chan<- prometheus.Metric) {
	for _, h := range c.hosts {
		t, ok := c.expiry(h)
		if !ok {
			continue
		}
		if m, err := prometheus.NewConstMetric(c.desc, prometheus.GaugeValue, float64(t.Unix()), h); err == nil {
			ch <- m
		}
	}
}
