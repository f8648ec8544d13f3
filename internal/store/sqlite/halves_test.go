package sqlite

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// halfCases are records whose request and response halves must survive
// encoding exactly.
var halfCases = []struct {
	name string
	rec  store.Record
}{
	{"empty", store.Record{}},
	{"request fields", store.Record{Host: "shop.relay.test", RawQuery: "a=1&b=%ff", Proto: "HTTP/2.0",
		RemoteAddr: "[2001:db8::1]:443", Headers: []store.Header{hdr("X-B", "2"), hdr("x-a", "\xff\x00")},
		Body: store.Body{Size: 1 << 40, SHA256: strings.Repeat("ab", 32), Truncated: true}}},
	{"response fields", store.Record{ErrorCode: "tunnel_offline", RespHeaders: []store.Header{hdr("Set-Cookie", "a=b")},
		RespBody: store.Body{Size: 7, SHA256: "00", Truncated: true}, Duration: 1234567 * time.Nanosecond,
		Attempts: 3, Duplicate: true, Resigned: true}},
	{"verification passed", store.Record{Verification: &store.Verification{Provider: "stripe", OK: true}}},
	{"verification failed", store.Record{Verification: &store.Verification{Provider: "github", Reason: "stale"}}},
	{"verification without provider", store.Record{Verification: &store.Verification{}}},
	{"negative numbers", store.Record{Body: store.Body{Size: -1}, RespBody: store.Body{Size: -5},
		Duration: -time.Second, Attempts: -2}},
	{"response body apart", store.Record{RespBody: store.Body{Data: make([]byte, inlineResponseMax+1)}}},
}

func TestHalvesRoundTrip(t *testing.T) {
	for _, tt := range halfCases {
		t.Run(tt.name, func(t *testing.T) {
			var got store.Record
			if err := decodeRequestHalf(requestHalfOf(&tt.rec).encode(), &got); err != nil {
				t.Fatalf("decode request half: %v", err)
			}
			apart, err := decodeResponseHalf(responseHalfOf(&tt.rec).encode(), &got)
			if err != nil {
				t.Fatalf("decode response half: %v", err)
			}
			if want := len(tt.rec.RespBody.Data) > inlineResponseMax; apart != want {
				t.Errorf("apart = %v, want %v", apart, want)
			}
			want := tt.rec
			want.RespBody.Data = nil // bodies are not part of the halves
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip = %+v, want %+v", got, want)
			}
		})
	}
}

func TestDecodeHalvesRejects(t *testing.T) {
	request := requestHalfOf(&halfCases[1].rec).encode()
	response := responseHalfOf(&halfCases[2].rec).encode()
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"unknown version", []byte{2}},
		{"version only", []byte{halfV1}},
		{"string too long", []byte{halfV1, 9, 'a'}},
		{"bad flag", append([]byte{halfV1, 0, 0, 0, 0, 0, 0}, 7)},
		{"bad varint", []byte{halfV1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"request cut short", request[:len(request)/2]},
		{"response cut short", response[:len(response)/2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r store.Record
			if err := decodeRequestHalf(tt.in, &r); err == nil {
				t.Errorf("decodeRequestHalf(%v) accepted", tt.in)
			}
			if _, err := decodeResponseHalf(tt.in, &r); err == nil {
				t.Errorf("decodeResponseHalf(%v) accepted", tt.in)
			}
		})
	}
	var r store.Record
	if err := decodeRequestHalf([]byte{2}, &r); !errors.Is(err, errBadHalf) {
		t.Errorf("unknown version: %v, want errBadHalf", err)
	}
	if _, err := decodeResponseHalf([]byte{3}, &r); !errors.Is(err, errBadHalf) {
		t.Errorf("unknown response version: %v, want errBadHalf", err)
	}
}

// TestDecodeResponseHalfV1 reads a response half written before the resigned flag
// (databases from before version 2).
func TestDecodeResponseHalfV1(t *testing.T) {
	// error code "", body size 1, digest "", not truncated, in the row, duration 0,
	// 3 attempts, duplicate, no verification, no headers.
	v1 := []byte{halfV1, 0, 2, 0, 0, 0, 0, 6, 1, 0}
	var r store.Record
	apart, err := decodeResponseHalf(v1, &r)
	want := store.Record{RespBody: store.Body{Size: 1}, Attempts: 3, Duplicate: true}
	if err != nil || apart || !reflect.DeepEqual(r, want) {
		t.Fatalf("version 1: %+v apart %v, %v; want %+v", r, apart, err, want)
	}
}

// FuzzDecodeRequestHalf checks that any input is refused or decodes to a
// record whose request half encodes and decodes to the same record.
func FuzzDecodeRequestHalf(f *testing.F) {
	for _, tt := range halfCases {
		f.Add(requestHalfOf(&tt.rec).encode())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r store.Record
		if err := decodeRequestHalf(b, &r); err != nil {
			return
		}
		var again store.Record
		if err := decodeRequestHalf(requestHalfOf(&r).encode(), &again); err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("re-encoding %+v gives %+v, %v", r, again, err)
		}
	})
}

// FuzzDecodeResponseHalf is FuzzDecodeRequestHalf for the response half.
func FuzzDecodeResponseHalf(f *testing.F) {
	for _, tt := range halfCases {
		f.Add(responseHalfOf(&tt.rec).encode())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r store.Record
		apart, err := decodeResponseHalf(b, &r)
		if err != nil {
			return
		}
		h := responseHalfOf(&r)
		h.bodyApart = apart
		var again store.Record
		againApart, err := decodeResponseHalf(h.encode(), &again)
		if err != nil || againApart != apart || !reflect.DeepEqual(again, r) {
			t.Fatalf("re-encoding %+v gives %+v, %v", r, again, err)
		}
	})
}
