package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// standardHeaders names the three headers of one Standard Webhooks dialect.
type standardHeaders struct {
	id, timestamp, signature string
}

// standardDialects are tried in order: the standard names, then Svix's.
var standardDialects = []standardHeaders{
	{id: "Webhook-Id", timestamp: "Webhook-Timestamp", signature: "Webhook-Signature"},
	{id: "Svix-Id", timestamp: "Svix-Timestamp", signature: "Svix-Signature"},
}

// standardScheme verifies Standard Webhooks (and Svix): webhook-signature
// holds a space-separated list of "v1,<base64 HMAC-SHA256>" over
// "<webhook-id>.<webhook-timestamp>.<body>"; any v1 entry may match.
// Other versions (v1a asymmetric signatures) are ignored.
type standardScheme struct {
	described
	key       secret // dangerous: the decoded whsec_ secret
	tolerance time.Duration
}

// newStandardWebhooks builds the scheme from a "whsec_<base64>" secret;
// the decoded bytes are the HMAC key. The prefix is optional.
func newStandardWebhooks(whsec string) (Scheme, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(whsec, "whsec_"))
	if err != nil || len(key) == 0 {
		return nil, specError("secret: want whsec_ followed by base64")
	}
	return &standardScheme{
		described: described{spec: "standardwebhooks:" + redacted},
		key:       newSecret(key),
		tolerance: defaultTolerance,
	}, nil
}

// Provider returns "standardwebhooks".
func (s *standardScheme) Provider() string { return "standardwebhooks" }

// EventID returns webhook-id (or svix-id), or "".
func (s *standardScheme) EventID(h http.Header, _ []byte) string {
	for _, d := range standardDialects {
		if id := headerValue(h, d.id); id != "" {
			return id
		}
	}
	return ""
}

// Verify checks the id, timestamp and signature headers of the dialect
// whose signature header is present.
func (s *standardScheme) Verify(h http.Header, body []byte, now time.Time) Verdict {
	const name = "standardwebhooks"
	id, ts, sig := standardValues(h)
	if id == "" || ts == "" || sig == "" {
		return fail(name, ReasonMissingHeader)
	}
	sigs, ok := parseStandardSignatures(sig)
	if !ok {
		return fail(name, ReasonMalformedHeader)
	}
	unix, ok := parseUnix(ts)
	if !ok {
		return fail(name, ReasonBadTimestamp)
	}
	if !anyEqual(sigs, s.mac(id, ts, body)) {
		return fail(name, ReasonBadSignature)
	}
	if !withinTolerance(unix, now, s.tolerance) {
		return fail(name, ReasonTimestampTooOld)
	}
	return pass(name)
}

// standardValues reads the dialect whose signature header is present,
// defaulting to the standard names.
func standardValues(h http.Header) (id, ts, sig string) {
	d := standardDialects[0]
	for _, cand := range standardDialects {
		if headerValue(h, cand.signature) != "" {
			d = cand
			break
		}
	}
	return headerValue(h, d.id), headerValue(h, d.timestamp), headerValue(h, d.signature)
}

// parseStandardSignatures decodes the v1 entries. It fails only when no
// entry is v1 at all; undecodable v1 entries count as non-matching.
func parseStandardSignatures(value string) ([][]byte, bool) {
	var sigs [][]byte
	sawV1 := false
	for _, entry := range strings.Fields(value) {
		version, b64, _ := strings.Cut(entry, ",")
		if version != "v1" {
			continue
		}
		sawV1 = true
		if sig, err := base64.StdEncoding.DecodeString(b64); err == nil {
			sigs = append(sigs, sig)
		}
	}
	return sigs, sawV1
}

func (s *standardScheme) mac(id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, s.key())
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	return m.Sum(nil)
}

// Sign sets the id (id, or a fresh "msg_..." when id is ""), timestamp
// and signature headers of every dialect the delivery already carries, or
// the standard webhook-* names when it carries none. A re-signed Svix
// delivery therefore gets fresh svix-* headers: Svix's own library reads
// svix-* before webhook-*, so stale ones left beside fresh webhook-* would
// fail its check.
func (s *standardScheme) Sign(h http.Header, body []byte, now time.Time, id string) error {
	if err := requireHeader(h); err != nil {
		return err
	}
	if id == "" {
		id = newMessageID()
	}
	ts := unixString(now)
	sig := "v1," + base64.StdEncoding.EncodeToString(s.mac(id, ts, body))
	for _, d := range dialectsIn(h) {
		d.set(h, id, ts, sig)
	}
	return nil
}

// dialectsIn lists the dialects with any header present in h, or the
// standard one alone when none is.
func dialectsIn(h http.Header) []standardHeaders {
	var in []standardHeaders
	for _, d := range standardDialects {
		if d.presentIn(h) {
			in = append(in, d)
		}
	}
	if len(in) == 0 {
		in = standardDialects[:1]
	}
	return in
}

func (d standardHeaders) presentIn(h http.Header) bool {
	for k := range h {
		if strings.EqualFold(k, d.id) || strings.EqualFold(k, d.timestamp) || strings.EqualFold(k, d.signature) {
			return true
		}
	}
	return false
}

// set replaces the dialect's three headers, whatever the case of their
// names in h, so that no stale value stays behind.
func (d standardHeaders) set(h http.Header, id, ts, sig string) {
	for name, v := range map[string]string{d.id: id, d.timestamp: ts, d.signature: sig} {
		delFold(h, name)
		h.Set(name, v)
	}
}

// delFold deletes every key of h equal to name ignoring case: recorded
// header maps need not be canonical.
func delFold(h http.Header, name string) {
	for k := range h {
		if strings.EqualFold(k, name) {
			delete(h, k)
		}
	}
}
