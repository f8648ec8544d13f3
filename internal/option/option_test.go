package option

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// testConfig is a small binary's configuration, filled through a table.
type testConfig struct {
	Addr    string
	Limit   int64
	Rate    int64
	Timeout time.Duration
	Count   int
	PerSec  float64
	Dev     bool
	Format  string
	Tokens  []string
	Secret  string
}

func (c *testConfig) options() []Option {
	return []Option{
		{Name: "addr", Value: String(&c.Addr, ":443"), Help: "listen address"},
		{Name: "body-limit", Value: Size(&c.Limit, 32<<20), Check: Positive, Help: "largest body"},
		{Name: "min-rate", Value: ByteRate(&c.Rate, 8<<10), Check: Positive, Help: "lowest body rate"},
		{Name: "timeout", Value: Duration(&c.Timeout, 30*time.Second), Check: Positive, Help: "app timeout"},
		{Name: "max-records", Value: Int(&c.Count, 10000), Check: NonNegative, Help: "records kept (0: no cap)"},
		{Name: "source-rate", Value: PerSecond(&c.PerSec, 1000), Check: Positive, Help: "requests a second"},
		{Name: "dev", Value: Bool(&c.Dev, false), Help: "development mode"},
		{Name: "log-format", Value: String(&c.Format, "text"), Choices: []string{"text", "json"}, Help: "log format"},
		{Name: "token", Value: List(&c.Tokens, ","), Secret: true, Help: "client token"},
		{Name: "password", Value: String(&c.Secret, ""), Secret: true, Check: EmptyOr(OneOf("good-password")), Help: "password"},
	}
}

// loadTest parses args, applies file and env in the binaries' order, and verifies.
func loadTest(args []string, env map[string]string, file string) (*testConfig, *Set, error) {
	c := new(testConfig)
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	s := NewSet(fs, c.options())
	if err := fs.Parse(args); err != nil {
		return c, s, Usage(err)
	}
	getenv := func(k string) string { return env[k] }
	if err := s.ReadFile([]byte(file), getenv, nil); err != nil {
		return c, s, err
	}
	if err := s.ApplyEnv(getenv); err != nil {
		return c, s, err
	}
	return c, s, s.Verify()
}

func TestDefaults(t *testing.T) {
	c, s, err := loadTest(nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	want := testConfig{Addr: ":443", Limit: 32 << 20, Rate: 8 << 10, Timeout: 30 * time.Second, Count: 10000, PerSec: 1000, Format: "text"}
	if c.Addr != want.Addr || c.Limit != want.Limit || c.Rate != want.Rate || c.Timeout != want.Timeout ||
		c.Count != want.Count || c.PerSec != want.PerSec || c.Format != want.Format || c.Tokens != nil {
		t.Errorf("defaults %+v, want %+v", *c, want)
	}
	for name, def := range map[string]string{"body-limit": "32MiB", "min-rate": "8KiB/s", "timeout": "30s",
		"source-rate": "1000/s", "dev": "", "token": "", "max-records": "10000"} {
		if got := s.byName[name].Default(); got != def {
			t.Errorf("%s: Default() = %q, want %q", name, got, def)
		}
		if s.Changed(name) {
			t.Errorf("%s: changed without being given", name)
		}
	}
}

// Each option comes from its flag, else its variable, else the file, else the default.
func TestPrecedence(t *testing.T) {
	file := "addr: file:1\nbody_limit: 1MiB\nmin_rate: 1KiB/s\ntimeout: 1s\nlog_format: json\n"
	env := map[string]string{"HOOKRELAY_ADDR": "env:2", "HOOKRELAY_BODY_LIMIT": "2MiB", "HOOKRELAY_MIN_RATE": "2KiB/s"}
	args := []string{"--addr", "flag:3"}
	c, s, err := loadTest(args, env, file)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, got, want, from string
	}{
		{"addr", c.Addr, "flag:3", "flag"},
		{"body-limit", FormatSize(c.Limit), "2MiB", "HOOKRELAY_BODY_LIMIT"},
		{"min-rate", FormatSize(c.Rate), "2KiB", "HOOKRELAY_MIN_RATE"},
		{"timeout", c.Timeout.String(), "1s", "file timeout"},
		{"log-format", c.Format, "json", "file log_format"},
		{"max-records", FormatSize(int64(c.Count)), "10000", ""},
	} {
		if tt.got != tt.want || s.From(tt.name) != tt.from {
			t.Errorf("%s = %q from %q, want %q from %q", tt.name, tt.got, s.From(tt.name), tt.want, tt.from)
		}
	}
}

