package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/hookrelay/hookrelay/internal/option"
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

// config is everything relay-server reads from flags, env and the config file; the
// options table (options.go) fills it.
type config struct {
	Addr      string
	HTTPAddr  string // "" when disabled
	AdminAddr string // "" when disabled
	AdminHost string // the team inspector's host, LABEL.Domain; "" when off (see adminHost)
	Domain    string
	Data      string
	Tokens    []tokenEntry
	Teams     map[string]team // teams: in the file (see team)
	Dev       bool
	LogFormat string
	Tunnels   map[string]server.TunnelSettings // tunnels: in the file (see tunnelOptions)
	NoRecord  bool
	Sync      string // SQLite synchronous mode: syncNormal or syncFull

	DatabaseURL    string // PostgreSQL DSN, a secret: never shown with its password (redactDSN)
	DatabaseSchema string

	ClusterListen     string // host:port peers dial for splices (see peerlink.go)
	ClusterSecretFile string

	ProxyFrom []string // balancers that send a PROXY protocol header (see proxy.go)

	Email         string
	ACMEDirectory string
	ACMECAFile    string
	TLSCert       string
	TLSKey        string
	SelfSigned    bool

	// Server holds the options server.Config takes as they are (timeouts, sizes,
	// retention, limits): options.go binds them to its fields, and serverConfig adds
	// what the relay builds at startup (tokens, store, URLs, logger).
	Server server.Config

	configFile string
	tokenFlags []string // --token / HOOKRELAY_TOKEN values, replacing the file's tokens
	devToken   string   // generated in dev mode, never from the file
	warnings   []string // logged at startup, e.g. a weak token accepted for --dev
	set        *option.Set
}

// bind adds relay-server's options (see options.go) to fs, holding their defaults.
func (c *config) bind(fs *pflag.FlagSet) *option.Set {
	c.set = option.NewSet(fs, c.options())
	return c.set
}

// load parses args as relay-server's flags and resolves the config, as the serve
// command does; tests and the README check use it to parse without serving.
func load(args []string, getenv func(string) string) (*config, error) {
	c := new(config)
	fs := pflag.NewFlagSet("relay-server", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.bind(fs)
	if err := fs.Parse(args); err != nil {
		return nil, option.Usage(err)
	}
	if fs.NArg() > 0 {
		return nil, option.Usage(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	return c, c.resolve(getenv)
}

// resolve fills what flags left unset from the config file, then HOOKRELAY_<FLAG> (the
// environment wins over the file), and checks the result. Every error is a usage error.
func (c *config) resolve(getenv func(string) string) error {
	if err := c.resolveSources(getenv); err != nil {
		return err
	}
	if c.set.Changed("token") {
		c.Tokens = entriesOf(c.tokenFlags)
	}
	return option.Usage(c.finish())
}

// resolveSources fills what flags left unset from the config file, then the
// environment, which wins over the file.
func (c *config) resolveSources(getenv func(string) string) error {
	if err := c.set.ApplyEnv(getenv, "config"); err != nil { // the file's path first
		return err
	}
	if c.configFile != "" {
		if err := c.readFile(c.configFile, getenv); err != nil {
			return option.Usage(err)
		}
	}
	return c.set.ApplyEnv(getenv)
}

// finish applies --dev defaults and checks the result: each option's own check, then
// the rules between options.
func (c *config) finish() error {
	if err := c.set.Verify(); err != nil {
		return err
	}
	if c.Dev {
		c.devDefaults()
	}
	c.HTTPAddr, c.AdminAddr = listenerAddr(c.HTTPAddr), listenerAddr(c.AdminAddr)
	if c.Domain == "" {
		return errors.New("--domain is required (or --dev)")
	}
	if err := c.checkAdminHost(); err != nil {
		return err
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key must be given together")
	}
	if c.Dev && (c.TLSCert != "" || c.SelfSigned) {
		return errors.New("--dev serves plain HTTP: drop --tls-cert/--tls-key/--self-signed, or drop --dev")
	}
	if err := c.checkCluster(); err != nil {
		return err
	}
	if err := c.checkDatabase(); err != nil {
		return err
	}
	if err := c.checkTokens(); err != nil {
		return err
	}
	return c.checkStrength()
}

// devDefaults switches the defaults that differ in dev mode: loopback plain HTTP only,
// so no port-80 listener, and no admin listener unless asked for (its default port is
// often taken by a local Prometheus).
func (c *config) devDefaults() {
	c.HTTPAddr = ""
	if !c.set.Changed("addr") {
		c.Addr = devAddr
	}
	if !c.set.Changed("admin-addr") {
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
	for _, r := range c.reservations() {
		if r.name == label {
			return fmt.Errorf("--admin-host %q: %s is reserved as a tunnel name", c.AdminHost, label)
		}
	}
	return nil
}
