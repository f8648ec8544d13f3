package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"
)

// manualCheckInterval is how often, at most, a handshake looks at the files.
const manualCheckInterval = time.Second

// ManualConfig configures NewManual.
type ManualConfig struct {
	// CertFile is a PEM file with the leaf certificate first, followed by
	// any intermediates. Required.
	CertFile string

	// KeyFile is the PEM private key matching the leaf. Required. Keep it
	// readable by the relay's user only.
	KeyFile string

	// OnReload, if set, is called after every reload attempt caused by a
	// change of either file: with nil when the new pair is now served, or
	// with the error when the new pair is broken and the previous pair is
	// still served. Replacing the two files one after the other can report
	// a transient mismatch error before the second file lands. It runs
	// during a TLS handshake and must return quickly.
	OnReload func(err error)
}

// Manual is a Provider serving a certificate and key from files, for
// certificates obtained outside the relay such as a DNS-01 wildcard. The
// same pair is served for every name, so a wildcard for *.domain covers all
// tunnel subdomains. At most once per second a handshake checks the files'
// size and modification time and loads a changed pair; a broken pair is
// reported and the previous one stays in service. It is safe for concurrent
// use and owns no goroutine.
type Manual struct {
	cfg ManualConfig
	now func() time.Time // for tests

	mu        sync.Mutex
	current   *tls.Certificate
	stamp     fileStamp
	nextCheck time.Time
}

var _ Provider = (*Manual)(nil)

// fileStamp identifies one version of the certificate and key files.
type fileStamp struct {
	certMod, keyMod   time.Time
	certSize, keySize int64
}

// NewManual loads the pair named by cfg; it fails if the pair is unusable.
func NewManual(cfg ManualConfig) (*Manual, error) {
	if cfg.CertFile == "" || cfg.KeyFile == "" {
		return nil, errors.New("new manual provider: cert and key files are required")
	}
	m := &Manual{cfg: cfg, now: time.Now}
	stamp, err := statPair(cfg.CertFile, cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("new manual provider: %w", err)
	}
	cert, err := loadPair(cfg.CertFile, cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("new manual provider: %w", err)
	}
	m.current, m.stamp, m.nextCheck = cert, stamp, m.now().Add(manualCheckInterval)
	return m, nil
}

// TLSConfig returns the HTTPS listener config.
func (m *Manual) TLSConfig() *tls.Config {
	return baseTLSConfig(func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		return m.certificate(), nil
	})
}

// HTTPHandler returns fallback, or an HTTPS redirect when fallback is nil.
func (m *Manual) HTTPHandler(fallback http.Handler) http.Handler {
	return orRedirect(fallback)
}

// Expiry reports the served leaf's NotAfter if it covers host.
func (m *Manual) Expiry(host string) (time.Time, bool) {
	return leafExpiry(m.certificate(), host)
}

// certificate returns the pair to serve, reloading it first when the files
// changed and the last check is at least a second old.
func (m *Manual) certificate() *tls.Certificate {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if now.Before(m.nextCheck) {
		return m.current
	}
	m.nextCheck = now.Add(manualCheckInterval)
	m.reloadLocked()
	return m.current
}

// reloadLocked loads the files if their stamp changed. The stamp of a failed
// attempt is remembered too (a zero stamp when the files cannot be read), so
// each breakage is reported once rather than at every check.
func (m *Manual) reloadLocked() {
	stamp, err := statPair(m.cfg.CertFile, m.cfg.KeyFile)
	if stamp == m.stamp {
		return
	}
	m.stamp = stamp
	var cert *tls.Certificate
	if err == nil {
		cert, err = loadPair(m.cfg.CertFile, m.cfg.KeyFile)
	}
	if err == nil {
		m.current = cert
	} else {
		err = fmt.Errorf("reload manual certificate: %w", err)
	}
	if m.cfg.OnReload != nil {
		m.cfg.OnReload(err)
	}
}

// statPair stamps both files; the stamp is zero when either cannot be read.
func statPair(certFile, keyFile string) (fileStamp, error) {
	c, err := os.Stat(certFile)
	if err != nil {
		return fileStamp{}, err
	}
	k, err := os.Stat(keyFile)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{certMod: c.ModTime(), keyMod: k.ModTime(), certSize: c.Size(), keySize: k.Size()}, nil
}

// loadPair reads and checks a certificate/key pair.
func loadPair(certFile, keyFile string) (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load key pair: %w", err)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("load key pair: %w", err)
		}
	}
	return &cert, nil
}
