package webhook

import (
	"errors"
	"fmt"
	"strings"
)

// HeaderVerified is the request header in which the relay tells the local
// app the outcome of verification, rendered by [Verdict.String].
const HeaderVerified = "X-Hookrelay-Verified"

// Reasons a verification fails, as short machine codes.
const (
	// ReasonMissingHeader: a header the scheme needs is absent or empty.
	ReasonMissingHeader = "missing_header"
	// ReasonMalformedHeader: the signature header cannot be decoded.
	ReasonMalformedHeader = "malformed_header"
	// ReasonBadTimestamp: the timestamp header is not a Unix time.
	ReasonBadTimestamp = "bad_timestamp"
	// ReasonBadSignature: the signature or token does not match.
	ReasonBadSignature = "bad_signature"
	// ReasonTimestampTooOld: the signature matches but the timestamp is
	// outside the tolerance, in the past or in the future.
	ReasonTimestampTooOld = "timestamp_too_old"
)

// ErrBadVerdict reports a header value that [ParseVerdict] cannot read.
var ErrBadVerdict = errors.New("webhook: malformed verdict")

// progress orders the reasons by how far verification got before failing,
// which is how a [Set] picks its most informative failure.
var progress = map[string]int{
	ReasonMissingHeader:   1,
	ReasonMalformedHeader: 2,
	ReasonBadTimestamp:    3,
	ReasonBadSignature:    4,
	ReasonTimestampTooOld: 5,
}

// Verdict is the outcome of verifying one delivery.
// JSON: {"provider","ok","reason"}. The zero Verdict means "not verified".
type Verdict struct {
	// Provider names the scheme that produced the verdict, e.g. "github".
	Provider string `json:"provider"`
	// OK is true when the delivery is authentic.
	OK bool `json:"ok"`
	// Reason is one of the Reason constants when OK is false.
	Reason string `json:"reason,omitempty"`
}

func pass(provider string) Verdict {
	return Verdict{Provider: provider, OK: true}
}

func fail(provider, reason string) Verdict {
	return Verdict{Provider: provider, Reason: reason}
}

// String renders the X-Hookrelay-Verified header value: "<provider>; ok" or
// "<provider>; failed=<reason>". The zero Verdict renders as "".
func (v Verdict) String() string {
	switch {
	case v == Verdict{}:
		return ""
	case v.OK:
		return v.Provider + "; ok"
	default:
		return v.Provider + "; failed=" + v.Reason
	}
}

// ParseVerdict reads a header value produced by [Verdict.String].
// The empty string yields the zero Verdict.
func ParseVerdict(s string) (Verdict, error) {
	if s == "" {
		return Verdict{}, nil
	}
	provider, rest, found := strings.Cut(s, ";")
	rest = strings.TrimSpace(rest)
	if !found || strings.TrimSpace(provider) != provider {
		return Verdict{}, fmt.Errorf("parse verdict: %w", ErrBadVerdict)
	}
	if rest == "ok" {
		return pass(provider), nil
	}
	reason, ok := strings.CutPrefix(rest, "failed=")
	if !ok || reason == "" || strings.ContainsAny(reason, "; ") {
		return Verdict{}, fmt.Errorf("parse verdict: %w", ErrBadVerdict)
	}
	return fail(provider, reason), nil
}

// moreInformative reports whether failure a got further than failure b.
func moreInformative(a, b Verdict) bool {
	return progress[a.Reason] > progress[b.Reason]
}
