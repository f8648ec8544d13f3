package proto_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/proto"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// frameCase is one well-formed frame: its type, the value written and a fresh value of
// the same type to read it back into.
type frameCase struct {
	name  string
	typ   proto.FrameType
	value any
	fresh func() any
}

var frameCases = []frameCase{
	{
		name: "hello",
		typ:  proto.FrameHello,
		value: &proto.Hello{
			Version: proto.Version,
			Client:  "relay-client/0.1.0",
			Tunnels: []proto.TunnelRequest{
				{
					Name:       "stripe-dev",
					Offline:    proto.OfflineQueue,
					Verify:     []string{"stripe:whsec_test"},
					VerifyMode: "enforce",
				},
				{Name: "github", Offline: proto.OfflineReject},
				{},
			},
		},
		fresh: func() any { return new(proto.Hello) },
	},
	{
		name: "welcome",
		typ:  proto.FrameWelcome,
		value: &proto.Welcome{
			Server: "relay-server/0.1.0",
			Tunnels: []proto.TunnelInfo{
				{
					Name:    "stripe-dev",
					URLs:    []string{"https://relay.example.com/t/stripe-dev", "https://stripe-dev.relay.example.com"},
					Offline: proto.OfflineQueue,
					Missed:  3,
					Queued:  2,
				},
				{Name: "github", URLs: []string{"https://relay.example.com/t/github"}, Offline: proto.OfflineReject},
			},
		},
		fresh: func() any { return new(proto.Welcome) },
	},
	{
		name:  "error",
		typ:   proto.FrameError,
		value: &proto.Error{Code: proto.CodeNameTaken, Message: `tunnel "stripe-dev" is held by another token`},
		fresh: func() any { return new(proto.Error) },
	},
	{
		name:  "notice",
		typ:   proto.FrameNotice,
		value: &proto.Notice{Tunnel: "stripe-dev", Message: "2 queued deliveries sent"},
		fresh: func() any { return new(proto.Notice) },
	},
	{
		name: "hello-shared",
		typ:  proto.FrameHello,
		value: &proto.Hello{Version: proto.Version, Client: "relay-client", ClientID: "3f9a0c1d2e4b5a6978c0d1e2", Label: "alice",
			Tunnels: []proto.TunnelRequest{{Name: "team", Share: proto.ShareMirror, Primary: true,
				Routes: []string{"path=/stripe/*", "json:data.object=charge"}}}},
		fresh: func() any { return new(proto.Hello) },
	},
	{
		name: "clients",
		typ:  proto.FrameClients,
		value: &proto.Clients{Tunnel: "team", Share: proto.ShareMirror, Clients: []proto.ClientInfo{
			{Label: "alice", Role: proto.RolePrimary, You: true},
			{Label: "bob", Role: proto.RoleMirror},
			{Label: "ci", Role: proto.RoleRouted, Routes: []string{"path=/ci/*"}, RoutesCut: true},
		}},
		fresh: func() any { return new(proto.Clients) },
	},
}

// TestClientsFrameFits checks the limits documented for FrameClients: a tunnel with
// MaxClientsPerTunnel clients, every label and the routes shown at their caps, stays
// under 48 KiB.
func TestClientsFrameFits(t *testing.T) {
	route := "path=/" + strings.Repeat("<", 20) // 6 bytes each in JSON
	c := proto.Clients{Tunnel: strings.Repeat("n", 63), Share: proto.ShareBalance}
	for range proto.MaxClientsPerTunnel {
		ci := proto.ClientInfo{Label: strings.Repeat("<", proto.MaxLabelLen), Role: proto.RoleRouted, RoutesCut: true, You: true}
		enc, _ := json.Marshal(route)
		for n := len(enc) + 1; n <= proto.MaxRoutesShown; n += len(enc) + 1 {
			ci.Routes = append(ci.Routes, route)
		}
		c.Clients = append(c.Clients, ci)
	}
	var buf bytes.Buffer
	if err := proto.WriteFrame(&buf, proto.FrameClients, &c); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 48<<10 {
		t.Errorf("largest clients frame is %d bytes, over 48 KiB", buf.Len())
	}
}

func goldenPath(name string) string { return filepath.Join("testdata", name+".golden") }

