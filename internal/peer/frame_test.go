package peer

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/proto"
)

// spliceFrames is the decoder's table: raw frames and whether ReadSplice takes them.
var spliceFrames = []struct {
	name string
	raw  []byte
	ok   bool
}{
	{"valid", frame(FrameSplice, `{"tunnel":"shop","generation":41,"delivery_id":"d-1","client":"s-1"}`), true},
	{"unknown field ignored", frame(FrameSplice, `{"tunnel":"a","generation":1,"delivery_id":"x","client":"y","later":true}`), true},
	{"longest fields", frame(FrameSplice, `{"tunnel":"`+strings.Repeat("a", 63)+`","generation":9223372036854775807,"delivery_id":"`+
		strings.Repeat("d", MaxIDLen)+`","client":"`+strings.Repeat("c", MaxIDLen)+`"}`), true},
	{"wrong type", frame(FrameSpliceOK, `{"tunnel":"shop","generation":41,"delivery_id":"d-1","client":"s-1"}`), false},
	{"empty tunnel", frame(FrameSplice, `{"tunnel":"","generation":41,"delivery_id":"d-1","client":"s-1"}`), false},
	{"upper-case tunnel", frame(FrameSplice, `{"tunnel":"Shop","generation":41,"delivery_id":"d-1","client":"s-1"}`), false},
	{"long tunnel", frame(FrameSplice, `{"tunnel":"`+strings.Repeat("a", 64)+`","generation":1,"delivery_id":"d","client":"s"}`), false},
	{"zero generation", frame(FrameSplice, `{"tunnel":"shop","delivery_id":"d-1","client":"s-1"}`), false},
	{"negative generation", frame(FrameSplice, `{"tunnel":"shop","generation":-1,"delivery_id":"d-1","client":"s-1"}`), false},
	{"fractional generation", frame(FrameSplice, `{"tunnel":"shop","generation":1.5,"delivery_id":"d-1","client":"s-1"}`), false},
	{"no delivery id", frame(FrameSplice, `{"tunnel":"shop","generation":41,"client":"s-1"}`), false},
	{"space in client", frame(FrameSplice, `{"tunnel":"shop","generation":41,"delivery_id":"d-1","client":"s 1"}`), false},
	{"long client", frame(FrameSplice, `{"tunnel":"shop","generation":41,"delivery_id":"d-1","client":"`+strings.Repeat("c", MaxIDLen+1)+`"}`), false},
	{"not json", frame(FrameSplice, `tunnel=shop`), false},
	{"truncated payload", frame(FrameSplice, `{"tunnel":"shop"}`)[:10], false},
	{"short header", []byte{byte(FrameSplice), 0}, false},
	{"over the size limit", append([]byte{byte(FrameSplice), 0, 0, 4, 1}, bytes.Repeat([]byte{' '}, MaxFrameSize+1)...), false},
	{"empty", nil, false},
}

func frame(t proto.FrameType, payload string) []byte {
	b := []byte{byte(t), 0, 0, byte(len(payload) >> 8), byte(len(payload))}
	return append(b, payload...)
}

func TestReadSplice(t *testing.T) {
	for _, tt := range spliceFrames {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ReadSplice(bytes.NewReader(tt.raw))
			if (err == nil) != tt.ok {
				t.Fatalf("ReadSplice: %+v, %v; want ok=%v", s, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrBadFrame) && !strings.Contains(err.Error(), "EOF") {
				t.Fatalf("error %v wraps neither ErrBadFrame nor EOF", err)
			}
		})
	}
}

// TestSpliceRoundTrip: what the ingress side writes, the holder reads, and it reads
// exactly the frame, leaving the bytes after it.
func TestSpliceRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	want := Splice{Tunnel: "shop", Generation: 41, DeliveryID: "01HZX", Client: "sess-9"}
	if err := writeFrame(&buf, FrameSplice, want); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("POST / HTTP/1.1\r\n")
	got, err := ReadSplice(&buf)
	if err != nil || got != want {
		t.Fatalf("got %+v, %v; want %+v", got, err, want)
	}
	if buf.String() != "POST / HTTP/1.1\r\n" {
		t.Fatalf("read past the frame: %q left", buf.String())
	}
}

func FuzzReadSplice(f *testing.F) {
	for _, tt := range spliceFrames {
		f.Add(tt.raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r := bytes.NewReader(raw)
		s, err := ReadSplice(r)
		if err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("accepted an invalid splice %+v: %v", s, err)
		}
		var buf bytes.Buffer
		if err := writeFrame(&buf, FrameSplice, s); err != nil {
			t.Fatal(err)
		}
		again, err := ReadSplice(&buf)
		if err != nil || again != s {
			t.Fatalf("round trip of %+v: %+v, %v", s, again, err)
		}
		if consumed := len(raw) - r.Len(); consumed != 5+int(uint32(raw[1])<<24|uint32(raw[2])<<16|uint32(raw[3])<<8|uint32(raw[4])) {
			t.Fatalf("consumed %d bytes of a frame of another length", consumed)
		}
	})
}
