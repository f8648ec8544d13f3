package webhook

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"net/http"
	"strings"
	"time"
)

// algorithms maps the alg= names to hash constructors.
var algorithms = map[string]func() hash.Hash{
	"sha1":   sha1.New,
	"sha256": sha256.New,
	"sha512": sha512.New,
}

// encodings maps the enc= names to MAC text encodings.
var encodings = map[string]macEncoding{
	"hex":    {encode: hex.EncodeToString, decode: hex.DecodeString},
	"base64": {encode: base64.StdEncoding.EncodeToString, decode: base64.StdEncoding.DecodeString},
}

// macEncoding turns MAC bytes into header text and back.
type macEncoding struct {
	encode func([]byte) string
	decode func(string) ([]byte, error)
}

// hmacScheme is an HMAC carried in one header, optionally over a template
// that mixes in a timestamp header and an id header. Most providers are a
// fixed configuration of it; "hmac:" specs configure it freely.
type hmacScheme struct {
	described
	provider  string
	key       secret // dangerous: the shared secret
	newHash   func() hash.Hash
	enc       macEncoding
	sigHeader string
	prefix    string
	payload   template
	tsHeader  string        // "" when the scheme has no timestamp
	tolerance time.Duration // used only with tsHeader
	idHeader  string        // "" when no header carries the event id
	eventID   eventIDFunc
}

// Provider returns the provider name, or "hmac" for a generic spec.
func (s *hmacScheme) Provider() string { return s.provider }

// EventID returns the sender's event id, or "".
func (s *hmacScheme) EventID(h http.Header, body []byte) string {
	return s.eventID(h, body)
}

// Verify checks the signature header against an HMAC of the raw body (or
// of the payload template), then the timestamp tolerance.
func (s *hmacScheme) Verify(h http.Header, body []byte, now time.Time) Verdict {
	sig, ts, id, reason := s.inputs(h)
	if reason != "" {
		return fail(s.provider, reason)
	}
	got, ok := s.decode(sig)
	if !ok {
		return fail(s.provider, ReasonMalformedHeader)
	}
	unix, ok := parseUnix(ts)
	if s.tsHeader != "" && !ok {
		return fail(s.provider, ReasonBadTimestamp)
	}
	if !hmac.Equal(got, s.mac(body, ts, id)) {
		return fail(s.provider, ReasonBadSignature)
	}
	if s.tsHeader != "" && !withinTolerance(unix, now, s.tolerance) {
		return fail(s.provider, ReasonTimestampTooOld)
	}
	return pass(s.provider)
}

// inputs collects the header values the scheme needs, or a missing_header
// reason.
func (s *hmacScheme) inputs(h http.Header) (sig, ts, id, reason string) {
	sig = headerValue(h, s.sigHeader)
	if s.tsHeader != "" {
		ts = headerValue(h, s.tsHeader)
	}
	if s.payload.usesID {
		id = headerValue(h, s.idHeader)
	}
	if sig == "" || (s.tsHeader != "" && ts == "") || (s.payload.usesID && id == "") {
		return "", "", "", ReasonMissingHeader
	}
	return sig, ts, id, ""
}

// decode strips the prefix (case-insensitively) and decodes the MAC. A MAC
// of the wrong length counts as undecodable.
func (s *hmacScheme) decode(sig string) ([]byte, bool) {
	if len(sig) < len(s.prefix) || !strings.EqualFold(sig[:len(s.prefix)], s.prefix) {
		return nil, false
	}
	mac, err := s.enc.decode(sig[len(s.prefix):])
	if err != nil || len(mac) != s.newHash().Size() {
		return nil, false
	}
	return mac, true
}

// mac computes the HMAC of the payload template without concatenating it.
func (s *hmacScheme) mac(body []byte, ts, id string) []byte {
	m := hmac.New(s.newHash, s.key())
	s.payload.write(m, body, ts, id)
	return m.Sum(nil)
}

// Sign sets the timestamp header (if any), the id header (when id is given,
// or generated when the template signs an id), and the signature header.
func (s *hmacScheme) Sign(h http.Header, body []byte, now time.Time, id string) error {
	if err := requireHeader(h); err != nil {
		return err
	}
	ts := ""
	if s.tsHeader != "" {
		ts = unixString(now)
		h.Set(s.tsHeader, ts)
	}
	if id = s.signingID(h, id); id != "" {
		h.Set(s.idHeader, id)
	}
	h.Set(s.sigHeader, s.prefix+s.enc.encode(s.mac(body, ts, id)))
	return nil
}

// signingID picks the id to send: the caller's, else for templates that
// sign an id the one already in h or a fresh one.
func (s *hmacScheme) signingID(h http.Header, id string) string {
	switch {
	case s.idHeader == "":
		return ""
	case id != "" || !s.payload.usesID:
		return id
	case headerValue(h, s.idHeader) != "":
		return headerValue(h, s.idHeader)
	default:
		return newMessageID()
	}
}
