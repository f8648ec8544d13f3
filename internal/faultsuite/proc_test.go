package faultsuite

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a running relay process whose output is read line by line.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}

	mu       sync.Mutex
	tail     []string // last lines, for failure messages
	watchers []*watcher
	counters []*counter
}

// counter counts the output lines that contain a string.
type counter struct {
	substr string
	n      int
}

type watcher struct {
	match func(string) bool
	seen  chan struct{}
}

// maxTail is how many output lines a proc keeps for failure messages.
const maxTail = 40

// spawn starts path with args, reading its stdout and stderr.
func spawn(name, path string, args ...string) (*proc, error) {
	p := &proc{name: name, cmd: exec.Command(path, args...), done: make(chan struct{})}
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
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

func (p *proc) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		p.line(sc.Text())
	}
	_, _ = io.Copy(io.Discard, r)
}

func (p *proc) line(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tail = append(p.tail, s)
	if len(p.tail) > maxTail {
		p.tail = p.tail[1:]
	}
	for _, c := range p.counters {
		if strings.Contains(s, c.substr) {
			c.n++
		}
	}
	keep := p.watchers[:0]
	for _, w := range p.watchers {
		if w.match(s) {
			close(w.seen)
			continue
		}
		keep = append(keep, w)
	}
	p.watchers = keep
}

// watch returns a channel closed when a line match accepts is printed from now on.
func (p *proc) watch(match func(string) bool) <-chan struct{} {
	w := &watcher{match: match, seen: make(chan struct{})}
	p.mu.Lock()
	p.watchers = append(p.watchers, w)
	p.mu.Unlock()
	return w.seen
}

// count starts counting the lines that contain substr; the returned func reads the
// count.
func (p *proc) count(substr string) func() int {
	c := &counter{substr: substr}
	p.mu.Lock()
	p.counters = append(p.counters, c)
	p.mu.Unlock()
	return func() int {
		p.mu.Lock()
		defer p.mu.Unlock()
		return c.n
	}
}

var errNotSeen = errors.New("faultsuite: expected output not seen")

// await waits for seen, failing if the process exits or timeout passes first.
func (p *proc) await(seen <-chan struct{}, timeout time.Duration) error {
	select {
	case <-seen:
		return nil
	case <-p.done:
		return fmt.Errorf("%w: %s exited: %s", errNotSeen, p.name, p.lastLines())
	case <-time.After(timeout):
		return fmt.Errorf("%w: %s silent for %s: %s", errNotSeen, p.name, timeout, p.lastLines())
	}
}

func (p *proc) lastLines() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.tail, "\n\t")
}

// lastLine is the last line of output, "" if none.
func (p *proc) lastLine() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.tail) == 0 {
		return ""
	}
	return p.tail[len(p.tail)-1]
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// term sends SIGTERM and waits up to timeout for the exit; it reports how long the
// process took, or an error (after a SIGKILL) if it lingered.
func (p *proc) term(timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return time.Since(start), nil
	case <-time.After(timeout):
		p.kill()
		return time.Since(start), fmt.Errorf("%s still running %s after SIGTERM: %s", p.name, timeout, p.lastLines())
	}
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}
