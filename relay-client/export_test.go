package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/relaytest"
)

// TestExportCurlScriptReproducesBytes records deliveries through the relay (a binary
// body, a body starting with "@", a query curl would glob, an empty header), exports
// them as a curl script and runs it with sh and real curl against the app: each
// reaches it with the recorded bytes.
func TestExportCurlScriptReproducesBytes(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("needs curl")
	}
	e := newEnv(t, "")
	sent := []struct {
		target string
		body   []byte
	}{
		{"/bin", []byte{0, 0xff, '\'', '\n', 0x1b, 1}},
		{"/at", []byte("@/etc/hostname")},
		{"/q?f[1]=a&g={b}", []byte(`{"x":1}`)},
	}
	for _, s := range sent {
		req, _ := http.NewRequest("POST", e.url+"/t/hook"+s.target, bytes.NewReader(s.body))
		req.Header.Set("X-Empty", "")
		send(t, req)
	}
	script := e.cli(t, "export", "--name", "hook", "--format", "curl")
	dir := t.TempDir()
	path := filepath.Join(dir, "replay.sh")
	_ = os.WriteFile(path, []byte(script), 0o644)
	before := e.app.count()
	sh := exec.Command("sh", path)
	sh.Dir, sh.Env = dir, append(os.Environ(), "TARGET="+e.appURL)
	if out, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("sh: %v\n%s\nscript:\n%s", err, out, script)
	}
	if got := e.app.count() - before; got != len(sent) {
		t.Fatalf("the script sent %d requests, want %d", got, len(sent))
	}
	for i, s := range sent {
		r, body := e.app.got[before+i], e.app.bod[before+i]
		if r.URL.RequestURI() != s.target || !bytes.Equal(body, s.body) || r.Header.Values("X-Empty") == nil ||
			r.Header.Get("User-Agent") != "Go-http-client/1.1" {
			t.Errorf("%s reached the app as %s %q (X-Empty %q, UA %q)", s.target, r.URL.RequestURI(), body,
				r.Header.Values("X-Empty"), r.Header.Get("User-Agent"))
		}
	}
	if !strings.Contains(script, "base64 -d") {
		t.Errorf("the binary body was not written to a file:\n%s", script)
	}
}

// TestExportHoldsOneRecordAtATime records 16 deliveries of 512 KiB and exports them as
// JSON lines: the live heap (after a collection) grows by less than half their size
// while the output is written, where holding them all first took more than all of it.
// (Package export checks each streaming format with more and larger records.)
func TestExportHoldsOneRecordAtATime(t *testing.T) {
	const n, size = 16, 512 << 10
	e := newEnv(t, "")
	for i := range n {
		body := bytes.Repeat([]byte{byte('a' + i%26)}, size)
		resp, err := http.Post(e.url+"/t/hook/big", "text/plain", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	getenv := func(k string) string {
		return map[string]string{"HOOKRELAY_SERVER": e.url, "HOOKRELAY_TOKEN": relaytest.Token}[k]
	}
	for _, format := range []string{"jsonl"} {
		w := &heapSampler{every: size}
		w.base = liveHeap()
		var errb bytes.Buffer
		if err := run(context.Background(), []string{"export", "--name", "hook", "--format", format}, getenv, w, &errb); err != nil {
			t.Fatalf("export %s: %v\n%s", format, err, errb.String())
		}
		if w.records(format) != n {
			t.Fatalf("export %s wrote %d deliveries, want %d", format, w.records(format), n)
		}
		growth := int64(w.peak) - int64(w.base)
		t.Logf("%s: live heap grew by at most %.1f MiB", format, float64(growth)/(1<<20))
		if growth > n*size/2 {
			t.Errorf("export %s: live heap grew by %d MiB for %d MiB of bodies", format, growth>>20, n*size>>20)
		}
	}
}

// heapSampler discards the export, counting its deliveries, and samples the live heap
// every so many bytes.
type heapSampler struct {
	every, since   int
	base, peak     uint64
	lines, scripts int
	last           byte // the last byte written before p
}

func (h *heapSampler) Write(p []byte) (int, error) {
	h.lines += bytes.Count(p, []byte("\n"))
	if h.last == '\n' && bytes.HasPrefix(p, []byte("curl ")) {
		h.scripts++
	}
	h.scripts += bytes.Count(p, []byte("\ncurl "))
	if len(p) > 0 {
		h.last = p[len(p)-1]
	}
	if h.since += len(p); h.since >= h.every {
		h.since, h.peak = 0, max(h.peak, liveHeap())
	}
	return len(p), nil
}

func (h *heapSampler) records(format string) int {
	if format == "jsonl" {
		return h.lines
	}
	return h.scripts
}

func liveHeap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
