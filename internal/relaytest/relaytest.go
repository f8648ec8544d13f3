// Package relaytest starts real relay servers, clients and backends on loopback for
// tests: every listener is a real socket on 127.0.0.1:0, every store a real SQLite file.
package relaytest

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/proto"
)

// Token is the client token every test server accepts.
const Token = "test-token"

// OtherToken is a second accepted token, owning nothing at first.
const OtherToken = "other-token"

// Logger returns a logger writing to tb.Log.
func Logger(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Helper()
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Server is a relay server core on a real loopback listener.
type Server struct {
	*server.Server
	URL  string // http://127.0.0.1:PORT
	Addr string
	hs   *http.Server
	ln   net.Listener
}

// StartServer starts a server on 127.0.0.1:0 (or on addr if not empty). mutate, if not
// nil, adjusts the config before the server starts. It stops at test cleanup.
func StartServer(tb testing.TB, addr string, mutate func(*server.Config)) *Server {
	tb.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	u := "http://" + ln.Addr().String()
	tokens := new(server.Tokens)
	_ = tokens.Add(Token)
	_ = tokens.Add(OtherToken)
	cfg := server.Config{Domain: "localhost", PublicURL: u, Tokens: tokens, Logger: Logger(tb)}
	if mutate != nil {
		mutate(&cfg)
	}
	core, err := server.New(cfg)
	if err != nil {
		tb.Fatalf("new server: %v", err)
	}
	s := &Server{Server: core, URL: u, Addr: ln.Addr().String(), ln: ln,
		hs: &http.Server{Handler: core.Handler(), ReadHeaderTimeout: 10 * time.Second}}
	go s.hs.Serve(ln)
	tb.Cleanup(s.Stop)
	return s
}

// Stop closes the listener and every session, like a server going away.
func (s *Server) Stop() {
	_ = s.hs.Close()
	_ = s.Server.Close()
}

// Client is a running relay client.
type Client struct {
	*client.Client
	Welcomes chan *proto.Welcome // one per established session
	cancel   context.CancelFunc
	done     chan struct{} // closed when Run returns
	err      error         // Run's result, set before done closes
}

// StartClient runs a client for the given tunnels against serverURL and waits until its
// first session is up. It stops at test cleanup.
func StartClient(tb testing.TB, serverURL, token string, tunnels ...client.Tunnel) *Client {
	tb.Helper()
	c := RunClient(tb, serverURL, token, tunnels...)
	c.WaitOnline(tb)
	return c
}

// RunClient starts a client without waiting for it to connect.
func RunClient(tb testing.TB, serverURL, token string, tunnels ...client.Tunnel) *Client {
	tb.Helper()
	return RunClientWith(tb, serverURL, token, nil, tunnels...)
}

// RunClientWith is RunClient with mutate, if not nil, adjusting the client's config
// (its client id, label, OnClients...) before it starts.
func RunClientWith(tb testing.TB, serverURL, token string, mutate func(*client.Config), tunnels ...client.Tunnel) *Client {
	tb.Helper()
	u, _ := url.Parse(serverURL)
	c := &Client{Welcomes: make(chan *proto.Welcome, 16), done: make(chan struct{})}
	cfg := client.Config{Server: u, Token: token, Tunnels: tunnels,
		Out: tbWriter{tb}, Logger: Logger(tb), OnConnect: func(w *proto.Welcome) { c.Welcomes <- w }}
	if mutate != nil {
		mutate(&cfg)
	}
	cl, err := client.New(cfg)
	if err != nil {
		tb.Fatalf("new client: %v", err)
	}
	c.Client = cl
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go func() {
		c.err = cl.Run(ctx)
		close(c.done)
	}()
	tb.Cleanup(func() { c.Stop() })
	return c
}

// WaitOnline waits for the next session to be established and returns its Welcome.
func (c *Client) WaitOnline(tb testing.TB) *proto.Welcome {
	tb.Helper()
	select {
	case w := <-c.Welcomes:
		return w
	case <-c.done:
		tb.Fatalf("client stopped before connecting: %v", c.err)
	case <-time.After(15 * time.Second):
		tb.Fatalf("client did not connect within 15s")
	}
	return nil
}

// Stop stops the client and waits for Run to return; it returns Run's error.
func (c *Client) Stop() error {
	c.cancel()
	<-c.done
	return c.err
}

// Done is closed when Run returns; Err then reports its result.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is Run's result, once Done is closed.
func (c *Client) Err() error { return c.err }

// Target parses a backend URL for a client.Tunnel.
func Target(tb testing.TB, raw string) *url.URL {
	tb.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}
