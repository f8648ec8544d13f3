package proto_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/yamux"

	"github.com/hookrelay/hookrelay/proto"
)

// BenchmarkStreamExchange sends a webhook-sized request (1.3 KiB: headers and a 1 KiB
// body) and reads a 250-byte answer on a long-lived yamux stream over the websocket
// adapter, the way the relay reuses streams between requests. It reports the socket
// writes per exchange, both directions: one per websocket message for messages this
// small. yamux writes each data frame as a 12-byte header and a payload; with the two
// sent as one message an exchange is 2 writes (it was 4, and 12.9 µs instead of 8.3,
// before NetConn joined them; see BENCHMARKS.md).
func BenchmarkStreamExchange(b *testing.B) {
	var writes atomic.Int64
	client, server := sessionPair(b, countedWSPair(&writes))
	go serveExchange(server)
	b.Run("c=1", func(b *testing.B) { exchangeSerial(b, client, &writes) })
	b.Run("c=16", func(b *testing.B) { exchangeParallel(b, client, &writes) })
}

const exchangeReq, exchangeResp = 1300, 250

func exchangeSerial(b *testing.B, s *yamux.Session, writes *atomic.Int64) {
	st := openStream(b, s)
	req, resp := make([]byte, exchangeReq), make([]byte, exchangeResp)
	exchange(b, st, req, resp) // window and stream set-up outside the count
	b.ReportAllocs()
	writes.Store(0)
	for b.Loop() {
		exchange(b, st, req, resp)
	}
	b.ReportMetric(float64(writes.Load())/float64(b.N), "writes/op")
}

func exchangeParallel(b *testing.B, s *yamux.Session, writes *atomic.Int64) {
	b.SetParallelism(max(16/runtime.GOMAXPROCS(0), 1))
	b.ReportAllocs()
	writes.Store(0)
	b.RunParallel(func(pb *testing.PB) {
		st := openStream(b, s)
		req, resp := make([]byte, exchangeReq), make([]byte, exchangeResp)
		for pb.Next() {
			exchange(b, st, req, resp)
		}
	})
	b.ReportMetric(float64(writes.Load())/float64(b.N), "writes/op")
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

// countedWSPair is wsPair with the sockets under both websockets counting their
// writes into n.
func countedWSPair(n *atomic.Int64) connPair {
	return func(tb testing.TB) (net.Conn, net.Conn) {
		accepted := make(chan *websocket.Conn, 1)
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil); err == nil {
				accepted <- ws
			}
		}))
		srv.Listener = countingListener{Listener: srv.Listener, n: n}
		srv.Start()
		tb.Cleanup(srv.Close)
		d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &countingConn{Conn: c, n: n}, nil
		}}
		cws, resp, err := d.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
		if err != nil {
			tb.Fatalf("dial websocket: %v", err)
		}
		_ = resp.Body.Close()
		client, server := proto.NetConn(cws), proto.NetConn(<-accepted)
		tb.Cleanup(func() { _ = client.Close(); _ = server.Close() })
		return client, server
	}
}

type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, n: l.n}, nil
}

// countingConn counts Writes on a socket.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.n.Add(1)
	return c.Conn.Write(p)
}
