package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/hookrelay/hookrelay/internal/server"
)

// loaded is the part of a config the table tests compare.
type loaded struct {
	addr, httpAddr, adminAddr, domain, mode string
	tokens                                  []tokenEntry
}

func summary(c *config) loaded {
	return loaded{addr: c.Addr, httpAddr: c.HTTPAddr, adminAddr: c.AdminAddr, domain: c.Domain,
		mode: c.tlsMode(), tokens: c.Tokens}
}

// acmeDefaults is what --domain relay.test alone gives.
var acmeDefaults = loaded{addr: ":443", httpAddr: ":80", adminAddr: "127.0.0.1:9090", domain: "relay.test", mode: modeACME}

func with(l loaded, f func(*loaded)) loaded {
	f(&l)
	return l
}

const (
	digestTest  = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" // "test"
	digestTest2 = "sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752" // "test2"
	digestTest3 = "sha256:fd61a03af4f77d870fc21e05e7e80678095c92d808cfb3b5c279ee04c74aca13" // "test3"
)

var loadTests = []struct {
	name string
	args []string
	env  map[string]string
	file string // config file content; "" for none
	want loaded
}{
	{name: "defaults", args: []string{"--domain", "relay.test"}, want: acmeDefaults},
	{name: "dev defaults", args: []string{"--dev"},
		want: loaded{addr: "127.0.0.1:8080", domain: "localhost", mode: modeNone}},
	{name: "dev keeps explicit admin", args: []string{"--dev", "--admin-addr", "127.0.0.1:0"},
		want: loaded{addr: "127.0.0.1:8080", adminAddr: "127.0.0.1:0", domain: "localhost", mode: modeNone}},
	{name: "http disabled by flag", args: []string{"--domain", "relay.test", "--http-addr", ""},
		want: with(acmeDefaults, func(l *loaded) { l.httpAddr = "" })},
	{name: "listeners off by env", args: []string{"--domain", "relay.test"},
		env:  map[string]string{"HOOKRELAY_HTTP_ADDR": "off", "HOOKRELAY_ADMIN_ADDR": "OFF"},
		want: with(acmeDefaults, func(l *loaded) { l.httpAddr, l.adminAddr = "", "" })},
	{name: "listeners off by file", file: "domain: relay.test\nhttp_addr: \"\"\nadmin_addr: off\n",
		want: with(acmeDefaults, func(l *loaded) { l.httpAddr, l.adminAddr = "", "" })},
	{name: "flag over env over file", args: []string{"--addr", ":8443"},
		env:  map[string]string{"HOOKRELAY_DOMAIN": "env.test", "HOOKRELAY_ADDR": ":9443"},
		file: "domain: file.test\naddr: \":7443\"\nhttp_addr: \":8080\"\n",
		want: with(acmeDefaults, func(l *loaded) { l.addr, l.httpAddr, l.domain = ":8443", ":8080", "env.test" })},
	{name: "manual wins over self-signed",
		args: []string{"--domain", "relay.test", "--tls-cert", "c.pem", "--tls-key", "k.pem", "--self-signed"},
		want: with(acmeDefaults, func(l *loaded) { l.mode = modeManual })},
	{name: "self-signed by env", args: []string{"--domain", "relay.test"},
		env:  map[string]string{"HOOKRELAY_SELF_SIGNED": "true"},
		want: with(acmeDefaults, func(l *loaded) { l.mode = modeSelfSigned })},
	{name: "file tokens with names",
		file: "domain: relay.test\ntokens:\n  - clear-token-0123456789\n  - token: " + digestTest + "\n    names: [stripe, gh]\n",
		want: with(acmeDefaults, func(l *loaded) {
			l.tokens = []tokenEntry{{Spec: "clear-token-0123456789"}, {Spec: digestTest, Names: []string{"stripe", "gh"}}}
		})},
	{name: "env tokens replace file tokens", env: map[string]string{"HOOKRELAY_TOKEN": " token-a-0123456789, " + digestTest2 + ","},
		file: "domain: relay.test\ntokens: [{token: x, names: [shop]}]\n",
		want: with(acmeDefaults, func(l *loaded) { l.tokens = []tokenEntry{{Spec: "token-a-0123456789"}, {Spec: digestTest2}} })},
	{name: "flag tokens", args: []string{"--domain", "relay.test", "--token", "token-one-0123456789", "--token", "token-two-0123456789"},
		want: with(acmeDefaults, func(l *loaded) {
			l.tokens = []tokenEntry{{Spec: "token-one-0123456789"}, {Spec: "token-two-0123456789"}}
		})},
	{name: "empty file", args: []string{"--domain", "relay.test"}, file: "# nothing\n", want: acmeDefaults},
	{name: "empty sections", file: "domain: relay.test\ntokens:\ntunnels:\n", want: acmeDefaults},
}

