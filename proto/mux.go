package proto

import (
	"fmt"
	"io"
	"log"
	"net"

	"github.com/hashicorp/yamux"
)

// MuxConfig returns the yamux configuration both sides use. logw receives yamux's own
// diagnostics; nil discards them.
//
// yamux's keep-alive is off: the connection under the session keeps it (see [Client]).
// ConnectionWriteTimeout is how long a frame may wait in yamux's send queue behind other
// streams' frames, so it is sized to that queue ([SendQueueTimeout]), not to a ping.
func MuxConfig(logw io.Writer) *yamux.Config {
	if logw == nil {
		logw = io.Discard
	}
	return &yamux.Config{
		AcceptBacklog:          256,
		EnableKeepAlive:        false,
		KeepAliveInterval:      KeepAliveInterval, // unused, but yamux checks it is set
		ConnectionWriteTimeout: SendQueueTimeout,
		MaxStreamWindowSize:    MaxStreamWindow,
		StreamOpenTimeout:      HandshakeTimeout,
		StreamCloseTimeout:     StreamCloseTimeout,
		Logger:                 log.New(logw, "yamux: ", 0),
	}
}

// Client starts the client side of a session over conn. The session owns conn from then
// on: it keeps it alive (a ping when idle for [KeepAliveInterval]) and ends when nothing
// was received for [KeepAliveTimeout] or a write takes over [WriteTimeout]. Set no
// deadlines on conn: the session's own would be lost.
func Client(conn net.Conn, logw io.Writer) (*yamux.Session, error) {
	return start(conn, MuxConfig(logw), yamux.Client)
}

// Server starts the server side of a session over conn; see [Client]. Its accept
// backlog is [ServerAcceptBacklog].
func Server(conn net.Conn, logw io.Writer) (*yamux.Session, error) {
	cfg := MuxConfig(logw)
	cfg.AcceptBacklog = ServerAcceptBacklog
	return start(conn, cfg, yamux.Server)
}

// ServerAcceptBacklog is the server side's yamux accept backlog. A client opens one
// stream, the control stream, which the server accepts at once, and the server ends a
// session whose client opens another; so the server needs room for one. yamux resets a
// stream opened past the backlog at once and drops its data frames unbuffered, where a
// queued stream buffers up to its 256 KiB window (and yamux's buffer growth allocates
// about three times that). Measured with a client that opens 64 streams and pushes
// 256 KiB down each (internal/server BenchmarkSessionChurn): the server's receive loop
// allocated 1.6 MB per such session with a backlog of 256, 0.75 MB with 1. The backlog
// is also a 256-slot channel (2 KiB) less in every session, idle ones included.
const ServerAcceptBacklog = 1

func start(conn net.Conn, cfg *yamux.Config, side func(io.ReadWriteCloser, *yamux.Config) (*yamux.Session, error)) (*yamux.Session, error) {
	lc := newLiveConn(conn)
	s, err := side(lc, cfg)
	if err != nil {
		return nil, fmt.Errorf("start mux: %w", err)
	}
	go lc.keepAlive()
	return s, nil
}
