package faultsuite

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	soakFor   = flag.Duration("soak", 0, "run TestSoak for this long (0: skip it)")
	soakRate  = flag.Int("soak-rate", 100, "TestSoak: requests per second")
	soakEvery = flag.Duration("soak-restart", 30*time.Second, "TestSoak: time between client restarts")
	loadRate  = flag.Int("load-rate", 150, "requests per second of the kill and SIGTERM tests")
	loadFor   = flag.Duration("load-for", 3*time.Second, "how long the kill and SIGTERM tests load the relay before the fault")
)

// bins are relay-server and relay-client built once for the test binary's run.
var bins struct {
	once           sync.Once
	dir            string
	server, client string
	err            error
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if bins.dir != "" {
		_ = os.RemoveAll(bins.dir)
	}
	os.Exit(code)
}

// binaries builds the relay binaries on first use and skips the test under -short.
func binaries(t *testing.T) (server, client string) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts relay processes (skipped with -short)")
	}
	bins.once.Do(buildBinaries)
	if bins.err != nil {
		t.Fatal(bins.err)
	}
	return bins.server, bins.client
}

func buildBinaries() {
	ctx, cancel := context.WithTimeout(context.Background(), scaled(5*time.Minute))
	defer cancel()
	root, err := moduleRoot(ctx)
	if err != nil {
		bins.err = err
		return
	}
	if bins.dir, err = os.MkdirTemp("", "faultsuite-bin-"); err != nil {
		bins.err = fmt.Errorf("build relay binaries: %w", err)
		return
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bins.dir+string(filepath.Separator), "./relay-server", "./relay-client")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		bins.err = fmt.Errorf("build relay binaries: %w: %s", err, out)
		return
	}
	bins.server, bins.client = filepath.Join(bins.dir, "relay-server"), filepath.Join(bins.dir, "relay-client")
}

func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("find module root: not inside the module")
	}
	return filepath.Dir(gomod), nil
}

// slowFactor stretches every timeout of the suite (HOOKRELAY_TEST_SLOW, default 1).
var slowFactor = func() float64 {
	f, err := strconv.ParseFloat(os.Getenv("HOOKRELAY_TEST_SLOW"), 64)
	if err != nil || f < 1 {
		return 1
	}
	return f
}()

// scaled is d stretched by HOOKRELAY_TEST_SLOW.
func scaled(d time.Duration) time.Duration { return time.Duration(float64(d) * slowFactor) }
