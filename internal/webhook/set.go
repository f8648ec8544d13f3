package webhook

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Set is a tunnel's verifier list. Several entries of the same provider
// mean secret rotation: any of them may match. A nil or empty Set is
// disabled. A Set is immutable and safe for concurrent use.
type Set struct {
	schemes []Scheme
}

// NewSet returns a Set of the given schemes, in order; nil schemes are
// dropped.
func NewSet(schemes ...Scheme) *Set {
	s := &Set{}
	for _, sc := range schemes {
		if sc != nil {
			s.schemes = append(s.schemes, sc)
		}
	}
	return s
}

// Enabled reports whether the set has any scheme.
func (s *Set) Enabled() bool {
	return s != nil && len(s.schemes) > 0
}

// Schemes returns a copy of the set's schemes.
func (s *Set) Schemes() []Scheme {
	if s == nil {
		return nil
	}
	return slices.Clone(s.schemes)
}

// Verify returns the first OK verdict, else the most informative failure:
// the one that got furthest (timestamp_too_old > bad_signature >
// bad_timestamp > malformed_header > missing_header), the earliest scheme
// winning ties. A disabled set returns the zero Verdict.
func (s *Set) Verify(h http.Header, body []byte, now time.Time) Verdict {
	if !s.Enabled() {
		return Verdict{}
	}
	var best Verdict
	for i, sc := range s.schemes {
		v := sc.Verify(h, body, now)
		if v.OK {
			return v
		}
		if i == 0 || moreInformative(v, best) {
			best = v
		}
	}
	return best
}

// Sign signs with the first scheme; it fails with ErrNoScheme when the
// set is disabled.
func (s *Set) Sign(h http.Header, body []byte, now time.Time, id string) error {
	if !s.Enabled() {
		return fmt.Errorf("sign: %w", ErrNoScheme)
	}
	return s.schemes[0].Sign(h, body, now, id)
}

// SignAs signs h and body (an edited or replayed delivery) with the scheme whose
// signature matched the original delivery (origH, origBody), even if its timestamp
// has since expired; with none matching, with the first scheme, as [Set.Sign]. During
// secret rotation a re-signed delivery therefore carries the secret the sender used.
func (s *Set) SignAs(h http.Header, body []byte, now time.Time, origH http.Header, origBody []byte) error {
	if !s.Enabled() {
		return fmt.Errorf("sign: %w", ErrNoScheme)
	}
	return s.matching(origH, origBody, now).Sign(h, body, now, "")
}

// matching returns the first scheme whose signature matches the delivery, whatever
// its age, else the first scheme.
func (s *Set) matching(h http.Header, body []byte, now time.Time) Scheme {
	for _, sc := range s.schemes {
		if v := sc.Verify(h, body, now); v.OK || v.Reason == ReasonTimestampTooOld {
			return sc
		}
	}
	return s.schemes[0]
}

// EventID returns the first non-empty event id any scheme finds, or "".
func (s *Set) EventID(h http.Header, body []byte) string {
	for _, sc := range s.Schemes() {
		if id := sc.EventID(h, body); id != "" {
			return id
		}
	}
	return ""
}

// String lists the schemes' redacted specs, space-separated.
func (s *Set) String() string {
	specs := make([]string, 0, len(s.Schemes()))
	for _, sc := range s.Schemes() {
		specs = append(specs, Spec(sc))
	}
	return strings.Join(specs, " ")
}

// GoString renders the set with redacted specs.
func (s *Set) GoString() string {
	return "webhook.Set(" + strconv.Quote(s.String()) + ")"
}

// Format implements fmt.Formatter so that no verb prints raw fields.
func (s *Set) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, s.String(), s.GoString())
}
