package faultsuite

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// token is the client token of every relay-server the suite starts.
const token = "fault-token"

// rig is one relay under test: a relay-server process on a fixed loopback port with
// its data directory, a relay-client process reaching it through a chaos proxy, and the
// local app behind the client.
type rig struct {
	t          *testing.T
	serverBin  string
	clientBin  string
	name       string // tunnel name
	addr       string // server's public listener, kept across restarts
	admin      string // server's admin listener, http://ADDR
	data       string // server's data directory
	serverArgs []string
	clientArgs []string
	direct     bool

	server *proc
	client *proc
	app    *app
	link   *chaosLink

	records []Recorded // what verdict read back from the store
}

// rigOpts adjust a rig.
type rigOpts struct {
	data       string   // data directory (default: a new temporary one)
	serverArgs []string // extra relay-server flags
	clientArgs []string // extra relay-client flags, e.g. --offline queue
	direct     bool     // the client dials the server itself, not through the chaos link
	// appReadBuffer, when set, is the receive buffer (SO_RCVBUF) of the app's
	// connections: a small one makes a slow app push back on the client at once instead
	// of letting loopback's large buffers absorb megabytes.
	appReadBuffer int
}

// newRig starts server, proxy and app (not the client) and tears them down at cleanup.
func newRig(t *testing.T, o rigOpts) *rig {
	t.Helper()
	serverBin, clientBin := binaries(t)
	r := &rig{t: t, serverBin: serverBin, clientBin: clientBin, name: "faults", data: o.data,
		serverArgs: o.serverArgs, clientArgs: o.clientArgs, direct: o.direct}
	if r.data == "" {
		r.data = t.TempDir()
	}
	r.addr = freeAddr(t)
	r.app = startApp(t, o.appReadBuffer)
	t.Cleanup(r.stopAll) // before the app's cleanup: the client lets go of the app first
	r.startServer()
	r.link = newChaosLink(t, r.addr)
	return r
}

// freeAddr is a loopback address free right now, for a server that must come back on
// the same port after a kill.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (r *rig) url() string { return "http://" + r.addr + "/t/" + r.name }

// startServer starts relay-server and waits for its banner.
func (r *rig) startServer() {
	r.t.Helper()
	args := append([]string{"--dev", "--addr", r.addr, "--admin-addr", "127.0.0.1:0", "--data", r.data,
		"--token", token, "--max-records", "0", "--log-format", "text"}, r.serverArgs...)
	p, err := spawn("relay-server", r.serverBin, args...)
	if err != nil {
		r.t.Fatal(err)
	}
	var admin string
	up := p.watch(func(l string) bool { // the admin line follows the public one
		rest, ok := strings.CutPrefix(l, "admin on ")
		admin, _, _ = strings.Cut(rest, ": ")
		return ok
	})
	if err := p.await(up, scaled(30*time.Second)); err != nil {
		p.kill()
		r.t.Fatal(err)
	}
	r.server, r.admin = p, admin
}

