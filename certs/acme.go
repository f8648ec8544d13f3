package certs

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// LetsEncryptURL is the directory of Let's Encrypt's production ACME service,
// the default ACMEConfig.DirectoryURL.
const LetsEncryptURL = "https://acme-v02.api.letsencrypt.org/directory"

var (
	// ErrNoCacheDir is returned by NewACME when neither ACMEConfig.Cache nor
	// ACMEConfig.CacheDir is set.
	ErrNoCacheDir = errors.New("certs: acme cache dir is required")
	// ErrNoHostPolicy is returned by NewACME when ACMEConfig.HostPolicy is nil.
	ErrNoHostPolicy = errors.New("certs: acme host policy is required")
)

// ACMEConfig configures NewACME. Creating an ACME provider accepts the
// certificate authority's terms of service on the operator's behalf.
type ACMEConfig struct {
	// CacheDir holds issued certificates, their keys and the ACME account
	// key. Required unless Cache is set, and then ignored. It is created with mode 0700 (an existing directory is
	// tightened to 0700) and files are written with mode 0600. Losing it
	// means re-ordering every certificate, which counts against the CA's
	// rate limits; sharing it with other users leaks private keys.
	CacheDir string

	// Cache replaces CacheDir: where certificates, their keys, the ACME
	// account key and challenge tokens are kept. Optional; nil means
	// autocert.DirCache(CacheDir), as described above.
	//
	// Set it to share one set of certificates between several relay
	// servers behind one name, e.g. the PostgreSQL cache
	// (internal/store/postgres, DB.ACMECache): any of them then answers a
	// challenge for an order placed by another, since autocert keeps
	// HTTP-01 and TLS-ALPN-01 tokens in the cache. A shared cache must also
	// stop the servers from ordering one certificate each when a name is
	// first asked for on several at once: its Get of a missing certificate
	// must let one caller miss and make the others wait for that caller's
	// Put. Without that, each server orders, which counts against the CA's
	// rate limits. Everyone who can read the cache holds the private keys.
	//
	// Two optional methods of the cache are used when present: Expiry reads
	// through Peek(ctx, key) ([]byte, error), so that a lookup never counts
	// as a miss to order, and a handshake for a name not yet served first
	// calls AwaitOrder(ctx, key) error, which must return once key is stored
	// or the caller is the one to order it. autocert reads the cache while
	// it holds its state lock, so a cache that waits inside Get without
	// AwaitOrder stalls every handshake of the server while it waits.
	Cache autocert.Cache

	// Email is the contact address registered with the ACME account, used by
	// the CA for expiry and incident notices. Optional.
	Email string

	// DirectoryURL is the ACME directory endpoint. Empty means
	// LetsEncryptURL (production). It must be an https URL. For testing,
	// point it at Let's Encrypt's staging directory or a private CA.
	DirectoryURL string

	// ExtraRoots is PEM-encoded CA certificates trusted, in addition to the
	// system roots, when talking to the ACME server. Use it for a private CA
	// or a test CA. Optional; it does not affect what clients trust.
	ExtraRoots []byte

	// HostPolicy decides which names may be ordered. Required: without it
	// any Server Name Indication sent by anyone would trigger an order and
	// quickly exhaust the CA's rate limits. See ExactHosts.
	HostPolicy HostPolicy

	// RenewBefore is how long before expiry a certificate is renewed. Zero
	// uses autocert's default (the lesser of 30 days and a third of the
	// certificate lifetime). Negative values are rejected.
	RenewBefore time.Duration
}

// ACME is a Provider that obtains certificates from an ACME CA on demand,
// during the first TLS handshake for an allowed name, and renews them in the
// background. It is safe for concurrent use.
type ACME struct {
	manager *autocert.Manager
	cache   autocert.Cache
	policy  HostPolicy
	served  sync.Map // names whose certificate the manager has served (see awaitOrder)
}

var _ Provider = (*ACME)(nil)

// NewACME validates cfg, prepares the cache directory (unless cfg.Cache is
// set) and returns a provider.
// It does not contact the CA; the account is registered on the first order.
func NewACME(cfg ACMEConfig) (*ACME, error) {
	client, err := acmeClient(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.HostPolicy == nil {
		return nil, ErrNoHostPolicy
	}
	if cfg.RenewBefore < 0 {
		return nil, fmt.Errorf("new acme provider: negative renew-before %v", cfg.RenewBefore)
	}
	cache, err := cacheOf(cfg)
	if err != nil {
		return nil, err
	}
	m := &autocert.Manager{
		Prompt:      autocert.AcceptTOS,
		Cache:       cache,
		HostPolicy:  canonicalPolicy(cfg.HostPolicy),
		RenewBefore: cfg.RenewBefore,
		Client:      client,
		Email:       cfg.Email,
	}
	return &ACME{manager: m, cache: cache, policy: cfg.HostPolicy}, nil
}

// acmeClient builds the ACME client for the configured directory and roots.
func acmeClient(cfg ACMEConfig) (*acme.Client, error) {
	dir := cfg.DirectoryURL
	if dir == "" {
		dir = LetsEncryptURL
	}
	u, err := url.Parse(dir)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("new acme provider: directory url %q is not an https url", dir)
	}
	hc, err := httpClientWithRoots(cfg.ExtraRoots)
	if err != nil {
		return nil, fmt.Errorf("new acme provider: %w", err)
	}
	return &acme.Client{DirectoryURL: dir, HTTPClient: hc, UserAgent: "hookrelay"}, nil
}

// canonicalPolicy adapts p to autocert, canonicalising the host first.
func canonicalPolicy(p HostPolicy) autocert.HostPolicy {
	return func(ctx context.Context, host string) error {
		return p(ctx, canonicalHost(host))
	}
}

// TLSConfig returns the HTTPS listener config. Besides h2 and http/1.1 it
// offers the acme-tls/1 protocol, which TLS-ALPN-01 validation needs; do not
// remove it.
func (a *ACME) TLSConfig() *tls.Config {
	cfg := baseTLSConfig(a.getCertificate)
	cfg.NextProtos = append(cfg.NextProtos, acme.ALPNProto)
	return cfg
}

// HTTPHandler answers HTTP-01 challenges for allowed names under
// /.well-known/acme-challenge/ and passes every other request to fallback
// (nil: redirect to HTTPS with 308). Calling it also enables HTTP-01 as a
// second choice after TLS-ALPN-01, so serve it on port 80.
func (a *ACME) HTTPHandler(fallback http.Handler) http.Handler {
	return a.manager.HTTPHandler(orRedirect(fallback))
}

// Expiry reports the NotAfter of the cached certificate for host. It only
// reads the cache and never triggers an order.
func (a *ACME) Expiry(host string) (time.Time, bool) {
	host = canonicalHost(host)
	if !validDNSName(host) {
		return time.Time{}, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, key := range []string{host, host + "+rsa"} {
		data, err := peek(ctx, a.cache, key)
		if err != nil {
			continue
		}
		if leaf, err := firstCertificate(data); err == nil {
			return leaf.NotAfter, true
		}
	}
	return time.Time{}, false
}
