package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/cli"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
)

// runWith runs relay-client with env as the whole environment.
func runWith(env map[string]string, args ...string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	err = run(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
	return out.String(), errb.String(), err
}

// Secrets in the environment never show in help: the environment is read after the
// flags are parsed, never used as a default.
func TestHelpHidesEnvSecrets(t *testing.T) {
	const token, password = "hr_env_token_5f0c2a9d", "hr_env_password_9d1e7b"
	env := map[string]string{"HOOKRELAY_TOKEN": token, "HOOKRELAY_INSPECT_PASSWORD": password,
		"HOOKRELAY_SERVER": "https://relay.example.com", "HOOKRELAY_SECRET": "whsec_env_secret"}
	for _, args := range [][]string{{"--help"}, {"http", "--help"}, {"trigger", "--help"}, {"replay", "--help"}, {}} {
		out, errOut, err := runWith(env, args...)
		if err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		for _, secret := range []string{token, password, "relay.example.com", "whsec_env_secret"} {
			if strings.Contains(out+errOut, secret) {
				t.Errorf("relay-client %s shows %q from the environment:\n%s", strings.Join(args, " "), secret, out)
			}
		}
	}
	out, _, _ := runWith(nil, "--help")
	for _, want := range []string{cli.ExitCodesHelp, "HOOKRELAY_<FLAG>", "completion", "version"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
}

// Every flag, persistent or a command's own, is read from HOOKRELAY_<FLAG>; a flag on
// the command line wins.
func TestEveryFlagFromEnv(t *testing.T) {
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, nil))
	env := map[string]string{"HOOKRELAY_SERVER": srv.URL, "HOOKRELAY_TOKEN": relaytest.Token,
		"HOOKRELAY_JSON": "true", "HOOKRELAY_LIMIT": "x"}
	// HOOKRELAY_LIMIT is read (and refused as a usage error) unless --limit is given.
	if _, _, err := runWith(env, "requests"); cli.ExitCode(err) != cli.ExitUsage || !strings.Contains(err.Error(), "HOOKRELAY_LIMIT") {
		t.Fatalf("bad HOOKRELAY_LIMIT: %v, want a usage error naming it", err)
	}
	out, _, err := runWith(env, "requests", "--limit", "5")
	if err != nil || !strings.HasPrefix(strings.TrimSpace(out), "[") && !strings.HasPrefix(strings.TrimSpace(out), "{") &&
		strings.TrimSpace(out) != "" {
		t.Fatalf("requests with HOOKRELAY_JSON=true: %v\n%s", err, out)
	}
	// The inspector's password comes from the environment: a non-loopback --inspect
	// needs one, so without it http refuses before connecting.
	_, _, err = runWith(map[string]string{"HOOKRELAY_SERVER": "http://127.0.0.1:1", "HOOKRELAY_TOKEN": relaytest.Token,
		"HOOKRELAY_INSPECT": "0.0.0.0:0"}, "http", "3000")
	if err == nil || !strings.Contains(err.Error(), "--inspect-password") {
		t.Fatalf("HOOKRELAY_INSPECT=0.0.0.0:0 without a password: %v", err)
	}
}

func TestExitCodes(t *testing.T) {
	unreachable := map[string]string{"HOOKRELAY_SERVER": "http://127.0.0.1:1", "HOOKRELAY_TOKEN": relaytest.Token}
	for _, tt := range []struct {
		args []string
		env  map[string]string
		want int
	}{
		{[]string{"--help"}, nil, cli.ExitOK},
		{[]string{"version"}, nil, cli.ExitOK},
		{[]string{"completion", "zsh"}, nil, cli.ExitOK},
		{[]string{"trigger", "--list"}, nil, cli.ExitOK},
		{[]string{"--bogus"}, nil, cli.ExitUsage},
		{[]string{"tunnel", "3000"}, nil, cli.ExitUsage},
		{[]string{"http"}, nil, cli.ExitUsage},
		{[]string{"requests", "show"}, nil, cli.ExitUsage},
		{[]string{"replay", "a", "b"}, nil, cli.ExitUsage},
		{[]string{"requests", "--limit", "many"}, nil, cli.ExitUsage},
		{[]string{"requests"}, unreachable, cli.ExitError},
		{[]string{"replay", "--missed"}, unreachable, cli.ExitError},
	} {
		_, _, err := runWith(tt.env, tt.args...)
		if got := cli.ExitCode(err); got != tt.want {
			t.Errorf("relay-client %s: exit %d (%v), want %d", strings.Join(tt.args, " "), got, err, tt.want)
		}
	}
}

// A bulk replay draws its progress bar only on a terminal: written to a pipe, its
// output has no carriage returns. With failures it exits 3.
func TestBulkReplayOnAPipe(t *testing.T) {
	e := newEnv(t, "", nil...)
	for range 2 {
		resp, err := http.Post(e.url+"/t/hook/x", "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	read := make(chan []byte)
	go func() { b, _ := io.ReadAll(r); read <- b }()
	var stdout bytes.Buffer
	getenv := func(k string) string {
		return map[string]string{"HOOKRELAY_SERVER": e.url, "HOOKRELAY_TOKEN": relaytest.Token}[k]
	}
	err = run(context.Background(), []string{"replay", "--name", "hook", "--since", "1h"}, getenv, &stdout, w)
	w.Close()
	stderr := <-read
	if err != nil {
		t.Fatalf("bulk replay: %v\n%s", err, stderr)
	}
	if bytes.ContainsRune(stderr, '\r') || !strings.Contains(stdout.String(), "Replayed 2 deliveries: 2 ok") {
		t.Errorf("stderr %q\nstdout %q", stderr, stdout.String())
	}
}

// relay-client shows its version and the server's when it connects; a server too old
// to send one (no software_version in its Welcome) is served all the same.
func TestVersionsShownAtConnect(t *testing.T) {
	for _, tt := range []struct{ server, want string }{
		{"v9.9.9-test", "relay-server v9.9.9-test"},
		{"", "relay-server of unknown version"},
	} {
		srv := relaytest.StartServer(t, "", func(c *server.Config) { c.Version = tt.server })
		out := &lines{ch: make(chan string, 64)}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"http", "3000", "--inspect", "off"}, func(k string) string {
				return map[string]string{"HOOKRELAY_SERVER": srv.URL, "HOOKRELAY_TOKEN": relaytest.Token}[k]
			}, out, io.Discard)
		}()
		line := waitLine(t, out.ch, "relay-client ")
		cancel()
		<-done
		if want := cli.Version() + ", " + tt.want; line != want {
			t.Errorf("version line %q, want %q", line, want)
		}
	}
}
