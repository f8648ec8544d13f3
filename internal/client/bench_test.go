package client

import (
	"io"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/route/targets"
)

// benchRequest is a typical webhook as the relay writes it on a stream: a 512-byte JSON
// body with a signature.
var benchRequest = "POST /webhooks/chat HTTP/1.1\r\nHost: h.example\r\nUser-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)\r\n" +
	"Content-Type: application/json\r\nAccept: */*; q=0.5, application/xml\r\nCache-Control: no-cache\r\n" +
	"Stripe-Signature: t=1,v1=" + strings.Repeat("a", 64) + "\r\nX-Forwarded-For: 192.0.2.7\r\n" +
	"X-Forwarded-Host: h.example\r\nX-Forwarded-Proto: https\r\nX-Hookrelay-Tunnel: app\r\n" +
	"X-Hookrelay-Request-Id: 01m8vgp2fptt33nxe6yy9fe3k3\r\nContent-Length: 512\r\n\r\n" + strings.Repeat("x", 512)

// benchResponse is a typical app answer.
const benchResponse = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Mon, 02 Dec 2026 16:00:00 GMT\r\n" +
	"Content-Length: 11\r\n\r\n{\"ok\":true}"

// BenchmarkPipeExchange: one stream carries requests one after the other to a kept-alive
// app connection, over loopback TCP and a real yamux session: the client's whole cost per
// request (the relay and app ends here are minimal).
func BenchmarkPipeExchange(b *testing.B) {
	a := startApp(b, func(string, []byte) string { return benchResponse })
	e := startRelayEnd(b, map[string]string{"app": a.URL})
	st := e.open(b)
	got := make([]byte, len(benchResponse))
	b.ReportAllocs()
	b.SetBytes(int64(len(benchRequest)))
	for b.Loop() {
		st.send(b, benchRequest)
		if _, err := io.ReadFull(st.br, got); err != nil || string(got) != benchResponse {
			b.Fatalf("answer %q, %v", got, err)
		}
	}
}

// BenchmarkPipeExchangeTargets is BenchmarkPipeExchange on a tunnel with per-path
// targets: the cost of picking the app by path.
func BenchmarkPipeExchangeTargets(b *testing.B) {
	a := startApp(b, func(string, []byte) string { return benchResponse })
	e := startRelayEnd(b, map[string]string{"app": a.URL})
	set, err := targets.Parse([]string{"/webhooks/leads=" + a.URL, "/webhooks=" + a.URL, "/api/v1/events=" + a.URL})
	if err != nil {
		b.Fatal(err)
	}
	e.f.setTargets("app", set)
	st := e.open(b)
	got := make([]byte, len(benchResponse))
	b.ReportAllocs()
	b.SetBytes(int64(len(benchRequest)))
	for b.Loop() {
		st.send(b, benchRequest)
		if _, err := io.ReadFull(st.br, got); err != nil || string(got) != benchResponse {
			b.Fatalf("answer %q, %v", got, err)
		}
	}
}
