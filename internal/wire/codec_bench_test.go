package wire

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
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

// BenchmarkParseRequestHead parses the head of benchRequest and writes the app's head.
func BenchmarkParseRequestHead(b *testing.B) {
	raw := []byte(benchRequest[:strings.Index(benchRequest, "\r\n\r\n")+4])
	var r Request
	var out []byte
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Parse(raw); err != nil {
			b.Fatal(err)
		}
		out = r.AppendHead(out[:0], "/base", "app:1")
	}
}

// BenchmarkParseResponseHead parses the head of benchResponse and writes the relay's.
func BenchmarkParseResponseHead(b *testing.B) {
	raw := []byte(benchResponse[:strings.Index(benchResponse, "\r\n\r\n")+4])
	var r Response
	var out []byte
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Parse(raw); err != nil {
			b.Fatal(err)
		}
		out = r.AppendHead(out[:0], false)
	}
}

// BenchmarkCopyChunked copies a 16 KiB chunked body in 1 KiB chunks with a trailer.
func BenchmarkCopyChunked(b *testing.B) {
	var in bytes.Buffer
	for range 16 {
		in.WriteString("400\r\n")
		in.WriteString(strings.Repeat("c", 1024))
		in.WriteString("\r\n")
	}
	in.WriteString("0\r\nX-Sum: 1\r\n\r\n")
	src := bytes.NewReader(in.Bytes())
	br := bufio.NewReaderSize(src, 8<<10)
	bw := bufio.NewWriterSize(io.Discard, 32<<10)
	b.SetBytes(int64(in.Len()))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(in.Bytes())
		br.Reset(src)
		if err := CopyBody(bw, br, Framing{Kind: FramedChunked}); err != nil {
			b.Fatal(err)
		}
	}
}
