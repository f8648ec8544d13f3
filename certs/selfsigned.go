package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"strings"
	"time"
)

// leafValidity is the lifetime of a self-signed leaf; a new leaf is made at
// every start.
const leafValidity = 365 * 24 * time.Hour

// ErrInvalidDomain is returned by NewSelfSigned for a domain that is not a
// valid DNS name.
var ErrInvalidDomain = errors.New("certs: invalid domain name")

// SelfSignedConfig configures NewSelfSigned.
type SelfSignedConfig struct {
	// Domain is the relay's base domain. The leaf certificate covers Domain
	// and *.Domain in addition to localhost, 127.0.0.1 and ::1. Optional.
	Domain string

	// Dir optionally persists the CA (certificate and private key, in
	// Dir/selfsigned-ca.pem, mode 0600, directory 0700) so clients that
	// trusted it keep trusting the server across restarts. Empty means a new
	// in-memory CA at every start. Anyone who can read the file can mint
	// certificates that those clients trust: never add this CA to a trust
	// store shared with other users.
	Dir string
}

// SelfSigned is a Provider for trying HTTPS locally: a private CA signs one
// leaf certificate for the configured names. Clients must trust CACertPEM.
// It is safe for concurrent use.
type SelfSigned struct {
	leaf  *tls.Certificate
	caPEM []byte
}

var _ Provider = (*SelfSigned)(nil)

// NewSelfSigned loads or creates the CA and issues a fresh leaf from it.
func NewSelfSigned(cfg SelfSignedConfig) (*SelfSigned, error) {
	domain := canonicalHost(cfg.Domain)
	if domain != "" && !validDNSName(domain) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidDomain, cfg.Domain)
	}
	ca, err := loadOrCreateCA(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("new self-signed provider: %w", err)
	}
	leaf, err := ca.issueLeaf(domain)
	if err != nil {
		return nil, fmt.Errorf("new self-signed provider: %w", err)
	}
	return &SelfSigned{leaf: leaf, caPEM: ca.certPEM()}, nil
}

// issueLeaf makes a server certificate for domain, *.domain and loopback.
func (ca *localCA) issueLeaf(domain string) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate leaf key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl := leafTemplate(domain, serial, ca.cert.NotAfter)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return nil, fmt.Errorf("create leaf: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("create leaf: %w", err)
	}
	return &tls.Certificate{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: key, Leaf: leaf}, nil
}

// leafTemplate describes the leaf; it never outlives the CA.
func leafTemplate(domain string, serial *big.Int, caEnd time.Time) *x509.Certificate {
	names := []string{"localhost"}
	if domain != "" {
		names = append([]string{domain, "*." + domain}, names...)
	}
	now := time.Now()
	end := now.Add(leafValidity)
	if end.After(caEnd) {
		end = caEnd
	}
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     end,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     names,
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
}

// CACertPEM returns the PEM-encoded CA certificate that clients must trust.
func (s *SelfSigned) CACertPEM() []byte {
	return append([]byte(nil), s.caPEM...)
}

// TLSConfig returns the HTTPS listener config serving the leaf for every
// name, including names it does not cover (clients then reject it).
func (s *SelfSigned) TLSConfig() *tls.Config {
	return baseTLSConfig(func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		return s.leaf, nil
	})
}

// HTTPHandler returns fallback, or an HTTPS redirect when fallback is nil.
func (s *SelfSigned) HTTPHandler(fallback http.Handler) http.Handler {
	return orRedirect(fallback)
}

// Expiry reports the leaf's NotAfter if it covers host.
func (s *SelfSigned) Expiry(host string) (time.Time, bool) {
	return leafExpiry(s.leaf, host)
}

// validDNSName reports whether name is a syntactically valid lower-case DNS
// host name: labels of 1 to 63 letters, digits or inner hyphens, 253 bytes in
// all, and not an IP address.
func validDNSName(name string) bool {
	if name == "" || len(name) > 253 || net.ParseIP(name) != nil {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if !validLabel(label) {
			return false
		}
	}
	return true
}

// validLabel checks one DNS label.
func validLabel(label string) bool {
	if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
		return false
	}
	for _, c := range []byte(label) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
