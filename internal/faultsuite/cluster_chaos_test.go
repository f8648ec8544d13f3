package faultsuite

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/proto"
	"github.com/jackc/pgx/v5"
)

// clusterChaos runs TestClusterChaos (on by default; -short skips it too). Its queue
// check needs the nodes' queue sweep: a delivery a node queues while its cached lease
// still names the killed node is drained by the client's new node within 10 s.
var clusterChaos = flag.Bool("cluster-chaos", true, "run TestClusterChaos (three relay-server processes on PostgreSQL, kill -9, PostgreSQL crash)")

// timed is one send with the times it started and got its answer.
type timed struct {
	start, end time.Time
	via        string
	Sent
}

// chaosLoad sends bodies of 1-64 KiB at a steady rate from several senders and keeps
// each answer with its times.
type chaosLoad struct {
	mu  sync.Mutex
	all []timed
	wg  sync.WaitGroup
}

// run sends at rate per second through s until ctx ends; sends in flight then run on.
func (l *chaosLoad) run(ctx context.Context, s *sender, via string, rate int) {
	l.wg.Add(1)
	defer l.wg.Done()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		l.wg.Add(1)
		go func(size int) {
			defer l.wg.Done()
			start := time.Now()
			got := s.send(context.Background(), spec{size: size})
			l.mu.Lock()
			l.all = append(l.all, timed{start: start, end: time.Now(), via: via, Sent: got})
			l.mu.Unlock()
		}(1<<10 + (i*7919)%(63<<10))
	}
}

func (l *chaosLoad) sends() []timed {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]timed(nil), l.all...)
}

// firstFromApp is the start of the first send begun after since that the app answered
// with a 200: the tunnel carried traffic again.
func firstFromApp(sends []timed, since time.Time) time.Time {
	var first time.Time
	for _, s := range sends {
		if s.FromApp && s.Status == http.StatusOK && s.start.After(since) && (first.IsZero() || s.start.Before(first)) {
			first = s.start
		}
	}
	return first
}

// window is a span of a fault in which refusals are allowed.
type window struct {
	name       string
	from, till time.Time
	codes      map[string]bool
}

