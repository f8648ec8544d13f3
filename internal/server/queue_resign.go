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
//
// The verdict sent with a queued delivery is made when it is delivered, over the headers
// the app gets, never the one of its arrival passed on as if fresh: "stripe; ok" after a
// re-sign, "stripe; failed=timestamp_too_old" for a stale signature the relay could not
// renew. When the tunnel no longer verifies, no verdict is sent (the record keeps the
// one of its arrival).

// farFuture is how far ahead a verdict is taken to tell a timestamped scheme: its
// verdict on the same bytes changes with the clock, and no tolerance is this long.
const farFuture = 100 * 365 * 24 * time.Hour

// restamp re-signs a queued delivery where the rules above allow, and sets its verdict.
func (s *Server) restamp(req *http.Request, d *delivery, cfg tunnelConfig) {
	v := d.rec.Verification
	if v == nil || cfg.verify == nil || d.rec.Body.Truncated {
		return
	}
	now := s.cfg.Now()
	body := d.rec.Body.Data
	if v.OK && timestamped(cfg.verify.set, req.Header, body, now) {
		s.resignQueued(req, d, cfg.verify.set, now)
	}
	d.verdict = cfg.verify.set.Verify(req.Header, body, now).String()
}

// resignQueued signs req afresh, keeping a Standard Webhooks message id.
func (s *Server) resignQueued(req *http.Request, d *delivery, set *webhook.Set, now time.Time) {
	id := req.Header.Get("Webhook-Id")
	if id == "" {
		id = req.Header.Get("Svix-Id")
	}
	if err := set.Sign(req.Header, d.rec.Body.Data, now, id); err != nil {
		s.log.Warn("re-sign queued delivery", "id", d.id, "err", err)
		return
	}
	if fresh := set.Verify(req.Header, d.rec.Body.Data, now); fresh.OK {
		d.rec.Resigned, d.resigned = true, fresh.Provider
	}
}

// timestamped reports whether the set verifies this delivery now but not far in the
// future: its signature carries a timestamp that will go stale.
func timestamped(set *webhook.Set, h http.Header, body []byte, now time.Time) bool {
	late := set.Verify(h, body, now.Add(farFuture))
	return !late.OK && late.Reason == webhook.ReasonTimestampTooOld
}
