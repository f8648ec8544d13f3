package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/proto"
)

// idleWorkerArg makes this binary run idle tunnel clients for --idle: a process of its
// own so that its memory is measured apart and it can be killed at once (stopping
// thousands of yamux sessions gracefully in one process takes minutes; see
// BENCHMARKS.md).
const idleWorkerArg = "__idle-clients"

// Lines the idle worker prints.
const (
	idleConnected = "connected "
	idleStats     = "stats "
)

// idleConnectParallel is how many idle tunnels connect at the same time.
const idleConnectParallel = 64

// serveIdleClients runs the idle worker: args are the server URL, the target URL and
// the number of tunnels. Once every tunnel is online it prints "connected N"; for each
// "stats" line on stdin it prints "stats ONLINE CONNECTS"; at the end of stdin it exits.
func serveIdleClients(args []string) int {
	if len(args) != 3 {
		fmt.Fprintln(os.Stderr, "idle worker: want SERVER TARGET N")
		return 2
	}
	su, err1 := url.Parse(args[0])
	tu, err2 := url.Parse(args[1])
	n, err3 := strconv.Atoi(args[2])
	if err1 != nil || err2 != nil || err3 != nil || n < 1 {
		fmt.Fprintln(os.Stderr, "idle worker: bad arguments", args)
		return 2
	}
	f := &idleFleet{server: su, target: tu}
	if err := f.connect(context.Background(), n); err != nil {
		fmt.Fprintln(os.Stderr, "idle worker:", err)
		return 1
	}
	fmt.Println(idleConnected + strconv.Itoa(n))
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if sc.Text() == "stats" {
			fmt.Printf("%s%d %d\n", idleStats, f.online(), f.connects.Load())
		}
	}
	return 0
}

// idleFleet is many in-process clients, one tunnel each.
type idleFleet struct {
	server, target *url.URL
	mu             sync.Mutex
	clients        []*client.Client
	connects       atomic.Int64
}

// connect starts n clients, at most idleConnectParallel connecting at once, and waits
// until every one has come online.
func (f *idleFleet) connect(ctx context.Context, n int) error {
	slots := make(chan struct{}, idleConnectParallel)
	failed := make(chan error, 1)
	for i := range n {
		select {
		case slots <- struct{}{}:
		case err := <-failed:
			return err
		}
		if err := f.start(ctx, fmt.Sprintf("idle-%05d", i), slots, failed); err != nil {
			return err
		}
	}
	for range idleConnectParallel { // every slot back: the last clients are online
		select {
		case slots <- struct{}{}:
		case err := <-failed:
			return err
		}
	}
	return nil
}

// start runs one client; it frees its slot when the client first comes online, or
// reports on failed if the client stops.
func (f *idleFleet) start(ctx context.Context, name string, slots chan struct{}, failed chan error) error {
	var once sync.Once
	c, err := client.New(client.Config{Server: f.server, Token: benchToken, Out: io.Discard,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxIdlePerTarget: 1,
		Tunnels: []client.Tunnel{{Name: name, Target: f.target}},
		OnConnect: func(*proto.Welcome) {
			f.connects.Add(1)
			once.Do(func() { <-slots })
		}})
	if err != nil {
		return fmt.Errorf("idle client: %w", err)
	}
	f.mu.Lock()
	f.clients = append(f.clients, c)
	f.mu.Unlock()
	go func() {
		err := c.Run(ctx)
		select {
		case failed <- fmt.Errorf("idle client %s stopped: %v", name, err):
		default:
		}
	}()
	return nil
}

// online counts the clients whose session is up.
func (f *idleFleet) online() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.clients {
		if c.State() == client.StateOnline {
			n++
		}
	}
	return n
}
