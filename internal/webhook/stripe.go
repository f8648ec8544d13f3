package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

const stripeHeader = "Stripe-Signature"

// stripeScheme verifies Stripe-Signature: "t=<unix>,v1=<hex>[,v1=<hex>...]",
// each v1 a hex HMAC-SHA256 of "<t>.<body>". Several v1 entries appear
// while Stripe rolls an endpoint secret; any one may match. Other schemes
// (v0, test-mode) are ignored.
type stripeScheme struct {
	described
	key       secret // dangerous: the endpoint secret (whsec_...), used verbatim
	tolerance time.Duration
	eventID   eventIDFunc
}

// stripeHeaderFields is a parsed Stripe-Signature header.
type stripeHeaderFields struct {
	t      string   // timestamp text as sent; it is what was signed
	v1     [][]byte // decodable v1 signatures
	sawV1  bool
	reason string // failure found while parsing, or ""
}

// newStripe builds the Stripe scheme from an endpoint secret. The secret
// is used as given (including its "whsec_" prefix), as Stripe does.
func newStripe(endpointSecret string) (Scheme, error) {
	if endpointSecret == "" {
		return nil, specError("missing secret")
	}
	return &stripeScheme{
		described: described{spec: "stripe:" + redacted},
		key:       newSecret([]byte(endpointSecret)),
		tolerance: defaultTolerance,
		eventID:   idFromField("id"),
	}, nil
}

// Provider returns "stripe".
func (s *stripeScheme) Provider() string { return "stripe" }

// EventID returns the event's top-level "id" (evt_...), or "".
func (s *stripeScheme) EventID(h http.Header, body []byte) string {
	return s.eventID(h, body)
}

// Verify checks that some v1 signature matches and t is within 5 minutes.
func (s *stripeScheme) Verify(h http.Header, body []byte, now time.Time) Verdict {
	value := headerValue(h, stripeHeader)
	if value == "" {
		return fail("stripe", ReasonMissingHeader)
	}
	p := parseStripeHeader(value)
	if p.reason != "" {
		return fail("stripe", p.reason)
	}
	unix, ok := parseUnix(p.t)
	if !ok {
		return fail("stripe", ReasonBadTimestamp)
	}
	if !anyEqual(p.v1, s.mac(p.t, body)) {
		return fail("stripe", ReasonBadSignature)
	}
	if !withinTolerance(unix, now, s.tolerance) {
		return fail("stripe", ReasonTimestampTooOld)
	}
	return pass("stripe")
}

// parseStripeHeader reads the comma-separated k=v list. Undecodable v1
// values are skipped, so they count as non-matching rather than malformed.
func parseStripeHeader(value string) stripeHeaderFields {
	var p stripeHeaderFields
	for item := range strings.SplitSeq(value, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		switch {
		case !ok || (k == "t" && p.t != ""):
			return stripeHeaderFields{reason: ReasonMalformedHeader}
		case k == "t":
			p.t = v
		case k == "v1":
			p.sawV1 = true
			if sig, err := hex.DecodeString(v); err == nil {
				p.v1 = append(p.v1, sig)
			}
		}
	}
	if p.t == "" || !p.sawV1 {
		p.reason = ReasonMalformedHeader
	}
	return p
}

// anyEqual reports whether any candidate equals want, in constant time per
// candidate.
func anyEqual(candidates [][]byte, want []byte) bool {
	found := false
	for _, c := range candidates {
		found = hmac.Equal(c, want) || found
	}
	return found
}

func (s *stripeScheme) mac(t string, body []byte) []byte {
	m := hmac.New(sha256.New, s.key())
	m.Write([]byte(t + "."))
	m.Write(body)
	return m.Sum(nil)
}

// Sign sets Stripe-Signature with the current time and one v1 signature.
func (s *stripeScheme) Sign(h http.Header, body []byte, now time.Time, _ string) error {
	if err := requireHeader(h); err != nil {
		return err
	}
	t := unixString(now)
	h.Set(stripeHeader, "t="+t+",v1="+hex.EncodeToString(s.mac(t, body)))
	return nil
}
