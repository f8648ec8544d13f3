package main

import (
	"net"
	"net/http"
	"strings"

	"github.com/hookrelay/hookrelay/internal/wire"
	"github.com/hookrelay/hookrelay/proto"
)

// httpsRedirect answers plain-HTTP requests with a 308 to the same host, path and query
// over HTTPS on the public listener's port (omitted when it is 443). 308 keeps the
// method and body, so a webhook POSTed to http:// is re-sent by senders that follow
// redirects.
func httpsRedirect(httpsPort string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target, ok := redirectTarget(r.Host, httpsPort, r.URL.RequestURI())
		if !ok {
			wire.WriteError(w, proto.CodeBadRequest, "missing or invalid Host header", "")
			return
		}
		http.Redirect(w, r, target, http.StatusPermanentRedirect)
	})
}

// redirectTarget builds the https URL for a request's Host header and URI; ok is false
// for a Host that is empty or could change the URL's meaning.
func redirectTarget(host, httpsPort, uri string) (string, bool) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if !plainHost(host) || strings.Trim(httpsPort, "0123456789") != "" {
		return "", false
	}
	if strings.Contains(host, ":") && net.ParseIP(host) == nil {
		return "", false // colons only in IPv6 literals
	}
	if httpsPort != "" && httpsPort != "443" {
		host = net.JoinHostPort(host, httpsPort)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if !strings.HasPrefix(uri, "/") {
		uri = "/"
	}
	return "https://" + host + uri, true
}

// plainHost reports whether host is non-empty and made only of characters that can
// appear in a DNS name or an IP address literal.
func plainHost(host string) bool {
	if host == "" {
		return false
	}
	for _, c := range []byte(host) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '-' || c == ':' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}
