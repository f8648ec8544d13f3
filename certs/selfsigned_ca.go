package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// caFileName is the file under SelfSignedConfig.Dir holding the local CA.
const caFileName = "selfsigned-ca.pem"

// caValidity is the lifetime of a generated local CA.
const caValidity = 10 * 365 * 24 * time.Hour

// localCA is the private CA that signs the self-signed leaf.
type localCA struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// loadOrCreateCA returns the CA persisted in dir, creating and saving one if
// the file does not exist. An empty dir yields a fresh in-memory CA.
func loadOrCreateCA(dir string) (*localCA, error) {
	if dir == "" {
		return newLocalCA()
	}
	path := filepath.Join(dir, caFileName)
	data, err := os.ReadFile(path)
	if err == nil {
		return parseCAFile(data)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read local ca: %w", err)
	}
	ca, err := newLocalCA()
	if err != nil {
		return nil, err
	}
	if err := ca.save(dir); err != nil {
		return nil, err
	}
	return ca, nil
}

// newLocalCA generates an ECDSA P-256 CA valid for ten years.
func newLocalCA() (*localCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate local ca key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "hookrelay local CA " + serial.Text(16)[:8]},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("create local ca: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("create local ca: %w", err)
	}
	return &localCA{cert: cert, key: key}, nil
}

// randomSerial returns a random positive 128-bit serial number.
func randomSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	n, err := rand.Int(rand.Reader, limit)
	if err != nil {
		return nil, fmt.Errorf("generate serial: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

// certPEM encodes the CA certificate.
func (ca *localCA) certPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
}

// save writes certificate and key to dir/selfsigned-ca.pem (mode 0600,
// directory 0700) atomically, so a crash never leaves half a CA behind.
func (ca *localCA) save(dir string) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(ca.key)
	if err != nil {
		return fmt.Errorf("save local ca: %w", err)
	}
	var buf bytes.Buffer
	buf.Write(ca.certPEM())
	_ = pem.Encode(&buf, &pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	if err := ensurePrivateDir(dir); err != nil {
		return fmt.Errorf("save local ca: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, caFileName), buf.Bytes()); err != nil {
		return fmt.Errorf("save local ca: %w", err)
	}
	return nil
}

// writeFileAtomic writes data to a 0600 temporary file next to path and
// renames it over path.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// parseCAFile decodes a persisted CA: a CA certificate and the PKCS#8 key
// that matches it.
func parseCAFile(data []byte) (*localCA, error) {
	cert, err := firstCertificate(data)
	if err != nil {
		return nil, fmt.Errorf("load local ca: %w", err)
	}
	if !cert.IsCA || !cert.BasicConstraintsValid {
		return nil, errors.New("load local ca: certificate is not a ca")
	}
	if time.Now().After(cert.NotAfter) {
		return nil, fmt.Errorf("load local ca: expired on %s", cert.NotAfter.Format(time.DateOnly))
	}
	block, err := findBlock(data, "PRIVATE KEY")
	if err != nil {
		return nil, fmt.Errorf("load local ca: %w", err)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("load local ca: parse key: %w", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok || !publicKeysEqual(signer.Public(), cert.PublicKey) {
		return nil, errors.New("load local ca: key does not match certificate")
	}
	return &localCA{cert: cert, key: signer}, nil
}

// publicKeysEqual compares two public keys of any standard type.
func publicKeysEqual(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}
