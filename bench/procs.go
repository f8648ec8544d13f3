package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// startTimeout bounds how long a started process may take to print its ready line.
const startTimeout = 30 * time.Second

// relayEnv is extra environment for relay-server and relay-client (--relay-env);
// clientEnv for relay-client only (--client-env).
var relayEnv, clientEnv []string

// envFor is the extra environment of the process called name.
func envFor(name string) []string {
	if !strings.HasPrefix(name, "relay-") {
		return nil
	}
	if name == procClient {
		return append(slices.Clone(relayEnv), clientEnv...)
	}
	return relayEnv
}

// errNotReady reports a process that exited or stayed silent before its ready line.
var errNotReady = errors.New("bench: process not ready")

// proc is a child process whose output is read line by line.
type proc struct {
	name     string
	cmd      *exec.Cmd
	mu       sync.Mutex
	tail     []string // last lines of output, for error messages
	watchers []watcher
	stdin    io.WriteCloser
	done     chan struct{}
}

// watcher is a wait for an output line.
type watcher struct {
	match lineFunc
	seen  chan struct{}
}

// lineFunc looks at one output line and reports when the process is ready.
type lineFunc func(line string) (ready bool)

// startProc runs path with args and waits until ready accepts a line of its combined
// output. The output is drained for the life of the process.
func startProc(name, path string, args []string, ready lineFunc) (*proc, error) {
	p, err := spawn(name, path, args, false)
	if err != nil {
		return nil, err
	}
	return p, p.await(p.watch(ready))
}

// spawn starts path with args, reading its stderr, and its stdout too unless
// quietStdout sends that to /dev/null (a process that prints a line per request would
// otherwise make this process part of every request).
func spawn(name, path string, args []string, quietStdout bool) (*proc, error) {
	p := &proc{name: name, cmd: exec.Command(path, args...), done: make(chan struct{})}
	if extra := envFor(name); len(extra) > 0 {
		p.cmd.Env = append(os.Environ(), extra...)
	}
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	if quietStdout {
		p.cmd.Stdout = nil // exec connects nil to the null device
	}
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		_ = pw.Close()
		close(p.done)
	}()
	go p.read(pr)
	return p, nil
}

// watch returns a channel closed when a line that match accepts is printed from now on.
func (p *proc) watch(match lineFunc) chan struct{} {
	w := watcher{match: match, seen: make(chan struct{})}
	p.mu.Lock()
	p.watchers = append(p.watchers, w)
	p.mu.Unlock()
	return w.seen
}

// await waits for seen, failing if the process exits or startTimeout passes first.
func (p *proc) await(seen chan struct{}) error {
	select {
	case <-seen:
		return nil
	case <-p.done:
		return fmt.Errorf("%w: %s exited: %s", errNotReady, p.name, p.lastLines())
	case <-time.After(startTimeout):
		p.stop()
		return fmt.Errorf("%w: %s silent for %s: %s", errNotReady, p.name, startTimeout, p.lastLines())
	}
}

// read drains r, keeping the last lines and telling watchers about their line.
func (p *proc) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		p.line(sc.Text())
	}
	_, _ = io.Copy(io.Discard, r)
}

func (p *proc) line(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tail = append(p.tail, line)
	if len(p.tail) > 20 {
		p.tail = p.tail[1:]
	}
	keep := p.watchers[:0]
	for _, w := range p.watchers {
		if w.match(line) {
			close(w.seen)
			continue
		}
		keep = append(keep, w)
	}
	p.watchers = keep
}

func (p *proc) lastLines() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.tail, " | ")
}

// pid is the process id.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// kill ends the process at once, without letting it clean up.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// stop sends SIGTERM, then SIGKILL if the process lingers.
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// binaries are the relay-server and relay-client built for this run.
type binaries struct {
	dir, server, client string
}

// build compiles relay-server and relay-client from the module root src (the current
// module when empty) into a new directory under tmp.
func build(ctx context.Context, tmp, src string) (*binaries, error) {
	root, err := moduleRoot(ctx, src)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(tmp, "bin")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(filepath.Separator), "./relay-server", "./relay-client")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build relay binaries: %w: %s", err, out)
	}
	return &binaries{dir: dir, server: filepath.Join(dir, "relay-server"), client: filepath.Join(dir, "relay-client")}, nil
}

// moduleRoot is the directory of the go.mod that governs dir (the current directory
// when empty), found by the go command.
func moduleRoot(ctx context.Context, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "GOMOD")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("find module root: run bench from inside the hookrelay module")
	}
	return filepath.Dir(gomod), nil
}
