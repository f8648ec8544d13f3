package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/proto"
)

// spliceApp serves /ws as a websocket echo, /trl by echoing the request's X-Sum
// trailer back as a response trailer, and anything else as echoApp does.
func spliceApp(t *testing.T) string {
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", wsEcho)
	mux.HandleFunc("/trl", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Trailer", "X-Got")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
		w.(http.Flusher).Flush()
		w.Header().Set("X-Got", r.Trailer.Get("X-Sum"))
		w.Header().Set(http.TrailerPrefix+"X-Late", "yes")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sum := sha256.Sum256(body)
		w.Header().Set("X-Sum", hex.EncodeToString(sum[:]))
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(body)
	})
	return httpServer(t, mux)
}

// TestClusterSpliceUpgradeExpectTrailers: through a splice from node B or C to the
// client on node A, a websocket upgrade echoes every message, Expect: 100-continue gets
// its 100 before the sender sends a 3 MiB body, and trailers pass both ways.
func TestClusterSpliceUpgradeExpectTrailers(t *testing.T) {
	dsn := pgtest.Schema(t)
	a, b, c := startNode(t, dsn, nil), startNode(t, dsn, nil), startNode(t, dsn, nil)
	relaytest.StartClient(t, a.URL, relaytest.Token, client.Tunnel{Name: "far", Target: relaytest.Target(t, spliceApp(t))})
	t.Run("websocket via B", func(t *testing.T) {
		ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(b.URL, "http")+"/t/far/ws", nil)
		if err != nil {
			t.Fatalf("dial through node B: %v", err)
		}
		defer ws.Close()
		for i := range 20 {
			msg := fmt.Sprintf("hello %d %s", i, strings.Repeat("z", i*3000))
			if err := ws.WriteMessage(websocket.BinaryMessage, []byte(msg)); err != nil {
				t.Fatal(err)
			}
			_ = ws.SetReadDeadline(time.Now().Add(time.Minute))
			_, got, err := ws.ReadMessage()
			if err != nil || string(got) != msg {
				t.Fatalf("echo %d: got %d bytes (sent %d), err %v", i, len(got), len(msg), err)
			}
		}
	})
	t.Run("expect via C as via A", func(t *testing.T) {
		if onA, onC := expectThrough(t, a.Addr, 3<<20), expectThrough(t, c.Addr, 3<<20); onA != onC {
			t.Fatalf("interim answer via node A %q, via node C %q", onA, onC)
		}
	})
	for _, te := range []string{"", "trailers"} {
		t.Run("trailers via B te="+te, func(t *testing.T) { trailersThrough(t, b.URL, te) })
	}
}

// expectThrough sends a request with Expect: 100-continue to addr, waits for 100
// Continue before it sends its body of n bytes, checks the app got it whole, and returns
// the interim answer's head.
func expectThrough(t *testing.T, addr string, n int) string {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Minute))
	fmt.Fprintf(conn, "POST /t/far/exp HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", n)
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		t.Fatalf("before the body: %q, %v; want 100 Continue", line, err)
	}
	for {
		h, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("after %q: %v", line, err)
		}
		if h == "\r\n" {
			break
		}
		line += h
	}

	body := patternBytes(int64(n))
	if _, err := conn.Write(body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	sum := sha256.Sum256(body)
	if err != nil || resp.StatusCode != http.StatusCreated || !bytes.Equal(got, body) ||
		resp.Header.Get("X-Sum") != hex.EncodeToString(sum[:]) {
		t.Fatalf("answer %d, %d bytes of %d, X-Sum %s, err %v", resp.StatusCode, len(got), n, resp.Header.Get("X-Sum"), err)
	}
	return line
}

