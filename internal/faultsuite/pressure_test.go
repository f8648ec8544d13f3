package faultsuite

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// smallDisk mounts a tmpfs of size on a new directory, or skips the test where the
// machine does not allow a mount (no root, no CAP_SYS_ADMIN, no mount binary).
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("cannot mount a %s tmpfs here (%v: %s): the disk-full test needs one", size, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// TestDiskFull fills the server's data directory (a 16 MiB tmpfs) with recorded
// traffic: once the store cannot write, requests are refused cleanly
// (503 store_unavailable) and nothing is forwarded unrecorded; when space comes back,
// the relay records and forwards again by itself.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	data := smallDisk(t, "16m")
	ballast := filepath.Join(data, "ballast")
	if err := os.WriteFile(ballast, make([]byte, 3<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, rigOpts{data: data})
	r.startClient()
	s := r.sender("diskfull")
	errorLines := r.server.count("level=ERROR")
	full := 0
	for i := 0; i < 400 && full < 40; i++ {
		got := s.send(context.Background(), spec{size: (i%4 + 1) * 64 << 10, chunked: i%3 == 0})
		if got.Code == "store_unavailable" {
			full++
		}
	}
	if full == 0 {
		t.Fatalf("the disk never filled: %s", statusSummary(mustResults(s)))
	}
	if got := r.ready(); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz answers %d while every delivery is refused for a full disk, want 503", got)
	}
	if n := errorLines(); n >= full {
		t.Errorf("%d ERROR lines for %d refused deliveries: a full disk should be reported, not every request", n, full)
	}
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	if !r.probe(s, scaled(60*time.Second)) {
		t.Error("the relay did not record and forward again once space came back")
	}
	t.Logf("answers: %s", statusSummary(mustResults(s)))
	// A completion the full disk refused waits in memory and goes in once there is room
	// (at the latest as the server closes): no record the app answered stays pending.
	if rep := r.verdict(s); rep.Unsettled+rep.Mismatched > 0 {
		t.Errorf("%d records left pending and %d holding another status than the app's, though the disk had room again",
			rep.Unsettled, rep.Mismatched)
	}
}

// TestOverloadSheds sends more concurrent requests, of mixed sizes, than the relay
// carries to an app that answers slowly: whatever is not carried must be refused with
// a clean code (never a hang, a reset or a corrupted delivery).
func TestOverloadSheds(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{})
	r.startClient()
	s := r.sender("overload")
	overload := func(i int) spec {
		sp := mixedSpec(i * 13)
		if i%50 == 0 {
			sp.size = 4 << 20
		}
		sp.delay = 300 * time.Millisecond
		return sp
	}
	got := s.sendAll(specs(400, overload))
	shed, carried := 0, 0
	for _, g := range got {
		switch {
		case g.FromApp && g.Status == http.StatusOK:
			carried++
		case g.Code != "":
			shed++
		}
	}
	t.Logf("400 at once: %d carried, %d shed: %s", carried, shed, statusSummary(got))
	if carried == 0 {
		t.Error("nothing was carried")
	}
	if !r.probe(s, scaled(60*time.Second)) {
		t.Error("the tunnel carries no traffic after the overload")
	}
	r.verdict(s)
}

// TestBrokenApp has the app break some answers (reset, close, garbage, half a body)
// among good ones: the sender never gets a 2xx for a broken answer, the relay's own
// answers are clean, good answers are untouched, and a record says the app failed
// rather than that it was unreachable.
func TestBrokenApp(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{})
	r.startClient()
	s := r.sender("broken")
	modes := []string{"reset", "close", "garbage", "half"}
	got := s.sendAll(specs(80, func(i int) spec {
		if i%2 == 0 {
			return spec{size: (i%5 + 1) << 12, breaks: modes[i/2%len(modes)]}
		}
		return spec{size: (i%5 + 1) << 12}
	}))
	broken := map[string]string{}
	for i, g := range got {
		if i%2 == 0 {
			broken[g.ID] = modes[i/2%len(modes)]
		}
	}
	t.Logf("answers: %s", statusSummary(got))
	r.verdict(s)
	refused := map[string]int{} // by break mode
	for _, rec := range r.records {
		if mode, ok := broken[rec.Send]; ok && rec.Outcome == "refused" {
			refused[mode]++
		}
	}
	if len(refused) > 0 {
		t.Errorf("broken answers recorded as refused though the app took the request (by mode, of %d each): %v",
			len(broken)/len(modes), refused)
	}
}
