package webhook

import (
	"net/http"
	"strings"
	"time"
)

// DefaultTolerance is how far from now the timestamp of a Stripe, Slack or
// Standard Webhooks signature may lie: the five minutes all three document.
const DefaultTolerance = defaultTolerance

// stampHeaders are the headers carrying the signed timestamp of the known
// timestamped schemes, with how to read the Unix seconds from each.
var stampHeaders = []struct {
	name string
	unix func(value string) string
}{
	{stripeHeader, stripeT},
	{"X-Slack-Request-Timestamp", plain},
	{"Webhook-Timestamp", plain},
	{"Svix-Timestamp", plain},
}

// SignedAt returns the time a timestamped signature (Stripe, Slack, Standard
// Webhooks / Svix) says the delivery was signed, and the header it came
// from; ok is false when the delivery carries none or it cannot be read.
// Receivers judge staleness by this time, not by when the relay got the
// delivery.
func SignedAt(h http.Header) (header string, at time.Time, ok bool) {
	for _, s := range stampHeaders {
		v := headerValue(h, s.name)
		if v == "" {
			continue
		}
		if unix, ok := parseUnix(s.unix(v)); ok {
			return s.name, time.Unix(unix, 0), true
		}
	}
	return "", time.Time{}, false
}

func plain(v string) string { return v }

// stripeT reads t= from a Stripe-Signature value.
func stripeT(v string) string {
	for item := range strings.SplitSeq(v, ",") {
		if t, ok := strings.CutPrefix(strings.TrimSpace(item), "t="); ok {
			return t
		}
	}
	return ""
}