// trailersThrough posts a chunked body with an X-Sum trailer to base and checks the app
// saw the trailer and its own trailers came back, announced and unannounced.
func trailersThrough(t *testing.T, base, te string) {
	req := mustRequest(t, "POST", base+"/t/far/trl", io.MultiReader(strings.NewReader("abc")))
	req.ContentLength = -1
	req.Trailer = http.Header{"X-Sum": {"req-sum"}}
	if te != "" {
		req.Header.Set("TE", te)
	}
	resp := mustDo(t, req)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || string(body) != "abc" {
		t.Fatalf("answer %d %q %v", resp.StatusCode, body, err)
	}
	if got := resp.Trailer.Get("X-Got"); got != "req-sum" {
		t.Errorf("the app's X-Got trailer = %q, want the request's trailer req-sum (trailers %v)", got, resp.Trailer)
	}
	if got := resp.Trailer.Get("X-Late"); got != "yes" {
		t.Errorf("unannounced trailer X-Late = %q, want yes (trailers %v)", got, resp.Trailer)
	}
}

// TestClusterVerifyEnforceEveryNode: a client on node A verifies Stripe signatures in
// enforce mode; a forged delivery is refused 401 signature_invalid by whichever node it
// reaches, without reaching the app, and a signed one passes, verified, on every node.
func TestClusterVerifyEnforceEveryNode(t *testing.T) {
	const spec = "stripe:whsec_dGVzdHNlY3JldA"
	dsn := pgtest.Schema(t)
	a, b, c := startNode(t, dsn, nil), startNode(t, dsn, nil), startNode(t, dsn, nil)
	var hits atomic.Int64
	app := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("X-Verified-Seen", r.Header.Get(proto.HeaderVerified))
		w.WriteHeader(http.StatusCreated)
	}))
	relaytest.StartClient(t, a.URL, relaytest.Token, client.Tunnel{Name: "far", Target: relaytest.Target(t, app),
		Verify: []string{spec}, VerifyMode: server.VerifyEnforce})
	good, forged := mustScheme(t, spec), mustScheme(t, "stripe:whsec_b3RoZXI")
	body := []byte(`{"id":"evt_1","type":"invoice.paid"}`)
	send := func(t *testing.T, base string, signer interface {
		Sign(http.Header, []byte, time.Time, string) error
	}) *http.Response {
		req := mustRequest(t, "POST", base+"/t/far/stripe", bytes.NewReader(body))
		if err := signer.Sign(req.Header, body, time.Now(), ""); err != nil {
			t.Fatal(err)
		}
		resp := mustDo(t, req)
		resp.Body.Close()
		return resp
	}
	for _, n := range []struct {
		name string
		node *clusterNode
	}{{"A", a}, {"B", b}, {"C", c}} {
		t.Run(n.name, func(t *testing.T) {
			before := hits.Load()
			resp := send(t, n.node.URL, forged)
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get(proto.HeaderError) != string(proto.CodeSignatureInvalid) {
				t.Fatalf("forged: %d %q, want 401 %s", resp.StatusCode, resp.Header.Get(proto.HeaderError), proto.CodeSignatureInvalid)
			}
			if hits.Load() != before {
				t.Fatalf("a forged delivery reached the app")
			}
			resp = send(t, n.node.URL, good)
			if resp.StatusCode != http.StatusCreated || resp.Header.Get("X-Verified-Seen") != "stripe; ok" {
				t.Fatalf("signed: %d (%s), the app saw %s %q", resp.StatusCode, resp.Header.Get(proto.HeaderError),
					proto.HeaderVerified, resp.Header.Get("X-Verified-Seen"))
			}
		})
	}
	// One record per post, each node's alike: the forged ones rejected, unverified.
	for _, n := range []*clusterNode{a, b, c} {
		eventually(t, "6 records, 3 rejected", func() bool {
			page, err := apiClient(t, n.Server, relaytest.Token).List(context.Background(), store.Filter{Tunnel: "far"})
			if err != nil || len(page.Requests) != 6 {
				return false
			}
			count := map[store.Outcome]int{}
			for _, r := range page.Requests {
				count[r.Outcome]++
			}
			return count[store.OutcomeRejected] == 3 && count[store.OutcomeOK] == 3
		})
	}
}