// ready is the status of the server's /readyz.
func (r *rig) ready() int {
	resp, err := http.Get(r.admin + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// startClient starts relay-client through the chaos link and waits for the server to
// log its tunnel online.
func (r *rig) startClient() {
	r.t.Helper()
	online := r.watchOnline()
	server := r.link.addr()
	if r.direct {
		server = r.addr
	}
	args := append([]string{"http", r.app.url, "--server", "http://" + server, "--token", token,
		"--name", r.name, "--inspect", "off"}, r.clientArgs...)
	p, err := spawn("relay-client", r.clientBin, args...)
	if err != nil {
		r.t.Fatal(err)
	}
	r.client = p
	if err := r.server.await(online, scaled(60*time.Second)); err != nil {
		r.t.Fatalf("%v\nclient: %s", err, p.lastLines())
	}
}

// watchOnline returns a channel closed when the running server logs the tunnel online.
func (r *rig) watchOnline() <-chan struct{} {
	return r.server.watch(func(l string) bool {
		return strings.Contains(l, `msg="tunnel online"`) && strings.Contains(l, "tunnel="+r.name+" ")
	})
}

// watchOffline returns a channel closed when the running server logs the tunnel
// offline.
func (r *rig) watchOffline() <-chan struct{} {
	return r.server.watch(func(l string) bool {
		return strings.Contains(l, `msg="tunnel offline"`) && strings.Contains(l, "tunnel="+r.name+" ")
	})
}

// awaitOnline waits for a channel from watchOnline.
func (r *rig) awaitOnline(online <-chan struct{}) {
	r.t.Helper()
	if err := r.server.await(online, scaled(90*time.Second)); err != nil {
		r.t.Fatalf("tunnel not back online: %v\nclient: %s", err, r.client.lastLines())
	}
}

// stopServer ends relay-server with SIGTERM and reports how long it took.
func (r *rig) stopServer() time.Duration {
	r.t.Helper()
	took, err := r.server.term(scaled(90 * time.Second))
	if err != nil {
		r.t.Error(err)
	}
	return took
}

func (r *rig) stopAll() {
	if r.client != nil && !r.client.exited() {
		_, _ = r.client.term(scaled(30 * time.Second))
	}
	if r.server != nil && !r.server.exited() {
		_, _ = r.server.term(scaled(30 * time.Second))
	}
}

// sender returns a sender to the rig's tunnel; its ids start with prefix.
func (r *rig) sender(prefix string) *sender {
	s := newSender(r.url(), prefix)
	r.t.Cleanup(s.close)
	return s
}

// probe sends small requests until one reaches the app (the tunnel carries traffic
// again) or timeout passes. Probes go through the oracle like any other send.
func (r *rig) probe(s *sender, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if got := s.send(context.Background(), spec{size: 64}); got.FromApp && got.Status == http.StatusOK {
			return true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return false
}

// replayMissed runs relay-client replay --missed for the tunnel (what reached no
// client goes to the app now, as replays) and waits for it to finish.
func (r *rig) replayMissed() {
	r.t.Helper()
	p, err := spawn("relay-client replay", r.clientBin, "replay", "--missed", "--parallel", "8", "--name", r.name,
		"--server", "http://"+r.addr, "--token", token)
	if err != nil {
		r.t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(scaled(3 * time.Minute)):
		p.kill()
		r.t.Errorf("replay --missed still running after %s", scaled(3*time.Minute))
	}
	last := p.lastLine() // the progress bar redraws one line: keep its end
	r.t.Logf("replay --missed: %s", last[max(0, len(last)-160):])
}

// awaitQueue waits until the app has read every request s got a queued 202 for.
func (r *rig) awaitQueue(s *sender) {
	r.t.Helper()
	queued := map[string]bool{}
	for _, got := range mustResults(s) {
		if got.Queued {
			queued[got.ID] = true
		}
	}
	if limit := scaled(3 * time.Minute); !r.app.waitFor(limit, hasAll(queued)) {
		r.t.Errorf("%d queued deliveries not all delivered within %s", len(queued), limit)
	}
}

// verdict stops client and server, reads the store back and checks every sender's
// sends against what the app read and the store recorded. It logs the four counts and
// fails the test unless they are all zero; it returns the report for further asserts.
func (r *rig) verdict(senders ...*sender) Report {
	r.t.Helper()
	r.stopForVerdict()
	recs, err := readStore(filepath.Join(r.data, "hookrelay.db"))
	if err != nil {
		r.t.Fatal(err)
	}
	r.records = recs
	var sent []Sent
	var unclean []string
	for _, s := range senders {
		ss, u := s.results()
		sent, unclean = append(sent, ss...), append(unclean, u...)
	}
	rep := Check(sent, r.app.received(), recs)
	r.logReport(rep, sent, recs)
	if len(unclean) > 0 {
		r.t.Errorf("%d relay answers without a clean code:\n\t%s", len(unclean), strings.Join(firstLines(unclean, 20), "\n\t"))
	}
	return rep
}

// stopForVerdict stops the client, then the server, with SIGTERM, logging how long
// each took.
func (r *rig) stopForVerdict() {
	r.t.Helper()
	if r.client != nil && !r.client.exited() {
		took, err := r.client.term(scaled(60 * time.Second))
		if err != nil {
			r.t.Log(err)
		}
		r.t.Logf("relay-client stopped %s after SIGTERM", took.Round(time.Millisecond))
	}
	if !r.server.exited() {
		r.t.Logf("relay-server stopped %s after SIGTERM", r.stopServer().Round(time.Millisecond))
	}
}

// logReport logs the four counts and the kinds of problems, and fails the test unless
// the counts are zero.
func (r *rig) logReport(rep Report, sent []Sent, recs []Recorded) {
	r.t.Helper()
	r.t.Logf("four counts: %v; sent=%d %s app-read=%d app-incomplete=%d records=%d",
		rep.Counts, len(sent), statusSummary(sent), len(r.app.received()), r.app.incompleteCount(), len(recs))
	for _, k := range rep.Kinds {
		r.t.Logf("%d x %q, e.g. %s", k.N, k.Pattern, k.Example)
	}
	appendReport(r.t, fmt.Sprintf("%s: %v; sent=%d", r.t.Name(), rep.Counts, len(sent)))
	if !rep.Zero() {
		r.t.Errorf("the relay lost, corrupted, duplicated or falsely acknowledged deliveries:\n\t%s",
			strings.Join(firstLines(rep.Problems, 12), "\n\t"))
	}
}

// appendReport adds line to the file named by HOOKRELAY_FAULT_REPORT, if set: CI prints
// that file after the tests, so the four counts of every test are in its log even when
// go test shows nothing of a passing package.
func appendReport(tb testing.TB, line string) {
	name := os.Getenv("HOOKRELAY_FAULT_REPORT")
	if name == "" {
		return
	}
	f, err := os.OpenFile(name, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		tb.Logf("fault report: %v", err)
		return
	}
	defer f.Close()
	if _, err := fmt.Fprintln(f, line); err != nil {
		tb.Logf("fault report: %v", err)
	}
}

// statusSummary counts the answers senders got, by status and code.
func statusSummary(sent []Sent) string {
	counts := map[string]int{}
	for _, s := range sent {
		k := fmt.Sprint(s.Status)
		if s.Code != "" {
			k += ":" + s.Code
		}
		counts[k]++
	}
	return fmt.Sprint(counts)
}

func firstLines(lines []string, n int) []string {
	if len(lines) <= n {
		return lines
	}
	return append(lines[:n:n], fmt.Sprintf("... and %d more", len(lines)-n))
}
