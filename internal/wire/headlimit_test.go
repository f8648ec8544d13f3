package wire

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestPoolHeadLimit: a response head over HeadLimit, 1xx heads included, fails with
// ErrHeadTooLarge; one within it is read, and its body is not counted.
func TestPoolHeadLimit(t *testing.T) {
	pad := func(n int) string { return "X-Pad: " + strings.Repeat("a", n) + "\r\n" }
	for _, tc := range []struct {
		name, answer string
		wantErr      error
	}{
		{"small head, large body", "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("b", 100000), nil},
		{"large head", "HTTP/1.1 200 OK\r\n" + strings.Repeat(pad(1000), 40) + "Content-Length: 0\r\n\r\n", ErrHeadTooLarge},
		{"large 1xx heads", strings.Repeat("HTTP/1.1 102 Processing\r\n"+pad(1000)+"\r\n", 40) + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", ErrHeadTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				if _, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
					fmt.Fprint(c, tc.answer)
				}
				time.Sleep(time.Second)
			}()
			p := NewPool(1, PoolIdleTimeout, func() (net.Conn, error) { return net.Dial("tcp", ln.Addr().String()) })
			p.HeadLimit = 16 << 10
			req, _ := http.NewRequest("GET", "http://x/", nil)
			c, resp, err := p.RoundTrip(&Head{Method: "GET", Target: "/", Host: "x", Header: http.Header{}}, req, 10*time.Second)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("RoundTrip error %v, want %v", err, tc.wantErr)
			}
			if err == nil {
				resp.Body.Close()
				c.Close()
			}
		})
	}
}
