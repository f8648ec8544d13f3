package proto

import (
	"fmt"
	"io"
	"log"
	"net"
	"time"

	"github.com/hashicorp/yamux"
)

// MuxConfig returns the yamux configuration both sides use. logw receives yamux's own
// diagnostics; nil discards them.
func MuxConfig(logw io.Writer) *yamux.Config {
	if logw == nil {
		logw = io.Discard
	}
	return &yamux.Config{
		AcceptBacklog:          256,
		EnableKeepAlive:        true,
		KeepAliveInterval:      KeepAliveInterval,
		ConnectionWriteTimeout: KeepAliveTimeout,
		MaxStreamWindowSize:    MaxStreamWindow,
		StreamOpenTimeout:      HandshakeTimeout,
		StreamCloseTimeout:     time.Minute,
		Logger:                 log.New(logw, "yamux: ", 0),
	}
}

// Client starts the client side of a session over conn.
func Client(conn net.Conn, logw io.Writer) (*yamux.Session, error) {
	s, err := yamux.Client(conn, MuxConfig(logw))
	if err != nil {
		return nil, fmt.Errorf("start mux client: %w", err)
	}
	return s, nil
}

// Server starts the server side of a session over conn.
func Server(conn net.Conn, logw io.Writer) (*yamux.Session, error) {
	s, err := yamux.Server(conn, MuxConfig(logw))
	if err != nil {
		return nil, fmt.Errorf("start mux server: %w", err)
	}
	return s, nil
}
