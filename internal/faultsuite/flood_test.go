package faultsuite

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

var floodFor = flag.Duration("flood", 3*time.Second, "TestFloods: how long each flood lasts")

// Bounds every flood is held to: normal deliveries the app answers, and how much the
// server's resident memory may grow over its baseline.
const (
	minAnswered  = 0.95
	maxRSSGrowth = 64 << 20
	legitRate    = 20 // normal deliveries a second, to each of two tunnels
)

// hostileToken is the flooding tenant's token: a second token of the same server.
const hostileToken = "hostile-token-7f3a9c2e"

// flood is one kind of hostile load. run floods until ctx ends, counting the answers
// the flood got in codes; target is the tunnel it floods ("" for none), which also gets
// normal deliveries.
type flood struct {
	kind, target string
	run          func(ctx context.Context, f *floodRig, codes *codeCount)
	after        func(t *testing.T, f *floodRig) // extra checks once the flood is over
}

// TestFloods runs each kind of flood against a relay-server process while normal
// deliveries go to the flooded tunnel and to another: at least 95% of them must be
// answered by the app, and the server's RSS must grow by less than 64 MiB over its
// baseline (taken after a warm-up) at its peak and after. -flood sets how long each
// flood lasts (default 3s; e.g. -flood=30s for a measurement).
func TestFloods(t *testing.T) {
	var rows []floodRow
	for _, f := range floods() {
		t.Run(f.kind, func(t *testing.T) {
			row := runFlood(t, f)
			rows = append(rows, row)
			row.check(t)
		})
	}
	logFloodTable(t, rows)
}

func floods() []flood {
	return []flood{
		{kind: "slow-bodies", target: "faults", run: slowBodies},
		{kind: "endless-request-head", target: "faults", run: endlessRequestHeads},
		{kind: "endless-response-head", run: endlessResponseHeads},
		{kind: "stream-flood", run: streamFlood},
		{kind: "name-flood", run: nameFlood},
		{kind: "10MiB-posts", target: "faults", run: bigPosts},
		{kind: "bad-logins", run: badLogins, after: goodLoginWorks},
	}
}

// floodRig is a rig with a second tunnel ("other", its own relay-client process) and a
// second token for the attacker. Both clients dial the server directly: the floods
// measure the server, and the chaos link runs in the test's process, which the
// attacker's clients keep busy.
type floodRig struct {
	*rig
	pid int
}

func newFloodRig(t *testing.T) *floodRig {
	t.Helper()
	r := newRig(t, rigOpts{serverArgs: []string{"--token", hostileToken}, direct: true})
	r.startClient()
	online := r.server.watch(func(l string) bool {
		return strings.Contains(l, `msg="tunnel online"`) && strings.Contains(l, "tunnel=other ")
	})
	p, err := spawn("relay-client other", r.clientBin, "http", r.app.url, "--server", "http://"+r.addr,
		"--token", token, "--name", "other", "--inspect", "off")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = p.term(scaled(30 * time.Second)) })
	if err := r.server.await(online, scaled(60*time.Second)); err != nil {
		t.Fatalf("%v\nclient: %s", err, p.lastLines())
	}
	return &floodRig{rig: r, pid: r.server.cmd.Process.Pid}
}

// legitSender sends normal deliveries to tunnel name from 127.0.0.2, an address the
// flood does not use (limits per source address are not what is tested here).
func (f *floodRig) legitSender(name, prefix string) *sender {
	s := newSender("http://"+f.addr+"/t/"+name, prefix)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	s.hc.Transport.(*http.Transport).DialContext = d.DialContext
	f.t.Cleanup(s.close)
	return s
}

// floodRow is what one flood measured.
type floodRow struct {
	kind                string
	same, other         answered // normal deliveries to the flooded tunnel and to another
	before, peak, after int64    // server RSS
	codes               string   // answers the flood got
	sameTunnel          bool     // the flood targets the tunnel "same" delivers to
}

// answered counts normal deliveries, those the app answered, and the other answers by
// status and code.
type answered struct {
	ok, n  int
	failed map[string]int
}

func (a answered) share() float64 {
	if a.n == 0 {
		return 0
	}
	return float64(a.ok) / float64(a.n)
}

func (a answered) String() string { return fmt.Sprintf("%d/%d (%.1f%%)", a.ok, a.n, 100*a.share()) }

func countAnswered(s *sender) answered {
	a := answered{failed: make(map[string]int)}
	for _, got := range mustResults(s) {
		a.n++
		if got.FromApp && got.Status == http.StatusOK {
			a.ok++
			continue
		}
		a.failed[strings.TrimSpace(fmt.Sprint(got.Status, " ", got.Code))]++
	}
	return a
}

