package main

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
