package faultsuite

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// chaosLink is an in-process toxiproxy proxy carrying the client's tunnel connection to
// the server. Toxics on "downstream" slow or break what the server sends the client
// (requests), on "upstream" what the client sends back (answers).
type chaosLink struct {
	t     *testing.T
	proxy *toxiproxy.Proxy
}

// toxiproxy's toxics log through zerolog's global logger; the suite reports on its own.
func init() { zerolog.SetGlobalLevel(zerolog.Disabled) }

func newChaosLink(t *testing.T, upstream string) *chaosLink {
	t.Helper()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(srv, "tunnel", "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		t.Fatalf("start chaos proxy: %v", err)
	}
	t.Cleanup(p.Stop)
	return &chaosLink{t: t, proxy: p}
}

// addr is where the client connects.
func (c *chaosLink) addr() string {
	c.proxy.Lock()
	defer c.proxy.Unlock()
	return c.proxy.Listen
}

// toxic is one toxic to add: its type, direction and attributes.
type toxic struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Stream     string         `json:"stream"`
	Toxicity   float32        `json:"toxicity"`
	Attributes map[string]any `json:"attributes"`
}

// add puts a toxic on the link.
func (c *chaosLink) add(x toxic) {
	c.t.Helper()
	if x.Toxicity == 0 {
		x.Toxicity = 1
	}
	b, err := json.Marshal(x)
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.proxy.Toxics.AddToxicJson(bytes.NewReader(b)); err != nil {
		c.t.Fatalf("add toxic %s: %v", x.Name, err)
	}
}

// clear removes every toxic.
func (c *chaosLink) clear() {
	c.proxy.Toxics.ResetToxics(context.Background())
}
