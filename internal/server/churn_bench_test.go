package server

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/hookrelay/hookrelay/proto"
)

// BenchmarkSessionChurn opens a session per iteration, completes the handshake and
// closes it, as a client churning sessions does; "streams=64" also opens 64 streams
// and pushes 256 KiB down each, as the stream flood does, which ends the session.
// -benchmem's B/op is what one such session allocates, client and server together (both
// run in this process); run with -memprofile to see the server's share.
func BenchmarkSessionChurn(b *testing.B) {
	for _, streams := range []int{0, 64} {
		b.Run("streams="+strconv.Itoa(streams), func(b *testing.B) {
			u := "ws" + strings.TrimPrefix(idleServer(b), "http") + proto.ConnectPath
			h := http.Header{}
			h.Set("Authorization", "Bearer t")
			h.Set(proto.HeaderVersion, strconv.Itoa(proto.Version))
			chunk := make([]byte, 256<<10)
			b.ReportAllocs()
			for b.Loop() {
				churnOnce(b, u, h, streams, chunk)
			}
		})
	}
}

func churnOnce(b *testing.B, u string, h http.Header, streams int, chunk []byte) {
	ws, _, err := websocket.DefaultDialer.Dial(u, h)
	if err != nil {
		b.Fatal(err)
	}
	mux, err := proto.Client(proto.NetConn(ws), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer mux.Close()
	ctl, err := mux.OpenStream()
	if err != nil {
		b.Fatal(err)
	}
	hello := proto.Hello{Version: proto.Version, Tunnels: []proto.TunnelRequest{{Name: "churn"}}}
	if err := proto.WriteFrame(ctl, proto.FrameHello, &hello); err != nil {
		b.Fatal(err)
	}
	var w proto.Welcome
	if err := proto.ReadExpect(ctl, proto.FrameWelcome, &w); err != nil {
		b.Fatal(err)
	}
	for range streams {
		st, err := mux.OpenStream()
		if err != nil {
			break
		}
		go func() { _, _ = st.Write(chunk) }()
	}
	if streams > 0 {
		<-mux.CloseChan() // the server ends a session whose client opens a stream
	}
}
