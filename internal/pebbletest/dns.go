package pebbletest

import (
	"net"
	"testing"

	"github.com/miekg/dns"
)

// serveLoopbackDNS answers A 127.0.0.1 (and nothing for other types) for every name
// over TCP, which is how Pebble's validation authority queries a custom resolver. It
// returns the server's address.
func serveLoopbackDNS(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("pebbletest: listen dns: %v", err)
	}
	started := make(chan struct{})
	srv := &dns.Server{Listener: ln, Handler: dns.HandlerFunc(answerLoopback), NotifyStartedFunc: func() { close(started) }}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	tb.Cleanup(func() { _ = srv.Shutdown() })
	return ln.Addr().String()
}

// answerLoopback resolves every A question to 127.0.0.1.
func answerLoopback(w dns.ResponseWriter, req *dns.Msg) {
	resp := new(dns.Msg)
	resp.SetReply(req)
	for _, q := range req.Question {
		if q.Qtype == dns.TypeA {
			hdr := dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET}
			resp.Answer = append(resp.Answer, &dns.A{Hdr: hdr, A: net.IPv4(127, 0, 0, 1)})
		}
	}
	_ = w.WriteMsg(resp)
}
