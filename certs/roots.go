package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"time"
)

// errNoRootsInPEM is returned when ExtraRoots holds no usable certificate.
var errNoRootsInPEM = errors.New("extra roots: no certificates found in pem")

// acmeHTTPTimeout bounds a single request to the ACME server.
const acmeHTTPTimeout = 60 * time.Second

// httpClientWithRoots returns an HTTP client that trusts the system roots
// plus the PEM certificates in extra, or nil (the ACME default client) when
// extra is empty.
func httpClientWithRoots(extra []byte) (*http.Client, error) {
	if len(extra) == 0 {
		return nil, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(extra) {
		return nil, errNoRootsInPEM
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr, Timeout: acmeHTTPTimeout}, nil
}
