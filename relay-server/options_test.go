package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/cli"
	"github.com/hookrelay/hookrelay/internal/server"
)

// Sizes, rates and durations take units in every source, and each option comes from
// its flag, else HOOKRELAY_<FLAG>, else the file, else its default.
func TestOptionUnitsAndPrecedence(t *testing.T) {
	file := "domain: relay.test\nbody_limit: 1MiB\nrecord_cap: 1MiB\nbody_min_rate: 4KiB/s\nretention: 7d\nqueue_ttl: 2h\n"
	env := map[string]string{"HOOKRELAY_RECORD_CAP": "10MiB", "HOOKRELAY_BODY_LIMIT": "2MiB", "HOOKRELAY_SOURCE_RATE": "50/s"}
	c, err := loadWith(t, []string{"--body-limit", "32MiB", "--tunnel-inflight-bytes", "16MiB"}, env, file)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name      string
		got, want any
		from      string
	}{
		{"body-limit", c.Server.BodyLimit, int64(32 << 20), "flag"},
		{"record-cap", c.Server.RecordCap, int64(10 << 20), "HOOKRELAY_RECORD_CAP"},
		{"source-rate", c.Server.Limits.SourceRate, 50.0, "HOOKRELAY_SOURCE_RATE"},
		{"body-min-rate", c.Server.Limits.BodyMinRate, int64(4 << 10), "file body_min_rate"},
		{"retention", c.Server.Retention, 7 * 24 * time.Hour, "file retention"},
		{"queue-ttl", c.Server.QueueTTL, 2 * time.Hour, "file queue_ttl"},
		{"tunnel-inflight-bytes", c.Server.Limits.TunnelInflightBytes, int64(16 << 20), "flag"},
		{"timeout", c.Server.Timeout, server.DefaultTimeout, ""},
	} {
		if tt.got != tt.want || c.set.From(tt.name) != tt.from {
			t.Errorf("%s = %v from %q, want %v from %q", tt.name, tt.got, c.set.From(tt.name), tt.want, tt.from)
		}
	}
}

// Values out of range stop the server before anything reaches server.Config: zero
// where zero is meaningless, negative limits, bad units, unknown keys.
func TestOptionsRefused(t *testing.T) {
	for _, tt := range []struct {
		args []string
		env  map[string]string
		file string
		want string
	}{
		{args: []string{"--body-limit", "-5"}, want: "--body-limit -5: must not be negative"},
		{args: []string{"--timeout", "-1s"}, want: "--timeout -1s: must not be negative"},
		{args: []string{"--body-limit", "-5", "--timeout", "-1s"}, want: "--timeout -1s: must not be negative"},
		{args: []string{"--max-inflight", "-1"}, want: "--max-inflight -1: must not be negative"},
		{args: []string{"--max-inflight", "0"}, want: "--max-inflight 0: must be more than 0"},
		{args: []string{"--record-cap", "0"}, want: "--record-cap 0: must be more than 0"},
		{args: []string{"--max-records", "-1"}, want: "--max-records -1: must not be negative"},
		{args: []string{"--body-limit", "32 megabytes"}, want: `"32 megabytes": want bytes`},
		{args: []string{"--timeout", "30"}, want: `"30": want a duration`},
		{env: map[string]string{"HOOKRELAY_MAX_INFLIGHT": "-3"}, want: "--max-inflight -3 (from HOOKRELAY_MAX_INFLIGHT): must not be negative"},
		{file: "max_inflight: -2\n", want: "--max-inflight -2 (from file max_inflight): must not be negative"},
		{file: "body_limit: 10MiBs\n", want: `--body-limit (from file body_limit): "10MiBs": want bytes`},
		{file: "tunnels: {a: {timeout: -1s}}\n", want: "tunnels: a: --timeout -1s (from file timeout): must not be negative"},
		{file: "tunnels: {a: {offline: later}}\n", want: "tunnels: a: --offline later (from file offline): want reject or queue"},
		{file: "tunnels: [a]\n", want: "tunnels: want a mapping"},
		{file: "tunnels: {a: {handshake: [slack, facebook]}}\n", want: `tunnels: a: handshake: parse handshake "facebook"`},
		{file: "tunnels: {a: {handshake: [meta]}}\n", want: "tunnels: a: handshake: handshake config: meta needs its verify token"},
		{file: "tunnels: {a: {handshake: [\"zoom:s3cret\", \"zoom:other\"]}}\n", want: `tunnels: a: handshake: parse handshake "zoom": handshake: kind listed twice`},
		{file: "token: x\n", want: `unknown key "token"`},
		{file: "config: other.yaml\n", want: `unknown key "config"`},
	} {
		args := append([]string{"--domain", "relay.test"}, tt.args...)
		_, err := loadWith(t, args, tt.env, tt.file)
		if err == nil || !strings.Contains(err.Error(), tt.want) || cli.ExitCode(err) != cli.ExitUsage {
			t.Errorf("%v %v %q: %v (exit %d), want a usage error with %q", tt.args, tt.env, tt.file, err, cli.ExitCode(err), tt.want)
		}
	}
}

