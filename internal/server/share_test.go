package server_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/proto"
)

// Three clients of one token mirror a tunnel: the first attached answers, the others get
// copies, each attempt is recorded, and everyone is told who is attached.
func TestShareMirrorThreeClients(t *testing.T) {
	srv, st := shareServer(t, nil)
	alice, bob, carol := newApp(t, "alice", 0), newApp(t, "bob", 0), newApp(t, "carol", 0)
	ma := attach(t, srv, alice, nil)
	attach(t, srv, bob, nil)
	mc := attach(t, srv, carol, nil)
	ma.waitClients(t, "alice:primary", "bob:mirror", "carol:mirror")
	cl := mc.waitClients(t, "alice:primary", "bob:mirror", "carol:mirror")
	if !cl.Clients[2].You || cl.Clients[0].You || cl.Share != proto.ShareMirror {
		t.Errorf("carol's frame: %+v", cl)
	}
	if !strings.Contains(mc.out.String(), "Clients on team (mirror): alice (primary), bob (mirror), carol (mirror, you)") {
		t.Errorf("carol's output lacks the clients line:\n%s", mc.out.String())
	}
	tun := waitAttached(t, apiClient(t, srv, relaytest.Token), 3)
	if tun.Share != proto.ShareMirror || tun.Clients[0].Label != "alice" || tun.Clients[0].Role != proto.RolePrimary {
		t.Errorf("GET /api/tunnels/team: %+v", tun)
	}
	for i := range 5 {
		status, from, id := send(t, srv, "/hook", nil, `{"n":1}`)
		if status != http.StatusOK || from != "alice" {
			t.Fatalf("delivery %d: %d from %q, want 200 from alice", i, status, from)
		}
		bob.waitGot(t, id)
		carol.waitGot(t, id)
		checkAttempts(t, st.waitAttempts(t, id, 3), "alice:primary:200", "bob:mirror:200", "carol:mirror:200")
	}
}

// A mirrored delivery's attempts cost the store one write, whatever the number of
// clients: the primary's and the copies' all together once the last copy is done.
// They are numbered in the order the clients were tried, the primary first.
func TestShareMirrorAttemptsTogether(t *testing.T) {
	srv, st := shareServer(t, nil)
	apps := []*app{newApp(t, "p", 0), newApp(t, "m1", 0), newApp(t, "m2", 0), newApp(t, "m3", 0)}
	for _, a := range apps {
		attach(t, srv, a, nil)
	}
	waitAttached(t, apiClient(t, srv, relaytest.Token), len(apps))
	for range 3 {
		_, from, id := send(t, srv, "/hook", nil, "x")
		if from != "p" {
			t.Fatalf("answered by %q, want p", from)
		}
		checkAttempts(t, st.waitAttempts(t, id, 4), "p:primary:200", "m1:mirror:200", "m2:mirror:200", "m3:mirror:200")
		if n := st.writesOf(id); n != 1 {
			t.Errorf("record %s: attempts in %d writes, want 1", id, n)
		}
		rec, err := st.Get(context.Background(), tokenOwner, id)
		if err != nil {
			t.Fatal(err)
		}
		for i, a := range rec.Tries {
			if a.N != i+1 || (i == 0) != (a.Label == "p") {
				t.Errorf("stored attempt %d: %+v, want number %d, the primary first", i, a, i+1)
			}
		}
	}
}

// checkAttempts compares attempts (label:role:status, in any order after the first)
// with want.
func checkAttempts(tb testing.TB, got []store.Attempt, want ...string) {
	tb.Helper()
	seen := make(map[string]int)
	for _, a := range got {
		seen[a.Label+":"+a.Role+":"+itoa(a.Status)]++
		if a.Error != "" {
			tb.Errorf("attempt %+v has error %q", a, a.Error)
		}
	}
	for _, w := range want {
		if seen[w] != 1 {
			tb.Errorf("attempts %+v: want one %s", got, w)
		}
	}
	if len(got) != len(want) {
		tb.Errorf("attempts %+v: want %d", got, len(want))
	}
}