func TestLoad(t *testing.T) {
	for _, tt := range loadTests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadWith(t, tt.args, tt.env, tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// loadWith runs load with a config file holding file (if any) and env as environment.
func loadWith(t *testing.T, args []string, env map[string]string, file string) (*config, error) {
	t.Helper()
	if file != "" {
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append([]string{"--config", path}, args...)
	}
	return load(args, func(k string) string { return env[k] })
}

var loadErrorTests = []struct {
	name string
	args []string
	file string
	want string // substring of the error
	is   error
}{
	{name: "no domain", want: "--domain is required"},
	{name: "unknown key", file: "domain: relay.test\ndomian: typo.test\n", want: `line 2: unknown key "domian"`},
	{name: "unknown tunnel key", file: "domain: relay.test\ntunnels: {a: {timeuot: 1s}}\n", want: `unknown key "timeuot"`},
	{name: "cert without key", args: []string{"--domain", "relay.test", "--tls-cert", "c.pem"}, want: "must be given together"},
	{name: "dev with self-signed", args: []string{"--dev", "--self-signed"}, want: "--dev serves plain HTTP"},
	{name: "bad sync", args: []string{"--domain", "relay.test", "--sync", "sometimes"}, want: "want normal or full"},
	{name: "bad log format", args: []string{"--domain", "relay.test", "--log-format", "xml"}, want: "want text or json"},
	{name: "token entry unknown key", file: "domain: relay.test\ntokens: [{token: x, name: [a]}]\n",
		want: `unknown key "name"`, is: errTokenEntry},
	{name: "token entry without token", file: "domain: relay.test\ntokens: [{names: [a]}]\n",
		want: "token is missing", is: errTokenEntry},
	{name: "token entry list", file: "domain: relay.test\ntokens: [[a, b]]\n", want: "want a string or", is: errTokenEntry},
	{name: "bad digest", file: "domain: relay.test\ntokens: [\"sha256:abcd\"]\n", want: "64 hex digits"},
	{name: "empty token", file: "domain: relay.test\ntokens: [\"\"]\n", want: "empty token"},
	{name: "reserved name invalid", file: "domain: relay.test\ntokens: [{token: x, names: [Bad_Name]}]\n", want: "bad tunnel name"},
	{name: "reserved name is the server's", file: "domain: relay.test\ntokens: [{token: x, names: [admin]}]\n", want: "bad tunnel name"},
	{name: "name reserved twice", file: "domain: relay.test\ntokens: [{token: x, names: [a]}, {token: y, names: [b, a]}]\n",
		want: `name "a" is already reserved by token 1`},
	{name: "missing file", args: []string{"--config", "/nonexistent/relay.yaml"}, want: "read config"},
}

func TestLoadErrors(t *testing.T) {
	for _, tt := range loadErrorTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadWith(t, tt.args, nil, tt.file)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.is)
			}
		})
	}
}