// TestClusterChaos runs three relay-server processes on one PostgreSQL behind a TCP
// round-robin balancer, a relay-client on a queue-mode tunnel through the balancer and
// senders through it and straight to one node, then kills the node holding the client
// (kill -9; the client comes back through the balancer on another node), crashes and
// restarts PostgreSQL, brings the killed node back, and stops the node then holding the
// client with SIGTERM, as a rolling upgrade does (the client, told shutting_down, moves
// through the balancer at once). The oracle holds what senders
// got, what the app read and what PostgreSQL recorded to the four zero counts; refusals
// must be documented codes inside the fault's window; tunnel_leases, sampled all along,
// never shows two live generations of one (name, client id).
func TestClusterChaos(t *testing.T) {
	if !*clusterChaos {
		t.Skip("-cluster-chaos=false")
	}
	serverBin, clientBin := binaries(t)
	pg := pgtest.NewCluster(t, pgtest.Config{Durable: true})
	dsn := pgtest.SchemaOn(t, pg.DSN())
	nodes := newCluster(t, serverBin, dsn, 3)
	lb := startBalancer(t, []string{nodes.nodes[0].addr, nodes.nodes[1].addr, nodes.nodes[2].addr})
	leases := watchLeases(t, dsn)
	a := startApp(t, 0)
	const name = "chaos"
	startClient := func() *proc {
		p, err := spawn("relay-client", clientBin, "http", a.url, "--server", "http://"+lb.addr(), "--token", token,
			"--name", name, "--client-id", "chaos-client", "--offline", "queue", "--inspect", "off")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stopProc(t, p) })
		return p
	}
	client := startClient()
	owner := awaitOwner(t, leases, name, "", time.Time{})
	victim := nodes.byCluster(owner)
	direct := nodes.nodes[0]
	if direct == victim {
		direct = nodes.nodes[1]
	}
	t.Logf("client on node %s (cluster %s); direct sender to %s", victim.addr, owner, direct.addr)

	viaLB, viaNode := newSender("http://"+lb.addr()+"/t/"+name, "lb"), newSender("http://"+direct.addr+"/t/"+name, "node")
	t.Cleanup(viaLB.close)
	t.Cleanup(viaNode.close)
	var load chaosLoad
	ctx, stopLoad := context.WithCancel(context.Background())
	defer stopLoad()
	nodeCtx, stopDirect := context.WithCancel(ctx) // the direct sender stops if its node does
	go load.run(ctx, viaLB, "lb", 20)
	go load.run(nodeCtx, viaNode, "node", 10)

	time.Sleep(scaled(8 * time.Second))
	killAt := time.Now()
	victim.proc.kill()
	moved := awaitOwner(t, leases, name, owner, killAt)
	t.Logf("kill -9 of %s at %s; lease on %s after %s", victim.addr, killAt.Format("15:04:05.000"), moved, leases.movedAfter(name, owner, killAt).Sub(killAt).Round(time.Millisecond))
	time.Sleep(scaled(10 * time.Second))

	crashAt := time.Now()
	pg.Crash()
	time.Sleep(2 * time.Second)
	rctx, cancel := context.WithTimeout(context.Background(), scaled(2*time.Minute))
	defer cancel()
	if err := pg.Restart(rctx); err != nil {
		t.Fatal(err)
	}
	restartAt := time.Now()
	t.Logf("postgres crashed, up again after %s", restartAt.Sub(crashAt).Round(time.Millisecond))
	time.Sleep(scaled(12 * time.Second))

	nodes.start(victim)
	time.Sleep(scaled(6 * time.Second))
	termAt := rollingStop(t, nodes, leases, name, direct, stopDirect)
	time.Sleep(scaled(6 * time.Second))
	stopLoad()
	load.wg.Wait()

	sends := load.sends()
	// After the crash PostgreSQL's backends may still commit for a moment, until they
	// notice their postmaster is gone: the window ends only with a write after the restart.
	fail, pgBack := firstFromApp(sends, killAt), firstFromApp(sends, restartAt)
	if fail.IsZero() || pgBack.IsZero() {
		t.Fatalf("the app answered nothing sent after a fault (after kill: %v, after postgres crash: %v)", fail, pgBack)
	}
	t.Logf("failover window (kill -9 to the first send answered by the app): %s; postgres window (crash to the first send answered after the restart): %s",
		fail.Sub(killAt).Round(time.Millisecond), pgBack.Sub(crashAt).Round(time.Millisecond))
	slack := scaled(5 * time.Second)
	rolled := firstFromApp(sends, termAt)
	if rolled.IsZero() {
		t.Fatalf("the app answered nothing sent after the SIGTERM")
	}
	t.Logf("rolling window (SIGTERM of the client's node to the first send answered by the app): %s",
		rolled.Sub(termAt).Round(time.Millisecond))
	windows := []window{
		{"failover", killAt, fail.Add(slack), map[string]bool{string(proto.CodeTunnelOffline): true}},
		{"postgres", crashAt, pgBack.Add(slack), map[string]bool{string(proto.CodeStoreUnavailable): true}},
		{"rolling", termAt, rolled.Add(slack), map[string]bool{string(proto.CodeTunnelOffline): true,
			string(proto.CodeShuttingDown): true}},
	}
	if !awaitDrain(t, a, sends, dsn) {
		// Diagnosis: does a reconnect of the client deliver what stayed queued?
		stopProc(t, client)
		client = startClient()
		ok := a.waitFor(scaled(30*time.Second), hasAll(queuedIDs(sends)))
		t.Logf("queued deliveries all delivered after the client reconnected: %v", ok)
	}
	stopProc(t, client)
	nodes.stop()
	checkRefusals(t, sends, windows)
	checkLeases(t, leases)
	chaosVerdict(t, a, dsn, sends, viaLB, viaNode)
}

