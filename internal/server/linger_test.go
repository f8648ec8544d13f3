package server_test

import (
	"net/http"
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
	c, err := dialHostile(t, srv.URL, relaytest.Token, "deaf")
	if err != nil {
		t.Fatal(err)
	}
	c.serve(endlessHead)
	var codes []string
	for range 12 {
		resp := mustDo(t, mustRequest(t, http.MethodPost, srv.URL+"/t/deaf/", strings.NewReader("{}")))
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
