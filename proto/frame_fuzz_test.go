package proto_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/hookrelay/hookrelay/proto"
)

// FuzzReadFrame feeds arbitrary bytes to ReadFrame and ReadExpect. Whatever decodes must
// survive being written again: byte for byte when the frame is re-sent as read, and
// with the same JSON value when the payload is re-encoded by WriteFrame.
func FuzzReadFrame(f *testing.F) {
	for _, tc := range frameCases {
		golden, err := os.ReadFile(goldenPath(tc.name))
		if err != nil {
			f.Fatalf("read golden (run the tests with -update first): %v", err)
		}
		f.Add(golden)
	}
	for _, tc := range readFrameErrCases {
		f.Add(tc.in)
	}
	f.Add(okFrame(proto.FrameError, `{"code":"name_taken","message":"<held>"}`))
	f.Add(okFrame(proto.FrameType(9), ` { "a" : [1, 2.5e3, null, true] } `))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, tc := range frameCases {
			_ = proto.ReadExpect(bytes.NewReader(in), tc.typ, tc.fresh()) // must not panic
		}
		typ, payload, err := proto.ReadFrame(bytes.NewReader(in))
		if err != nil {
			return
		}
		if len(payload) > proto.MaxFrameSize {
			t.Fatalf("ReadFrame returned %d bytes, over MaxFrameSize", len(payload))
		}
		checkRawResend(t, typ, payload)
		checkReencode(t, typ, payload)
	})
}

// checkRawResend frames payload again by hand and reads it back unchanged.
func checkRawResend(t *testing.T, typ proto.FrameType, payload []byte) {
	t.Helper()
	typ2, payload2, err := proto.ReadFrame(bytes.NewReader(okFrame(typ, string(payload))))
	if err != nil || typ2 != typ || !bytes.Equal(payload2, payload) {
		t.Fatalf("re-read = %v %q %v, want %v %q", typ2, payload2, err, typ, payload)
	}
}

// checkReencode writes a JSON payload with WriteFrame and reads back the same value.
func checkReencode(t *testing.T, typ proto.FrameType, payload []byte) {
	t.Helper()
	if !json.Valid(payload) {
		return // WriteFrame only writes JSON
	}
	var buf bytes.Buffer
	err := proto.WriteFrame(&buf, typ, json.RawMessage(payload))
	if errors.Is(err, proto.ErrFrameTooLarge) {
		return // HTML escaping may grow a payload that was near the limit
	}
	if err != nil {
		t.Fatalf("WriteFrame of a payload ReadFrame accepted: %v", err)
	}
	typ2, payload2, err := proto.ReadFrame(&buf)
	if err != nil || typ2 != typ {
		t.Fatalf("re-read = %v, %v; want %v", typ2, err, typ)
	}
	if a, b := jsonValue(t, payload), jsonValue(t, payload2); !reflect.DeepEqual(a, b) {
		t.Fatalf("re-encoded payload changed:\n got %q\nwant %q", payload2, payload)
	}
}

func jsonValue(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return v
}
