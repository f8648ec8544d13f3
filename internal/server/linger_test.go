package server_test

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/proto"
)

// A tunnel client that goes on sending on streams the server closed (here: endless
// response heads, each cut at the head limit) loses its session after a few, instead of
// making every such stream hold a window's worth of buffer for a minute; until then its
// senders get 502 bad_response, and after it the tunnel is offline.
func TestClientIgnoringCloseLosesSession(t *testing.T) {
	srv := relaytest.StartServer(t, "", nil)
	overrunSession(t, srv.URL, "deaf")
}

// overrunSession connects a client serving name that answers with endless heads and
// sends to it until the server ends its session.
func overrunSession(t *testing.T, srvURL, name string) {
	t.Helper()
	c, err := dialHostile(t, srvURL, relaytest.Token, name)
	if err != nil {
		t.Fatal(err)
	}
	defer c.mux.Close()
	c.serve(endlessHead)
	var codes []string
	for range 12 {
		resp := mustDo(t, mustRequest(t, http.MethodPost, srvURL+"/t/"+name+"/", strings.NewReader("{}")))
		resp.Body.Close()
		codes = append(codes, string(codeOf(resp)))
		if codeOf(resp) == proto.CodeTunnelOffline {
			break
		}
		if codeOf(resp) != proto.CodeBadResponse {
			t.Fatalf("answers %v: want bad_response until the session ends", codes)
		}
		time.Sleep(50 * time.Millisecond) // the server reads each closed stream in the background
	}
	select {
	case <-c.mux.CloseChan():
	case <-time.After(30 * time.Second):
		t.Fatalf("the session of a client sending on closed streams is still open after answers %v", codes)
	}
	if n := strings.Count(strings.Join(codes, ","), string(proto.CodeBadResponse)); n < 2 {
		t.Errorf("answers %v: the session ended before the client overran more than one stream", codes)
	}
}

// The sessions the server ends for overruns leave no buffers behind: yamux's close
// timer keeps each closed stream, and with it the whole session, for a minute, so the
// server must free the overrun streams' buffers itself. Eight sessions with at least
// four overrun streams each would otherwise hold 8 MiB or more (a window of 256 KiB
// buffered per stream, in a buffer grown to up to twice that).
func TestOverrunSessionsLeaveNoBuffers(t *testing.T) {
	srv := relaytest.StartServer(t, "", nil)
	overrunSession(t, srv.URL, "deaf-warm")
	before := liveHeap()
	for i := range 8 {
		overrunSession(t, srv.URL, fmt.Sprintf("deaf-%d", i))
	}
	// The server frees them once it has seen each session end: give it the time.
	var grew int64
	for range 50 {
		if grew = liveHeap() - before; grew < 4<<20 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("the live heap grew by %d KiB over 8 overrun sessions, want under 4 MiB", grew>>10)
}

// liveHeap is the heap in use after a full collection.
func liveHeap() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