// A mirror whose app takes seconds adds nothing to the sender's wait: the answer comes
// before that app has answered its copy.
func TestShareMirrorSlowMirror(t *testing.T) {
	srv, st := shareServer(t, nil)
	fast, slow := newApp(t, "fast", 0), newApp(t, "slow", 3*time.Second)
	attach(t, srv, fast, nil)
	attach(t, srv, slow, nil).waitClients(t, "fast:primary", "slow:mirror")
	for range 3 {
		status, from, id := send(t, srv, "/hook", nil, "x")
		answered := time.Now()
		if status != http.StatusOK || from != "fast" {
			t.Fatalf("%d from %q", status, from)
		}
		slow.waitGot(t, id) // the copy goes out
		as := st.waitAttempts(t, id, 2)
		slow.mu.Lock()
		ended := slow.ended[len(slow.ended)-1]
		slow.mu.Unlock()
		if !answered.Before(ended) {
			t.Errorf("the sender was answered at %v, after the slow mirror's app returned at %v", answered, ended)
		}
		checkAttempts(t, as, "fast:primary:200", "slow:mirror:200")
	}
}

// Balance spreads deliveries over the clients in turn; a client killed mid-way is
// passed over and nothing is lost.
func TestShareBalance(t *testing.T) {
	srv, st := shareServer(t, nil)
	apps := []*app{newApp(t, "a", 0), newApp(t, "b", 0), newApp(t, "c", 0)}
	var ms []*member
	for _, a := range apps {
		ms = append(ms, attach(t, srv, a, func(t *client.Tunnel) { t.Share = proto.ShareBalance }))
	}
	ms[0].waitClients(t, "a:balance", "b:balance", "c:balance")
	const n = 300
	for i := range n {
		if status, _, _ := send(t, srv, "/hook", nil, "x"); status != http.StatusOK {
			t.Fatalf("delivery %d: %d", i, status)
		}
	}
	for _, a := range apps {
		if h := a.hits.Load(); h < n/3*9/10 || h > n/3*11/10 {
			t.Errorf("app %s got %d of %d deliveries, want %d within 10%%", a.name, h, n, n/3)
		}
	}
	_, _, id := send(t, srv, "/hook", nil, "x")
	checkOneAttempt(t, st.waitAttempts(t, id, 1), proto.RoleBalance)
	// Kill one while deliveries flow: every one is answered by a client still there.
	var wg sync.WaitGroup
	errs := make(chan string, 200)
	wg.Go(func() {
		for range 100 {
			if status, from, _ := send(t, srv, "/hook", nil, "x"); status != http.StatusOK {
				errs <- itoa(status) + " " + from
			}
		}
	})
	time.Sleep(50 * time.Millisecond)
	_ = ms[1].Stop()
	wg.Wait()
	close(errs)
	// The one delivery the killed client may have been handing to its app at that
	// moment can fail (its app may have it); every other is answered.
	if len(errs) > 1 {
		for e := range errs {
			t.Errorf("delivery during the kill: %s", e)
		}
	}
	before := apps[1].hits.Load()
	for range 30 {
		if status, from, _ := send(t, srv, "/hook", nil, "x"); status != http.StatusOK || from == "b" {
			t.Fatalf("after the kill: %d from %q", status, from)
		}
	}
	if apps[1].hits.Load() != before {
		t.Error("the killed client's app still gets deliveries")
	}
}

// attemptN is the attempt numbered n (they are added in the background, in any order).
func attemptN(as []store.Attempt, n int) store.Attempt {
	for _, a := range as {
		if a.N == n {
			return a
		}
	}
	return store.Attempt{}
}

func checkOneAttempt(tb testing.TB, as []store.Attempt, role string) {
	tb.Helper()
	if len(as) != 1 || as[0].Role != role || as[0].Status != 200 {
		tb.Errorf("attempts %+v: want one %s with 200", as, role)
	}
}

