package proto

import (
	"encoding/binary"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// liveConn is the connection under a yamux session (see [Client] and [Server]). It keeps
// the session's liveness out of yamux's send queue:
//
//   - Any received byte is a sign of life. Every Read pushes a read deadline
//     [KeepAliveTimeout] ahead, so a session ends when nothing at all arrived for that
//     long. yamux's own keep-alive instead waits for a ping's answer, and on a busy link
//     that ping waits behind every data frame queued before it: a few large requests on
//     a slow link took the session down.
//   - Pings wait for nothing. A side that wrote nothing for about [KeepAliveInterval]
//     writes a ping reply frame straight onto the connection, between frames. yamux
//     ignores a reply to a ping it did not send, so the frame costs the peer nothing and
//     needs no answer; it only gives the peer something to read.
//   - One write may take up to [WriteTimeout]; a peer that reads nothing for that long is
//     dead too.
//   - Close returns at once. yamux v0.1.2 marks its streams closed only after closing
//     the connection and seeing its receive loop end; meanwhile every goroutine blocked
//     in a stream's Read or Write spins. Close therefore only ends reading (a deadline in
//     the past) and leaves the rest, a websocket's close frame included, to a goroutine.
type liveConn struct {
	net.Conn
	done      chan struct{} // closed by Close: stops the pinger
	closeOnce sync.Once

	wmu       sync.Mutex   // one writer at a time: yamux's send loop or the pinger
	body      int          // bytes of the data frame being written still to come
	lastWrite time.Time    // when the last write started
	armedDL   time.Time    // the write deadline last set on the connection
	writeDL   atomic.Int64 // the deadline asked for by SetWriteDeadline in Unix ns; 0 for none

	rmu    sync.Mutex // guards the read deadline
	readDL time.Time  // the deadline asked for by SetReadDeadline; zero for none
	armed  time.Time  // when the liveness deadline was last pushed ahead
}

func newLiveConn(c net.Conn) *liveConn {
	return &liveConn{Conn: c, done: make(chan struct{})}
}

// aLongTimeAgo is a deadline in the past: it makes blocked reads and writes return.
var aLongTimeAgo = time.Unix(1, 0)

// pingReply is a yamux ping frame with the ACK flag: version 0, type 2, flags 2, stream
// 0, and an opaque value no ping of ours ever carries.
var pingReply = [muxHeaderLen]byte{0, 2, 0, 2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}

func (c *liveConn) Read(p []byte) (int, error) {
	c.arm()
	return c.Conn.Read(p)
}

// arm pushes the read deadline KeepAliveTimeout ahead, at most every 1/8 of it: the
// cost of a deadline change is then paid a few times a second at most.
func (c *liveConn) arm() {
	now := time.Now()
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if now.Sub(c.armed) >= KeepAliveTimeout/8 {
		c.applyRead(now)
	}
}

// applyRead sets the earlier of the asked deadline and the liveness one. Hold rmu.
func (c *liveConn) applyRead(now time.Time) {
	c.armed = now
	dl := now.Add(KeepAliveTimeout)
	if !c.readDL.IsZero() && c.readDL.Before(dl) {
		dl = c.readDL
	}
	_ = c.Conn.SetReadDeadline(dl)
}

func (c *liveConn) SetReadDeadline(t time.Time) error {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	c.readDL = t
	c.applyRead(time.Now())
	return nil
}

// SetWriteDeadline sets a deadline for the writes that start after it.
func (c *liveConn) SetWriteDeadline(t time.Time) error {
	var ns int64
	if !t.IsZero() {
		ns = t.UnixNano()
	}
	c.writeDL.Store(ns)
	return nil
}

func (c *liveConn) SetDeadline(t time.Time) error {
	_ = c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

// Write writes p, which yamux's send loop gives as a frame header, then, for a data
// frame, its payload. It tracks where frames end so that the pinger never writes inside
// one.
func (c *liveConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	switch {
	case c.body > 0:
		c.body = max(c.body-len(p), 0)
	case len(p) == muxHeaderLen && p[1] == muxTypeData:
		c.body = int(binary.BigEndian.Uint32(p[8:]))
	}
	return c.write(p)
}

// write writes p with WriteTimeout to go through, or until the asked deadline if it is
// earlier. The deadline moves ahead in steps of a second: that is precise enough for
// WriteTimeout and spares a deadline change per frame. Hold wmu.
func (c *liveConn) write(p []byte) (int, error) {
	now := time.Now()
	dl := now.Add(WriteTimeout)
	if ns := c.writeDL.Load(); ns != 0 && ns < dl.UnixNano() {
		dl = time.Unix(0, ns)
	}
	if dl.Before(c.armedDL) || dl.Sub(c.armedDL) >= time.Second {
		c.armedDL = dl
		_ = c.Conn.SetWriteDeadline(dl)
	}
	c.lastWrite = now
	return c.Conn.Write(p)
}

// keepAlive writes a ping reply every KeepAliveInterval in which the connection carried
// nothing else, until Close. Writes in progress are not waited for: they are themselves
// what the peer hears.
func (c *liveConn) keepAlive() {
	t := time.NewTicker(KeepAliveInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			c.ping()
		}
	}
}

func (c *liveConn) ping() {
	if !c.wmu.TryLock() {
		return // a frame is being written
	}
	defer c.wmu.Unlock()
	if c.body > 0 || time.Since(c.lastWrite) < KeepAliveInterval/2 {
		return
	}
	_, _ = c.write(pingReply[:])
}

// Close stops reading at once and closes the connection in the background; see the type.
func (c *liveConn) Close() error {
	c.closeOnce.Do(func() {
		close(c.done)
		_ = c.SetReadDeadline(aLongTimeAgo)
		go c.Conn.Close()
	})
	return nil
}
