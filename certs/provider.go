package certs

import (
	"crypto/tls"
	"net/http"
	"strings"
	"time"
)

// Provider is what the relay server needs from a certificate source.
// *ACME, *Manual and *SelfSigned implement it.
type Provider interface {
	// TLSConfig returns a fresh config for the HTTPS listener; the caller may
	// modify it. It requires TLS 1.2 or newer and offers h2 and http/1.1
	// through ALPN (the ACME provider also offers acme-tls/1).
	TLSConfig() *tls.Config
	// HTTPHandler returns the handler for the plain-HTTP listener. Requests
	// that are not ACME challenges go to fallback; a nil fallback redirects
	// them to HTTPS with status 308.
	HTTPHandler(fallback http.Handler) http.Handler
	// Expiry reports the NotAfter of the certificate served for host, and
	// false when no certificate for host is available yet.
	Expiry(host string) (time.Time, bool)
}

// baseTLSConfig is the listener config shared by all providers.
func baseTLSConfig(get func(*tls.ClientHelloInfo) (*tls.Certificate, error)) *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: get,
		NextProtos:     []string{"h2", "http/1.1"},
	}
}

// orRedirect returns fallback, or the HTTPS redirect when fallback is nil.
func orRedirect(fallback http.Handler) http.Handler {
	if fallback != nil {
		return fallback
	}
	return http.HandlerFunc(redirectToHTTPS)
}

// redirectToHTTPS answers every request with a 308 redirect to the same host
// (without its port), path and query over HTTPS. 308 keeps the method and
// body, so a webhook POSTed to http:// is re-sent to https:// by senders that
// follow redirects.
func redirectToHTTPS(w http.ResponseWriter, r *http.Request) {
	host := canonicalHost(r.Host)
	if host == "" || strings.ContainsAny(host, "/?#@\\ ") {
		http.Error(w, "certs: missing or invalid Host header", http.StatusBadRequest)
		return
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusPermanentRedirect)
}

// leafExpiry reports leaf.NotAfter when leaf is valid for host.
func leafExpiry(cert *tls.Certificate, host string) (time.Time, bool) {
	if cert == nil || cert.Leaf == nil {
		return time.Time{}, false
	}
	host = canonicalHost(host)
	if host == "" || cert.Leaf.VerifyHostname(host) != nil {
		return time.Time{}, false
	}
	return cert.Leaf.NotAfter, true
}
