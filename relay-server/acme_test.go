package main

import (
	"net/http"
	"slices"
	"testing"

	"github.com/hookrelay/hookrelay/internal/pebbletest"
)

// TestACMEWithPebble has relay-server obtain its certificate from an in-process Pebble
// CA through TLS-ALPN-01 on its HTTPS listener (the plain-HTTP listener is off, so
// HTTP-01 cannot be used) and serve /healthz with it.
func TestACMEWithPebble(t *testing.T) {
	ca := pebbletest.Start(t)
	apiRoots := writeFile(t, "pebble-api.pem", ca.APIRootPEM)
	r := startRelay(t, "--domain", "relay.test", "--addr", "127.0.0.1:0", "--http-addr", "",
		"--admin-addr", "127.0.0.1:0", "--acme-directory", ca.DirectoryURL, "--acme-ca-file", apiRoots,
		"--email", "ops@relay.test", "--token", "acme-token-0123456789")
	ca.Route(r.Addr, "")
	if want := "https://relay.test:" + portOf(t, r.Addr); r.PublicURL != want {
		t.Errorf("public URL %q, want %q", r.PublicURL, want)
	}

	c := httpsClient(ca.IssuerRoots, r.Addr)
	resp, body := do(t, c, http.MethodGet, r.PublicURL+"/healthz", "")
	if resp.StatusCode != http.StatusOK || body != "ok\n" {
		t.Fatalf("healthz: %s %q", resp.Status, body)
	}
	if names := resp.TLS.PeerCertificates[0].DNSNames; !slices.Equal(names, []string{"relay.test"}) {
		t.Errorf("certificate names %v, want [relay.test]", names)
	}
	if ca.Orders() != 1 || ca.TLSValidations() == 0 || ca.HTTPValidations() != 0 {
		t.Errorf("orders %d, TLS-ALPN-01 validations %d, HTTP-01 validations %d; want 1, >0, 0",
			ca.Orders(), ca.TLSValidations(), ca.HTTPValidations())
	}
	// A new client means a new handshake: it must reuse the certificate.
	do(t, httpsClient(ca.IssuerRoots, r.Addr), http.MethodGet, r.PublicURL+"/", "")
	if ca.Orders() != 1 {
		t.Errorf("orders %d after a second request, want 1", ca.Orders())
	}
	assertAdmin(t, r.AdminAddr, []string{`hookrelay_cert_expiry_timestamp_seconds{host="relay.test"} `})
}