func TestLists(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		env  string
		file string
		want string
	}{
		{"flags", []string{"--token", "a", "--token", "b"}, "x,y", "token: [p]", "a|b"},
		{"env commas", nil, " x, y ,,", "token: [p]", "x|y"},
		{"file list", nil, "", "token: [p, q]", "p|q"},
		{"file scalar", nil, "", "token: p", "p"},
	} {
		c, _, err := loadTest(tt.args, map[string]string{"HOOKRELAY_TOKEN": tt.env}, tt.file)
		if got := strings.Join(c.Tokens, "|"); err != nil || got != tt.want {
			t.Errorf("%s: tokens %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

// Bad values are usage errors naming the flag, the value and where it came from.
func TestErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		file string
		want string
	}{
		{"negative size", []string{"--body-limit", "-5"}, nil, "", "--body-limit -5: must not be negative"},
		{"zero size", []string{"--body-limit", "0"}, nil, "", "--body-limit 0: must be more than 0"},
		{"negative duration", []string{"--timeout", "-1s"}, nil, "", "--timeout -1s: must not be negative"},
		{"negative count", []string{"--max-records", "-1"}, nil, "", "--max-records -1: must not be negative"},
		{"negative rate", []string{"--source-rate", "-0.5"}, nil, "", "--source-rate -0.5/s: must not be negative"},
		{"bad unit", []string{"--body-limit", "32MB/s"}, nil, "", `invalid argument "32MB/s" for "--body-limit" flag`},
		{"bad env", nil, map[string]string{"HOOKRELAY_TIMEOUT": "soon"}, "", `--timeout (from HOOKRELAY_TIMEOUT): "soon": want a duration`},
		{"env range", nil, map[string]string{"HOOKRELAY_BODY_LIMIT": "-1KiB"}, "", "--body-limit -1KiB (from HOOKRELAY_BODY_LIMIT): must not be negative"},
		{"file range", nil, nil, "min_rate: 0", "--min-rate 0/s (from file min_rate): must be more than 0"},
		{"not one of", []string{"--log-format", "xml"}, nil, "", "--log-format xml: want text or json"},
		{"unknown key", nil, nil, "addr: x\nbody_limt: 1MiB\n", `line 2: unknown key "body_limt"`},
		{"list for a value", nil, nil, "addr: [a, b]\n", "addr: want one value, not a list"},
		{"mapping for a value", nil, nil, "addr: {a: b}\n", "addr: want a value, not a map"},
		{"not a mapping", nil, nil, "- a\n- b\n", "want a mapping"},
		{"bad yaml", nil, nil, "addr: [\n", "yaml"},
		{"bool", nil, map[string]string{"HOOKRELAY_DEV": "yes please"}, "", "want true or false"},
	} {
		_, _, err := loadTest(tt.args, tt.env, tt.file)
		var usage *UsageError
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.As(err, &usage) {
			t.Errorf("%s: err %v, want a usage error containing %q", tt.name, err, tt.want)
		}
	}
}

// Every failing option is reported, not only the first.
func TestVerifyReportsAll(t *testing.T) {
	_, _, err := loadTest([]string{"--body-limit", "-5", "--timeout", "-1s"}, nil, "")
	if err == nil || !strings.Contains(err.Error(), "--body-limit") || !strings.Contains(err.Error(), "--timeout") {
		t.Errorf("err %v, want both options named", err)
	}
}

// A secret's value appears neither in help nor in errors.
func TestSecretsHidden(t *testing.T) {
	const secret = "hr_secret_value_91c2"
	_, _, err := loadTest([]string{"--password", secret}, nil, "")
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("err %v: want an error without the secret", err)
	}
	c := new(testConfig)
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	NewSet(fs, c.options())
	c.Secret, c.Tokens = secret, []string{secret}
	if usage := fs.FlagUsages(); strings.Contains(usage, secret) {
		t.Errorf("help shows the secret:\n%s", usage)
	}
}

func TestNames(t *testing.T) {
	o := Option{Name: "tunnel-record-quota"}
	if o.Env() != "HOOKRELAY_TUNNEL_RECORD_QUOTA" || o.Key() != "tunnel_record_quota" {
		t.Errorf("env %q key %q", o.Env(), o.Key())
	}
	o.NoFile = true
	if o.Key() != "" {
		t.Errorf("NoFile key %q", o.Key())
	}
}

// FuzzReadFile: no file makes ReadFile or Verify panic.
func FuzzReadFile(f *testing.F) {
	for _, s := range []string{"", "addr: x\n", "body_limit: 32MiB\ntoken: [a, b]\n", "timeout: -1s\n", "- a\n", "addr: {a: b}\n", "a: &x 1\nb: *x\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, file string) {
		_, _, _ = loadTest(nil, nil, file)
	})
}

func TestFileAlias(t *testing.T) {
	c, _, err := loadTest(nil, nil, "body_limit: &size 2MiB\nmin_rate: *size\n")
	if err != nil || c.Limit != 2<<20 || c.Rate != 2<<20 {
		t.Fatalf("body limit %d, min rate %d, %v; want both 2MiB", c.Limit, c.Rate, err)
	}
}