// TestClusterQueueDrainedOnceInOrder: 20 deliveries of a queue tunnel with no client
// anywhere, posted to nodes B and C, are each queued (202); a client that then connects
// to node A gets every one exactly once, each node's in the order it accepted them, and,
// when the posts were one after another, in the order of the posts across both nodes.
// Each is recorded once, delivered, and listed alike on every node.
func TestClusterQueueDrainedOnceInOrder(t *testing.T) {
	for _, tc := range []struct {
		name       string
		concurrent bool // B's and C's senders post at the same time
	}{{"alternating", false}, {"concurrent", true}} {
		t.Run(tc.name, func(t *testing.T) { queueDrainedOnce(t, tc.concurrent) })
	}
}

func queueDrainedOnce(t *testing.T, concurrent bool) {
	const n = 20
	dsn := pgtest.Schema(t)
	a, b, c := startNode(t, dsn, nil), startNode(t, dsn, nil), startNode(t, dsn, nil)
	var mu sync.Mutex
	var got []int
	app := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		i, err := strconv.Atoi(string(body))
		if err != nil {
			i = -1
		}
		mu.Lock()
		got = append(got, i)
		mu.Unlock()
	}))
	tun := client.Tunnel{Name: "far", Target: relaytest.Target(t, app), Offline: proto.OfflineQueue}
	_ = relaytest.StartClient(t, a.URL, relaytest.Token, tun).Stop() // the tunnel exists, queueing
	postQueued(t, []*clusterNode{b, c}, n, concurrent)
	relaytest.StartClient(t, a.URL, relaytest.Token, tun)
	eventually(t, "every queued delivery", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) >= n })
	for _, node := range []*clusterNode{a, b, c} {
		waitRecordsOutcome(t, node, n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != n {
		t.Fatalf("the app got %d deliveries, want %d once each: %v", len(got), n, got)
	}
	last, seen := [2]int{-1, -1}, make(map[int]bool)
	for i, v := range got {
		if v < 0 || v >= n || seen[v] || v <= last[v%2] || (!concurrent && v != i) {
			t.Fatalf("the app got %v: want 0..%d once each, each node's in order (all in order when posted one after another)", got, n-1)
		}
		seen[v], last[v%2] = true, v
	}
}

// postQueued posts deliveries 0..n-1, the even ones to nodes[0] and the odd ones to
// nodes[1], one after another or each node's from a sender of its own, and checks that
// each was queued.
func postQueued(t *testing.T, nodes []*clusterNode, n int, concurrent bool) {
	post := func(i int) error {
		resp, err := http.Post(nodes[i%2].URL+"/t/far/q", "text/plain", strings.NewReader(strconv.Itoa(i)))
		if err != nil {
			return fmt.Errorf("delivery %d: %w", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("delivery %d via node %d: status %d (%s), want 202", i, i%2, resp.StatusCode, resp.Header.Get(proto.HeaderError))
		}
		return nil
	}
	if !concurrent {
		for i := range n {
			if err := post(i); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	errs := make(chan error, 2)
	for first := range 2 {
		go func() {
			for i := first; i < n; i += 2 {
				if err := post(i); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// waitRecordsOutcome waits until node's list shows n records of far, each delivered.
func waitRecordsOutcome(t *testing.T, node *clusterNode, n int) {
	t.Helper()
	cl := apiClient(t, node.Server, relaytest.Token)
	eventually(t, fmt.Sprintf("%d delivered records", n), func() bool {
		page, err := cl.List(context.Background(), store.Filter{Tunnel: "far"})
		if err != nil || len(page.Requests) != n {
			return false
		}
		for _, r := range page.Requests {
			if r.Outcome != store.OutcomeOK {
				return false
			}
		}
		return true
	})
}

// TestClusterHandshakeEveryNode: a client on node A that asks --handshake slack on a
// tunnel verifying Slack in enforce mode gets the same answers on every node: a signed
// url_verification answered by the relay, an unsigned one refused 403, a forged event
// 401, a signed event passed to the app, verified.
func TestClusterHandshakeEveryNode(t *testing.T) {
	dsn := pgtest.Schema(t)
	a, b, c := startNode(t, dsn, nil), startNode(t, dsn, nil), startNode(t, dsn, nil)
	relaytest.StartClient(t, a.URL, relaytest.Token, client.Tunnel{Name: "slackbot", Target: relaytest.Target(t, backend(t).URL),
		Verify: []string{"slack:" + hsSlackSecret}, VerifyMode: server.VerifyEnforce, Handshake: []string{"slack"}})
	const event = `{"type":"event_callback"}`
	for _, n := range []struct {
		name string
		node *clusterNode
	}{{"A", a}, {"B", b}, {"C", c}} {
		t.Run(n.name, func(t *testing.T) {
			for _, hc := range []hsCase{
				{tunnel: "slackbot", method: "POST", body: hsSlackVerify, header: slackSigned(hsSlackSecret, hsSlackVerify),
					status: 200, ctype: hsText, answer: hsSlackChallenge},
				{tunnel: "slackbot", method: "POST", body: hsSlackVerify, status: 403, code: proto.CodeHandshakeRefused},
				{tunnel: "slackbot", method: "POST", body: event, header: slackSigned("forged", event),
					status: 401, code: proto.CodeSignatureInvalid},
			} {
				hc.check(t, hc.do(t, n.node.URL), nil)
			}
			signed := hsCase{tunnel: "slackbot", method: "POST", body: event, header: slackSigned(hsSlackSecret, event)}
			resp := signed.do(t, n.node.URL)
			if s := decodeSeen(t, resp); resp.StatusCode != 200 || s.Header.Get(proto.HeaderVerified) != "slack; ok" {
				t.Fatalf("signed event: %d, the app saw %v", resp.StatusCode, s.Header)
			}
		})
	}
}

// TestClusterChecksWithNoClient: once the client of a queue tunnel that verifies Slack
// in enforce mode and answers its handshake has left node A, every node, including
// ones it never attached to, still answers the handshake, refuses forged events and
// queues signed ones with their verdict; the client, back on node C, gets those,
// verified.
func TestClusterChecksWithNoClient(t *testing.T) {
	dsn := pgtest.Schema(t)
	nodes := []*clusterNode{startNode(t, dsn, nil), startNode(t, dsn, nil), startNode(t, dsn, nil)}
	var mu sync.Mutex
	var seen []string
	app := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get(proto.HeaderVerified))
		mu.Unlock()
	}))
	tun := client.Tunnel{Name: "slackbot", Target: relaytest.Target(t, app), Offline: proto.OfflineQueue,
		Verify: []string{"slack:" + hsSlackSecret}, VerifyMode: server.VerifyEnforce, Handshake: []string{"slack"}}
	_ = relaytest.StartClient(t, nodes[0].URL, relaytest.Token, tun).Stop()
	const event = `{"type":"event_callback"}`
	for i, n := range nodes {
		for _, hc := range []hsCase{
			{tunnel: "slackbot", method: "POST", body: hsSlackVerify, header: slackSigned(hsSlackSecret, hsSlackVerify),
				status: 200, ctype: hsText, answer: hsSlackChallenge},
			{tunnel: "slackbot", method: "POST", body: hsSlackVerify, status: 403, code: proto.CodeHandshakeRefused},
			{tunnel: "slackbot", method: "POST", body: event, header: slackSigned("forged", event),
				status: 401, code: proto.CodeSignatureInvalid},
			{tunnel: "slackbot", method: "POST", body: event, header: slackSigned(hsSlackSecret, event), status: 202},
		} {
			resp := hc.do(t, n.URL)
			resp.Body.Close()
			if resp.StatusCode != hc.status || resp.Header.Get(proto.HeaderError) != string(hc.code) {
				t.Fatalf("node %d, %s: %d %q, want %d %q", i, hc.body, resp.StatusCode, resp.Header.Get(proto.HeaderError), hc.status, hc.code)
			}
		}
	}
	relaytest.StartClient(t, nodes[2].URL, relaytest.Token, tun)
	eventually(t, "the 3 queued events", func() bool { mu.Lock(); defer mu.Unlock(); return len(seen) >= 3 })
	mu.Lock()
	defer mu.Unlock()
	for _, v := range seen {
		if v != "slack; ok" {
			t.Fatalf("the app saw %s %q, want each \"slack; ok\"", proto.HeaderVerified, seen)
		}
	}
}
