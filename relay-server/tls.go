package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"golang.org/x/crypto/acme/autocert"

	"github.com/hookrelay/hookrelay/certs"
	"github.com/hookrelay/hookrelay/internal/store/postgres"
)

// Certificate sources, see config.tlsMode.
const (
	modeNone       = "none" // --dev: plain HTTP
	modeManual     = "manual"
	modeSelfSigned = "self-signed"
	modeACME       = "acme"
)

// Paths under the data directory.
const (
	acmeCacheDir  = "acme"              // autocert cache: account key, certificates
	selfSignedDir = "selfsigned"        // local CA with its private key (0700/0600)
	caCertFile    = "selfsigned-ca.crt" // the local CA certificate alone, for clients
)

// tlsSetup is the certificate source chosen by the config.
type tlsSetup struct {
	mode     string
	provider certs.Provider // nil in modeNone
	caFile   string         // modeSelfSigned: the CA certificate clients must trust
	hosts    []string       // names whose certificate expiry is exported
}

// newTLS builds the provider for cfg's mode.
func newTLS(cfg *config, log *slog.Logger, acmeCache autocert.Cache) (*tlsSetup, error) {
	s := &tlsSetup{mode: cfg.tlsMode(), hosts: certHosts(cfg)}
	var err error
	switch s.mode {
	case modeManual:
		s.provider, err = newManual(cfg, log)
	case modeSelfSigned:
		s.provider, s.caFile, err = newSelfSigned(cfg)
	case modeACME:
		s.provider, err = newACME(cfg, s.hosts, acmeCache)
	}
	return s, err
}

// certHosts is the base domain, the team inspector's host and NAME.DOMAIN for every
// tunnel name the config knows: reserved names and names with per-tunnel settings. These
// are the only names ACME may order certificates for, so a stranger's SNI never costs an
// order.
func certHosts(cfg *config) []string {
	names := make(map[string]bool)
	for _, r := range cfg.reservations() {
		names[r.name] = true
	}
	for name := range cfg.Tunnels {
		names[name] = true
	}
	hosts := make([]string, 0, len(names)+1)
	for name := range names {
		hosts = append(hosts, name+"."+cfg.Domain)
	}
	sort.Strings(hosts)
	first := []string{cfg.Domain}
	if cfg.AdminHost != "" {
		first = append(first, cfg.AdminHost)
	}
	return append(first, hosts...)
}

func newManual(cfg *config, log *slog.Logger) (certs.Provider, error) {
	p, err := certs.NewManual(certs.ManualConfig{CertFile: cfg.TLSCert, KeyFile: cfg.TLSKey,
		OnReload: func(err error) {
			if err != nil {
				log.Error("tls certificate files changed but cannot be used; still serving the previous pair", "err", err)
				return
			}
			log.Info("tls certificate reloaded", "file", cfg.TLSCert)
		}})
	if err != nil {
		return nil, fmt.Errorf("load tls certificate: %w", err)
	}
	return p, nil
}

// newSelfSigned loads or creates the local CA and writes its certificate, without the
// key, where users can point their clients at it.
func newSelfSigned(cfg *config) (certs.Provider, string, error) {
	p, err := certs.NewSelfSigned(certs.SelfSignedConfig{Domain: cfg.Domain, Dir: filepath.Join(cfg.Data, selfSignedDir)})
	if err != nil {
		return nil, "", fmt.Errorf("self-signed certificate: %w", err)
	}
	path, err := filepath.Abs(filepath.Join(cfg.Data, caCertFile))
	if err != nil {
		return nil, "", fmt.Errorf("save ca certificate: %w", err)
	}
	if err := os.WriteFile(path, p.CACertPEM(), 0o644); err != nil {
		return nil, "", fmt.Errorf("save ca certificate: %w", err)
	}
	return p, path, nil
}

// newACME makes the ACME provider; cache nil keeps certificates in the data directory.
func newACME(cfg *config, hosts []string, cache autocert.Cache) (certs.Provider, error) {
	var roots []byte
	if cfg.ACMECAFile != "" {
		var err error
		if roots, err = os.ReadFile(cfg.ACMECAFile); err != nil {
			return nil, fmt.Errorf("read --acme-ca-file: %w", err)
		}
	}
	p, err := certs.NewACME(certs.ACMEConfig{
		CacheDir: filepath.Join(cfg.Data, acmeCacheDir), Cache: cache, Email: cfg.Email,
		DirectoryURL: cfg.ACMEDirectory, ExtraRoots: roots, HostPolicy: certs.ExactHosts(hosts...),
	})
	if err != nil {
		return nil, fmt.Errorf("acme: %w", err)
	}
	return p, nil
}

// sharedACMECache is the ACME cache the nodes of a PostgreSQL store share (with its
// order lock: one node orders each certificate), nil otherwise.
func sharedACMECache(db relayStore) autocert.Cache {
	if pg, ok := db.(*postgres.DB); ok {
		return pg.ACMECache()
	}
	return nil
}

// listenerTLSConfig is the provider's config without HTTP/2: tunnel connects are
// websocket upgrades, which need HTTP/1.1, and the relay proxies HTTP/1.1. ACME's
// acme-tls/1 stays, TLS-ALPN-01 needs it.
func listenerTLSConfig(p certs.Provider) *tls.Config {
	cfg := p.TLSConfig()
	cfg.NextProtos = slices.DeleteFunc(slices.Clone(cfg.NextProtos), func(p string) bool { return p == "h2" })
	return cfg
}
