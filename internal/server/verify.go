package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/webhook"
	"github.com/hookrelay/hookrelay/proto"
)

// Verification modes of a tunnel.
const (
	VerifyOff     = "off"
	VerifyFlag    = "flag"    // forward, record the verdict, add X-Hookrelay-Verified
	VerifyEnforce = "enforce" // as flag, but answer 401 instead of forwarding a failure
)

// verifier is a tunnel's signature check.
type verifier struct {
	set  *webhook.Set
	mode string
}

// newVerifier parses a client's --verify specs; nil when verification is off.
func newVerifier(specs []string, mode string) (*verifier, error) {
	if mode == "" {
		mode = VerifyFlag
	}
	if mode != VerifyOff && mode != VerifyFlag && mode != VerifyEnforce {
		return nil, fmt.Errorf("verify mode %q: want off, flag or enforce", mode)
	}
	if len(specs) == 0 || mode == VerifyOff {
		return nil, nil
	}
	schemes := make([]webhook.Scheme, 0, len(specs))
	for _, spec := range specs {
		sc, err := webhook.Parse(spec)
		if err != nil {
			return nil, fmt.Errorf("verify: %w", err) // webhook errors never carry secrets
		}
		schemes = append(schemes, sc)
	}
	return &verifier{set: webhook.NewSet(schemes...), mode: mode}, nil
}

// verifySignature verifies a delivery's webhook signature on its exact bytes and, when
// it verified, looks for a duplicate event id. body is nil when it was too large to
// hold. In enforce mode a failure marks the delivery rejected, recorded but not
// forwarded.
func (s *Server) verifySignature(r *http.Request, d *delivery, cfg tunnelConfig, body []byte) {
	if cfg.verify == nil {
		return
	}
	v := webhook.Verdict{Provider: "none", Reason: "body_too_large"}
	if body != nil || r.ContentLength == 0 {
		v = cfg.verify.set.Verify(r.Header, body, s.cfg.Now())
	}
	d.verdict = v.String()
	if d.rec != nil {
		d.rec.Verification = &store.Verification{Provider: v.Provider, OK: v.OK, Reason: v.Reason}
		if v.OK {
			s.markDuplicate(r.Context(), d, cfg.verify.set.EventID(r.Header, body))
		}
	}
	if !v.OK && cfg.verify.mode == VerifyEnforce {
		d.code = proto.CodeSignatureInvalid
		if d.rec != nil {
			d.rec.Status, d.rec.ErrorCode, d.rec.Outcome = d.code.Status(), string(d.code), store.OutcomeRejected
		}
	}
}

// markDuplicate records the event id of a verified delivery, marking it duplicate when
// a verified delivery already claimed the id. Only verified deliveries record an id, so
// a forged delivery can never make the genuine one that follows look like a duplicate.
// Only the record owner's records count: an earlier holder of a released name neither
// makes the new holder's deliveries duplicates nor reveals which events it received.
func (s *Server) markDuplicate(ctx context.Context, d *delivery, eventID string) {
	if eventID == "" {
		return
	}
	d.rec.EventID = eventID
	seen, err := s.cfg.Store.SeenEvent(ctx, d.rec.Owner, d.tunnel.name, eventID, 0)
	if err == nil && seen && d.origin != fromReplay {
		d.rec.Duplicate = true
	}
}

// resign recomputes the tunnel's webhook signature over a replay's (possibly edited)
// body, with a fresh timestamp and id where the scheme has them. During secret rotation
// it signs with the secret that verified the original delivery.
func (s *Server) resign(t *tunnel, req *http.Request, edit *api.Edit, orig *store.Record) error {
	if edit == nil || !edit.Resign {
		return nil
	}
	v := t.config().verify
	if v == nil {
		return &proto.Error{Code: proto.CodeBadRequest,
			Message: "tunnel " + t.name + " has no webhook secret to re-sign with (connect with --verify PROVIDER:SECRET)"}
	}
	body, _ := prebufferAll(req)
	if err := v.set.SignAs(req.Header, body, s.cfg.Now(), headerMap(orig.Headers), orig.Body.Data); err != nil {
		return &proto.Error{Code: proto.CodeBadRequest, Message: "re-sign: " + err.Error()}
	}
	return nil
}

// prebufferAll returns a replay request's in-memory body, leaving it readable.
func prebufferAll(req *http.Request) ([]byte, error) {
	body, _, err := prebuffer(req, req.ContentLength)
	return body, err
}
