package faultsuite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// node is one relay-server process of a cluster on PostgreSQL: its public and
// cluster listeners stay on the same ports across a restart.
type node struct {
	addr, cluster, data string
	proc                *proc
}

// cluster is several relay-server processes on one PostgreSQL schema.
type cluster struct {
	t      *testing.T
	bin    string
	dsn    string
	secret string
	nodes  []*node
}

// newCluster starts n relay-server processes on the schema named by dsn.
func newCluster(t *testing.T, bin, dsn string, n int) *cluster {
	t.Helper()
	secret := filepath.Join(t.TempDir(), "cluster-secret")
	if err := os.WriteFile(secret, []byte("a cluster secret of some length\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, bin: bin, dsn: dsn, secret: secret}
	t.Cleanup(c.stop)
	for range n {
		nd := &node{addr: freeAddr(t), cluster: freeAddr(t), data: t.TempDir()}
		c.nodes = append(c.nodes, nd)
		c.start(nd)
	}
	return c
}

// start runs nd's relay-server and waits for its banner.
func (c *cluster) start(nd *node) {
	c.t.Helper()
	p, err := spawn("relay-server "+nd.addr, c.bin, "--dev", "--addr", nd.addr, "--admin-addr", "127.0.0.1:0",
		"--data", nd.data, "--token", token, "--max-records", "0", "--log-format", "text",
		"--database-url", c.dsn, "--cluster-listen", nd.cluster, "--cluster-secret-file", c.secret)
	if err != nil {
		c.t.Fatal(err)
	}
	up := p.watch(func(l string) bool { return strings.HasPrefix(l, "admin on ") })
	if err := p.await(up, scaled(60*time.Second)); err != nil {
		p.kill()
		c.t.Fatal(err)
	}
	nd.proc = p
}

// byCluster is the node whose cluster listener is addr, nil if none.
func (c *cluster) byCluster(addr string) *node {
	for _, nd := range c.nodes {
		if nd.cluster == addr {
			return nd
		}
	}
	return nil
}

// stop ends every running node with SIGTERM, reporting the ones that lingered.
func (c *cluster) stop() {
	for _, nd := range c.nodes {
		if nd.proc == nil || nd.proc.exited() {
			continue
		}
		if took, err := nd.proc.term(scaled(60 * time.Second)); err != nil {
			c.t.Errorf("node %s: %v", nd.addr, err)
		} else {
			c.t.Logf("node %s stopped %s after SIGTERM", nd.addr, took.Round(time.Millisecond))
		}
	}
}

// lease is one row of tunnel_leases as a sample saw it.
type lease struct {
	name, clientID, node, addr string
	gen                        int64
}

// leaseWatch samples tunnel_leases every 50 ms while the run goes on: at most one
// row, and so one live generation, per (name, client id) at any sample, generations
// that never go back, and the times the owner changed.
type leaseWatch struct {
	pool *pgxpool.Pool

	mu       sync.Mutex
	samples  int
	last     map[string]lease
	changes  []leaseChange
	problems []string
}

// leaseChange is a new generation first seen at a sample.
type leaseChange struct {
	at time.Time
	l  lease
}

func watchLeases(t *testing.T, dsn string) *leaseWatch {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatalf("lease watch: %v", err)
	}
	w := &leaseWatch{pool: pool, last: map[string]lease{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for tick := time.NewTicker(50 * time.Millisecond); ctx.Err() == nil; <-tick.C {
			w.sample(ctx) // errors while PostgreSQL is down are expected: no sample then
		}
	}()
	t.Cleanup(func() { cancel(); <-done; pool.Close() })
	return w
}

func (w *leaseWatch) sample(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	rows, err := w.pool.Query(ctx, `SELECT l.name, l.client_id, l.node_id, coalesce(n.cluster_addr, ''), l.generation
		FROM tunnel_leases l LEFT JOIN nodes n USING (node_id)`)
	if err != nil {
		return
	}
	var got []lease
	for rows.Next() {
		var l lease
		if err := rows.Scan(&l.name, &l.clientID, &l.node, &l.addr, &l.gen); err != nil {
			return
		}
		got = append(got, l)
	}
	if rows.Err() == nil {
		w.note(got)
	}
}

func (w *leaseWatch) note(got []lease) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.samples++
	seen := map[string]bool{}
	for _, l := range got {
		key := l.name + "/" + l.clientID
		if seen[key] {
			w.problems = append(w.problems, fmt.Sprintf("two leases of %s in one sample", key))
		}
		seen[key] = true
		prev, ok := w.last[key]
		switch {
		case ok && l.gen < prev.gen:
			w.problems = append(w.problems, fmt.Sprintf("%s: generation %d after %d", key, l.gen, prev.gen))
		case ok && l.gen == prev.gen && l.node != prev.node:
			w.problems = append(w.problems, fmt.Sprintf("%s: generation %d moved from node %s to %s", key, l.gen, prev.node, l.node))
		case !ok || l.gen != prev.gen:
			w.changes = append(w.changes, leaseChange{at: time.Now(), l: l})
		}
		w.last[key] = l
	}
}

// owner is the cluster address of the node holding name's lease, "" if none.
func (w *leaseWatch) owner(name string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, l := range w.last {
		if l.name == name {
			return l.addr
		}
	}
	return ""
}

// movedAfter is when a lease of name on another node than from was first seen after
// since, zero if not yet.
func (w *leaseWatch) movedAfter(name, from string, since time.Time) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ch := range w.changes {
		if ch.l.name == name && ch.l.addr != from && ch.at.After(since) {
			return ch.at
		}
	}
	return time.Time{}
}

// report is the samples taken, the generations seen and any violation.
func (w *leaseWatch) report() (samples int, changes []leaseChange, problems []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.samples, append([]leaseChange(nil), w.changes...), append([]string(nil), w.problems...)
}
