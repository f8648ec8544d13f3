package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/webhook/handshake"
	"github.com/hookrelay/hookrelay/proto"
)

// configHandshake is a tunnel's handshake: list from the server config, parsed and built
// once, at startup, so that a bad one stops the server.
type configHandshake struct {
	config handshake.Config
	answer *handshake.Responder // the config's kinds alone, for a tunnel without a client's
}

// configHandshakes parses the handshake: lists of the server config's tunnels.
func configHandshakes(tunnels map[string]TunnelSettings) (map[string]configHandshake, error) {
	out := make(map[string]configHandshake)
	for name, ts := range tunnels {
		if len(ts.Handshake) == 0 {
			continue
		}
		c, err := handshake.ParseConfig(ts.Handshake)
		if err != nil {
			return nil, fmt.Errorf("server config: tunnel %s: %w", name, err) // never a secret
		}
		hs, err := handshake.New(c)
		if err != nil {
			return nil, fmt.Errorf("server config: tunnel %s: %w", name, err)
		}
		out[name] = configHandshake{config: c, answer: hs}
	}
	return out, nil
}

// handshakeResponder builds a tunnel's handshake answers: the server config's kinds, then
// those the client asks for (specs, TunnelRequest.Handshake) that the config does not
// list; the config's secret wins for a kind both list. Slack without a signing secret of
// its own takes the tunnel's first slack --verify secret, so a tunnel that verifies
// Slack deliveries answers only signed url_verification requests. nil when no kind is
// listed.
func (s *Server) handshakeResponder(name string, specs, verify []string) (*handshake.Responder, error) {
	client, err := handshake.ParseConfig(specs)
	if err != nil {
		return nil, err
	}
	c := s.handshakes[name].config.Merge(client)
	if slices.Contains(c.Kinds, handshake.Slack) && c.SlackSigningSecret == "" {
		c.SlackSigningSecret = slackSecret(verify)
	}
	return handshake.New(c)
}

// slackSecret is the secret of the first slack:SECRET verify spec, "" without one.
func slackSecret(verify []string) string {
	for _, spec := range verify {
		name, secret, ok := strings.Cut(spec, ":")
		if ok && strings.EqualFold(strings.TrimSpace(name), "slack") {
			return secret
		}
	}
	return ""
}

// answerHandshake answers d itself when it is a URL-verification handshake of one of its
// tunnel's kinds (package handshake): before the live/offline split, so that it is
// answered whether or not a client is online, and before any signature check. Only
// live traffic is looked at, and only a body of known length up to handshake.MaxBody,
// read whole (the live path would read it first anyway); r.Body yields it again for a
// request that is no handshake. It reports whether d was answered.
func (s *Server) answerHandshake(w http.ResponseWriter, r *http.Request, d *delivery, hs *handshake.Responder) bool {
	if hs == nil || d.origin != fromSender || r.ContentLength < 0 || r.ContentLength > handshake.MaxBody ||
		expectsContinue(r) {
		return false
	}
	body, complete, err := prebuffer(r, handshake.MaxBody)
	if err != nil {
		s.failRecord(w, d, err)
		return true
	}
	if !complete {
		return false
	}
	res := hs.Answer(handshake.Head{Method: r.Method, RawQuery: d.query, Header: r.Header}, body, s.cfg.Now())
	switch res.Outcome {
	case handshake.Answered:
		s.recordHandshake(d, body, res.Answer)
		w.Header().Set(proto.HeaderRequestID, d.id)
		_ = res.Write(w, d.id) // the sender went away: nothing more to do
	case handshake.Refused:
		if d.rec != nil {
			d.rec.Body = cappedBody(body, s.cfg.RecordCap)
		}
		s.recordRefused(d, res.Code)
		writeError(w, res.Code, res.Reason, d.id)
	default:
		return false
	}
	return true
}

// recordHandshake records an answered handshake, request and answer, with outcome
// handshake, and counts it. Nothing was forwarded, so the answer does not wait for the
// store: a record the store refuses is logged (see storeWatch) and the sender answered.
func (s *Server) recordHandshake(d *delivery, body []byte, resp handshake.Response) {
	dur := s.cfg.Now().Sub(d.start)
	s.cfg.Observer.Delivery(d.tunnel.name, resp.Status, "", dur, int64(len(body)), int64(len(resp.Body)))
	if d.rec == nil {
		return
	}
	s.quotas.add(d, int64(len(body)+len(resp.Body)), s.cfg.Now())
	d.rec.Body = cappedBody(body, s.cfg.RecordCap)
	d.rec.Status, d.rec.Outcome, d.rec.Duration = resp.Status, store.OutcomeHandshake, dur
	d.rec.RespHeaders, d.rec.RespBody = headerList(resp.Header), cappedBody(resp.Body, s.cfg.RecordCap)
	if err := s.cfg.Store.Insert(context.Background(), d.rec); err != nil {
		s.log.Debug("record handshake", "id", d.id, "err", err)
	}
	s.hub.publish(d.rec)
}

// answerUnclaimed answers a handshake to a name the server config gives handshakes but
// no token has claimed yet, so a provider's dashboard can be set up before any client
// ever connects. With no owner there is nobody to show a record to: nothing is recorded.
// It reports whether the request was answered.
func (s *Server) answerUnclaimed(w http.ResponseWriter, r *http.Request, name, uri string) bool {
	hs := s.handshakes[name].answer
	if hs == nil {
		return false
	}
	d := s.newDelivery(r, &tunnel{name: name}, uri)
	d.rec = nil
	d.timer = s.timeBody(w, r)
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.BodyLimit)
	return s.answerHandshake(w, r, d, hs)
}
