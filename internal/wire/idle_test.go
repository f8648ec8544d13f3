package wire

import (
	"sync/atomic"
	"testing"
	"time"
)

type closer struct{ closed atomic.Bool }

func (c *closer) Close() error { c.closed.Store(true); return nil }

func TestIdleKeepsUpToMax(t *testing.T) {
	q := NewIdle[*closer](1, time.Hour)
	a, b := &closer{}, &closer{}
	q.Keep(a)
	q.Keep(b) // full: closed at once
	if a.closed.Load() || !b.closed.Load() {
		t.Fatalf("after Keep: a closed %v, b closed %v; want only b", a.closed.Load(), b.closed.Load())
	}
	if c, ok := q.Take(); !ok || c != a {
		t.Fatalf("Take = %v, %v; want a", c, ok)
	}
	if _, ok := q.Take(); ok {
		t.Fatal("Take on an empty Idle returned a connection")
	}
	q.Keep(a)
	q.CloseAll()
	if !a.closed.Load() {
		t.Fatal("CloseAll left a held connection open")
	}
}

func TestIdleReusesNewestFirst(t *testing.T) {
	q := NewIdle[*closer](4, time.Hour)
	a, b := &closer{}, &closer{}
	q.Keep(a)
	q.Keep(b)
	if c, _ := q.Take(); c != b {
		t.Fatal("Take did not return the most recently kept connection")
	}
	q.CloseAll()
}

// TestIdleExpires: held connections are closed once idle past the timeout, without any
// Take or Keep to notice, and an expired one is never handed out.
func TestIdleExpires(t *testing.T) {
	const timeout = 50 * time.Millisecond
	q := NewIdle[*closer](4, timeout)
	a, b := &closer{}, &closer{}
	q.Keep(a)
	q.Keep(b)
	deadline := time.Now().Add(time.Minute)
	for !a.closed.Load() || !b.closed.Load() {
		if time.Now().After(deadline) {
			t.Fatalf("idle connections not closed a minute after their %v timeout", timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := q.Len(); n != 0 {
		t.Errorf("Len = %d after expiry, want 0", n)
	}
	if _, ok := q.Take(); ok {
		t.Error("Take returned an expired connection")
	}
	c := &closer{}
	q.Keep(c) // the timer re-arms for a new connection
	for !c.closed.Load() {
		if time.Now().After(deadline) {
			t.Fatal("a connection kept after an expiry did not expire")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
