package proto

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// NetConn adapts a websocket to a net.Conn carrying a byte stream: each Write is sent as
// one binary message, and Read returns message payloads back to back.
//
// It allows one concurrent reader and one concurrent writer, which is what yamux does
// (one receive loop, one send loop). Close sends a close frame and closes the socket.
func NetConn(ws *websocket.Conn) net.Conn {
	ws.SetReadLimit(WebsocketReadLimit)
	return &wsConn{ws: ws}
}

type wsConn struct {
	ws        *websocket.Conn
	writeDL   atomic.Int64 // write deadline in Unix ns, 0 for none; applied by Write
	r         io.Reader    // current message, nil between messages
	readErr   error        // first read failure: gorilla cannot read after one
	hdr       [muxHeaderLen]byte
	held      int // bytes of hdr waiting for their payload (writer only)
	closeOnce sync.Once
	closeErr  error
}

func (c *wsConn) Read(p []byte) (int, error) {
	for {
		if c.readErr != nil {
			return 0, c.readErr
		}
		if c.r == nil {
			typ, r, err := c.ws.NextReader()
			if err != nil {
				c.readErr = mapCloseErr(err) // gorilla's read errors are final, timeouts too
				return 0, c.readErr
			}
			if typ != websocket.BinaryMessage {
				continue // text messages are not part of the protocol; skip them
			}
			c.r = r
		}
		n, err := c.r.Read(p)
		if err == io.EOF {
			c.r = nil
			if n == 0 {
				continue
			}
			err = nil
		}
		return n, mapCloseErr(err)
	}
}

// Write sends p as one binary message. yamux writes each data frame as two calls, its
// 12-byte header and then the payload; Write holds such a header back and sends it with
// the payload in one message, which halves the messages and write syscalls per frame.
func (c *wsConn) Write(p []byte) (int, error) {
	if c.held == 0 && isDataHeader(p) {
		c.held = copy(c.hdr[:], p)
		return len(p), nil
	}
	if err := c.send(p); err != nil {
		return 0, mapCloseErr(err)
	}
	return len(p), nil
}

// send writes the held header, if any, and p as one message.
func (c *wsConn) send(p []byte) error {
	var dl time.Time
	if ns := c.writeDL.Load(); ns != 0 {
		dl = time.Unix(0, ns)
	}
	_ = c.ws.SetWriteDeadline(dl) // only the writer touches the websocket's write state
	if c.held == 0 {
		return c.ws.WriteMessage(websocket.BinaryMessage, p)
	}
	hdr := c.hdr[:c.held]
	c.held = 0
	w, err := c.ws.NextWriter(websocket.BinaryMessage)
	if err != nil {
		return err
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	if _, err := w.Write(p); err != nil {
		return err
	}
	return w.Close()
}

// yamux frame header layout (see hashicorp/yamux spec.md): version, type, flags (2),
// stream id (4), length (4). A data frame with a non-zero length is followed at once by
// its payload.
const (
	muxHeaderLen = 12
	muxTypeData  = 0
)

func isDataHeader(p []byte) bool {
	return len(p) == muxHeaderLen && p[0] == 0 && p[1] == muxTypeData && binary.BigEndian.Uint32(p[8:]) > 0
}

// Close sends a close frame (best effort, bounded by a short deadline) and closes the
// underlying connection.
func (c *wsConn) Close() error {
	c.closeOnce.Do(func() {
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		c.closeErr = c.ws.Close()
	})
	return c.closeErr
}

func (c *wsConn) LocalAddr() net.Addr  { return c.ws.LocalAddr() }
func (c *wsConn) RemoteAddr() net.Addr { return c.ws.RemoteAddr() }

func (c *wsConn) SetDeadline(t time.Time) error {
	_ = c.SetWriteDeadline(t)
	return c.ws.SetReadDeadline(t)
}

// SetReadDeadline sets the socket's read deadline; safe to call concurrently with Read.
func (c *wsConn) SetReadDeadline(t time.Time) error { return c.ws.SetReadDeadline(t) }

// SetWriteDeadline records the deadline for the next Writes. The websocket's own write
// deadline is not safe to change during a write, so Write applies it.
func (c *wsConn) SetWriteDeadline(t time.Time) error {
	var ns int64
	if !t.IsZero() {
		ns = t.UnixNano()
	}
	c.writeDL.Store(ns)
	return nil
}

// mapCloseErr turns a normal websocket close into io.EOF so stream readers see a clean end.
func mapCloseErr(err error) error {
	var ce *websocket.CloseError
	if errors.As(err, &ce) && (ce.Code == websocket.CloseNormalClosure || ce.Code == websocket.CloseGoingAway) {
		return io.EOF
	}
	return err
}
