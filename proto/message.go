package proto

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// FrameType identifies a control frame's payload.
type FrameType byte

// Control frame types.
const (
	// FrameHello (client -> server) is the first frame on the control stream; payload [Hello].
	FrameHello FrameType = 1
	// FrameWelcome (server -> client) accepts a Hello; payload [Welcome].
	FrameWelcome FrameType = 2
	// FrameError (either way) refuses or ends the session; payload [Error]. The sender
	// closes the session after it.
	FrameError FrameType = 3
	// FrameNotice (server -> client) is an informational message at any time after
	// Welcome, such as a queued delivery summary; payload [Notice].
	FrameNotice FrameType = 4
)

func (t FrameType) String() string {
	switch t {
	case FrameHello:
		return "hello"
	case FrameWelcome:
		return "welcome"
	case FrameError:
		return "error"
	case FrameNotice:
		return "notice"
	}
	return fmt.Sprintf("frame(%d)", byte(t))
}

// Offline policies of a tunnel: what the server does with a request while no client is
// connected. Either way the request is recorded first.
const (
	// OfflineReject answers 503 with Retry-After, so the sender's own retries do the work.
	OfflineReject = "reject"
	// OfflineQueue answers 202 at once and delivers the request, in arrival order, when a
	// client connects again.
	OfflineQueue = "queue"
)

// Hello asks for tunnels. It is the first frame the client sends.
type Hello struct {
	// Version is the client's protocol version; it must equal the server's.
	Version int `json:"version"`
	// Client names the client software, e.g. "relay-client", for logs.
	Client string `json:"client,omitempty"`
	// SoftwareVersion is the client binary's version (module version and VCS
	// revision, e.g. "v0.4.0" or "(devel) rev 4899774a1b2c"), for logs and display.
	// Optional: older clients do not send it. Never compared; Version decides
	// compatibility.
	SoftwareVersion string `json:"software_version,omitempty"`
	// Tunnels lists the tunnels wanted, at least one, at most MaxTunnelsPerSession.
	Tunnels []TunnelRequest `json:"tunnels"`
}

// TunnelRequest asks for one tunnel.
type TunnelRequest struct {
	// Name is the wanted name, a DNS label (see ValidName). Empty asks the server to pick
	// a random one.
	Name string `json:"name,omitempty"`
	// Offline is the offline policy, OfflineReject or OfflineQueue; empty keeps the
	// server's setting for the tunnel.
	Offline string `json:"offline,omitempty"`
	// Verify lists signature verifiers, each as given to relay-client --verify
	// ("PROVIDER:SECRET"). The server verifies deliveries with them. They are secrets.
	Verify []string `json:"verify,omitempty"`
	// VerifyMode is "off", "flag" or "enforce"; empty means "flag" when Verify is set.
	VerifyMode string `json:"verify_mode,omitempty"`
	// Handshake lists the URL-verification handshakes the relay answers for the tunnel,
	// each as given to relay-client --handshake (KIND, KIND,KIND or KIND:SECRET; see
	// internal/webhook/handshake). An unknown kind is refused with bad_request. They may
	// carry secrets.
	Handshake []string `json:"handshake,omitempty"`
}

// Welcome grants the tunnels of a Hello, in the same order.
type Welcome struct {
	Tunnels []TunnelInfo `json:"tunnels"`
	// Server names the server software, for logs.
	Server string `json:"server,omitempty"`
	// SoftwareVersion is the server binary's version, as in Hello. Optional: older
	// servers do not send it.
	SoftwareVersion string `json:"software_version,omitempty"`
}

// TunnelInfo describes a granted tunnel.
type TunnelInfo struct {
	Name string `json:"name"`
	// URLs are the public URLs of the tunnel, path form first.
	URLs []string `json:"urls"`
	// Offline is the policy in force.
	Offline string `json:"offline"`
	// Missed counts deliveries recorded while the tunnel had no client (since it was
	// last connected); Queued of them will be delivered now.
	Missed int `json:"missed,omitempty"`
	Queued int `json:"queued,omitempty"`
}

// Error refuses a Hello or ends a session.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Notice is an informational message from the server.
type Notice struct {
	Tunnel  string `json:"tunnel,omitempty"`
	Message string `json:"message"`
}

// Errors of frame decoding.
var (
	ErrFrameTooLarge = errors.New("proto: frame too large")
	ErrBadFrame      = errors.New("proto: malformed frame")
)

const frameHeaderLen = 5

// WriteFrame writes one control frame with v encoded as JSON.
func WriteFrame(w io.Writer, t FrameType, v any) error {
	payload, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", t, err)
	}
	if len(payload) > MaxFrameSize {
		return fmt.Errorf("write %s: %w", t, ErrFrameTooLarge)
	}
	buf := make([]byte, frameHeaderLen+len(payload))
	buf[0] = byte(t)
	binary.BigEndian.PutUint32(buf[1:], uint32(len(payload)))
	copy(buf[frameHeaderLen:], payload)
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("write %s: %w", t, err)
	}
	return nil
}

// ReadFrame reads one control frame and returns its type and raw JSON payload.
func ReadFrame(r io.Reader) (FrameType, []byte, error) {
	var hdr [frameHeaderLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, fmt.Errorf("read frame header: %w", err)
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > MaxFrameSize {
		return 0, nil, fmt.Errorf("read frame: %w (%d bytes)", ErrFrameTooLarge, n)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // a header promised a payload
		}
		return 0, nil, fmt.Errorf("read frame payload: %w", err)
	}
	return FrameType(hdr[0]), payload, nil
}

// ReadExpect reads one frame into v, which must be of type want. A FrameError is
// returned as an *Error.
func ReadExpect(r io.Reader, want FrameType, v any) error {
	t, payload, err := ReadFrame(r)
	if err != nil {
		return err
	}
	if t == FrameError && want != FrameError {
		e := new(Error)
		if err := decode(payload, e); err != nil {
			return err
		}
		return e
	}
	if t != want {
		return fmt.Errorf("%w: got %s, want %s", ErrBadFrame, t, want)
	}
	return decode(payload, v)
}

func decode(payload []byte, v any) error {
	if err := json.Unmarshal(payload, v); err != nil {
		return fmt.Errorf("%w: %v", ErrBadFrame, err)
	}
	return nil
}
