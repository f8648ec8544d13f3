package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// quickstartWait bounds each wait of the quickstart test (a build, a banner, a
// command): generous, for a loaded machine.
const quickstartWait = 3 * time.Minute

// quickstartCommands returns the shell commands of README's Quickstart section, in
// order: each ```sh block's lines, continuation lines joined, output lines ("# ...")
// and trailing comments dropped.
func quickstartCommands(t *testing.T) []string {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Quickstart\n")
	if !ok {
		t.Fatal("README.md has no Quickstart section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var cmds []string
	for _, block := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1) {
		joined := strings.ReplaceAll(block[1], "\\\n", " ")
		for line := range strings.SplitSeq(joined, "\n") {
			if i := strings.Index(line, "  #"); i >= 0 {
				line = line[:i]
			}
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				cmds = append(cmds, line)
			}
		}
	}
	return cmds
}

// assignment matches a shell variable assignment such as SIG=$(...).
var assignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// heardApp is the local app of the quickstart: it keeps what it got.
type heardApp struct {
	mu  sync.Mutex
	got []string // "METHOD PATH VERDICT BODY"
}

func (a *heardApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	a.got = append(a.got, r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Hookrelay-Verified")+" "+string(b))
	a.mu.Unlock()
	io.WriteString(w, `{"received":true}`)
}

func (a *heardApp) all() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.got...)
}

// TestReadmeQuickstart follows README's Quickstart literally, with real processes: the
// first command starts the relay (on a free port instead of 8080), the second is the
// test command (checked, not run), then every other command runs as written, with the
// printed token, the relay's address, the app's port and the built binaries for `go
// run` put in, against a local app. README and behaviour cannot drift apart.
func TestReadmeQuickstart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both commands and runs the quickstart")
	}
	cmds := quickstartCommands(t)
	if len(cmds) < 4 || cmds[0] != "go run ./relay-server --dev" || cmds[1] != "go test -race ./..." {
		t.Fatalf("README's first commands must start the relay and run the tests; got %q", cmds)
	}
	bin, work := t.TempDir(), t.TempDir()
	build := exec.Command("go", "build", "-o", bin, "./relay-server", "./relay-client")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	app := &heardApp{}
	appSrv := httptest.NewServer(app)
	t.Cleanup(appSrv.Close)
	_, appPort, _ := net.SplitHostPort(appSrv.Listener.Addr().String())

	sub := strings.NewReplacer("go run ./relay-server", filepath.Join(bin, "relay-server"),
		"go run ./relay-client", filepath.Join(bin, "relay-client"))
	serverOut := startProcess(t, work, "exec "+sub.Replace(cmds[0])+" --addr 127.0.0.1:0")
	banner := waitFor(t, serverOut, regexp.MustCompile(`(?s)listening on (http://127\.0\.0\.1:\d+).*dev token: (\S+)\n`))
	serverURL, token := banner[1], banner[2]
	if !strings.Contains(serverOut.String(), "relay-client http 3000 --server "+serverURL+" --token "+token) {
		t.Errorf("the banner's client command:\n%s", serverOut)
	}
	sub = strings.NewReplacer("go run ./relay-server", filepath.Join(bin, "relay-server"),
		"go run ./relay-client", filepath.Join(bin, "relay-client"), "http://127.0.0.1:8080", serverURL,
		"<printed token>", token, " http 3000 ", " http "+appPort+" ")
	var env []string
	for _, c := range cmds[2:] {
		c = sub.Replace(c)
		switch {
		case strings.HasPrefix(c, "export "), assignment.MatchString(c):
			env = append(env, c) // the shell state of the user's terminal
		case strings.Contains(c, "relay-client http "):
			out := startProcess(t, work, strings.Join(append(env, "exec "+c), "\n"))
			waitFor(t, out, regexp.MustCompile(`Forwarding .*->`))
		default:
			sh := exec.Command("sh", "-c", strings.Join(append(env, c), "\n"))
			sh.Dir, sh.WaitDelay = work, 10*time.Second
			if out, err := sh.CombinedOutput(); err != nil {
				t.Fatalf("README command %q: %v\n%s", c, err, out)
			}
		}
	}
	event, _ := os.ReadFile(filepath.Join(work, "event.json"))
	want := []string{"POST /webhooks/mygptassistants mygptassistants; ok ",
		"POST /webhooks/chat mygptassistants; ok " + string(event)}
	got := app.all()
	if len(event) == 0 || len(got) != 2 || !strings.HasPrefix(got[0], want[0]) || got[1] != want[1] {
		t.Fatalf("the app got %q\nwant %q", got, want)
	}
}

// startProcess runs script with sh in dir until the test ends, and returns its output.
// The script ends by exec-ing the long-running command, so that killing the process at
// cleanup stops that command.
func startProcess(t *testing.T, dir, script string) *syncBuffer {
	t.Helper()
	out := new(syncBuffer)
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, out, out
	cmd.WaitDelay = 10 * time.Second // never hang on a pipe a stray child holds
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return out
}

// waitFor waits until out matches re and returns the submatches.
func waitFor(t *testing.T, out *syncBuffer, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(quickstartWait)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %q within %v in:\n%s", re, quickstartWait, out)
	return nil
}
