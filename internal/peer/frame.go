package peer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/hookrelay/hookrelay/proto"
)

// Frame types of the peer link. They share proto's frame codec (a type byte, a 4-byte
// big-endian length, a JSON payload) and live in a range proto's control frames never
// use, so a frame of one protocol read by the other is a clear error.
const (
	FrameChallenge   proto.FrameType = 0x40 // acceptor -> dialer: [Challenge]
	FrameAnswer      proto.FrameType = 0x41 // dialer -> acceptor: [Answer]
	FrameAccept      proto.FrameType = 0x42 // acceptor -> dialer: [Accept]
	FrameRefuse      proto.FrameType = 0x43 // acceptor -> dialer: [Refusal], then close
	FrameSplice      proto.FrameType = 0x50 // ingress -> holder, first on a stream: [Splice]
	FrameSpliceOK    proto.FrameType = 0x51 // holder -> ingress: [SpliceOK]
	FrameSpliceError proto.FrameType = 0x52 // holder -> ingress: [SpliceError], then close
)

// Limits of the fields of a Splice. A tunnel name is a DNS label; ids are the store's
// delivery ids and the server's session ids, far shorter than MaxIDLen.
const (
	MaxIDLen = 128
	// MaxFrameSize caps every peer frame's payload. The largest, a Splice with every
	// field at its limit, is under 512 bytes of JSON.
	MaxFrameSize = 1 << 10
)

// NonceLen is the length of both handshake nonces.
const NonceLen = 32

// Challenge opens the handshake.
type Challenge struct {
	Nonce []byte `json:"nonce"` // NonceLen random bytes
}

// Answer proves the dialer knows the cluster secret and names it.
type Answer struct {
	Node  string `json:"node"`  // the dialer's node id
	MAC   []byte `json:"mac"`   // see [dialerMAC]
	Nonce []byte `json:"nonce"` // NonceLen random bytes the acceptor must sign back
}

// Accept ends a successful handshake: the acceptor proves it knows the secret too.
type Accept struct {
	MAC []byte `json:"mac"` // see [acceptorMAC]
}

// Refusal ends a failed handshake.
type Refusal struct {
	Message string `json:"message"`
}

// Splice asks the holder of a tunnel's session for a byte pipe to that session.
type Splice struct {
	Tunnel     string `json:"tunnel"`      // the tunnel name
	Generation int64  `json:"generation"`  // the lease generation the ingress node looked up
	DeliveryID string `json:"delivery_id"` // the record the bytes belong to, for logs
	Client     string `json:"client"`      // the client session id holding the lease
}

// SpliceOK accepts a Splice: every later byte on the stream is the client's.
type SpliceOK struct{}

// Codes of a SpliceError.
const (
	// CodeNotHere: no session of that id holds the tunnel at that generation here. Sent
	// before any byte reached a client, so the ingress node may look the tunnel up again
	// and retry once.
	CodeNotHere = "not_here"
	// CodeBusy: the holder runs its maximum of splices for this peer (or the session
	// refused another stream).
	CodeBusy = "busy"
)

// SpliceError refuses a Splice.
type SpliceError struct {
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
}

// Errors of the peer link. Every error this package returns wraps one of them.
var (
	ErrBadFrame    = errors.New("peer: malformed frame")
	ErrNotHere     = errors.New("peer: tunnel not here")
	ErrBusy        = errors.New("peer: busy")
	ErrRefused     = errors.New("peer: handshake refused")
	ErrBadMAC      = errors.New("peer: bad handshake mac")
	ErrHandshake   = errors.New("peer: handshake failed")
	ErrSuspect     = errors.New("peer: suspect after a failed dial")
	ErrClosed      = errors.New("peer: closed")
	ErrLinkLost    = errors.New("peer: link lost")
	ErrUnreachable = errors.New("peer: unreachable")
)

func (e *SpliceError) Error() string { return fmt.Sprintf("splice refused: %s: %s", e.Code, e.Message) }

// Unwrap maps the code to ErrNotHere or ErrBusy.
func (e *SpliceError) Unwrap() error {
	if e.Code == CodeBusy {
		return ErrBusy
	}
	return ErrNotHere
}

// writeFrame writes one frame.
func writeFrame(w io.Writer, t proto.FrameType, v any) error {
	if err := proto.WriteFrame(w, t, v); err != nil {
		return fmt.Errorf("peer: %w", err)
	}
	return nil
}

// readFrame reads one frame of type want into v, refusing payloads over MaxFrameSize.
// It reads exactly the frame's bytes, never past it.
func readFrame(r io.Reader, want proto.FrameType, v any) error {
	t, payload, err := readRaw(r)
	if err != nil {
		return err
	}
	if t != want {
		return fmt.Errorf("%w: got %s, want %s", ErrBadFrame, t, want)
	}
	return decode(payload, v)
}

// readRaw reads one frame of at most MaxFrameSize.
func readRaw(r io.Reader) (proto.FrameType, []byte, error) {
	t, payload, err := proto.ReadFrame(io.LimitReader(r, 5+MaxFrameSize))
	if err != nil {
		if errors.Is(err, proto.ErrFrameTooLarge) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil, fmt.Errorf("%w: %v", ErrBadFrame, err)
		}
		return 0, nil, fmt.Errorf("peer: %w", err)
	}
	if len(payload) > MaxFrameSize {
		return 0, nil, fmt.Errorf("%w: %d bytes", ErrBadFrame, len(payload))
	}
	return t, payload, nil
}

func decode(payload []byte, v any) error {
	if err := json.Unmarshal(payload, v); err != nil {
		return fmt.Errorf("%w: %v", ErrBadFrame, err)
	}
	return nil
}

// ReadSplice reads and validates the Splice frame that starts a stream.
func ReadSplice(r io.Reader) (Splice, error) {
	var s Splice
	if err := readFrame(r, FrameSplice, &s); err != nil {
		return Splice{}, fmt.Errorf("read splice: %w", err)
	}
	if err := s.Validate(); err != nil {
		return Splice{}, fmt.Errorf("read splice: %w", err)
	}
	return s, nil
}

// Validate checks a Splice's fields: a tunnel name of DNS label characters, a positive
// generation, and ids of 1 to MaxIDLen printable ASCII characters.
func (s Splice) Validate() error {
	switch {
	case !label(s.Tunnel):
		return fmt.Errorf("%w: tunnel %q", ErrBadFrame, s.Tunnel)
	case s.Generation <= 0:
		return fmt.Errorf("%w: generation %d", ErrBadFrame, s.Generation)
	case !printable(s.DeliveryID):
		return fmt.Errorf("%w: delivery id %q", ErrBadFrame, s.DeliveryID)
	case !printable(s.Client):
		return fmt.Errorf("%w: client %q", ErrBadFrame, s.Client)
	}
	return nil
}

// readAnswer reads a SpliceOK or a SpliceError.
func readAnswer(r io.Reader) error {
	t, payload, err := readRaw(r)
	if err != nil {
		return err
	}
	switch t {
	case FrameSpliceOK:
		return decode(payload, &SpliceOK{})
	case FrameSpliceError:
		e := new(SpliceError)
		if err := decode(payload, e); err != nil {
			return err
		}
		return e
	}
	return fmt.Errorf("%w: got %s after a splice", ErrBadFrame, t)
}

// label reports whether s is 1 to proto.MaxNameLen characters of [a-z0-9-]. Reserved
// names and the other rules of proto.ValidName are the ingress node's business.
func label(s string) bool {
	if len(s) == 0 || len(s) > proto.MaxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// printable reports whether s is 1 to MaxIDLen characters of printable ASCII, no space.
func printable(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
