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
	return start(conn, logw, yamux.Client)
}

// Server starts the server side of a session over conn; see [Client].
func Server(conn net.Conn, logw io.Writer) (*yamux.Session, error) {
	return start(conn, logw, yamux.Server)
}

func start(conn net.Conn, logw io.Writer, side func(io.ReadWriteCloser, *yamux.Config) (*yamux.Session, error)) (*yamux.Session, error) {
	lc := newLiveConn(conn)
	s, err := side(lc, MuxConfig(logw))
	if err != nil {
		return nil, fmt.Errorf("start mux: %w", err)
	}
	go lc.keepAlive()
	return s, nil
}
