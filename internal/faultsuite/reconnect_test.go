package faultsuite

import (
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/proto"
)

// reconnectBound is how long a client may take, after the server it lost comes back,
// before its tunnel answers again. Reconnecting takes a backoff step or two; a client
// that waits on the exchanges the crash cut takes minutes (until the app reads again or
// gives up), so the bound is generous and still far below that.
const reconnectBound = 30 * time.Second

// TestReconnectAfterServerKillMidBody kills relay-server with SIGKILL while the client
// is mid-exchange with request bodies partly sent: one the app stopped reading after
// 64 KiB, two it reads at 2 KiB/s, one whose sender pauses between small pieces. The server comes back on the
// same address: the client must drop the cut exchanges at once and reconnect, and the
// tunnel must answer new deliveries through the restarted server within reconnectBound
// (scaled), with the four counts zero. The app's connections have a 4 KiB receive
// buffer, so a slow app holds the client's writes instead of loopback's buffers taking
// megabytes: what the client still holds of a cut body (up to a stream window) then
// takes minutes to reach a trickling app, and a client that waits on it stalls.
func TestReconnectAfterServerKillMidBody(t *testing.T) {
	r := newRig(t, rigOpts{appReadBuffer: 4 << 10})
	r.startClient()
	s := r.sender("midbody")
	begun := r.app.startedCount()
	stalled := inFlight(s, 1, spec{size: 3 << 20, stall: 10 * time.Minute})
	trickled := inFlight(s, 2, spec{size: 1 << 20, trickle: 2 << 10})
	paused := inFlight(s, 1, spec{size: 1 << 20, pace: 90 * time.Second, chunked: true})
	if !r.app.awaitStarted(begun+4, scaled(60*time.Second)) {
		t.Fatalf("the four bodies did not all reach the app: app began %d", r.app.startedCount()-begun)
	}
	time.Sleep(time.Second) // the app stalls or trickles, the sender paces: bodies partly sent
	r.server.kill()
	stalled()
	trickled()
	paused()
	r.startServer()
	restarted := time.Now()
	bound := scaled(reconnectBound)
	if !r.probe(s, bound) {
		t.Fatalf("no new delivery answered by the app within %s of the restart: the client waits on the exchanges the crash cut\n\tclient: %s",
			bound, r.client.lastLines())
	}
	t.Logf("a new delivery answered by the app %s after the restart", time.Since(restarted).Round(time.Millisecond))
	requireSettled(t, r.verdict(s))
}

// TestDrainOncePerSession queues deliveries for an offline tunnel, then has handshakes
// for its name fail halfway (a Hello and the connection closed before the Welcome) before
// the real client comes back. A queue drain belongs to a session that completed its
// handshake: drains never outnumber the sessions that came online, and every queued
// delivery reaches the app (the four counts zero, no redelivery).
func TestDrainOncePerSession(t *testing.T) {
	// The test opens its handshakes faster than a client would: lift the session-open
	// rates, which would answer them 429 before any handshake.
	r := newRig(t, rigOpts{clientArgs: []string{"--offline", proto.OfflineQueue},
		serverArgs: []string{"--session-burst", "1000", "--source-session-burst", "1000"}})
	r.startClient()
	s := r.sender("drain")
	offline := r.watchOffline()
	r.client.kill()
	if err := r.server.await(offline, scaled(30*time.Second)); err != nil {
		t.Fatalf("the server did not notice the killed client: %v", err)
	}
	for _, got := range s.sendAll(specs(30, func(i int) spec { return spec{size: (i%4 + 1) << 10} })) {
		if !got.Queued {
			t.Fatalf("send %s while the client was away: %d %s, want 202 queued", got.ID, got.Status, got.Code)
		}
	}
	drains := r.server.count(`msg="delivering queued requests"`)
	onlines := r.server.count(`msg="tunnel online"`)
	failed := r.server.count(`err="handshake:`)
	const attempts = 60
	for i := range attempts {
		if err := dropHandshake(r.addr, token, r.name, proto.OfflineQueue); err != nil {
			t.Fatalf("dropped handshake %d: %v", i, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ended := time.Now().Add(scaled(30 * time.Second)) // the server logs each failed handshake
	for failed()+onlines() < attempts && time.Now().Before(ended) {
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("after %d dropped handshakes: %d failed in the server's log, %d came online, %d drains", attempts, failed(), onlines(), drains())
	if d, o := drains(), onlines(); d > o {
		t.Errorf("%d queue drains for %d sessions online: a handshake that failed started a drain", d, o)
	}
	r.startClient()
	r.awaitQueue(s)
	time.Sleep(time.Second) // a second drain, if any, would log by now
	if d, o := drains(), onlines(); d > o {
		t.Errorf("%d queue drains for %d sessions online, after the client came back", d, o)
	}
	if rep := r.verdict(s); rep.Redelivered > 0 {
		t.Errorf("%d queued deliveries delivered twice", rep.Redelivered)
	}
}
