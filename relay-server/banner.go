package main

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/hookrelay/hookrelay/certs"
	"github.com/hookrelay/hookrelay/internal/cli"
)

// printBanner tells the operator where the relay listens and how certificates work. It
// prints a token only in dev mode, where the token is generated for this machine.
func printBanner(w io.Writer, r *relay) {
	cfg := r.cfg
	pathForm, hostForm := r.publicURL+"/t/NAME/", hostFormURL(r.publicURL, cfg.Domain)
	fmt.Fprintf(w, "hookrelay relay-server %s\n", cli.Version())
	if cfg.Dev {
		// *.localhost needs no DNS, and single-page apps work only on a host of their own.
		fmt.Fprintf(w, "hookrelay relay-server listening on %s (tunnels: %s and %s)\n", r.publicURL, hostForm, pathForm)
	} else {
		fmt.Fprintf(w, "hookrelay relay-server listening on %s (tunnels: %s and %s)\n", r.publicURL, pathForm, hostForm)
	}
	if u := r.srv.AdminURL(); u != "" {
		fmt.Fprintf(w, "team inspector on its own origin: %s (log in with a client token)\n", u)
	}
	printTLS(w, r)
	if cfg.DatabaseURL != "" {
		fmt.Fprintf(w, "store: PostgreSQL %s\n", redactDSN(cfg.DatabaseURL))
	}
	if ln := r.lns.http; ln != nil {
		what := "redirects to HTTPS"
		if r.tls.mode == modeACME {
			what = "ACME challenges, everything else redirected to HTTPS"
		}
		fmt.Fprintf(w, "plain HTTP on %s: %s\n", ln.Addr(), what)
	}
	if ln := r.lns.admin; ln != nil {
		fmt.Fprintf(w, "admin on http://%s: /metrics /healthz /readyz\n", ln.Addr())
	} else if cfg.Dev {
		fmt.Fprintf(w, "admin listener off with --dev (add --admin-addr %s for /metrics /healthz /readyz and relay-server healthcheck)\n", defaultAdminAddr)
	}
	if len(cfg.Tokens) == 0 && cfg.devToken == "" {
		fmt.Fprintln(w, "warning: no --token configured: every client will be refused")
	}
	if cfg.devToken != "" {
		fmt.Fprintf(w, "dev token: %s\nconnect a client with:\n  %s http 3000 --server %s --token %s --name myhook\n",
			cfg.devToken, clientCommand(os.Args[0]), r.publicURL, cfg.devToken)
	}
}

// printTLS describes the certificate source.
func printTLS(w io.Writer, r *relay) {
	cfg := r.cfg
	switch r.tls.mode {
	case modeManual:
		fmt.Fprintf(w, "tls: certificate %s, key %s (reloaded when they change)\n", cfg.TLSCert, cfg.TLSKey)
	case modeSelfSigned:
		fmt.Fprintf(w, "tls: self-signed; clients must trust the CA certificate in %s\n"+
			"  e.g. curl --cacert %s %s/healthz\n", r.tls.caFile, r.tls.caFile, r.publicURL)
	case modeACME:
		dir := cfg.ACMEDirectory
		if dir == "" {
			dir = certs.LetsEncryptURL
		}
		fmt.Fprintf(w, "tls: certificates from %s on first use, for %s\n", dir, strings.Join(r.tls.hosts, ", "))
	}
}

// hostFormURL is the host-form URL pattern of publicURL: NAME.domain, with the port.
func hostFormURL(publicURL, domain string) string {
	u, err := url.Parse(publicURL)
	if err != nil {
		return "NAME." + domain
	}
	host := "NAME." + domain
	if p := u.Port(); p != "" {
		host = net.JoinHostPort(host, p)
	}
	return u.Scheme + "://" + host + "/"
}

// clientCommand is how to start relay-client, as this server was started: "go run
// ./relay-client" when the server itself runs under go run (from a checkout), else
// "relay-client".
func clientCommand(self string) string {
	if strings.Contains(filepath.ToSlash(self), "/go-build") {
		return "go run ./relay-client"
	}
	return "relay-client"
}