// Routes take what they match, ahead of the share policy; what no route matches goes
// to the clients without routes.
func TestShareRoutes(t *testing.T) {
	srv, st := shareServer(t, nil)
	stripe, inv, charge, rest := newApp(t, "stripe", 0), newApp(t, "invoices", 0), newApp(t, "charges", 0), newApp(t, "rest", 0)
	route := func(exprs ...string) func(*client.Tunnel) { return func(t *client.Tunnel) { t.Routes = exprs } }
	attach(t, srv, stripe, route("path=/stripe/*"))
	attach(t, srv, inv, route("header:X-Event=invoice.*"))
	attach(t, srv, charge, route("json:data.type=charge.*", "method=PUT"))
	attach(t, srv, rest, nil).waitClients(t, "stripe:routed", "invoices:routed", "charges:routed", "rest:primary")
	cases := []struct {
		path, event, body string
		want              string
		copies            []*app
	}{
		{"/stripe/evt", "", "{}", "stripe", nil},
		{"/hook", "invoice.paid", "{}", "invoices", nil},
		{"/hook", "", `{"data":{"type":"charge.succeeded"}}`, "charges", nil},
		{"/hook", "customer.created", `{"data":{"type":"customer"}}`, "rest", nil},
		{"/stripe/evt", "invoice.paid", "{}", "stripe", []*app{inv}}, // both match: first attached answers
	}
	for _, c := range cases {
		h := http.Header{}
		if c.event != "" {
			h.Set("X-Event", c.event)
		}
		status, from, id := send(t, srv, c.path, h, c.body)
		if status != http.StatusOK || from != c.want {
			t.Errorf("%s %q %s: %d from %q, want %s", c.path, c.event, c.body, status, from, c.want)
			continue
		}
		for _, a := range c.copies {
			a.waitGot(t, id)
		}
		as := st.waitAttempts(t, id, 1+len(c.copies))
		role := proto.RoleRouted
		if c.want == "rest" { // no route matched: the share policy among the others
			role = proto.RolePrimary
		}
		if first := attemptN(as, 1); first.Label != c.want || first.Role != role {
			t.Errorf("%s: first attempt %+v, want %s %s", c.path, first, c.want, role)
		}
	}
	tun := waitAttached(t, apiClient(t, srv, relaytest.Token), 4)
	if got := tun.Clients[2].Routes; len(got) != 2 || got[0] != "json:data.type=charge.*" {
		t.Errorf("charges' routes in the API: %q", got)
	}
}

// A bad route or share policy is refused at connect, naming the text.
func TestShareBadRequest(t *testing.T) {
	srv, _ := shareServer(t, nil)
	a := newApp(t, "a", 0)
	for _, c := range []struct {
		mod  func(*client.Tunnel)
		want string
	}{
		{func(t *client.Tunnel) { t.Routes = []string{"path=nope"} }, "path=nope"},
		{func(t *client.Tunnel) { t.Share = "roundrobin" }, `"roundrobin"`},
	} {
		m := startMember(t, srv, a, "a", c.mod)
		select {
		case <-m.Done():
		case <-time.After(20 * time.Second):
			t.Fatal("client still running")
		}
		var pe *proto.Error
		if !errors.As(m.Err(), &pe) || pe.Code != proto.CodeBadRequest || !strings.Contains(pe.Message, c.want) {
			t.Errorf("err %v, want bad_request naming %s", m.Err(), c.want)
		}
	}
}

// When the primary goes away mid-stream the longest attached of the others answers, and
// no delivery is lost.
func TestSharePrimaryHandOver(t *testing.T) {
	srv, _ := shareServer(t, nil)
	one, two, three := newApp(t, "one", 0), newApp(t, "two", 0), newApp(t, "three", 0)
	m1 := attach(t, srv, one, nil)
	m2 := attach(t, srv, two, nil)
	attach(t, srv, three, nil)
	m2.waitClients(t, "one:primary", "two:mirror", "three:mirror")
	froms := make(chan string, 400)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			status, from, _ := send(t, srv, "/hook", nil, "x")
			if status != http.StatusOK {
				from = "status " + itoa(status)
			}
			froms <- from
		}
	}()
	time.Sleep(100 * time.Millisecond)
	_ = m1.Stop()
	m2.waitClients(t, "two:primary", "three:mirror")
	<-done
	close(froms)
	switched, failed := false, 0
	for f := range froms {
		switch {
		case f == "two":
			switched = true
		case f == "one" && !switched:
		case strings.HasPrefix(f, "status ") && !switched && failed == 0:
			failed++ // the one delivery in the killed primary's hands at that moment
		default:
			t.Errorf("answer %q (after the switch: %v)", f, switched)
		}
	}
	if _, from, _ := send(t, srv, "/hook", nil, "x"); from != "two" {
		t.Errorf("after the hand-over, %q answered", from)
	}
}

