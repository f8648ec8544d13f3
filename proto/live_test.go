package proto_test

import (
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/hookrelay/hookrelay/proto"
)

// slowClose is a connection whose Close takes a while before it closes, as a websocket's
// does when its close frame waits behind a write.
type slowClose struct {
	net.Conn
	delay time.Duration
}

func (c slowClose) Close() error {
	time.Sleep(c.delay)
	return c.Conn.Close()
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Skipf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestSessionCloseDoesNotSpin: goroutines blocked in a stream's Read while their session
// closes return at once, and burn no CPU while the connection takes its time to close.
// yamux v0.1.2 spins in (*Stream).Read from the moment a session starts closing until
// its connection's Close returns; the session's connection therefore closes in the
// background. The check is on CPU time used, not on how long anything took.
func TestSessionCloseDoesNotSpin(t *testing.T) {
	const sessions, delay = 8, time.Second
	var servers []*yamux.Session
	var readers sync.WaitGroup
	for range sessions {
		cc, sc := tcpPair(t)
		server, err := proto.Server(slowClose{sc, delay}, nil)
		if err != nil {
			t.Fatal(err)
		}
		client, err := proto.Client(cc, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = client.Close() })
		st, err := client.OpenStream()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Write([]byte{1}); err != nil {
			t.Fatal(err)
		}
		sst, err := server.AcceptStream()
		if err != nil {
			t.Fatal(err)
		}
		readers.Go(func() { _, _ = io.ReadAll(sst) }) // blocks: the client sends no more
		servers = append(servers, server)
	}
	time.Sleep(50 * time.Millisecond) // the readers are blocked
	before := cpuTime(t)
	var closers sync.WaitGroup
	for _, s := range servers {
		closers.Go(func() { _ = s.Close() })
	}
	done := make(chan struct{})
	go func() { readers.Wait(); closers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("readers still blocked a minute after their sessions closed")
	}
	time.Sleep(delay + 200*time.Millisecond) // the connections' closes run their course
	used := cpuTime(t) - before
	t.Logf("CPU used while %d sessions closed: %v", sessions, used)
	// A spinning reader burns a core for the whole delay: 8 of them, about 2 CPU-seconds
	// on 2 cores. Closing itself needs a few milliseconds.
	if used > 400*time.Millisecond {
		t.Errorf("closing %d sessions used %v of CPU: readers spin while the connection closes", sessions, used)
	}
}

// TestSessionSurvivesIdle: an idle session stays up well past KeepAliveTimeout, because
// each side pings when it has written nothing.
func TestSessionSurvivesIdle(t *testing.T) {
	if testing.Short() {
		t.Skip("waits past the keep-alive timeout")
	}
	t.Parallel()
	for _, ct := range testConnTypes {
		t.Run(ct.name, func(t *testing.T) {
			t.Parallel()
			client, server := sessionPair(t, ct.pair)
			select {
			case <-client.CloseChan():
				t.Fatal("idle client session closed")
			case <-server.CloseChan():
				t.Fatal("idle server session closed")
			case <-time.After(proto.KeepAliveTimeout + 2*proto.KeepAliveInterval):
			}
			go serveEcho(client)
			if err := echoStream(server, pattern(1, 1000)); err != nil {
				t.Fatalf("echo after idling: %v", err)
			}
		})
	}
}

// silentConn stops passing bytes, both ways, once muted: a dead path with no FIN or RST.
type silentConn struct {
	net.Conn
	muted chan struct{}
}

func (c silentConn) Write(p []byte) (int, error) {
	select {
	case <-c.muted:
		return len(p), nil
	default:
		return c.Conn.Write(p)
	}
}

// TestSessionEndsWhenSilent: a session that hears nothing for KeepAliveTimeout closes,
// even with nothing of its own to send.
func TestSessionEndsWhenSilent(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the keep-alive timeout")
	}
	t.Parallel()
	cc, sc := tcpPair(t)
	muted := make(chan struct{})
	server, err := proto.Server(sc, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = server.Close() })
	client, err := proto.Client(silentConn{cc, muted}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	if _, err := server.Ping(); err != nil {
		t.Fatalf("ping: %v", err)
	}
	close(muted)
	start := time.Now()
	select {
	case <-server.CloseChan():
	case <-time.After(10 * proto.KeepAliveTimeout):
		t.Fatalf("server session still open %v after its peer fell silent", time.Since(start))
	}
	t.Logf("silence noticed after %v", time.Since(start).Round(100*time.Millisecond))
	if _, err := server.OpenStream(); !errors.Is(err, yamux.ErrSessionShutdown) {
		t.Errorf("OpenStream after the silence: %v, want %v", err, yamux.ErrSessionShutdown)
	}
}