func TestFrameRoundTrip(t *testing.T) {
	for _, tc := range frameCases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := proto.WriteFrame(&buf, tc.typ, tc.value); err != nil {
				t.Fatalf("WriteFrame: %v", err)
			}
			checkGolden(t, goldenPath(tc.name), buf.Bytes())

			got := tc.fresh()
			if err := proto.ReadExpect(bytes.NewReader(buf.Bytes()), tc.typ, got); err != nil {
				t.Fatalf("ReadExpect: %v", err)
			}
			if !reflect.DeepEqual(got, tc.value) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, tc.value)
			}
		})
	}
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("update golden: %v", err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("wire bytes differ from %s:\n got %q\nwant %q", path, got, want)
	}
}

// TestFrameWireFormat checks the golden files against the spec in doc.go, so an
// accidental -update cannot silently change the format.
func TestFrameWireFormat(t *testing.T) {
	for _, tc := range frameCases {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := os.ReadFile(goldenPath(tc.name))
			if err != nil {
				t.Fatal(err)
			}
			if len(raw) < 5 {
				t.Fatalf("golden frame is %d bytes, shorter than its header", len(raw))
			}
			if got := proto.FrameType(raw[0]); got != tc.typ {
				t.Errorf("type byte = %v, want %v", got, tc.typ)
			}
			if n := binary.BigEndian.Uint32(raw[1:5]); int(n) != len(raw)-5 {
				t.Errorf("length field = %d, payload is %d bytes", n, len(raw)-5)
			}
			if !json.Valid(raw[5:]) {
				t.Errorf("payload is not JSON: %q", raw[5:])
			}
		})
	}
}

// frame builds raw wire bytes with a length field that need not match the payload.
func frame(t proto.FrameType, length uint32, payload string) []byte {
	b := []byte{byte(t), 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], length)
	return append(b, payload...)
}

// okFrame builds raw wire bytes with a correct length field.
func okFrame(t proto.FrameType, payload string) []byte {
	return frame(t, uint32(len(payload)), payload)
}

var readFrameErrCases = []struct {
	name    string
	in      []byte
	wantErr error
}{
	{"empty", nil, io.EOF},
	{"truncated header", []byte{byte(proto.FrameHello), 0, 0}, io.ErrUnexpectedEOF},
	{"header only", frame(proto.FrameHello, 2, ""), io.ErrUnexpectedEOF},
	{"truncated payload", frame(proto.FrameHello, 10, `{"ver`), io.ErrUnexpectedEOF},
	{"one over max", frame(proto.FrameHello, proto.MaxFrameSize+1, "{}"), proto.ErrFrameTooLarge},
	{"1 GiB", frame(proto.FrameHello, 1<<30, "{}"), proto.ErrFrameTooLarge},
	{"max uint32", frame(proto.FrameHello, 1<<32-1, "{}"), proto.ErrFrameTooLarge},
}

func TestReadFrameErrors(t *testing.T) {
	for _, tc := range readFrameErrCases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := proto.ReadFrame(bytes.NewReader(tc.in))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("ReadFrame error = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestReadFrameLimits(t *testing.T) {
	maxPayload := `"` + strings.Repeat("a", proto.MaxFrameSize-2) + `"`
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty payload", okFrame(proto.FrameNotice, ""), ""},
		{"exactly max", okFrame(proto.FrameNotice, maxPayload), maxPayload},
		{"trailing bytes stay unread", append(okFrame(proto.FrameNotice, "{}"), "junk"...), "{}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			typ, payload, err := proto.ReadFrame(bytes.NewReader(tc.in))
			if err != nil {
				t.Fatalf("ReadFrame: %v", err)
			}
			if typ != proto.FrameNotice || string(payload) != tc.want {
				t.Errorf("got %v with %d bytes, want notice with %d", typ, len(payload), len(tc.want))
			}
		})
	}
}

// headerOnlyReader serves a frame header and fails the test if more is read.
type headerOnlyReader struct {
	t   *testing.T
	hdr []byte
}

func (r *headerOnlyReader) Read(p []byte) (int, error) {
	if len(r.hdr) == 0 {
		r.t.Error("ReadFrame read past a header that claims an oversized payload")
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, r.hdr)
	r.hdr = r.hdr[n:]
	return n, nil
}

