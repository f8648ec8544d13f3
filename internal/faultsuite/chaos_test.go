package faultsuite

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// chaosCases are the link faults between client and server, each held for a while
// under traffic. Downstream is what the server sends the client (the requests),
// upstream what the client sends back.
var chaosCases = []struct {
	name   string
	toxics []toxic
	hold   time.Duration // how long the toxics stay after the batch was sent
}{
	{name: "latency", toxics: []toxic{
		{Name: "lat-down", Type: "latency", Stream: "downstream", Attributes: map[string]any{"latency": 80, "jitter": 40}},
		{Name: "lat-up", Type: "latency", Stream: "upstream", Attributes: map[string]any{"latency": 80, "jitter": 40}},
	}},
	{name: "bandwidth", toxics: []toxic{
		{Name: "bw-down", Type: "bandwidth", Stream: "downstream", Attributes: map[string]any{"rate": 512}},
		{Name: "bw-up", Type: "bandwidth", Stream: "upstream", Attributes: map[string]any{"rate": 512}},
	}},
	{name: "slicer", toxics: []toxic{
		{Name: "slice-down", Type: "slicer", Stream: "downstream", Attributes: map[string]any{"average_size": 700, "size_variation": 600, "delay": 50}},
		{Name: "slice-up", Type: "slicer", Stream: "upstream", Attributes: map[string]any{"average_size": 300, "size_variation": 250, "delay": 50}},
	}},
	{name: "limit_data", toxics: []toxic{ // every connection is cut after 300 KB
		{Name: "limit-down", Type: "limit_data", Stream: "downstream", Attributes: map[string]any{"bytes": 300_000}},
	}, hold: 2 * time.Second},
	{name: "reset_peer", toxics: []toxic{ // every connection is reset after 1.5 s
		{Name: "reset-up", Type: "reset_peer", Stream: "upstream", Attributes: map[string]any{"timeout": 1500}},
	}, hold: 3 * time.Second},
	{name: "blackhole", toxics: []toxic{ // data stops flowing, connections stay open
		{Name: "hole-down", Type: "timeout", Stream: "downstream", Attributes: map[string]any{"timeout": 0}},
		{Name: "hole-up", Type: "timeout", Stream: "upstream", Attributes: map[string]any{"timeout": 0}},
	}, hold: 8 * time.Second},
}

// chaosSpec is the batch sent under each toxic: the suite's mix plus one 512 KiB body.
func chaosSpec(i int) spec {
	if i == 0 {
		return spec{size: 512 << 10}
	}
	return mixedSpec(i * 7)
}

// TestChaosLink runs traffic through each link fault in turn on one relay, lets the
// tunnel recover after each, replays what was missed, and holds the whole run to the
// oracle. Requests may fail while the link is sick, but only with the relay's clean
// refusals.
func TestChaosLink(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{})
	r.startClient()
	s := r.sender("chaos")
	for _, c := range chaosCases {
		for _, x := range c.toxics {
			r.link.add(x)
		}
		wait := inFlightSpecs(s, specs(24, chaosSpec))
		time.Sleep(c.hold)
		r.link.clear()
		wait()
		if !r.probe(s, scaled(90*time.Second)) {
			t.Fatalf("%s: the tunnel carries no traffic after the toxics were removed\nclient: %s", c.name, r.client.lastLines())
		}
		t.Logf("%s: done", c.name)
	}
	t.Logf("answers under chaos: %s", statusSummary(mustResults(s)))
	r.replayMissed()
	r.verdict(s)
}

// inFlightSpecs sends every spec at once and returns a wait for their answers.
func inFlightSpecs(s *sender, sp []spec) (wait func()) {
	done := make(chan struct{})
	go func() {
		s.sendAll(sp)
		close(done)
	}()
	return func() { <-done }
}

func mustResults(s *sender) []Sent {
	sent, _ := s.results()
	return sent
}

// TestSaturatedLinkKeepsSession fills a slow link with several large requests: more
// data waits ahead of the keep-alive ping than its timeout allows to drain, which must
// not end the session. Every request reaches the app whole and gets its answer.
func TestSaturatedLinkKeepsSession(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{serverArgs: []string{"--timeout", "120s"}})
	r.startClient()
	s := r.sender("saturated")
	dropped := r.server.watch(func(l string) bool { return strings.Contains(l, `msg="session ended"`) })
	r.link.add(toxic{Name: "bw-down", Type: "bandwidth", Stream: "downstream", Attributes: map[string]any{"rate": 128}})
	for _, got := range s.sendAll(specs(4, func(int) spec { return spec{size: 320 << 10} })) {
		if !got.FromApp || got.Status != http.StatusOK {
			t.Errorf("send %s (%d bytes over a 128 KB/s link): %d %s, want the app's 200", got.ID, got.Size, got.Status, got.Code)
		}
	}
	select {
	case <-dropped:
		t.Error("the session was dropped while the link was busy")
	default:
	}
	r.link.clear()
	r.verdict(s)
}
