package wire

import (
	"net"
	"net/http"
	"strings"

	"github.com/hookrelay/hookrelay/proto"
)

// The forwarding contract, the same on both server routes (Head.Write for bodies in
// memory, httputil.ReverseProxy for the rest) and built by ForwardHead alone:
//
//   - the request target, Host, method, header fields and body bytes pass as received;
//   - hop-by-hop fields (HopByHop, and those a Connection field names) are dropped;
//   - the sender's Forwarded and X-Forwarded-* are dropped, and the relay sets
//     X-Forwarded-For, X-Forwarded-Host and X-Forwarded-Proto itself;
//   - the sender's X-Hookrelay-* are removed once, at ingress or when a request is
//     rebuilt from its record (DropRelayFields), and the relay adds its own.

// HopByHop are the hop-by-hop header fields of RFC 9110 section 7.6.1, with the
// obsolete Proxy-Connection and Keep-Alive, in canonical form. No hop forwards them:
// relay-server drops them here, relay-client classifies the same names.
var HopByHop = [...]string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// Hop is HopByHop as a set.
var Hop = func() map[string]bool {
	m := make(map[string]bool, len(HopByHop))
	for _, k := range HopByHop {
		m[k] = true
	}
	return m
}()

// RelayPrefix starts the name of every header field the relay itself sets.
const RelayPrefix = "X-Hookrelay-"

// replacedBySender are the sender's fields the relay replaces with its own statement.
var replacedBySender = map[string]bool{
	"Forwarded": true, "X-Forwarded-For": true, "X-Forwarded-Host": true, "X-Forwarded-Proto": true,
}

// DropRelayFields removes from h every field named like the relay's own (X-Hookrelay-*,
// in any letter case): a sender cannot claim a verdict, a replay or a tunnel.
func DropRelayFields(h http.Header) {
	for k := range h {
		if len(k) >= len(RelayPrefix) && strings.EqualFold(k[:len(RelayPrefix)], RelayPrefix) {
			delete(h, k)
		}
	}
}

// Relay is what the relay states about a forwarded request, in its X-Hookrelay-*
// fields. Empty ReplayOf, Verified and Resigned are left out.
type Relay struct {
	Tunnel, RequestID, ReplayOf, Verified, Resigned string
}

// ForwardHead fills h with the head the relay forwards for r, per the contract above:
// target is the origin-form request target to send, body the whole body when it is in
// memory (nil when it streams).
func ForwardHead(h *Head, r *http.Request, target string, rel Relay, body []byte) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	*h = Head{Method: r.Method, Target: target, Host: r.Host, Header: r.Header, Skip: replacedBySender,
		Body: body, HadLength: len(r.Header["Content-Length"]) > 0}
	h.add("X-Forwarded-Host", r.Host)
	h.add("X-Forwarded-Proto", scheme)
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		h.add("X-Forwarded-For", ip)
	}
	h.add(proto.HeaderTunnel, rel.Tunnel)
	h.add(proto.HeaderRequestID, rel.RequestID)
	if rel.ReplayOf != "" {
		h.add(proto.HeaderReplayOf, rel.ReplayOf)
	}
	if rel.Verified != "" {
		h.add(proto.HeaderVerified, rel.Verified)
	}
	if rel.Resigned != "" {
		h.add(proto.HeaderResigned, rel.Resigned)
	}
}

// add appends one of the relay's fields.
func (h *Head) add(name, value string) {
	h.relay[h.nRelay], h.relay[h.nRelay+1] = name, value
	h.nRelay += 2
}

// SetOn gives out, a request httputil.ReverseProxy is about to send, h's Host and the
// relay's fields. The proxy has dropped the hop-by-hop fields by then, and the sender's
// Forwarded and X-Forwarded-* (Rewrite mode); they are dropped here again all the same.
func (h *Head) SetOn(out *http.Request) {
	out.Host = h.Host
	for k := range h.Skip {
		delete(out.Header, k)
	}
	x := h.relayFields()
	for i := 0; i+1 < len(x); i += 2 {
		out.Header[x[i]] = []string{x[i+1]}
	}
}
