package peer

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// pair returns the two ends of a real TCP connection on 127.0.0.1.
func pair(t *testing.T) (dialer, acceptor net.Conn) {
	t.Helper()
	ln := listen(t)
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	d, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	a := <-accepted
	if a == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() {
		_ = d.Close()
		_ = a.Close()
	})
	return d, a
}

const shortHandshake = 300 * time.Millisecond

type side func(c net.Conn) error

// honest runs the real protocol of a node named self with secret; a dialer side that
// thinks it dials "node-b" unless to says otherwise.
func honestDialer(secret []byte, to string) side {
	return func(c net.Conn) error { return dialHandshake(c, secret, "node-a", to, shortHandshake) }
}

func honestAcceptor(secret []byte) side {
	return func(c net.Conn) error {
		_, err := acceptHandshake(c, secret, "node-b", shortHandshake)
		return err
	}
}

// silent reads everything and says nothing.
func silent(c net.Conn) error {
	_, _ = io.Copy(io.Discard, c)
	return nil
}

// garbage writes bytes that are no frame, then waits.
func garbage(c net.Conn) error {
	_, _ = c.Write(bytes.Repeat([]byte{0xff}, 64))
	return silent(c)
}

// impostor plays an acceptor that does not know the secret: it sends a challenge and
// accepts any answer with a made-up proof.
func impostor(c net.Conn) error {
	if err := writeFrame(c, FrameChallenge, Challenge{Nonce: newNonce()}); err != nil {
		return err
	}
	var ans Answer
	if err := readFrame(c, FrameAnswer, &ans); err != nil {
		return err
	}
	if err := writeFrame(c, FrameAccept, Accept{MAC: make([]byte, 32)}); err != nil {
		return err
	}
	return silent(c)
}

// TestHandshake: every refusal comes as a sentinel error within the handshake
// deadline, on each side that runs the real protocol; nothing hangs.
func TestHandshake(t *testing.T) {
	other := []byte("another secret, same length.....")
	tests := []struct {
		name               string
		dialer, acceptor   side
		dialErr, acceptErr error // nil: success
		honestD, honestA   bool  // which sides' errors to check
	}{
		{"ok", honestDialer(testSecret, "node-b"), honestAcceptor(testSecret), nil, nil, true, true},
		{"wrong secret", honestDialer(other, "node-b"), honestAcceptor(testSecret), ErrRefused, ErrBadMAC, true, true},
		{"wrong acceptor id", honestDialer(testSecret, "node-c"), honestAcceptor(testSecret), ErrRefused, ErrBadMAC, true, true},
		{"garbage dialer", garbage, honestAcceptor(testSecret), nil, ErrHandshake, false, true},
		{"silent dialer", silent, honestAcceptor(testSecret), nil, ErrHandshake, false, true},
		{"garbage acceptor", honestDialer(testSecret, "node-b"), garbage, ErrHandshake, nil, true, false},
		{"silent acceptor", honestDialer(testSecret, "node-b"), silent, ErrHandshake, nil, true, false},
		{"impostor acceptor", honestDialer(testSecret, "node-b"), impostor, ErrBadMAC, nil, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, a := pair(t)
			dErr, aErr := make(chan error, 1), make(chan error, 1)
			go func() { dErr <- tt.dialer(d); _ = d.Close() }()
			go func() { aErr <- tt.acceptor(a); _ = a.Close() }()
			check(t, "dialer", dErr, tt.dialErr, tt.honestD)
			check(t, "acceptor", aErr, tt.acceptErr, tt.honestA)
		})
	}
}

// check waits for a side's error; the handshake deadline bounds it, so 10 s of slack
// only guards against a hang.
func check(t *testing.T, who string, ch chan error, want error, honest bool) {
	t.Helper()
	select {
	case err := <-ch:
		if !honest {
			return
		}
		if want == nil && err != nil || want != nil && !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", who, err, want)
		}
	case <-time.After(shortHandshake + 10*time.Second):
		t.Fatalf("%s: hangs", who)
	}
}

func TestMACBindsThePair(t *testing.T) {
	nonce := newNonce()
	base := dialerMAC(testSecret, nonce, "ab", "c")
	for name, m := range map[string][]byte{
		"ids shifted":      dialerMAC(testSecret, nonce, "a", "bc"),
		"ids swapped":      dialerMAC(testSecret, nonce, "c", "ab"),
		"acceptor's label": acceptorMAC(testSecret, nonce, "ab", "c"),
		"other nonce":      dialerMAC(testSecret, newNonce(), "ab", "c"),
	} {
		if bytes.Equal(m, base) {
			t.Errorf("%s: same mac", name)
		}
	}
}

// TestMaxHandshakes: conns beyond MaxHandshakes in their handshake are closed at once.
func TestMaxHandshakes(t *testing.T) {
	h, err := NewHolder(HolderConfig{Node: "node-b", Secret: testSecret, HandshakeTimeout: time.Minute,
		Open: func(string, int64, string) (net.Conn, error) { return nil, ErrNotHere }})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, MaxHandshakes)
	for range MaxHandshakes {
		_, a := pair(t)
		go func() { served <- h.ServeConn(a) }()
	}
	deadline := time.Now().Add(10 * time.Second)
	for { // wait until all of them are in their handshake
		h.mu.Lock()
		n := len(h.conns)
		h.mu.Unlock()
		if n == MaxHandshakes {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d handshakes in progress, want %d", n, MaxHandshakes)
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, a := pair(t)
	if err := h.ServeConn(a); !errors.Is(err, ErrBusy) {
		t.Fatalf("one handshake too many: %v, want busy", err)
	}
	_ = h.Close() // ends the silent ones
	for range MaxHandshakes {
		if err := <-served; !errors.Is(err, ErrHandshake) {
			t.Fatalf("silent handshake ended with %v", err)
		}
	}
}
