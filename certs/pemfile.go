package certs

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// firstCertificate parses the first CERTIFICATE block of PEM data, skipping
// any other blocks (autocert stores the private key first).
func firstCertificate(data []byte) (*x509.Certificate, error) {
	block, err := findBlock(data, "CERTIFICATE")
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	return cert, nil
}

// findBlock returns the first PEM block of the given type.
func findBlock(data []byte, typ string) (*pem.Block, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, fmt.Errorf("no %s block in pem data", typ)
		}
		if block.Type == typ {
			return block, nil
		}
	}
}
