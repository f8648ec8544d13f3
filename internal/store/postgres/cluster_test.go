package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookrelay/hookrelay/internal/cluster"
	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/postgres"
)

// clusterOf opens n handles on one fresh schema, each a joined node with opts,
// and claims tunnel t on it.
func clusterOf(t testing.TB, n int, opts postgres.Options) []*postgres.DB {
	t.Helper()
	dbs, _ := clusterOn(t, pgtest.Schema(t), n, opts)
	return dbs
}

// clusterOn is clusterOf on the schema of dsn, which it returns.
func clusterOn(t testing.TB, dsn string, n int, opts postgres.Options) ([]*postgres.DB, string) {
	t.Helper()
	dbs := make([]*postgres.DB, n)
	for i := range dbs {
		o := opts
		o.NodeID = fmt.Sprintf("node%d-%08x", i, i)
		dbs[i] = mustOpen(t, dsn, o)
		if err := dbs[i].Join(context.Background(), fmt.Sprintf("10.0.0.%d:7443", i+1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := dbs[0].ClaimTunnel(context.Background(), store.Tunnel{Name: "t", Owner: "team"}); err != nil {
		t.Fatal(err)
	}
	return dbs, dsn
}

func mustAcquire(t *testing.T, db *postgres.DB, l postgres.Lease) postgres.Lease {
	t.Helper()
	got, err := db.Acquire(context.Background(), l)
	if err != nil {
		t.Fatalf("acquire %+v: %v", l, err)
	}
	return got
}

func mustLookup(t *testing.T, db *postgres.DB, name string) []postgres.Lease {
	t.Helper()
	ls, err := db.Lookup(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// TestAcquireRace: 12 concurrent Acquires of one (tunnel, client id) from three
// nodes leave exactly one lease, the one with the highest generation handed out.
func TestAcquireRace(t *testing.T) {
	dbs := clusterOf(t, 3, postgres.Options{})
	const n = 12
	gens := make([]postgres.Lease, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			l, err := dbs[i%3].Acquire(context.Background(), postgres.Lease{Tunnel: "t", ClientID: "laptop",
				Session: fmt.Sprintf("s%d", i)})
			if err != nil {
				t.Error(err)
			}
			gens[i] = l
		})
	}
	wg.Wait()
	ls := mustLookup(t, dbs[0], "t")
	last := slices.MaxFunc(gens, func(a, b postgres.Lease) int { return int(a.Generation - b.Generation) })
	if len(ls) != 1 || ls[0].Generation != last.Generation || ls[0].Session != last.Session || ls[0].NodeID != last.NodeID {
		t.Fatalf("leases after the race %+v; want only %+v", ls, last)
	}
	seen := map[int64]bool{}
	for _, l := range gens {
		if seen[l.Generation] {
			t.Errorf("generation %d handed out twice", l.Generation)
		}
		seen[l.Generation] = true
	}
}

// TestGenerationsIncrease: release and re-acquire, by one node or another, always
// gets a higher generation, and a stale lease releases nothing.
func TestGenerationsIncrease(t *testing.T) {
	dbs := clusterOf(t, 2, postgres.Options{})
	ctx := context.Background()
	var prev postgres.Lease
	for i := range 20 {
		l := mustAcquire(t, dbs[i%2], postgres.Lease{Tunnel: "t", ClientID: "c", Session: fmt.Sprint(i)})
		if l.Generation <= prev.Generation {
			t.Fatalf("generation %d after %d", l.Generation, prev.Generation)
		}
		if i%3 == 1 { // replaced in place: the old lease is stale
			if ok, err := dbs[0].Release(ctx, prev); ok || err != nil {
				t.Fatalf("release of a superseded lease: %v, %v; want false", ok, err)
			}
			continue
		}
		if ok, err := dbs[i%2].Release(ctx, l); !ok || err != nil {
			t.Fatalf("release of the current lease: %v, %v", ok, err)
		}
		prev = l
	}
	if ls := mustLookup(t, dbs[1], "t"); len(ls) != 1 {
		t.Fatalf("leases left %+v, want the last acquired only", ls)
	}
}

// TestLeaseIsPerToken: a client is its token's and its id's. Another token's client of
// the same id, on another node, gets a lease of its own beside the first; the first
// token's client of that id, attaching again anywhere, replaces only its own, in its
// place.
func TestLeaseIsPerToken(t *testing.T) {
	dbs := clusterOf(t, 2, postgres.Options{})
	alice := mustAcquire(t, dbs[0], postgres.Lease{Tunnel: "t", Token: "alice", ClientID: "laptop", Session: "s1"})
	bob := mustAcquire(t, dbs[1], postgres.Lease{Tunnel: "t", Token: "bob", ClientID: "laptop", Session: "s2"})
	ls := mustLookup(t, dbs[1], "t")
	if len(ls) != 2 || ls[0].Generation != alice.Generation || ls[0].Token != "alice" || ls[1].Generation != bob.Generation ||
		ls[1].Token != "bob" {
		t.Fatalf("leases %+v, want alice's then bob's", ls)
	}
	again := mustAcquire(t, dbs[1], postgres.Lease{Tunnel: "t", Token: "alice", ClientID: "laptop", Session: "s3"})
	ls = mustLookup(t, dbs[0], "t")
	if len(ls) != 2 || ls[0].Generation != again.Generation || ls[1].Generation != bob.Generation {
		t.Fatalf("leases %+v after alice attached again, want alice's new one (in her place) and bob's", ls)
	}
	if ok, err := dbs[0].Release(context.Background(), postgres.Lease{Tunnel: "t", Token: "bob", ClientID: "laptop",
		Generation: again.Generation}); ok || err != nil {
		t.Fatalf("release of alice's lease under bob's token: %v, %v; want false", ok, err)
	}
}

// TestPrimaryRule: every node orders a tunnel's leases the same way: those asking to
// be primary first, then by attach time, then by generation.
func TestPrimaryRule(t *testing.T) {
	tests := []struct {
		name    string
		primary []bool   // per client, in attach order
		want    []string // client ids, primary first
	}{
		{"earliest attach", []bool{false, false, false}, []string{"c0", "c1", "c2"}},
		{"explicit primary wins", []bool{false, true, false}, []string{"c1", "c0", "c2"}},
		{"earliest of the explicit", []bool{false, true, true}, []string{"c1", "c2", "c0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbs := clusterOf(t, 3, postgres.Options{})
			for i, p := range tt.primary {
				mustAcquire(t, dbs[i], postgres.Lease{Tunnel: "t", ClientID: fmt.Sprint("c", i), Session: "s", Primary: p,
					Label: fmt.Sprint("laptop ", i), Routes: []string{"/api/*"}})
				time.Sleep(2 * time.Millisecond) // distinct attach times (now() is the transaction's start)
			}
			for _, db := range dbs {
				var got []string
				for _, l := range mustLookup(t, db, "t") {
					got = append(got, l.ClientID)
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("%s orders %q, want %q", db.NodeID(), got, tt.want)
				}
			}
		})
	}
}

// TestPrimaryTieByGeneration: leases attached in one transaction instant (equal
// attach times) are ordered by generation.
func TestPrimaryTieByGeneration(t *testing.T) {
	dbs, dsn := clusterOn(t, pgtest.Schema(t), 1, postgres.Options{})
	a := mustAcquire(t, dbs[0], postgres.Lease{Tunnel: "t", ClientID: "b", Session: "s"})
	b := mustAcquire(t, dbs[0], postgres.Lease{Tunnel: "t", ClientID: "a", Session: "s"})
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `UPDATE tunnel_leases SET attached_at = '2026-01-01'`); err != nil {
		t.Fatal(err)
	}
	ls := mustLookup(t, dbs[0], "t")
	if len(ls) != 2 || ls[0].Generation != a.Generation || ls[1].Generation != b.Generation {
		t.Fatalf("leases %+v; want generation %d then %d", ls, a.Generation, b.Generation)
	}
}

// TestSharedLeases: two handles on one schema see each other's leases, with their
// labels, routes, settings and node addresses, and a client id re-attaching on the
// other node replaces only its own lease and keeps its place (its attach time).
func TestSharedLeases(t *testing.T) {
	dbs := clusterOf(t, 2, postgres.Options{})
	a := mustAcquire(t, dbs[0], postgres.Lease{Tunnel: "t", ClientID: "ann", Session: "s1", Label: "Ann", Routes: []string{"/a/*"},
		Verify: []string{"stripe:whsec_x", "github:y"}, VerifyMode: "enforce", Handshake: []string{"slack"}, Share: "balance"})
	mustAcquire(t, dbs[1], postgres.Lease{Tunnel: "t", ClientID: "bob", Session: "s2", Label: "Bob"})
	for _, db := range dbs {
		ls := mustLookup(t, db, "t")
		if len(ls) != 2 || ls[0].ClientID != "ann" || ls[0].Addr != "10.0.0.1:7443" || ls[0].Label != "Ann" ||
			!slices.Equal(ls[0].Routes, []string{"/a/*"}) || ls[1].NodeID != dbs[1].NodeID() ||
			!slices.Equal(ls[0].Verify, []string{"stripe:whsec_x", "github:y"}) || ls[0].VerifyMode != "enforce" ||
			!slices.Equal(ls[0].Handshake, []string{"slack"}) || len(ls[1].Verify) != 0 || ls[1].VerifyMode != "" ||
			ls[0].Share != "balance" || ls[1].Share != "" {
			t.Fatalf("%s looks up %+v", db.NodeID(), ls)
		}
	}
	moved := mustAcquire(t, dbs[1], postgres.Lease{Tunnel: "t", ClientID: "ann", Session: "s3"})
	ls := mustLookup(t, dbs[0], "t")
	if len(ls) != 2 || ls[0].ClientID != "ann" || ls[0].Generation != moved.Generation || moved.Generation <= a.Generation ||
		ls[0].NodeID != dbs[1].NodeID() || len(ls[0].Verify) != 0 || ls[0].VerifyMode != "" || len(ls[0].Handshake) != 0 ||
		ls[0].Share != "" || ls[1].ClientID != "bob" {
		t.Fatalf("after ann moved: %+v", ls)
	}
	held, err := dbs[0].Held(context.Background())
	if err != nil || len(held) != 0 {
		t.Fatalf("node 0 still holds %+v, %v", held, err)
	}
}

// TestDeadNodeLeases: a node that stops heartbeating drops out of Lookup once its TTL
// has passed, and Reap then deletes it with its leases; it finds out at its next
// heartbeat and joins again.
func TestDeadNodeLeases(t *testing.T) {
	dbs := clusterOf(t, 2, postgres.Options{NodeTTL: time.Second, ReapAfter: time.Second})
	ctx := context.Background()
	mustAcquire(t, dbs[0], postgres.Lease{Tunnel: "t", ClientID: "dead", Session: "s"})
	mustAcquire(t, dbs[1], postgres.Lease{Tunnel: "t", ClientID: "live", Session: "s"})
	stop := heartbeat(t, dbs[1], 200*time.Millisecond)
	defer stop()
	waitFor(t, "the dead node's lease to drop out of Lookup", func() bool {
		ls := mustLookup(t, dbs[1], "t")
		return len(ls) == 1 && ls[0].ClientID == "live"
	})
	waitFor(t, "Reap to delete the dead node", func() bool {
		n, _, err := dbs[1].Reap(ctx)
		return err == nil && n == 1
	})
	if held, err := dbs[0].Held(ctx); err != nil || len(held) != 0 {
		t.Fatalf("the reaped node's leases: %+v, %v", held, err)
	}
	if alive, err := dbs[0].Heartbeat(ctx); alive || err != nil {
		t.Fatalf("heartbeat of a reaped node: %v, %v; want false", alive, err)
	}
	if _, err := dbs[0].Acquire(ctx, postgres.Lease{Tunnel: "t", ClientID: "dead", Session: "s"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("acquire by a reaped node = %v, want ErrNotFound", err)
	}
	if err := dbs[0].Join(ctx, "10.0.0.1:7443"); err != nil {
		t.Fatal(err)
	}
	mustAcquire(t, dbs[0], postgres.Lease{Tunnel: "t", ClientID: "dead", Session: "s"})
	if ls := mustLookup(t, dbs[1], "t"); len(ls) != 2 {
		t.Fatalf("after the rejoin: %+v", ls)
	}
}

// TestJobLease: a job has one holder at a time among concurrent contenders; the
// holder renews it; another node takes it over once it expired, or at once when
// dropped.
func TestJobLease(t *testing.T) {
	dbs := clusterOf(t, 3, postgres.Options{})
	ctx := context.Background()
	const ttl = time.Second
	var wg sync.WaitGroup
	held := make([]bool, len(dbs))
	for i, db := range dbs {
		wg.Go(func() {
			var err error
			if held[i], err = db.LeadJob(ctx, "purge", ttl); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	holder := slices.Index(held, true)
	if holder < 0 || slices.Index(held[holder+1:], true) >= 0 {
		t.Fatalf("holders %v, want exactly one", held)
	}
	other := dbs[(holder+1)%3]
	if ok, err := dbs[holder].LeadJob(ctx, "purge", ttl); !ok || err != nil {
		t.Fatalf("renewal by the holder: %v, %v", ok, err)
	}
	waitFor(t, "another node to take the expired job", func() bool {
		ok, err := other.LeadJob(ctx, "purge", ttl)
		return ok && err == nil
	})
	if ok, _ := dbs[holder].LeadJob(ctx, "purge", ttl); ok {
		t.Fatal("the old holder still leads after the takeover")
	}
	if err := other.DropJob(ctx, "purge"); err != nil {
		t.Fatal(err)
	}
	if ok, err := dbs[holder].LeadJob(ctx, "purge", ttl); !ok || err != nil {
		t.Fatalf("lead after a drop: %v, %v", ok, err)
	}
}

// heartbeat keeps db alive every d until the returned stop is called.
func heartbeat(t *testing.T, db *postgres.DB, d time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if _, err := db.Heartbeat(ctx); err != nil && ctx.Err() == nil {
				t.Error(err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
		}
	}()
	return func() { cancel(); <-done }
}

// waitFor polls cond for up to a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("no %s within a minute", what)
}

// TestReconcile: a node's stored leases against the sessions it serves: a lease no
// session serves is released, a session whose client re-attached on another node is
// superseded, and one whose lease vanished is lost.
func TestReconcile(t *testing.T) {
	dbs := clusterOf(t, 2, postgres.Options{})
	ctx := context.Background()
	served := mustAcquire(t, dbs[0], postgres.Lease{Tunnel: "t", ClientID: "served", Session: "s1"})
	mustAcquire(t, dbs[0], postgres.Lease{Tunnel: "t", ClientID: "ended", Session: "s2"})
	moved := mustAcquire(t, dbs[0], postgres.Lease{Tunnel: "t", ClientID: "moved", Session: "s3"})
	mustAcquire(t, dbs[1], postgres.Lease{Tunnel: "t", ClientID: "moved", Session: "s4"})
	gone := mustAcquire(t, dbs[0], postgres.Lease{Tunnel: "t", ClientID: "gone", Session: "s5"})
	if ok, err := dbs[0].Release(ctx, gone); !ok || err != nil {
		t.Fatal(ok, err)
	}
	key := func(l postgres.Lease) cluster.Key { return cluster.Key{Tunnel: l.Tunnel, ClientID: l.ClientID} }
	p, err := dbs[0].Reconcile(ctx, map[cluster.Key]int64{key(served): served.Generation,
		key(moved): moved.Generation, key(gone): gone.Generation})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Release) != 1 || p.Release[cluster.Key{Tunnel: "t", ClientID: "ended"}] == 0 ||
		!slices.Equal(p.Superseded, []cluster.Key{key(moved)}) || !slices.Equal(p.Lost, []cluster.Key{key(gone)}) {
		t.Fatalf("plan %+v", p)
	}
	var left []string
	for _, l := range mustLookup(t, dbs[1], "t") {
		left = append(left, l.ClientID+"@"+l.NodeID)
	}
	want := []string{"served@" + dbs[0].NodeID(), "moved@" + dbs[1].NodeID()}
	if !slices.Equal(left, want) {
		t.Fatalf("leases after reconciling %q, want %q", left, want)
	}
}

// TestTunnelChecks: the tunnel row keeps the checks of the client that attached last,
// on whichever node, after its lease is released; a tunnel no client attached to has
// none.
func TestTunnelChecks(t *testing.T) {
	dbs := clusterOf(t, 2, postgres.Options{})
	ctx := context.Background()
	if l, err := dbs[1].TunnelChecks(ctx, "t"); err != nil || l.Generation != 0 || len(l.Verify) != 0 {
		t.Fatalf("before any client: %+v, %v", l, err)
	}
	mustAcquire(t, dbs[0], postgres.Lease{Tunnel: "t", ClientID: "ann", Session: "s1",
		Verify: []string{"github:x"}, VerifyMode: "enforce", Handshake: []string{"slack"}})
	last := mustAcquire(t, dbs[1], postgres.Lease{Tunnel: "t", ClientID: "bob", Session: "s2",
		Verify: []string{"stripe:whsec_y"}, VerifyMode: "observe"})
	if ok, err := dbs[1].Release(ctx, last); !ok || err != nil {
		t.Fatalf("release: %v, %v", ok, err)
	}
	l, err := dbs[0].TunnelChecks(ctx, "t")
	if err != nil || l.Generation != last.Generation || !slices.Equal(l.Verify, []string{"stripe:whsec_y"}) ||
		l.VerifyMode != "observe" || len(l.Handshake) != 0 {
		t.Fatalf("after bob left: %+v, %v; want bob's checks at generation %d", l, err, last.Generation)
	}
}

// TestSealedSpecs: on handles with a SealSecret, the --verify specs are stored sealed
// (no secret in the table), read back as given by every handle with the same secret,
// and refused, never misread, by one with another or none.
func TestSealedSpecs(t *testing.T) {
	dsn := pgtest.Schema(t)
	secret := []byte("a cluster secret of 32 bytes....")
	dbs, _ := clusterOn(t, dsn, 2, postgres.Options{SealSecret: secret})
	ctx := context.Background()
	specs := []string{"stripe:whsec_dGVzdHNlY3JldA", "github:s3cret"}
	mustAcquire(t, dbs[0], postgres.Lease{Tunnel: "t", ClientID: "ann", Session: "s", Verify: specs, VerifyMode: "enforce"})
	if ls := mustLookup(t, dbs[1], "t"); len(ls) != 1 || !slices.Equal(ls[0].Verify, specs) {
		t.Fatalf("lookup with the same secret: %+v", ls)
	}
	if l, err := dbs[1].TunnelChecks(ctx, "t"); err != nil || !slices.Equal(l.Verify, specs) {
		t.Fatalf("tunnel checks with the same secret: %+v, %v", l, err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var stored string
	if err := conn.QueryRow(ctx, `SELECT array_to_string(l.verify, ' ') || ' ' || array_to_string(t.verify, ' ')
		FROM tunnel_leases l JOIN tunnels t USING (name)`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored, "whsec") || strings.Contains(stored, "s3cret") {
		t.Fatalf("the table holds a secret: %s", stored)
	}
	for _, other := range [][]byte{[]byte("another cluster secret.........."), nil} {
		db := mustOpen(t, dsn, postgres.Options{SealSecret: other})
		if _, err := db.Lookup(ctx, "t"); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("lookup with secret %q: %v, want ErrInvalid", other, err)
		}
		if _, err := db.TunnelChecks(ctx, "t"); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("tunnel checks with secret %q: %v, want ErrInvalid", other, err)
		}
	}
}
