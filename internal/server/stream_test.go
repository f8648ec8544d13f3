package server_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
)

// TestBigBodiesStream sends a 100 MiB upload and a 100 MiB download through a recording
// relay and watches the heap of the whole process (server, client, backend, sender):
// it must stay far below the body size, so nothing buffers a body beyond the record cap.
func TestBigBodiesStream(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 200 MiB")
	}
	const size = 100 << 20
	srv := relaytest.StartServer(t, "", relaytest.Chain(relaytest.WithStore(t, nil),
		func(c *server.Config) { c.BodyLimit = 200 << 20 }))
	be := backend(t)
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "big", Target: relaytest.Target(t, be.URL)})

	base, peak := heapWatch(t)
	want, _ := sha(pattern(size))
	req := mustRequest(t, "POST", srv.URL+"/t/big/upload", pattern(size))
	req.ContentLength = size
	if s := decodeSeen(t, mustDo(t, req)); s.SHA256 != want {
		t.Fatalf("upload sha mismatch")
	}
	resp := mustDo(t, mustRequest(t, "GET", fmt.Sprintf("%s/t/big/download?n=%d", srv.URL, size), nil))
	got, _ := sha(resp.Body)
	resp.Body.Close()
	if got != want {
		t.Fatalf("download sha mismatch")
	}
	growth := int64(peak()) - int64(base)
	t.Logf("heap growth while streaming 2 x 100 MiB: %.1f MiB", float64(growth)/(1<<20))
	// Two recorded bodies of up to 10 MiB each (the default record cap) may be held.
	if growth > 40<<20 {
		t.Fatalf("heap grew %.1f MiB: a body is being buffered", float64(growth)/(1<<20))
	}
}

// heapWatch samples the live heap every 5 ms until the test ends; peak reports the
// highest sample so far.
func heapWatch(t *testing.T) (base uint64, peak func() uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base = ms.HeapAlloc
	var max atomic.Uint64
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > max.Load() {
					max.Store(ms.HeapAlloc)
				}
			}
		}
	}()
	return base, max.Load
}
