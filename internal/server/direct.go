package server

import (
	"net"
	"net/http"

	"github.com/hookrelay/hookrelay/internal/wire"
	"github.com/hookrelay/hookrelay/proto"
)

// direct reports whether r can take the direct path: its body was read to be recorded
// and it needs nothing only the proxy handles (see package wire).
func direct(r *http.Request, d *delivery) bool { return d.inMemory && wire.Eligible(r) }

// relayHeaders are set by the relay itself: the sender's values never pass.
var relayHeaders = map[string]bool{
	"X-Forwarded-For": true, "X-Forwarded-Host": true, "X-Forwarded-Proto": true,
	proto.HeaderTunnel: true, proto.HeaderRequestID: true, proto.HeaderReplayOf: true, proto.HeaderVerified: true,
	proto.HeaderResigned: true,
}

// serveDirect writes r, as rewrite would have made it, straight onto a pooled stream of
// the tunnel and copies the response to w.
func (b *binding) serveDirect(w http.ResponseWriter, r *http.Request, d *delivery) {
	sc, resp, err := b.streams.RoundTrip(directHead(r, d, b.tunnel.name), r, b.tunnel.config().timeout)
	if err != nil {
		b.fail(w, d, err)
		return
	}
	if err := wire.CopyResponse(w, resp); err != nil {
		sc.Close()
		d.fail("", err)
		if r.Context().Value(http.ServerContextKey) != nil {
			panic(http.ErrAbortHandler) // tell the sender the response is cut short
		}
		return
	}
	if resp.Close {
		sc.Close()
		return
	}
	b.streams.Put(sc)
}

func directHead(r *http.Request, d *delivery, tunnel string) *wire.Head {
	target := d.path
	if d.query != "" {
		target += "?" + d.query
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	extra := []string{"X-Forwarded-Host", r.Host, "X-Forwarded-Proto", scheme,
		proto.HeaderTunnel, tunnel, proto.HeaderRequestID, d.id}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		extra = append(extra, "X-Forwarded-For", ip)
	}
	if d.replayOf != "" {
		extra = append(extra, proto.HeaderReplayOf, d.replayOf)
	}
	if d.verdict != "" {
		extra = append(extra, proto.HeaderVerified, d.verdict)
	}
	if d.resigned != "" {
		extra = append(extra, proto.HeaderResigned, d.resigned)
	}
	return &wire.Head{Method: r.Method, Target: target, Host: r.Host, Header: r.Header, Skip: relayHeaders,
		Extra: extra, Body: d.body, HadLength: len(r.Header["Content-Length"]) > 0}
}