// TestExampleConfig loads testdata/config.yaml, the example shipped with the docs.
func TestExampleConfig(t *testing.T) {
	c, err := load([]string{"--config", filepath.Join("testdata", "config.yaml")}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	want := loaded{addr: ":443", httpAddr: ":80", adminAddr: "127.0.0.1:9090", domain: "relay.example.com", mode: modeACME,
		tokens: []tokenEntry{{Spec: digestTest}, {Spec: digestTest2, Names: []string{"stripe", "github"}}}}
	if got := summary(c); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if c.Sync != syncFull {
		t.Errorf("sync = %q, want %q", c.Sync, syncFull)
	}
	if hs := c.Tunnels["slackbot"].Handshake; len(hs) != 2 || hs[1] != "meta:my-verify-token" {
		t.Errorf("tunnel slackbot handshake = %q", hs)
	}
	if c.Tunnels["stripe"].Offline != "queue" || c.Tunnels["stripe"].Timeout != 10*time.Second {
		t.Errorf("tunnel stripe = %+v", c.Tunnels["stripe"])
	}
	if c.Server.BodyLimit != 32<<20 || c.Server.Limits.BodyMinRate != 8<<10 || c.Server.Retention != 7*24*time.Hour || c.Tunnels["github"].BodyLimit != 1<<20 {
		t.Errorf("body limit %d, body min rate %d, retention %v, github %+v: want the sizes the file writes in units",
			c.Server.BodyLimit, c.Server.Limits.BodyMinRate, c.Server.Retention, c.Tunnels["github"])
	}
	if !reflect.DeepEqual(c.Teams, map[string]team{"payments": {Tokens: []string{digestTest3}, Names: []string{"stripe-test"}}}) {
		t.Errorf("teams = %+v", c.Teams)
	}
	wantHosts := []string{"relay.example.com", "inspect.relay.example.com", "github.relay.example.com", "slackbot.relay.example.com",
		"stripe-test.relay.example.com",
		"stripe.relay.example.com"}
	if got := certHosts(c); !reflect.DeepEqual(got, wantHosts) {
		t.Errorf("certHosts = %v, want %v", got, wantHosts)
	}
}

// TestAdminHost: --admin-host defaults to inspect.DOMAIN, must be one name under the
// domain, cannot be a tunnel name the config reserves, and "off" turns it off.
func TestAdminHost(t *testing.T) {
	tests := []struct {
		args []string
		want string // "" with wantErr
		err  bool
	}{
		{[]string{"--domain", "relay.example.com"}, "inspect.relay.example.com", false},
		{[]string{"--dev"}, "inspect.localhost", false},
		{[]string{"--domain", "relay.example.com", "--admin-host", "Team.Relay.Example.com."}, "team.relay.example.com", false},
		{[]string{"--domain", "relay.example.com", "--admin-host", "off"}, "", false},
		{[]string{"--domain", "relay.example.com", "--admin-host", "admin.example.org"}, "", true},
		{[]string{"--domain", "relay.example.com", "--admin-host", "a.b.relay.example.com"}, "", true},
		{[]string{"--domain", "relay.example.com", "--admin-host", "relay.example.com"}, "", true},
		{[]string{"--domain", "relay.example.com", "--token", "sha256:" + strings.Repeat("ab", 32), "--admin-host", "stripe.relay.example.com",
			"--config", filepath.Join("testdata", "config.yaml")}, "", true},
	}
	for _, tt := range tests {
		c, err := load(tt.args, func(string) string { return "" })
		if tt.err {
			if err == nil {
				t.Errorf("%v: no error, admin host %q", tt.args, c.AdminHost)
			}
			continue
		}
		if err != nil || c.AdminHost != tt.want {
			t.Errorf("%v: admin host %q, err %v; want %q", tt.args, c.AdminHost, err, tt.want)
		}
	}
}

func TestOwnerOfMatchesServer(t *testing.T) {
	clear, err := ownerOf("test")
	if err != nil {
		t.Fatal(err)
	}
	hashed, err := ownerOf(digestTest)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := tokensFor(&config{Tokens: []tokenEntry{{Spec: digestTest}}})
	if err != nil {
		t.Fatal(err)
	}
	owner, ok := tokens.Owner("test")
	if !ok || owner != clear || owner != hashed {
		t.Errorf("server owner %q (%v), clear %q, hashed %q: want all equal", owner, ok, clear, hashed)
	}
}

// FuzzParseFile checks the config file decoder never panics and that whatever it
// accepts passes or fails token checks without panicking either.
func FuzzParseFile(f *testing.F) {
	for _, tt := range loadTests {
		f.Add([]byte(tt.file))
	}
	for _, tt := range loadErrorTests {
		f.Add([]byte(tt.file))
	}
	seed, err := os.ReadFile(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, b []byte) {
		c := new(config)
		c.bind(pflag.NewFlagSet("fuzz", pflag.ContinueOnError))
		if err := c.applyFile(b, noEnv); err != nil {
			return
		}
		_ = c.set.Verify()
		_ = c.checkTokens()
		_ = c.reservations()
	})
}

// FuzzOwnerOf checks ownerOf accepts exactly the specs server.Tokens accepts, and that
// a token in clear and its sha256: form get the same owner.
func FuzzOwnerOf(f *testing.F) {
	for _, s := range []string{"test", digestTest, digestTest2, "", "sha256:", "sha256:abcd", "sha256:" + strings.Repeat("zz", 32)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		owner, err := ownerOf(spec)
		addErr := new(server.Tokens).Add(spec)
		if (err == nil) != (addErr == nil) {
			t.Fatalf("ownerOf(%q) err %v, Tokens.Add err %v", spec, err, addErr)
		}
		if err != nil || strings.HasPrefix(spec, "sha256:") {
			return
		}
		if hashed, _ := ownerOf(server.HashToken(spec)); hashed != owner {
			t.Fatalf("clear owner %q, hashed owner %q", owner, hashed)
		}
	})
}
