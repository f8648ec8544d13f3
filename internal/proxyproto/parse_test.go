package proxyproto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"testing"
)

// v2 builds a version 2 header: version/command, family/protocol, then body.
func v2(verCmd, fam byte, body []byte) []byte {
	h := append([]byte{}, sigV2...)
	h = append(h, verCmd, fam, 0, 0)
	binary.BigEndian.PutUint16(h[14:], uint16(len(body)))
	return append(h, body...)
}

var (
	v2ip4 = v2(0x21, 0x11, []byte{203, 0, 113, 7, 10, 0, 0, 5, 0x30, 0x39, 0x01, 0xbb})
	v2ip6 = v2(0x21, 0x21, append(append(bytes.Repeat([]byte{0x20, 0x01, 0x0d, 0xb8}, 4),
		bytes.Repeat([]byte{0xfe}, 16)...), 0x00, 0x50, 0x01, 0xbb))
	v2tlv   = v2(0x21, 0x11, append([]byte{198, 51, 100, 1, 10, 0, 0, 5, 0, 1, 0, 2}, 0x04, 0x00, 0x02, 'h', 'i'))
	v2local = v2(0x20, 0x00, nil)
)

var headerCases = []struct {
	name string
	in   []byte
	want string // the client address; "" for none; "err" for ErrHeader
}{
	{"v1 tcp4", []byte("PROXY TCP4 203.0.113.7 10.0.0.5 56324 443\r\n"), "203.0.113.7:56324"},
	{"v1 tcp6", []byte("PROXY TCP6 2001:db8::1 2001:db8::2 1024 443\r\n"), "[2001:db8::1]:1024"},
	{"v1 unknown", []byte("PROXY UNKNOWN\r\n"), ""},
	{"v1 unknown with addresses", []byte("PROXY UNKNOWN ffff:f::1 ffff:f::2 1 2\r\n"), ""},
	{"v1 no CR", []byte("PROXY TCP4 203.0.113.7 10.0.0.5 1 2\n"), "err"},
	{"v1 family mismatch", []byte("PROXY TCP4 2001:db8::1 10.0.0.5 1 2\r\n"), "err"},
	{"v1 port out of range", []byte("PROXY TCP4 203.0.113.7 10.0.0.5 65536 2\r\n"), "err"},
	{"v1 port with zero", []byte("PROXY TCP4 203.0.113.7 10.0.0.5 080 2\r\n"), "err"},
	{"v1 double space", []byte("PROXY TCP4  203.0.113.7 10.0.0.5 1 2\r\n"), "err"},
	{"v1 too long", append([]byte("PROXY TCP4 "), bytes.Repeat([]byte("1"), 200)...), "err"},
	{"v1 cut short", []byte("PROXY TCP4 203.0"), "err"},
	{"v2 tcp4", v2ip4, "203.0.113.7:12345"},
	{"v2 tcp6", v2ip6, "[2001:db8:2001:db8:2001:db8:2001:db8]:80"},
	{"v2 tlv skipped", v2tlv, "198.51.100.1:1"},
	{"v2 local", v2local, ""},
	{"v2 unspec", v2(0x21, 0x00, nil), ""},
	{"v2 udp", v2(0x21, 0x12, make([]byte, 12)), "err"},
	{"v2 version 3", v2(0x31, 0x11, make([]byte, 12)), "err"},
	{"v2 command 2", v2(0x22, 0x11, make([]byte, 12)), "err"},
	{"v2 short block", v2(0x21, 0x11, make([]byte, 8)), "err"},
	{"v2 too long", v2(0x21, 0x11, make([]byte, MaxV2+1)), "err"},
	{"v2 bad signature", append([]byte("\r\n\r\n\x00\r\nQUIX\n"), 0x21, 0x11, 0, 0), "err"},
	{"plain HTTP", []byte("GET / HTTP/1.1\r\n\r\n"), "err"},
	{"empty", nil, "err"},
}

// TestReadHeader: each header gives its client, or ErrHeader, and reads exactly its
// own bytes.
func TestReadHeader(t *testing.T) {
	for _, tt := range headerCases {
		t.Run(tt.name, func(t *testing.T) {
			r := bytes.NewReader(append(append([]byte{}, tt.in...), "REST"...))
			addr, err := readHeader(r)
			got := "err"
			if err == nil {
				got = ""
				if addr != nil {
					got = addr.String()
				}
			} else if !errors.Is(err, ErrHeader) {
				t.Fatalf("error %v does not wrap ErrHeader", err)
			}
			if got != tt.want {
				t.Fatalf("got %q (%v), want %q", got, err, tt.want)
			}
			if rest, _ := io.ReadAll(r); err == nil && string(rest) != "REST" {
				t.Errorf("after the header the conn holds %q, want REST", rest)
			}
		})
	}
}

// FuzzReadHeader: any bytes give a client, none, or ErrHeader, never a panic; a header
// that parses reads no byte past its own end: its bytes alone parse the same, whole.
func FuzzReadHeader(f *testing.F) {
	for _, tt := range headerCases {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		data := append(append([]byte{}, in...), "REST"...)
		r := bytes.NewReader(data)
		addr, err := readHeader(r)
		if err != nil {
			if !errors.Is(err, ErrHeader) {
				t.Fatalf("error %v does not wrap ErrHeader", err)
			}
			return
		}
		own := bytes.NewReader(data[:len(data)-r.Len()])
		again, err := readHeader(own)
		if err != nil || own.Len() != 0 || fmt.Sprint(again) != fmt.Sprint(addr) {
			t.Fatalf("the header's own bytes %q gave %v, %v (%d left), want %v", data[:len(data)-r.Len()], again, err, own.Len(), addr)
		}
	})
}
