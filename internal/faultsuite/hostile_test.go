package faultsuite

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/yamux"

	"github.com/hookrelay/hookrelay/proto"
)

// hostile is a tunnel client built from the protocol package alone, which a test makes
// do what relay-client never does: drop a handshake halfway, open streams of its own,
// answer with an endless head.
type hostile struct {
	mux     *yamux.Session
	ctl     net.Conn
	welcome proto.Welcome
}

// dialMux opens a websocket to the server at addr (host:port) with token and starts
// the client side of the multiplexer on it.
func dialMux(addr, tok string) (*yamux.Session, error) {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+tok)
	h.Set(proto.HeaderVersion, strconv.Itoa(proto.Version))
	d := websocket.Dialer{HandshakeTimeout: scaled(30 * time.Second)}
	ws, resp, err := d.Dial("ws://"+addr+proto.ConnectPath, h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("connect: status %d %s", resp.StatusCode, resp.Header.Get(proto.HeaderError))
		}
		return nil, fmt.Errorf("connect: %w", err)
	}
	mux, err := proto.Client(proto.NetConn(ws), nil)
	if err != nil {
		_ = ws.Close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	return mux, nil
}

// sendHello opens the control stream and asks for the tunnels of hello.
func sendHello(mux *yamux.Session, hello *proto.Hello) (net.Conn, error) {
	ctl, err := mux.OpenStream()
	if err != nil {
		return nil, fmt.Errorf("open control stream: %w", err)
	}
	hello.Version = proto.Version
	if err := proto.WriteFrame(ctl, proto.FrameHello, hello); err != nil {
		return nil, fmt.Errorf("send hello: %w", err)
	}
	return ctl, nil
}

// dialHostile connects and completes the handshake for names, each with the offline
// policy given (empty keeps the server's).
func dialHostile(addr, tok, offline string, names ...string) (*hostile, error) {
	mux, err := dialMux(addr, tok)
	if err != nil {
		return nil, err
	}
	hello := &proto.Hello{Client: "faultsuite-hostile"}
	for _, n := range names {
		hello.Tunnels = append(hello.Tunnels, proto.TunnelRequest{Name: n, Offline: offline})
	}
	c := &hostile{mux: mux}
	if c.ctl, err = sendHello(mux, hello); err == nil {
		err = proto.ReadExpect(c.ctl, proto.FrameWelcome, &c.welcome)
	}
	if err != nil {
		_ = mux.Close()
		return nil, fmt.Errorf("handshake: %w", err)
	}
	return c, nil
}

// dropHandshake sends a Hello for name and closes the connection without waiting for
// the answer: the server's handshake fails when it writes its Welcome.
func dropHandshake(addr, tok, name, offline string) error {
	mux, err := dialMux(addr, tok)
	if err != nil {
		return err
	}
	defer mux.Close()
	_, err = sendHello(mux, &proto.Hello{Tunnels: []proto.TunnelRequest{{Name: name, Offline: offline}}})
	return err
}

func (c *hostile) close() { _ = c.mux.Close() }
