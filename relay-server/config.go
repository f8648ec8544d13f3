package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/hookrelay/hookrelay/internal/server"
)

// Listener defaults outside --dev.
const (
	defaultAddr      = ":443"
	defaultHTTPAddr  = ":80"
	defaultAdminAddr = "127.0.0.1:9090"
	devAddr          = "127.0.0.1:8080"
	// addrOff disables a listener; the empty string does too, but cannot be given
	// through the environment.
	addrOff = "off"
)

// Values of --sync: SQLite's synchronous setting (see internal/store/sqlite).
const (
	syncNormal = "normal"
	syncFull   = "full"
)

// config is everything relay-server reads from flags, env and the config file.
type config struct {
	Addr       string
	HTTPAddr   string // "" when disabled
	AdminAddr  string // "" when disabled
	AdminHost  string // the team inspector's host, LABEL.Domain; "" when off (see adminHost)
	Domain     string
	Data       string
	Tokens     []tokenEntry
	Dev        bool
	Timeout    time.Duration
	BodyLimit  int64
	RecordCap  int64
	Retention  time.Duration
	MaxRecords int
	QueueTTL   time.Duration
	LogFormat  string
	Tunnels    map[string]tunnelSettings
	NoRecord   bool
	Sync       string // SQLite synchronous mode: syncNormal or syncFull

	Email         string
	ACMEDirectory string
	ACMECAFile    string
	TLSCert       string
	TLSKey        string
	SelfSigned    bool

	MaxInflight int
	Limits      server.Limits

	tokenFlags []string // --token / HOOKRELAY_TOKEN values, replacing the file's tokens
	devToken   string   // generated in dev mode, never from the file
	warnings   []string // logged at startup, e.g. a weak token accepted for --dev
}

// tunnelSettings are the per-tunnel settings of the config file.
type tunnelSettings struct {
	Timeout   time.Duration `yaml:"timeout"`
	BodyLimit int64         `yaml:"body_limit"`
	Offline   string        `yaml:"offline"`
}

// flags binds the command-line flags to c. Defaults here are the non-dev ones; --dev
// changes the defaults of addr, admin-addr and domain (see finish).
func (c *config) flags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", defaultAddr, "public listener address, HTTPS (default 127.0.0.1:8080, plain HTTP, with --dev)")
	fs.StringVar(&c.HTTPAddr, "http-addr", defaultHTTPAddr, "plain-HTTP listener for ACME HTTP-01 and redirects to HTTPS (\"\" or off: none)")
	fs.StringVar(&c.AdminAddr, "admin-addr", defaultAdminAddr, "admin listener for /metrics, /healthz, /readyz (\"\" or off: none; off by default with --dev)")
	fs.StringVar(&c.AdminHost, "admin-host", "", "host of the team inspector's own origin, a name under --domain (default inspect.DOMAIN; off: no team inspector)")
	fs.StringVar(&c.Domain, "domain", "", "base domain: tunnels are DOMAIN/t/NAME/ and NAME.DOMAIN (localhost with --dev)")
	fs.StringVar(&c.Data, "data", "./hookrelay-data", "data directory: database, certificate cache")
	fs.StringArrayVar(&c.tokenFlags, "token", nil, "client token, in clear or as sha256:<hex> (repeatable; replaces the file's tokens)")
	fs.BoolVar(&c.Dev, "dev", false, "development mode: plain HTTP on loopback, no ACME, a generated token")
	fs.DurationVar(&c.Timeout, "timeout", 30*time.Second, "how long a local app may take to answer")
	fs.Int64Var(&c.BodyLimit, "body-limit", 32<<20, "largest request body accepted, in bytes")
	fs.Int64Var(&c.RecordCap, "record-cap", 10<<20, "body bytes recorded per request and response")
	fs.DurationVar(&c.Retention, "retention", 7*24*time.Hour, "how long deliveries are kept")
	fs.IntVar(&c.MaxRecords, "max-records", 10000, "deliveries kept per tunnel (0: no cap)")
	fs.DurationVar(&c.QueueTTL, "queue-ttl", 24*time.Hour, "how long a queued delivery waits for its client")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.BoolVar(&c.NoRecord, "no-record", false, "record nothing (benchmarks only: no replay, no queue)")
	fs.StringVar(&c.Sync, "sync", syncNormal, "store durability: normal (survives kill -9; a power cut may lose the last commits) or full (fsync every commit: survives power loss, fewer writes per second)")
	c.tlsFlags(fs)
	c.limitFlags(fs)
}

// tlsFlags binds the certificate flags. Exactly one source applies: the files when
// --tls-cert and --tls-key are given, else a self-signed CA with --self-signed, else ACME.
func (c *config) tlsFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Email, "email", "", "ACME account contact address, for expiry notices")
	fs.StringVar(&c.ACMEDirectory, "acme-directory", "", "ACME directory URL (default Let's Encrypt production)")
	fs.StringVar(&c.ACMECAFile, "acme-ca-file", "", "PEM roots trusted for the ACME server (private or test CA)")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "certificate chain PEM file, reloaded on change (a *.DOMAIN wildcard serves every tunnel host)")
	fs.StringVar(&c.TLSKey, "tls-key", "", "private key PEM file for --tls-cert")
	fs.BoolVar(&c.SelfSigned, "self-signed", false, "serve a certificate from a local CA saved in the data dir (for trying HTTPS)")
}