func TestReadFrameHugeHeaderFailsFast(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := proto.ReadFrame(&headerOnlyReader{t: t, hdr: frame(proto.FrameHello, 1<<30, "")})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, proto.ErrFrameTooLarge) {
		t.Fatalf("ReadFrame error = %v, want ErrFrameTooLarge", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("ReadFrame allocated %d bytes for a refused frame", grew)
	}
}

func TestReadExpect(t *testing.T) {
	cases := []struct {
		name     string
		in       []byte
		want     proto.FrameType
		wantErr  error
		wantCode proto.Code // set when an *Error is expected
	}{
		{"hello", okFrame(proto.FrameHello, `{"version":1,"tunnels":[{"name":"a"}]}`), proto.FrameHello, nil, ""},
		{"unknown fields ignored", okFrame(proto.FrameHello, `{"version":1,"future":{"x":1},"tunnels":[]}`), proto.FrameHello, nil, ""},
		{"bad json", okFrame(proto.FrameHello, `{"version":`), proto.FrameHello, proto.ErrBadFrame, ""},
		{"wrong json type", okFrame(proto.FrameHello, `{"version":"one"}`), proto.FrameHello, proto.ErrBadFrame, ""},
		{"not an object", okFrame(proto.FrameHello, `[1,2]`), proto.FrameHello, proto.ErrBadFrame, ""},
		{"empty payload", okFrame(proto.FrameHello, ``), proto.FrameHello, proto.ErrBadFrame, ""},
		{"wrong frame type", okFrame(proto.FrameWelcome, `{"tunnels":[]}`), proto.FrameHello, proto.ErrBadFrame, ""},
		{"unknown frame type", okFrame(proto.FrameType(9), `{}`), proto.FrameHello, proto.ErrBadFrame, ""},
		{"notice while expecting welcome", okFrame(proto.FrameNotice, `{"message":"hi"}`), proto.FrameWelcome, proto.ErrBadFrame, ""},
		{"error frame", okFrame(proto.FrameError, `{"code":"name_taken","message":"held"}`), proto.FrameWelcome, nil, proto.CodeNameTaken},
		{"error frame when wanted", okFrame(proto.FrameError, `{"code":"internal","message":"x"}`), proto.FrameError, nil, ""},
		{"error frame with bad json", okFrame(proto.FrameError, `{"code":`), proto.FrameWelcome, proto.ErrBadFrame, ""},
		{"truncated", frame(proto.FrameHello, 10, `{}`), proto.FrameHello, io.ErrUnexpectedEOF, ""},
		{"too large", frame(proto.FrameHello, 1<<30, ``), proto.FrameHello, proto.ErrFrameTooLarge, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := proto.ReadExpect(bytes.NewReader(tc.in), tc.want, freshValue(tc.want))
			checkReadExpectErr(t, err, tc.wantErr, tc.wantCode)
		})
	}
}

// freshValue returns a new value of the payload type of frames of type typ.
func freshValue(typ proto.FrameType) any {
	for _, tc := range frameCases {
		if tc.typ == typ {
			return tc.fresh()
		}
	}
	return new(json.RawMessage)
}

func checkReadExpectErr(t *testing.T, err, wantErr error, wantCode proto.Code) {
	t.Helper()
	if wantCode != "" {
		var perr *proto.Error
		if !errors.As(err, &perr) || perr.Code != wantCode {
			t.Fatalf("ReadExpect error = %v, want *proto.Error with code %s", err, wantCode)
		}
		return
	}
	if !errors.Is(err, wantErr) {
		t.Fatalf("ReadExpect error = %v, want %v", err, wantErr)
	}
}