// A client reconnecting with its id replaces only its own older session, in its place.
func TestShareReconnectReplacesOnlyItself(t *testing.T) {
	srv, _ := shareServer(t, nil)
	a, b := newApp(t, "a", 0), newApp(t, "b", 0)
	old := attach(t, srv, a, nil)
	mb := attach(t, srv, b, nil)
	mb.waitClients(t, "a:primary", "b:mirror")
	again := attach(t, srv, a, nil)
	select {
	case <-old.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the older session of client a still runs")
	}
	var pe *proto.Error
	if !errors.As(old.Err(), &pe) || pe.Code != proto.CodeReplaced {
		t.Errorf("older session ended with %v, want replaced", old.Err())
	}
	again.waitClients(t, "a:primary", "b:mirror")
	if mb.State() != client.StateOnline {
		t.Errorf("client b: %s", mb.State())
	}
	if _, from, _ := send(t, srv, "/hook", nil, "x"); from != "a" {
		t.Errorf("answered by %q", from)
	}
}

// A tunnel at its cap of clients refuses one more with too_many_clients; a reconnect of
// an attached client is never refused so.
func TestShareTooManyClients(t *testing.T) {
	srv, _ := shareServer(t, func(c *server.Config) { c.ClientsPerTunnel = 2 })
	a, b, c := newApp(t, "a", 0), newApp(t, "b", 0), newApp(t, "c", 0)
	attach(t, srv, a, nil)
	attach(t, srv, b, nil)
	third := startMember(t, srv, c, "c", nil)
	waitOutput(t, third, string(proto.CodeTooManyClients))
	_ = third.Stop()
	attach(t, srv, a, nil).waitClients(t, "a:primary", "b:mirror") // a again: replaces itself
}

