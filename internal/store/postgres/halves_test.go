package postgres

import (
	"reflect"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

var halfCases = []store.Record{
	{},
	{Host: "h\xff", RawQuery: "a=\x00", Proto: "HTTP/1.1", RemoteAddr: "[::1]:1",
		Headers: []store.Header{{Name: "X-A", Value: "\xff\xfe"}, {Name: "", Value: ""}},
		Body:    store.Body{Size: 1 << 40, SHA256: "ab", Truncated: true}},
	{ErrorCode: "tunnel_offline", RespBody: store.Body{Size: 3, SHA256: "cd"}, Duration: -time.Second,
		Attempts: 7, Duplicate: true, Resigned: true,
		Verification: &store.Verification{Provider: "stripe", OK: true, Reason: "r\x00"},
		RespHeaders:  []store.Header{{Name: "Set-Cookie", Value: "a"}, {Name: "Set-Cookie", Value: "b"}}},
	{Verification: &store.Verification{}},
}

func TestHalvesRoundTrip(t *testing.T) {
	for i, want := range halfCases {
		var got store.Record
		if err := decodeRequest(encodeRequest(&want), &got); err != nil {
			t.Fatalf("case %d request: %v", i, err)
		}
		if err := decodeResponse(encodeResponse(&want), &got); err != nil {
			t.Fatalf("case %d response: %v", i, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("case %d: got %+v, want %+v", i, got, want)
		}
	}
}

func TestHalvesRejectGarbage(t *testing.T) {
	good := encodeResponse(&halfCases[2])
	for _, b := range [][]byte{nil, {}, {2}, {1}, good[:len(good)-1], append(good[:len(good):len(good)], 0),
		{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}} {
		var r store.Record
		if err := decodeResponse(b, &r); err == nil {
			t.Errorf("decodeResponse(%x) accepted garbage", b)
		}
		if err := decodeRequest(b, &r); err == nil {
			t.Errorf("decodeRequest(%x) accepted garbage", b)
		}
	}
}

// FuzzHalves: decoding never panics, and what decodes survives a round
// trip through the encoder unchanged.
func FuzzHalves(f *testing.F) {
	for _, r := range halfCases {
		f.Add(encodeRequest(&r))
		f.Add(encodeResponse(&r))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r, again store.Record
		if decodeRequest(b, &r) == nil {
			if err := decodeRequest(encodeRequest(&r), &again); err != nil || !reflect.DeepEqual(again, r) {
				t.Errorf("request %x: round trip gives %+v, %v; want %+v", b, again, err, r)
			}
		}
		r, again = store.Record{}, store.Record{}
		if decodeResponse(b, &r) == nil {
			if err := decodeResponse(encodeResponse(&r), &again); err != nil || !reflect.DeepEqual(again, r) {
				t.Errorf("response %x: round trip gives %+v, %v; want %+v", b, again, err, r)
			}
		}
	})
}
