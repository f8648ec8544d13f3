package faultsuite

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// boundarySizes sit on both sides of the relay's body boundaries: the 64 KiB prebuffer
// (larger bodies stream through and are saved apart) and the 256 KiB store part size.
var boundarySizes = []int{0, 1 << 10, 64 << 10, 64<<10 + 1, 100 << 10, 256 << 10, 256<<10 + 1, 1 << 20, 3 << 20}

// bodySpecs is every boundary size, sent with a Content-Length and chunked.
func bodySpecs() []spec {
	var out []spec
	for _, n := range boundarySizes {
		out = append(out, spec{size: n, respSize: n}, spec{size: n, chunked: true})
	}
	return out
}

// TestLiveBodies sends every boundary size, with and without a Content-Length, through
// an online tunnel, one at a time: the app and the record must hold the bytes sent.
func TestLiveBodies(t *testing.T) {
	r := newRig(t, rigOpts{})
	r.startClient()
	s := r.sender("live")
	for _, sp := range bodySpecs() { // one at a time: all at once, admission control may shed some
		got := s.send(context.Background(), sp)
		if !got.FromApp || got.Status != http.StatusOK {
			t.Errorf("send %s (%d bytes): %d %s, want the app's 200", got.ID, got.Size, got.Status, got.Code)
		}
	}
	r.verdict(s)
}

// TestQueuedBodies queues every boundary size while the tunnel's client is away, then
// connects it: each queued request reaches the app byte for byte, and its record too.
func TestQueuedBodies(t *testing.T) {
	r := newRig(t, rigOpts{clientArgs: []string{"--offline", "queue"}})
	r.startClient() // claims the tunnel with its queue policy
	offline := r.watchOffline()
	if _, err := r.client.term(scaled(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := r.server.await(offline, scaled(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	s := r.sender("queued")
	for _, got := range s.sendAll(bodySpecs()) {
		if !got.Queued {
			t.Errorf("send %s (%d bytes): %d %s, want 202 queued", got.ID, got.Size, got.Status, got.Code)
		}
	}
	r.startClient()
	r.awaitQueue(s)
	r.verdict(s)
}
