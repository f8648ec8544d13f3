package server_test

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/yamux"

	"github.com/hookrelay/hookrelay/proto"
)

// hostile is a tunnel client built from the protocol package alone, which a test makes
// misbehave in ways the real client never does.
type hostile struct {
	mux     *yamux.Session
	ctl     net.Conn
	welcome proto.Welcome
}

// dialHostile connects with token and asks for names. err carries the HTTP status of a
// refused upgrade ("status 429") or the server's *proto.Error from the handshake.
func dialHostile(tb testing.TB, srvURL, token string, names ...string) (*hostile, error) {
	tb.Helper()
	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	h.Set(proto.HeaderVersion, strconv.Itoa(proto.Version))
	u := "ws" + strings.TrimPrefix(srvURL, "http") + proto.ConnectPath
	ws, resp, err := websocket.DefaultDialer.Dial(u, h)
	if err != nil {
		if resp != nil {
			return nil, errors.New("status " + strconv.Itoa(resp.StatusCode) + " " + resp.Header.Get(proto.HeaderError))
		}
		return nil, err
	}
	mux, err := proto.Client(proto.NetConn(ws), nil)
	if err != nil {
		return nil, err
	}
	tb.Cleanup(func() { _ = mux.Close() })
	ctl, err := mux.OpenStream()
	if err != nil {
		return nil, err
	}
	hello := proto.Hello{Version: proto.Version}
	for _, n := range names {
		hello.Tunnels = append(hello.Tunnels, proto.TunnelRequest{Name: n})
	}
	if err := proto.WriteFrame(ctl, proto.FrameHello, &hello); err != nil {
		return nil, err
	}
	c := &hostile{mux: mux, ctl: ctl}
	if err := proto.ReadExpect(ctl, proto.FrameWelcome, &c.welcome); err != nil {
		return nil, err
	}
	return c, nil
}

// serve answers every request stream with answer(stream) after reading its head.
func (c *hostile) serve(answer func(net.Conn)) {
	go func() {
		for {
			st, err := c.mux.AcceptStream()
			if err != nil {
				return
			}
			go func() {
				defer st.Close()
				br := bufio.NewReader(st)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				_ = req.Body.Close()
				answer(st)
			}()
		}
	}()
}

// endlessHead answers with a status line and then header lines until the stream fails.
func endlessHead(st net.Conn) {
	if _, err := st.Write([]byte("HTTP/1.1 200 OK\r\n")); err != nil {
		return
	}
	line := []byte("X-Pad: " + strings.Repeat("a", 4000) + "\r\n")
	for {
		if _, err := st.Write(line); err != nil {
			return
		}
	}
}

func codeOf(resp *http.Response) proto.Code { return proto.Code(resp.Header.Get(proto.HeaderError)) }
