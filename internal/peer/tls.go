package peer

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// tlsInfo is the HKDF info that derives the link key from the cluster secret: a key of
// its own, unrelated to the MAC key or to any other key taken from the same secret.
const tlsInfo = "hookrelay peer tls v1"

// errPeerKey: the other end of a link presented a key that is not the cluster's.
var errPeerKey = errors.New("the peer's TLS key is not the cluster's (another cluster secret)")

// linkTLS is the TLS of a cluster's peer links: every node derives the same Ed25519 key
// from the cluster secret, presents it in a self-signed certificate, and accepts only a
// peer that proves it holds that key too (TLS 1.3's CertificateVerify), dialer and
// acceptor alike. No CA, no names, no expiry to manage: whoever has the secret is a
// node, as with the MAC handshake that runs inside.
type linkTLS struct {
	server, client *tls.Config
}

// newLinkTLS derives the link key from secret.
func newLinkTLS(secret []byte) (*linkTLS, error) {
	seed, err := hkdf.Key(sha256.New, secret, nil, tlsInfo, ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("derive peer link key: %w", err)
	}
	key := ed25519.NewKeyFromSeed(seed)
	cert, err := selfSigned(key)
	if err != nil {
		return nil, err
	}
	pub := key.Public().(ed25519.PublicKey)
	verify := func(raw [][]byte, _ [][]*x509.Certificate) error { return checkPeerKey(raw, pub) }
	server := &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert},
		ClientAuth: tls.RequireAnyClientCert, VerifyPeerCertificate: verify}
	// The client skips the usual chain and name checks: verify pins the key instead.
	client := &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert},
		InsecureSkipVerify: true, VerifyPeerCertificate: verify, ServerName: "hookrelay-peer"}
	return &linkTLS{server: server, client: client}, nil
}

// selfSigned is a certificate of key signed by itself.
func selfSigned(key ed25519.PrivateKey) (tls.Certificate, error) {
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hookrelay-peer"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(100, 0, 0),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("peer link certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// checkPeerKey accepts a peer whose leaf certificate holds pub. TLS 1.3 has already
// checked that the peer signed the handshake with the leaf's key.
func checkPeerKey(raw [][]byte, pub ed25519.PublicKey) error {
	if len(raw) == 0 {
		return errPeerKey
	}
	leaf, err := x509.ParseCertificate(raw[0])
	if err != nil {
		return fmt.Errorf("%w: %w", errPeerKey, err)
	}
	if got, ok := leaf.PublicKey.(ed25519.PublicKey); !ok || !got.Equal(pub) {
		return errPeerKey
	}
	return nil
}
