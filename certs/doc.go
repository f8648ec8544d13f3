// Package certs provisions the TLS certificates the relay server presents on
// its public HTTPS listener.
//
// The package never opens sockets. Each provider hands out a *tls.Config for
// the HTTPS listener and an http.Handler for the plain-HTTP (port 80)
// listener, and reports the expiry of what it serves so the server can export
// it as a metric. Three providers exist:
//
//   - ACME (NewACME) obtains and renews certificates from an ACME certificate
//     authority such as Let's Encrypt. Challenges are answered with
//     TLS-ALPN-01 on the HTTPS listener and HTTP-01 on the port 80 handler.
//     Certificates, the account key and challenge state live in a cache
//     directory (mode 0700, files 0600) so restarts reuse what was issued.
//   - Manual (NewManual) serves a certificate/key pair from files and picks up
//     replacements while running. This is how a wildcard certificate is used.
//   - SelfSigned (NewSelfSigned) makes a private CA and a leaf certificate for
//     trying HTTPS locally; clients trust it through CACertPEM.
//
// # Several relay servers, one set of certificates
//
// By default the ACME provider keeps its state in ACMEConfig.CacheDir, which
// is one machine's. Servers behind one name set ACMEConfig.Cache to a cache
// they share instead, normally PostgreSQL's (internal/store/postgres,
// DB.ACMECache, one per provider). The cache holds the challenge tokens too,
// so a CA's validation may reach any server, and its order lock lets only
// one server order a name the first time it is asked for on several at
// once: the others wait for the certificate and load it from the cache.
// TestACMESharedCache runs two providers on one PostgreSQL cache against the
// in-process Pebble CA, with validation routed to the server that did not
// necessarily order: both handshakes for a new name end within ~2 s, with one
// order at the CA, one certificate stored and the same certificate served
// by both; without the lock the same test saw 3 orders and 2 different
// certificates. A handshake that waits for another server's order waits
// before it reaches autocert, which holds its state lock while it reads the
// cache: a wait there would stall every other handshake of the server
// (TestACMEWaitStallsNoHandshake; bounds in the postgres package). Expiry reads the cache
// through the cache's Peek when it has one, so a metrics scrape never takes
// the order lock.
//
// # Choosing host names and the Let's Encrypt rate limit
//
// Let's Encrypt issues at most 50 new certificates per registered domain per
// week (renewals of an identical name set are exempt). How tunnels are
// addressed decides how many certificates the relay needs:
//
//   - Path URLs such as https://relay.example.com/t/NAME/... put every tunnel
//     under the same host name, so ONE certificate for relay.example.com serves
//     all tunnels, however many are created. This is the recommended setup.
//   - Per-tunnel subdomains such as https://NAME.relay.example.com/ need one
//     certificate order per reserved name. That is why the ACME provider only
//     orders names the server knows about (see HostPolicy and ExactHosts):
//     a random Server Name Indication from a scanner must never cost an order,
//     and a team with many short-lived tunnel names can still exhaust the
//     weekly limit.
//   - A wildcard certificate for *.relay.example.com covers every subdomain
//     with one certificate, but ACME only issues wildcards through the DNS-01
//     challenge, which needs write access to the DNS zone. The relay does not
//     do DNS-01: obtain the wildcard elsewhere (certbot, lego, a DNS
//     provider's tooling) and load the files with NewManual, which reloads
//     them when the external tool renews them.
package certs
