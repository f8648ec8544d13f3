package certs

import (
	"context"
	"crypto/tls"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// cacheOf is the configured cache, else a directory cache on CacheDir.
func cacheOf(cfg ACMEConfig) (autocert.Cache, error) {
	if cfg.Cache != nil {
		return cfg.Cache, nil
	}
	return openCacheDir(cfg.CacheDir)
}

// peeker is a cache whose Get of a missing certificate has a side effect (an
// order lock); Peek reads without it.
type peeker interface {
	Peek(ctx context.Context, key string) ([]byte, error)
}

// peek reads key from c without side effects when c can.
func peek(ctx context.Context, c autocert.Cache, key string) ([]byte, error) {
	if p, ok := c.(peeker); ok {
		return p.Peek(ctx, key)
	}
	return c.Get(ctx, key)
}

// orderWaiter is a shared cache whose Get of a certificate being ordered by
// another process waits for it. AwaitOrder does that wait on its own: it
// returns once key is stored, or once the caller is the one to order it.
type orderWaiter interface {
	AwaitOrder(ctx context.Context, key string) error
}

// awaitTimeout bounds the wait for another process's order, as autocert
// bounds a handshake's work.
const awaitTimeout = 5 * time.Minute

// getCertificate is the manager's GetCertificate, after waiting, outside the
// manager, for another process that orders the name. autocert holds its
// state lock while it reads the cache for a name it has not loaded, so a
// wait inside its Get would hold up every other handshake of this server.
func (a *ACME) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := canonicalHost(hello.ServerName)
	if err := a.awaitOrder(hello, name); err != nil {
		return nil, err
	}
	cert, err := a.manager.GetCertificate(hello)
	if err == nil && !challenge(hello) {
		a.served.Store(name, struct{}{})
	}
	return cert, err
}

// awaitOrder waits until the certificate of name is in a shared cache or
// this server is the one to order it. It waits for nothing the manager has
// already served, nothing the host policy refuses (the manager refuses it
// too) and no challenge. The RSA certificate of a client without ECDSA
// (key name+"+rsa") is still waited for inside the manager.
func (a *ACME) awaitOrder(hello *tls.ClientHelloInfo, name string) error {
	w, ok := a.cache.(orderWaiter)
	if !ok || challenge(hello) || !validDNSName(name) {
		return nil
	}
	if _, ok := a.served.Load(name); ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), awaitTimeout)
	defer cancel()
	if a.policy(ctx, name) != nil {
		return nil
	}
	return w.AwaitOrder(ctx, name)
}

// challenge reports whether hello is a CA's TLS-ALPN-01 validation.
func challenge(hello *tls.ClientHelloInfo) bool {
	return len(hello.SupportedProtos) == 1 && hello.SupportedProtos[0] == acme.ALPNProto
}
