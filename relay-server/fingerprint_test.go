package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFingerprint: relays whose options differ only by node (addresses, paths, logs)
// have one fingerprint; one that differs in a limit, a token, a team or a tunnel's
// settings, another; none without a cluster secret.
func TestFingerprint(t *testing.T) {
	base, err := os.ReadFile("testdata/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("a cluster secret of 32 bytes....")
	fp := func(t *testing.T, file string, args ...string) string {
		t.Helper()
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := load(append([]string{"--config", path}, args...), noEnv)
		if err != nil {
			t.Fatal(err)
		}
		return c.fingerprint(secret)
	}
	want := fp(t, string(base))
	if len(want) != 16 {
		t.Fatalf("fingerprint %q", want)
	}
	for name, args := range map[string][]string{
		"addresses": {"--addr", "127.0.0.1:9443", "--admin-addr", "127.0.0.1:9999"},
		"paths":     {"--data", "/var/lib/other", "--log-format", "json"},
	} {
		if got := fp(t, string(base), args...); got != want {
			t.Errorf("%s differ: fingerprint %s, want %s", name, got, want)
		}
	}
	for name, edit := range map[string][2]string{
		"a limit":  {"timeout: 30s", "timeout: 31s"},
		"a token":  {"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a09"},
		"a team":   {"names: [stripe-test]", "names: [stripe-test, stripe-live]"},
		"a tunnel": {"offline: queue", "offline: reject"},
	} {
		changed := strings.Replace(string(base), edit[0], edit[1], 1)
		if changed == string(base) {
			t.Fatalf("%s: %q is not in the config", name, edit[0])
		}
		if got := fp(t, changed); got == want {
			t.Errorf("%s changed, the fingerprint did not", name)
		}
	}
	c, err := load([]string{"--dev"}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.fingerprint(nil); got != "" {
		t.Errorf("without a cluster secret: %q, want none", got)
	}
}
