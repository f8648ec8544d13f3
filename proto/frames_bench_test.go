package proto_test

import (
	"encoding/binary"
	"io"
	"net"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/yamux"
)

// BenchmarkStreamExchange sends a webhook-sized request (1.3 KiB: headers and a 1 KiB
// body) and reads a 250-byte answer on a long-lived yamux stream over the websocket
// adapter, the way the relay reuses streams between requests. It reports the websocket
// messages written per exchange (both directions).
//
// "split" is the adapter as it is: yamux writes each data frame's 12-byte header and
// its body as two Writes, so two websocket messages. "coalesced" puts a prototype
// writer in front of the adapter that sends the header with its body as one message;
// the difference is the gain expected from doing that in proto.
func BenchmarkStreamExchange(b *testing.B) {
	for _, tc := range []struct {
		name     string
		coalesce bool
	}{{"split", false}, {"coalesced", true}} {
		b.Run(tc.name, func(b *testing.B) {
			var msgs atomic.Int64
			client, server := sessionPair(b, framedPair(&msgs, tc.coalesce))
			go serveExchange(server)
			b.Run("c=1", func(b *testing.B) { exchangeSerial(b, client, &msgs) })
			b.Run("c=16", func(b *testing.B) { exchangeParallel(b, client, &msgs) })
		})
	}
}

const exchangeReq, exchangeResp = 1300, 250

func exchangeSerial(b *testing.B, s *yamux.Session, msgs *atomic.Int64) {
	st := openStream(b, s)
	req, resp := make([]byte, exchangeReq), make([]byte, exchangeResp)
	b.ReportAllocs()
	msgs.Store(0)
	for b.Loop() {
		exchange(b, st, req, resp)
	}
	b.ReportMetric(float64(msgs.Load())/float64(b.N), "ws-msgs/op")
}

func exchangeParallel(b *testing.B, s *yamux.Session, msgs *atomic.Int64) {
	b.SetParallelism(max(16/runtime.GOMAXPROCS(0), 1))
	b.ReportAllocs()
	msgs.Store(0)
	b.RunParallel(func(pb *testing.PB) {
		st := openStream(b, s)
		req, resp := make([]byte, exchangeReq), make([]byte, exchangeResp)
		for pb.Next() {
			exchange(b, st, req, resp)
		}
	})
	b.ReportMetric(float64(msgs.Load())/float64(b.N), "ws-msgs/op")
}

func openStream(tb testing.TB, s *yamux.Session) net.Conn {
	st, err := s.OpenStream()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	return st
}

func exchange(tb testing.TB, st net.Conn, req, resp []byte) {
	if _, err := st.Write(req); err != nil {
		tb.Fatal(err)
	}
	if _, err := io.ReadFull(st, resp); err != nil {
		tb.Fatal(err)
	}
}

// serveExchange answers every request on every stream of s until s closes.
func serveExchange(s *yamux.Session) {
	for {
		st, err := s.AcceptStream()
		if err != nil {
			return
		}
		go func() {
			req, resp := make([]byte, exchangeReq), make([]byte, exchangeResp)
			for {
				if _, err := io.ReadFull(st, req); err != nil {
					return
				}
				if _, err := st.Write(resp); err != nil {
					return
				}
			}
		}()
	}
}

// framedPair is wsPair with every Write counted and, if coalesce is set, yamux data
// headers sent together with their bodies.
func framedPair(msgs *atomic.Int64, coalesce bool) connPair {
	return func(tb testing.TB) (net.Conn, net.Conn) {
		c, s := wsPair(tb)
		wrap := func(conn net.Conn) net.Conn {
			conn = &countingConn{Conn: conn, n: msgs}
			if coalesce {
				conn = &coalescingConn{Conn: conn}
			}
			return conn
		}
		return wrap(c), wrap(s)
	}
}

// countingConn counts Writes: on the websocket adapter, one Write is one message.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.n.Add(1)
	return c.Conn.Write(p)
}

// yamux frame header layout: version, type, flags (2), stream id (4), length (4).
const (
	yamuxHeaderSize = 12
	yamuxTypeData   = 0
)

// coalescingConn is a prototype, for measurement only: it holds a yamux data-frame
// header that announces a body and writes it together with that body, which yamux's
// send loop writes next from the same goroutine.
type coalescingConn struct {
	net.Conn
	held []byte
	buf  []byte
}

func (c *coalescingConn) Write(p []byte) (int, error) {
	if c.held == nil && len(p) == yamuxHeaderSize && p[1] == yamuxTypeData && binary.BigEndian.Uint32(p[8:]) > 0 {
		c.held = append(c.buf[:0], p...)
		return len(p), nil
	}
	if c.held == nil {
		return c.Conn.Write(p)
	}
	c.buf = append(c.held, p...)
	c.held = nil
	if _, err := c.Conn.Write(c.buf); err != nil {
		return 0, err
	}
	return len(p), nil
}