// A replay goes to the primary, or to the client named by label.
func TestShareReplayToClient(t *testing.T) {
	srv, st := shareServer(t, nil)
	a, b := newApp(t, "a", 0), newApp(t, "b", 0)
	attach(t, srv, a, nil)
	attach(t, srv, b, nil).waitClients(t, "a:primary", "b:mirror")
	_, _, id := send(t, srv, "/hook", nil, "x")
	b.waitGot(t, id)
	c := apiClient(t, srv, relaytest.Token)
	before := a.hits.Load()
	rec, err := c.Replay(context.Background(), id, &api.Edit{ToClient: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != 200 || a.hits.Load() != before {
		t.Errorf("replay to b: status %d, a got it too: %v", rec.Status, a.hits.Load() != before)
	}
	if len(rec.Tries) != 1 || rec.Tries[0].Label != "b" || rec.Tries[0].Role != "replay" {
		t.Errorf("replay to b answered with tries %+v, want its replay attempt at b", rec.Tries)
	}
	checkOneAttempt(t, st.waitAttempts(t, rec.ID, 1), "replay")
	if as := st.of(rec.ID); as[0].Label != "b" {
		t.Errorf("replay attempt %+v", as[0])
	}
	rec, err = c.Replay(context.Background(), id, nil)
	if err != nil || rec.Status != 200 || a.hits.Load() != before+1 {
		t.Errorf("replay to the primary: %v, a hits %d", err, a.hits.Load()-before)
	}
	if _, err := c.Replay(context.Background(), id, &api.Edit{ToClient: "nobody"}); !api.IsNotFound(err) {
		t.Errorf("replay to an unknown label: %v", err)
	}
}

// A queued delivery goes once to the primary and is mirrored like a live one to the
// clients attached when it leaves the queue.
func TestShareQueueMirrored(t *testing.T) {
	srv, st := shareServer(t, func(c *server.Config) {
		c.Tunnels = map[string]server.TunnelSettings{"team": {Offline: proto.OfflineQueue}}
	})
	a, b := newApp(t, "a", 100*time.Millisecond), newApp(t, "b", 0)
	ma := attach(t, srv, a, nil)
	_ = ma.Stop()
	waitOffline(t, apiClient(t, srv, relaytest.Token), "team")
	const n = 40
	var ids []string
	for range n {
		resp := post(t, srv.URL+"/t/team/q", "queued")
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("queued: %d", resp.StatusCode)
		}
		ids = append(ids, resp.Header.Get(proto.HeaderRequestID))
	}
	attach(t, srv, a, nil) // the drain starts, a slow one
	attach(t, srv, b, nil)
	a.waitGot(t, ids[n-1])
	b.waitGot(t, ids[n-1]) // mirrored once b is there
	if h := a.hits.Load(); h != n {
		t.Errorf("primary got %d deliveries, want each of %d once", h, n)
	}
	as := st.waitAttempts(t, ids[n-1], 2)
	checkAttempts(t, as, "a:queue:200", "b:mirror:200")
}

// A streamed body is mirrored once it was read whole within the record cap; one the
// relay did not keep whole is not, and its copy's attempt says why.
func TestShareMirrorStreamedBody(t *testing.T) {
	srv, st := shareServer(t, func(c *server.Config) { c.RecordCap = 128 << 10 })
	a, b := newApp(t, "a", 0), newApp(t, "b", 0)
	attach(t, srv, a, nil)
	attach(t, srv, b, nil).waitClients(t, "a:primary", "b:mirror")
	for _, c := range []struct {
		size     int
		mirrored bool
	}{{100 << 10, true}, {300 << 10, false}} {
		status, from, id := send(t, srv, "/big", nil, strings.Repeat("x", c.size))
		if status != http.StatusOK || from != "a" {
			t.Fatalf("%d bytes: %d from %q", c.size, status, from)
		}
		as := st.waitAttempts(t, id, 2)
		copyAttempt := attemptN(as, 2)
		if c.mirrored {
			b.waitGot(t, id)
			checkAttempts(t, as, "a:primary:200", "b:mirror:200")
			continue
		}
		if copyAttempt.Label != "b" || copyAttempt.Error != "mirror_body_not_held" || b.got(id) {
			t.Errorf("%d bytes over the record cap: copy attempt %+v, b got it: %v", c.size, copyAttempt, b.got(id))
		}
	}
}

// A client without a client id (an older one) shares the tunnel as before: it never
// gets a clients frame, and the next such client replaces it, not the others.
func TestShareOlderClients(t *testing.T) {
	srv, _ := shareServer(t, nil)
	old, err := dialHostile(t, srv.URL, relaytest.Token, "team")
	if err != nil {
		t.Fatal(err)
	}
	old.serve(func(st net.Conn) { io.WriteString(st, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nold") })
	m := attach(t, srv, newApp(t, "new", 0), nil)
	m.waitClients(t, "client:primary", "new:mirror")
	if status, from, _ := send(t, srv, "/hook", nil, "x"); status != http.StatusOK || from != "old" {
		t.Errorf("%d from %q, want the older client, attached first", status, from)
	}
	// The frame to the new client went out; none went to the older one (it would take
	// an unknown frame for a broken session).
	_ = old.ctl.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	var b [1]byte
	var ne net.Error
	if n, err := old.ctl.Read(b[:]); n != 0 || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("older client's control stream: %d bytes, %v", n, err)
	}
	_ = old.ctl.SetReadDeadline(time.Time{})
	if _, err := dialHostile(t, srv.URL, relaytest.Token, "team"); err != nil {
		t.Fatal(err)
	}
	var pe *proto.Error
	if err := proto.ReadExpect(old.ctl, proto.FrameNotice, new(proto.Notice)); !errors.As(err, &pe) || pe.Code != proto.CodeReplaced {
		t.Fatalf("older client: %v, want replaced", err)
	}
	m.waitClients(t, "client:primary", "new:mirror") // the newer older client, in its place
}