// load fills c from flags, then HOOKRELAY_<FLAG> env for flags not given, then the
// config file for what is still unset.
func load(args []string, getenv func(string) string) (*config, error) {
	c := new(config)
	fs := pflag.NewFlagSet("relay-server", pflag.ContinueOnError)
	c.flags(fs)
	configFile := fs.String("config", getenv("HOOKRELAY_CONFIG"), "YAML config file")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *configFile != "" {
		if err := c.readFile(*configFile, fs); err != nil {
			return nil, err
		}
	}
	if err := applyEnv(fs, getenv); err != nil {
		return nil, err
	}
	if fs.Changed("token") {
		c.Tokens = entriesOf(c.tokenFlags)
	}
	return c, c.finish(fs)
}

// applyEnv sets every flag not given on the command line from HOOKRELAY_<FLAG>.
func applyEnv(fs *pflag.FlagSet, getenv func(string) string) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		key := "HOOKRELAY_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v := getenv(key)
		if f.Changed || v == "" || err != nil {
			return
		}
		for _, part := range envValues(f, v) {
			if e := fs.Set(f.Name, part); e != nil {
				err = fmt.Errorf("%s: %w", key, e)
			}
		}
	})
	return err
}

// envValues splits a list flag's env value on commas, dropping blanks around and
// between the items ("a, b," is a and b).
func envValues(f *pflag.Flag, v string) []string {
	if f.Value.Type() != "stringArray" {
		return []string{v}
	}
	var out []string
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// finish applies --dev defaults and checks the result.
func (c *config) finish(fs *pflag.FlagSet) error {
	if c.Dev {
		c.devDefaults(fs)
	}
	c.HTTPAddr, c.AdminAddr = listenerAddr(c.HTTPAddr), listenerAddr(c.AdminAddr)
	if c.Domain == "" {
		return errors.New("--domain is required (or --dev)")
	}
	if err := c.checkAdminHost(); err != nil {
		return err
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("--log-format %q: want text or json", c.LogFormat)
	}
	if c.Sync != syncNormal && c.Sync != syncFull {
		return fmt.Errorf("--sync %q: want %s or %s", c.Sync, syncNormal, syncFull)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key must be given together")
	}
	if c.Dev && (c.TLSCert != "" || c.SelfSigned) {
		return errors.New("--dev serves plain HTTP: drop --tls-cert/--tls-key/--self-signed, or drop --dev")
	}
	if err := c.Limits.Check(); err != nil || c.MaxInflight < 0 {
		return errors.Join(err, errNegative(c.MaxInflight, "max-inflight"))
	}
	if err := checkTokens(c.Tokens); err != nil {
		return err
	}
	return c.checkStrength()
}

// devDefaults switches the defaults that differ in dev mode: loopback plain HTTP only,
// so no port-80 listener, and no admin listener unless asked for (its default port is
// often taken by a local Prometheus).
func (c *config) devDefaults(fs *pflag.FlagSet) {
	c.HTTPAddr = ""
	if !fs.Changed("addr") && c.Addr == defaultAddr {
		c.Addr = devAddr
	}
	if !fs.Changed("admin-addr") && c.AdminAddr == defaultAdminAddr {
		c.AdminAddr = ""
	}
	if c.Domain == "" {
		c.Domain = "localhost"
	}
}

// listenerAddr maps the "off" spelling of a disabled listener to "".
func listenerAddr(addr string) string {
	if strings.EqualFold(addr, addrOff) {
		return ""
	}
	return addr
}

// tlsMode names the certificate source the config selects.
func (c *config) tlsMode() string {
	switch {
	case c.Dev:
		return modeNone
	case c.TLSCert != "":
		return modeManual
	case c.SelfSigned:
		return modeSelfSigned
	}
	return modeACME
}

// checkAdminHost defaults --admin-host to inspect.DOMAIN and checks it is one label
// under the domain: every certificate source then covers it (the ACME host list, a
// *.DOMAIN wildcard, the self-signed leaf) and no extra DNS record is needed beside the
// wildcard. The label is not a tunnel name the config may reserve.
func (c *config) checkAdminHost() error {
	c.Domain = strings.ToLower(strings.TrimSuffix(c.Domain, "."))
	c.AdminHost = strings.ToLower(strings.TrimSuffix(c.AdminHost, "."))
	switch c.AdminHost {
	case addrOff:
		c.AdminHost = ""
		return nil
	case "":
		c.AdminHost = "inspect." + c.Domain
		return nil
	}
	label, ok := strings.CutSuffix(c.AdminHost, "."+c.Domain)
	if !ok || label == "" || strings.Contains(label, ".") {
		return fmt.Errorf("--admin-host %q: want one name under --domain, e.g. inspect.%s", c.AdminHost, c.Domain)
	}
	if _, taken := c.Tunnels[label]; taken {
		return fmt.Errorf("--admin-host %q: %s is configured as a tunnel name", c.AdminHost, label)
	}
	for _, r := range reservations(c.Tokens) {
		if r.name == label {
			return fmt.Errorf("--admin-host %q: %s is reserved as a tunnel name", c.AdminHost, label)
		}
	}
	return nil
}

// errNegative is the error for a negative count option, nil otherwise.
func errNegative(v int, flag string) error {
	if v < 0 {
		return fmt.Errorf("--%s must not be negative", flag)
	}
	return nil
}