func TestReadExpectErrorFrameDecoded(t *testing.T) {
	sent := &proto.Error{Code: proto.CodeVersionMismatch, Message: "server speaks version 2"}
	var buf bytes.Buffer
	if err := proto.WriteFrame(&buf, proto.FrameError, sent); err != nil {
		t.Fatal(err)
	}
	err := proto.ReadExpect(&buf, proto.FrameWelcome, new(proto.Welcome))
	var got *proto.Error
	if !errors.As(err, &got) {
		t.Fatalf("ReadExpect error = %v (%T), want *proto.Error", err, err)
	}
	if *got != *sent {
		t.Errorf("decoded %+v, want %+v", got, sent)
	}
	if msg := err.Error(); msg != "version_mismatch: server speaks version 2" {
		t.Errorf("Error() = %q", msg)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestWriteFrameErrors(t *testing.T) {
	errSink := errors.New("sink broken")
	cases := []struct {
		name    string
		w       io.Writer
		v       any
		wantErr error // nil: any error
	}{
		{"payload over max", new(bytes.Buffer), proto.Notice{Message: strings.Repeat("x", proto.MaxFrameSize)}, proto.ErrFrameTooLarge},
		{"one over max", new(bytes.Buffer), json.RawMessage(`"` + strings.Repeat("x", proto.MaxFrameSize-1) + `"`), proto.ErrFrameTooLarge},
		{"not encodable", new(bytes.Buffer), make(chan int), nil},
		{"writer fails", failWriter{errSink}, proto.Notice{Message: "hi"}, errSink},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := proto.WriteFrame(tc.w, proto.FrameNotice, tc.v)
			if err == nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("WriteFrame error = %v, want %v", err, tc.wantErr)
			}
			if buf, ok := tc.w.(*bytes.Buffer); ok && buf.Len() != 0 {
				t.Errorf("WriteFrame wrote %d bytes despite failing", buf.Len())
			}
		})
	}
}

func TestWriteFrameExactlyMax(t *testing.T) {
	payload := json.RawMessage(`"` + strings.Repeat("x", proto.MaxFrameSize-2) + `"`)
	var buf bytes.Buffer
	if err := proto.WriteFrame(&buf, proto.FrameNotice, payload); err != nil {
		t.Fatalf("WriteFrame: %v", err)
	}
	_, got, err := proto.ReadFrame(&buf)
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("ReadFrame = %d bytes, %v; want the %d bytes written", len(got), err, len(payload))
	}
}

func TestFrameTypeString(t *testing.T) {
	cases := map[proto.FrameType]string{
		proto.FrameHello: "hello", proto.FrameWelcome: "welcome", proto.FrameError: "error",
		proto.FrameNotice: "notice", 0: "frame(0)", 255: "frame(255)",
	}
	for typ, want := range cases {
		if got := typ.String(); got != want {
			t.Errorf("FrameType(%d).String() = %q, want %q", byte(typ), got, want)
		}
	}
}

func BenchmarkFrameRoundTrip(b *testing.B) {
	hello := frameCases[0].value
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := proto.WriteFrame(&buf, proto.FrameHello, hello); err != nil {
			b.Fatal(err)
		}
		var got proto.Hello
		if err := proto.ReadExpect(&buf, proto.FrameHello, &got); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSoftwareVersionOptional: Hello and Welcome carry the peers' software versions,
// and neither side depends on them: a frame from a peer older than the field decodes
// with it empty, and an older peer's decoder ignores it.
func TestSoftwareVersionOptional(t *testing.T) {
	old := []byte(`{"version":1,"client":"relay-client","tunnels":[{"name":"a"}]}`)
	var h proto.Hello
	if err := json.Unmarshal(old, &h); err != nil || h.SoftwareVersion != "" || h.Tunnels[0].Name != "a" {
		t.Fatalf("old Hello: %+v, %v", h, err)
	}
	var buf bytes.Buffer
	w := proto.Welcome{Server: "relay-server", SoftwareVersion: "v1.2.3 rev 4899774a1b2c",
		Tunnels: []proto.TunnelInfo{{Name: "a", URLs: []string{"http://x/t/a/"}, Offline: "reject"}}}
	if err := proto.WriteFrame(&buf, proto.FrameWelcome, w); err != nil {
		t.Fatal(err)
	}
	var olderWelcome struct { // Welcome as peers before the field decode it
		Tunnels []proto.TunnelInfo `json:"tunnels"`
		Server  string             `json:"server,omitempty"`
	}
	if err := proto.ReadExpect(bytes.NewReader(buf.Bytes()), proto.FrameWelcome, &olderWelcome); err != nil ||
		olderWelcome.Server != "relay-server" || len(olderWelcome.Tunnels) != 1 {
		t.Fatalf("older decoder: %+v, %v", olderWelcome, err)
	}
	var got proto.Welcome
	if err := proto.ReadExpect(bytes.NewReader(buf.Bytes()), proto.FrameWelcome, &got); err != nil || got.SoftwareVersion != w.SoftwareVersion {
		t.Fatalf("software_version %q, %v; want %q", got.SoftwareVersion, err, w.SoftwareVersion)
	}
}
