package server

import (
	"net/http"
	"time"

	"github.com/hookrelay/hookrelay/internal/webhook"
)

// Queued deliveries of timestamped signatures. A queued delivery reaches the app minutes
// or hours after it was signed, when a timestamped signature (Stripe, Slack, Standard
// Webhooks, an hmac: spec with ts-header) is past the app's tolerance. When the tunnel
// holds the secret, and the relay verified the delivery when it arrived, the delivery is
// re-signed as it leaves the queue: a fresh timestamp and signature over the same body
// (Standard Webhooks keeps its message id), X-Hookrelay-Resigned names the provider and
// the record says Resigned. A delivery that did not verify on arrival is never re-signed.
// The verdict sent with any queued delivery says when it was made:
// X-Hookrelay-Verified: stripe; ok; checked=2026-01-02T15:04:05Z.

// farFuture is how far ahead a verdict is taken to tell a timestamped scheme: its
// verdict on the same bytes changes with the clock, and no tolerance is this long.
const farFuture = 100 * 365 * 24 * time.Hour

// restamp sets a queued delivery's verdict header and, where the rules above allow,
// re-signs req.
func (s *Server) restamp(req *http.Request, d *delivery, cfg tunnelConfig) {
	v := d.rec.Verification
	if v == nil {
		return
	}
	d.verdict = verdictString(v) + "; checked=" + d.rec.ReceivedAt.UTC().Format(time.RFC3339)
	if !v.OK || cfg.verify == nil || d.rec.Body.Truncated {
		return
	}
	now := s.cfg.Now()
	body := d.rec.Body.Data
	if !timestamped(cfg.verify.set, req.Header, body, now) {
		return
	}
	id := req.Header.Get("Webhook-Id")
	if id == "" {
		id = req.Header.Get("Svix-Id")
	}
	if err := cfg.verify.set.Sign(req.Header, body, now, id); err != nil {
		s.log.Warn("re-sign queued delivery", "id", d.id, "err", err)
		return
	}
	fresh := cfg.verify.set.Verify(req.Header, body, now)
	d.rec.Resigned = fresh.OK
	if fresh.OK {
		d.resigned = fresh.Provider
	}
}

// timestamped reports whether the set verifies this delivery now but not far in the
// future: its signature carries a timestamp that will go stale.
func timestamped(set *webhook.Set, h http.Header, body []byte, now time.Time) bool {
	late := set.Verify(h, body, now.Add(farFuture))
	return !late.OK && late.Reason == webhook.ReasonTimestampTooOld
}