// rollingStop stops the node holding name's client with SIGTERM, as a rolling upgrade
// does, and returns when; the client, told shutting_down, reconnects through the
// balancer to another node. The direct sender stops first if that is its node.
func rollingStop(t *testing.T, nodes *cluster, leases *leaseWatch, name string, direct *node, stopDirect func()) time.Time {
	t.Helper()
	holder := awaitOwner(t, leases, name, "", time.Time{})
	nd := nodes.byCluster(holder)
	if nd == direct {
		stopDirect()
	}
	termAt := time.Now()
	took, err := nd.proc.term(scaled(60 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	moved := awaitOwner(t, leases, name, holder, termAt)
	t.Logf("SIGTERM of %s: exited after %s; lease on %s %s after the SIGTERM", nd.addr, took.Round(time.Millisecond),
		moved, leases.movedAfter(name, holder, termAt).Sub(termAt).Round(time.Millisecond))
	return termAt
}

// awaitOwner waits until tunnel_leases shows name's lease on a node other than from
// (any node when from is ""), first seen after since, and returns its cluster address.
func awaitOwner(t *testing.T, w *leaseWatch, name, from string, since time.Time) string {
	t.Helper()
	deadline := time.Now().Add(scaled(60 * time.Second))
	for time.Now().Before(deadline) {
		if at := w.movedAfter(name, from, since); !at.IsZero() {
			if addr := w.owner(name); addr != "" && addr != from {
				return addr
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no lease of %s on a node other than %q within %s", name, from, scaled(60*time.Second))
	return ""
}

func stopProc(t *testing.T, p *proc) {
	if p.exited() {
		return
	}
	if _, err := p.term(scaled(30 * time.Second)); err != nil {
		t.Error(err)
	}
}

// awaitDrain waits until the app has read every send answered with a queued 202 and the
// queue table is empty.
func awaitDrain(t *testing.T, a *app, sends []timed, dsn string) bool {
	t.Helper()
	queued := queuedIDs(sends)
	start := time.Now()
	if limit := scaled(60 * time.Second); !a.waitFor(limit, hasAll(queued)) {
		t.Errorf("%d queued deliveries not all delivered within %s", len(queued), limit)
		logUndelivered(t, a, sends)
		var rows, claimed int
		if err := pgQuery(dsn, "SELECT count(*), count(claimed_by) FROM queue", &rows, &claimed); err == nil {
			t.Logf("queue rows: %d, claimed: %d", rows, claimed)
		}
		return false
	}
	n := queueLength(t, dsn)
	for deadline := time.Now().Add(scaled(30 * time.Second)); n > 0 && time.Now().Before(deadline); n = queueLength(t, dsn) {
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%d queued deliveries drained in %s; queue rows left: %d", len(queued), time.Since(start).Round(time.Millisecond), n)
	if n > 0 {
		t.Errorf("%d rows left in the queue after the drain", n)
	}
	return n == 0
}

// queuedIDs are the sends answered with a queued 202.
func queuedIDs(sends []timed) map[string]bool {
	queued := map[string]bool{}
	for _, s := range sends {
		if s.Queued {
			queued[s.ID] = true
		}
	}
	return queued
}

// logUndelivered logs the queued sends the app never read, with when they were sent.
func logUndelivered(t *testing.T, a *app, sends []timed) {
	read := map[string]bool{}
	for _, r := range a.received() {
		read[r.Send] = true
	}
	for _, s := range sends {
		if s.Queued && !read[s.ID] {
			t.Logf("queued send %s (%s) sent %s, answered %s: never delivered", s.ID, s.via,
				s.start.Format("15:04:05.000"), s.end.Format("15:04:05.000"))
		}
	}
}

func queueLength(t *testing.T, dsn string) int {
	var n int
	if err := pgQuery(dsn, "SELECT count(*) FROM queue", &n); err != nil {
		t.Fatalf("queue length: %v", err)
	}
	return n
}

// pgQuery scans the one row of sql on its own connection.
func pgQuery(dsn, sql string, dest ...any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	return conn.QueryRow(ctx, sql).Scan(dest...)
}

// checkRefusals allows the relay's own refusals only with a fault's documented codes,
// for sends begun inside its window; it logs the answers by code.
func checkRefusals(t *testing.T, sends []timed, windows []window) {
	t.Helper()
	counts, noAnswer := map[string]int{}, 0
	var bad []string
	for _, s := range sends {
		k := fmt.Sprintf("%s %d %s", s.via, s.Status, s.Code)
		counts[strings.TrimSpace(k)]++
		switch {
		case s.Status == 0:
			noAnswer++
		case s.FromApp || s.Queued:
		case !inWindow(s, windows):
			bad = append(bad, fmt.Sprintf("send %s (%s) at +%s: %d %q outside every fault window", s.ID, s.via,
				s.start.Sub(sends[0].start).Round(time.Millisecond), s.Status, s.Code))
		}
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("answers %s: %d", k, counts[k])
	}
	t.Logf("sent=%d, no answer (cut by a kill)=%d", len(sends), noAnswer)
	if len(bad) > 0 {
		t.Errorf("%d refusals not allowed:\n\t%s", len(bad), strings.Join(firstLines(bad, 12), "\n\t"))
	}
}

func inWindow(s timed, windows []window) bool {
	for _, w := range windows {
		if w.codes[s.Code] && !s.start.Before(w.from.Add(-scaled(2*time.Second))) && s.start.Before(w.till) {
			return true
		}
	}
	return false
}

func checkLeases(t *testing.T, w *leaseWatch) {
	t.Helper()
	samples, changes, problems := w.report()
	for _, ch := range changes {
		t.Logf("lease %s/%s generation %d on %s (node %s) first seen %s", ch.l.name, ch.l.clientID, ch.l.gen, ch.l.addr, ch.l.node,
			ch.at.Format("15:04:05.000"))
	}
	t.Logf("tunnel_leases sampled %d times", samples)
	if len(problems) > 0 {
		t.Errorf("lease problems:\n\t%s", strings.Join(firstLines(problems, 12), "\n\t"))
	}
}

// chaosVerdict reads PostgreSQL's records back and holds the run to the oracle.
func chaosVerdict(t *testing.T, a *app, dsn string, sends []timed, senders ...*sender) {
	t.Helper()
	var dupIDs int
	if err := pgQuery(dsn, "SELECT count(*) FROM (SELECT id FROM records GROUP BY id HAVING count(*) > 1) d", &dupIDs); err != nil {
		t.Fatal(err)
	}
	if dupIDs > 0 {
		t.Errorf("%d record ids held twice", dupIDs)
	}
	recs, err := readPostgres(dsn)
	if err != nil {
		t.Fatal(err)
	}
	var sent []Sent
	var unclean []string
	for _, s := range senders {
		ss, u := s.results()
		sent, unclean = append(sent, ss...), append(unclean, u...)
	}
	rep := Check(sent, a.received(), recs)
	t.Logf("four counts: %v; sent=%d %s app-read=%d records=%d", rep.Counts, len(sent), statusSummary(sent), len(a.received()), len(recs))
	for _, k := range rep.Kinds {
		t.Logf("%d x %q, e.g. %s", k.N, k.Pattern, k.Example)
	}
	appendReport(t, fmt.Sprintf("%s: %v; sent=%d", t.Name(), rep.Counts, len(sent)))
	if !rep.Zero() {
		t.Errorf("the cluster lost, corrupted, duplicated or falsely acknowledged deliveries:\n\t%s",
			strings.Join(firstLines(rep.Problems, 12), "\n\t"))
	}
	if len(unclean) > 0 {
		t.Errorf("%d relay answers without a clean code:\n\t%s", len(unclean), strings.Join(firstLines(unclean, 20), "\n\t"))
	}
	checkQueuedSettled(t, sends, recs)
}

// checkQueuedSettled holds every record of a queued 202 to a final outcome.
func checkQueuedSettled(t *testing.T, sends []timed, recs []Recorded) {
	t.Helper()
	queued := queuedIDs(sends)
	for _, r := range recs {
		if queued[r.Send] && r.Outcome != "ok" {
			t.Errorf("record %s of queued send %s: outcome %s after the drain", r.ID, r.Send, r.Outcome)
		}
	}
}