// testdata/config.yaml shows every key of the options table.
func TestExampleConfigHasEveryKey(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range new(config).options() {
		if k := o.Key(); k != "" && !regexp.MustCompile(`(?m)^#? ?`+k+`:`).Match(b) {
			t.Errorf("testdata/config.yaml does not show %s", k)
		}
	}
}

// runCLI runs relay-server's command line with env and returns its output.
func runCLI(env map[string]string, args ...string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, &out, nil)
	return out.String(), err
}

// --help documents the subcommands, the environment and the exit codes, and never
// shows a token or any value from the environment.
func TestHelp(t *testing.T) {
	const secret = "hr_env_secret_5f0c2a9d"
	out, err := runCLI(map[string]string{"HOOKRELAY_TOKEN": secret, "HOOKRELAY_DOMAIN": secret}, "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"healthcheck", "version", "completion", "--body-limit size", "(default 32MiB)",
		"--body-min-rate rate", "(default 8KiB/s)", cli.ExitCodesHelp, "HOOKRELAY_<FLAG>"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
	assertNoSecrets(t, out, []string{secret})
}

func TestExitCodes(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want int
	}{
		{[]string{"--help"}, cli.ExitOK},
		{[]string{"version"}, cli.ExitOK},
		{[]string{"completion", "bash"}, cli.ExitOK},
		{[]string{"--bogus"}, cli.ExitUsage},
		{[]string{"serve"}, cli.ExitUsage},
		{[]string{"--dev", "--body-limit", "-5"}, cli.ExitUsage},
		{[]string{"--dev", "--timeout", "-1s"}, cli.ExitUsage},
		{[]string{"--dev", "--config", "/nonexistent/relay.yaml"}, cli.ExitUsage},
		{[]string{"healthcheck", "extra"}, cli.ExitUsage},
		{[]string{"healthcheck", "--admin-addr", "localhost"}, cli.ExitUsage},
		{[]string{"healthcheck", "--admin-addr", "127.0.0.1:1"}, cli.ExitError},
		{[]string{"--dev", "--data", "/dev/null/data", "--addr", "127.0.0.1:0"}, cli.ExitError},
	} {
		out, err := runCLI(nil, tt.args...)
		if got := cli.ExitCode(err); got != tt.want {
			t.Errorf("relay-server %s: exit %d (%v), want %d\n%s", strings.Join(tt.args, " "), got, err, tt.want, out)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := runCLI(nil, args...)
		if err != nil || out != "relay-server "+cli.Version()+"\n" {
			t.Errorf("%v: %q, %v", args, out, err)
		}
	}
}

// The banner names the server's version, which it also sends in every Welcome.
func TestBannerShowsVersion(t *testing.T) {
	r := startRelay(t, "--dev", "--addr", "127.0.0.1:0")
	if want := "hookrelay relay-server " + cli.Version() + "\n"; !strings.HasPrefix(r.out.String(), want) {
		t.Errorf("banner does not start with %q:\n%s", want, r.out)
	}
}

// HOOKRELAY_CONFIG names the file like --config does, and --config wins over it.
func TestConfigFileFromEnv(t *testing.T) {
	envFile := writeFile(t, "env.yaml", []byte("domain: env-file.test\n"))
	flagFile := writeFile(t, "flag.yaml", []byte("domain: flag-file.test\n"))
	env := map[string]string{"HOOKRELAY_CONFIG": envFile}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "env-file.test"},
		{[]string{"--config", flagFile}, "flag-file.test"},
	} {
		c, err := load(tt.args, func(k string) string { return env[k] })
		if err != nil || c.Domain != tt.want {
			t.Errorf("%v: domain %q, %v; want %q", tt.args, c.Domain, err, tt.want)
		}
	}
}

// Shell completion offers an option's choices.
func TestCompletionOffersChoices(t *testing.T) {
	out, err := runCLI(nil, "__complete", "--sync", "")
	if err != nil || !strings.Contains(out, "normal\nfull\n") {
		t.Errorf("completion of --sync: %q, %v", out, err)
	}
}
