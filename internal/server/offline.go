package server

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/proto"
)

// offline applies the tunnel's offline policy to a request that arrived while no client
// was connected. Either way the request, body included, is recorded first. Unlike the
// live path there is no tunnel slot to take: the body is read whole, into the record,
// under the server's in-flight budget only, and nothing is forwarded.
func (s *Server) offline(w http.ResponseWriter, r *http.Request, d *delivery, cfg tunnelConfig) {
	if d.rec == nil { // nothing to keep it in: answered as an unknown name would be
		writeError(w, proto.CodeTunnelOffline, errorMessage(proto.CodeTunnelOffline, d.tunnel.name), s.publicID(r, d))
		return
	}
	if code, wait := s.overQuota(d); code != "" {
		s.shed(w, d, code, wait)
		return
	}
	n := reserveOf(r)
	if !s.inflight.take(n) {
		s.shed(w, d, proto.CodeOverloaded, overloadRetry)
		return
	}
	defer s.inflight.give(n)
	// A rejected request keeps its metadata but only the start of its body: an offline
	// tunnel must not be a free place to store data.
	keep := s.cfg.RecordCap
	if cfg.offline != proto.OfflineQueue {
		keep = min(keep, s.cfg.RejectRecordCap)
	}
	body, err := s.readBody(r, keep)
	if err != nil {
		s.failRecord(w, d, err)
		return
	}
	d.rec.Body = body
	if !body.Truncated {
		s.verifySignature(r, d, cfg, body.Data)
	}
	if d.code == proto.CodeSignatureInvalid {
		s.refuse(w, d, d.code)
		return
	}
	s.quotas.add(d, int64(len(body.Data)), s.cfg.Now())
	// Only a whole body can be delivered later byte for byte; one over the record cap
	// is refused even on a queue tunnel, its record keeping what fitted.
	if cfg.offline != proto.OfflineQueue || body.Truncated {
		s.refuseOffline(w, r, d)
		return
	}
	// Queued: the record is the queue. The sender hears 202 only once it is durable;
	// from then on the relay owes the app this delivery (see deliverQueued).
	d.rec.Outcome = store.OutcomeQueued
	if err := s.cfg.Store.Insert(context.WithoutCancel(r.Context()), d.rec); err != nil {
		s.storeFailed(w, err, d.id)
		return
	}
	s.hub.publish(d.rec)
	writeQueued(w, d, cfg.queueStatus)
	s.cfg.Observer.Delivery(d.tunnel.name, http.StatusAccepted, "", s.cfg.Now().Sub(d.start), body.Size, 0)
}

type queuedBody struct {
	ID      string `json:"id"`
	Tunnel  string `json:"tunnel"`
	Queued  bool   `json:"queued"`
	Message string `json:"message"`
}

func writeQueued(w http.ResponseWriter, d *delivery, status int) {
	if status == 0 {
		status = http.StatusAccepted
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(proto.HeaderRequestID, d.id)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(queuedBody{ID: d.id, Tunnel: d.tunnel.name, Queued: true,
		Message: "recorded; will be delivered when the tunnel's client reconnects"})
}
