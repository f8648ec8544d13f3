package sqlite

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

func hdr(name, value string) store.Header { return store.Header{Name: name, Value: value} }

var headerCases = []struct {
	name string
	in   []store.Header
}{
	{"none", nil},
	{"one", []store.Header{hdr("Content-Type", "application/json")}},
	{"order and repeats", []store.Header{hdr("B", "1"), hdr("a", "2"), hdr("B", "3")}},
	{"empty strings", []store.Header{hdr("", ""), hdr("X", "")}},
	{"raw bytes", []store.Header{hdr("X-Bin", "\x00\xff\xfe"), hdr("\xc3", "\r\n")}},
	{"long value", []store.Header{hdr("X-Long", string(bytes.Repeat([]byte("v"), 70000)))}},
}

func TestHeadersRoundTrip(t *testing.T) {
	for _, tt := range headerCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeHeaders(encodeHeaders(tt.in))
			if err != nil || !reflect.DeepEqual(got, tt.in) {
				t.Errorf("round trip = %q, %v; want %q", got, err, tt.in)
			}
		})
	}
}

func TestDecodeHeadersRejects(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"unknown version", []byte{2, 1, 'a', 1, 'b'}},
		{"name too long", []byte{1, 5, 'a'}},
		{"value missing", []byte{1, 1, 'a'}},
		{"value too long", []byte{1, 1, 'a', 9, 'b'}},
		{"bad varint", []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"huge length", []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decodeHeaders(tt.in); !errors.Is(err, errBadHeaders) {
				t.Errorf("decodeHeaders(%v) = %v, want errBadHeaders", tt.in, err)
			}
		})
	}
}

func FuzzDecodeHeaders(f *testing.F) {
	for _, tt := range headerCases {
		f.Add(encodeHeaders(tt.in))
	}
	f.Add([]byte{1, 5, 'a'})
	f.Fuzz(func(t *testing.T, b []byte) {
		hs, err := decodeHeaders(b)
		if err != nil {
			return
		}
		again, err := decodeHeaders(encodeHeaders(hs))
		if err != nil || !reflect.DeepEqual(again, hs) {
			t.Fatalf("re-encoding %q gives %q, %v", hs, again, err)
		}
	})
}

func TestToNanos(t *testing.T) {
	tests := []struct {
		name string
		in   time.Time
		want int64
	}{
		{"epoch", time.Unix(0, 0), 0},
		{"ordinary", time.Unix(1700000000, 5), 1700000000_000000005},
		{"zero time clamps low", time.Time{}, math.MinInt64},
		{"far future clamps high", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), math.MaxInt64},
	}
	for _, tt := range tests {
		if got := toNanos(tt.in); got != tt.want {
			t.Errorf("%s: toNanos = %d, want %d", tt.name, got, tt.want)
		}
	}
}
