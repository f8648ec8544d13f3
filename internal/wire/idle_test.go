package wire

import "testing"

type closer struct{ closed bool }

func (c *closer) Close() error { c.closed = true; return nil }

func TestIdleKeepsUpToMax(t *testing.T) {
	q := NewIdle[*closer](1)
	a, b := &closer{}, &closer{}
	q.Keep(a)
	q.Keep(b) // full: closed at once
	if a.closed || !b.closed {
		t.Fatalf("after Keep: a closed %v, b closed %v; want only b", a.closed, b.closed)
	}
	if c, ok := q.Take(); !ok || c != a {
		t.Fatalf("Take = %v, %v; want a", c, ok)
	}
	if _, ok := q.Take(); ok {
		t.Fatal("Take on an empty Idle returned a connection")
	}
	q.Keep(a)
	q.CloseAll()
	if !a.closed {
		t.Fatal("CloseAll left a held connection open")
	}
}