// runFlood starts a fresh relay, warms it up, takes its RSS, then floods it for
// -flood with normal deliveries to two tunnels alongside.
func runFlood(t *testing.T, fl flood) floodRow {
	f := newFloodRig(t)
	other := "other"
	same := fl.target
	if same == "" {
		same = "faults"
	}
	warm := []*sender{f.legitSender(same, "warm-a"), f.legitSender(other, "warm-b")}
	for _, s := range warm {
		s.sendAll(specs(40, func(int) spec { return spec{size: 1 << 10} }))
	}
	time.Sleep(500 * time.Millisecond)
	row := floodRow{kind: fl.kind, sameTunnel: fl.target != ""}
	row.before = rssOf(t, f.pid)
	sampler := sampleRSS(f.pid, row.before)
	sa, sb := f.legitSender(same, "legit-a"), f.legitSender(other, "legit-b")
	stopA := background(sa, legitRate, func(int) spec { return spec{size: 1 << 10} })
	stopB := background(sb, legitRate, func(int) spec { return spec{size: 1 << 10} })
	codes := newCodeCount()
	ctx, cancel := context.WithTimeout(context.Background(), *floodFor)
	fl.run(ctx, f, codes)
	cancel()
	stopA()
	stopB()
	time.Sleep(time.Second)
	row.after = rssOf(t, f.pid)
	row.peak = max(sampler(), row.after)
	row.same, row.other, row.codes = countAnswered(sa), countAnswered(sb), codes.String()
	if fl.after != nil {
		fl.after(t, f)
	}
	return row
}

// sampleRSS samples pid's RSS every 100 ms until the returned func is called, which
// reports the peak (at least floor).
func sampleRSS(pid int, floor int64) func() int64 {
	done := make(chan struct{})
	peak := make(chan int64, 1)
	go func() {
		top := floor
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				peak <- top
				return
			case <-tick.C:
				if n, err := readRSS(pid); err == nil {
					top = max(top, n)
				}
			}
		}
	}()
	return func() int64 { close(done); return <-peak }
}

func (row floodRow) check(t *testing.T) {
	t.Helper()
	if row.same.share() < minAnswered {
		t.Errorf("%s: the app answered %v of the normal deliveries to the flooded tunnel (others: %v), want >= %.0f%%",
			row.kind, row.same, row.same.failed, 100*minAnswered)
	}
	if row.other.share() < minAnswered {
		t.Errorf("%s: the app answered %v of the normal deliveries to another tunnel (others: %v), want >= %.0f%%",
			row.kind, row.other, row.other.failed, 100*minAnswered)
	}
	if grew := max(row.peak, row.after) - row.before; grew >= maxRSSGrowth {
		t.Errorf("%s: server RSS grew by %d MiB (before %d, peak %d, after %d MiB), want under %d",
			row.kind, grew>>20, row.before>>20, row.peak>>20, row.after>>20, maxRSSGrowth>>20)
	}
}

// logFloodTable logs one line per flood and appends them to the fault report.
func logFloodTable(t *testing.T, rows []floodRow) {
	head := fmt.Sprintf("%-22s %-22s %-22s %8s %8s %8s  %s", "flood ("+floodFor.String()+")",
		"flooded tunnel", "other tunnel", "RSS0 MiB", "peak", "after", "flood answers")
	lines := []string{head}
	for _, r := range rows {
		same := r.same.String()
		if !r.sameTunnel {
			same += " *"
		}
		lines = append(lines, fmt.Sprintf("%-22s %-22s %-22s %8d %8d %8d  %s", r.kind, same, r.other.String(),
			r.before>>20, r.peak>>20, r.after>>20, r.codes))
	}
	t.Logf("floods (* the flood hits no tunnel of the app: both are bystanders):\n\t%s", strings.Join(lines, "\n\t"))
	for _, l := range lines[1:] {
		appendReport(t, "TestFloods: "+strings.Join(strings.Fields(l), " "))
	}
}

// codeCount counts the answers a flood got, by a short label.
type codeCount struct {
	mu sync.Mutex
	n  map[string]int
}

func newCodeCount() *codeCount { return &codeCount{n: make(map[string]int)} }

func (c *codeCount) add(label string) {
	c.mu.Lock()
	c.n[label]++
	c.mu.Unlock()
}

func (c *codeCount) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]string, 0, len(c.n))
	for k := range c.n {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return c.n[keys[i]] > c.n[keys[j]] })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, c.n[k])
	}
	return strings.Join(parts, " ")
}

// workers runs n copies of f until ctx ends, and waits for them.
func workers(ctx context.Context, n int, f func(ctx context.Context, i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				f(ctx, i)
			}
		}()
	}
	wg.Wait()
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
