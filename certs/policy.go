package certs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
)

// ErrHostNotAllowed is returned by a HostPolicy for a host name it does not
// accept. The ACME provider never orders a certificate for such a name.
var ErrHostNotAllowed = errors.New("certs: host not allowed")

// HostPolicy decides whether the ACME provider may obtain a certificate for
// host. It returns nil to allow the name and an error (ideally wrapping
// ErrHostNotAllowed) to refuse it; a refusal aborts the TLS handshake without
// contacting the certificate authority.
//
// The host passed in is already canonical: lower case, without a trailing dot
// and without a port. Implementations must be safe for concurrent use and
// should be fast, as they run during TLS handshakes.
type HostPolicy func(ctx context.Context, host string) error

// ExactHosts returns a HostPolicy that allows exactly the given names and
// nothing else: no wildcards, no subdomains. Matching is case-insensitive and
// ignores a trailing dot and a port on either side. Empty names are ignored,
// so ExactHosts() with no usable names refuses everything.
//
// The relay server passes its base domain plus the reserved tunnel names.
func ExactHosts(hosts ...string) HostPolicy {
	allowed := make(map[string]struct{}, len(hosts))
	for _, h := range hosts {
		if c := canonicalHost(h); c != "" {
			allowed[c] = struct{}{}
		}
	}
	return func(_ context.Context, host string) error {
		if _, ok := allowed[canonicalHost(host)]; ok {
			return nil
		}
		return fmt.Errorf("%w: %q", ErrHostNotAllowed, host)
	}
}

// canonicalHost lower-cases host and strips a port, IPv6 brackets and one
// trailing dot, so that equivalent spellings of a name compare equal.
func canonicalHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimPrefix(host, "[")
	host = strings.TrimSuffix(host, "]")
	host = strings.TrimSuffix(host, ".")
	return strings.ToLower(host)
}
