package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
)

// benchToken is the client token of every relay-server the bench starts.
const benchToken = "bench-token"

// serverOpts are the relay-server settings a mode needs.
type serverOpts struct {
	noRecord  bool
	bodyLimit int64 // 0: the server's default
}

// relayServer is a running relay-server process.
type relayServer struct {
	*proc
	url   string // public listener, http://127.0.0.1:PORT
	admin string // admin listener, http://127.0.0.1:PORT
}

var serverSeq atomic.Int64

// liftedLimits lifts the limits meant for senders on the internet: the bench measures
// the relay itself, from one loopback address, at rates and sizes above them.
var liftedLimits = []string{"--source-rate", "1e9", "--tunnel-rate", "1e9",
	"--tunnel-record-quota", "1000000000000000", "--token-record-quota", "1000000000000000",
	"--server-inflight-bytes", "1000000000000", "--tunnel-inflight-bytes", "1000000000000",
	"--session-rate", "1e9", "--session-burst", "1000000000",
	"--source-session-rate", "1e9", "--source-session-burst", "1000000000"}

// startServer starts relay-server in dev mode on loopback with its own data directory
// under tmp and an admin listener (for go_goroutines).
func startServer(bin *binaries, tmp string, o serverOpts) (*relayServer, error) {
	data := filepath.Join(tmp, "data-"+strconv.FormatInt(serverSeq.Add(1), 10))
	args := []string{"--dev", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--data", data,
		"--token", benchToken, "--max-records", "0", "--log-format", "text"}
	args = append(args, liftedLimits...)
	if o.noRecord {
		args = append(args, "--no-record")
	}
	if o.bodyLimit > 0 {
		args = append(args, "--body-limit", strconv.FormatInt(o.bodyLimit, 10))
	}
	s := &relayServer{}
	p, err := startProc("relay-server", bin.server, args, s.banner)
	if err != nil {
		return nil, err
	}
	s.proc = p
	return s, nil
}

// banner takes the addresses from relay-server's start banner; ready once both are
// known (the admin line comes after the public one).
func (s *relayServer) banner(line string) bool {
	if u, ok := parseListening(line); ok {
		s.url = u
	}
	if a, ok := parseAdmin(line); ok {
		s.admin = a
	}
	return s.url != "" && s.admin != ""
}

// parseListening reads "hookrelay relay-server listening on URL (tunnels: ...)".
func parseListening(line string) (string, bool) {
	rest, ok := strings.CutPrefix(line, "hookrelay relay-server listening on ")
	if !ok {
		return "", false
	}
	u, _, _ := strings.Cut(rest, " ")
	host, ok := strings.CutPrefix(u, "http://")
	if !ok {
		host, ok = strings.CutPrefix(u, "https://")
	}
	if !ok || host == "" {
		return "", false
	}
	return u, true
}

// parseAdmin reads "admin on http://ADDR: /metrics /healthz /readyz".
func parseAdmin(line string) (string, bool) {
	rest, ok := strings.CutPrefix(line, "admin on ")
	if !ok {
		return "", false
	}
	u, _, ok := strings.Cut(rest, ": ")
	if !ok || !strings.HasPrefix(u, "http://") || len(u) == len("http://") {
		return "", false
	}
	return u, true
}

// startClient runs relay-client for one tunnel name to target and waits until the
// server logs the tunnel online. The client's stdout, one line per request, goes to
// /dev/null: read through a pipe it would put this process on every request's path.
func startClient(bin *binaries, srv *relayServer, name, target string) (*proc, error) {
	online := srv.watch(func(line string) bool {
		return strings.Contains(line, `msg="tunnel online"`) && strings.Contains(line, " tunnel="+name+" ")
	})
	args := []string{"http", target, "--server", srv.url, "--token", benchToken, "--name", name}
	p, err := spawn("relay-client", bin.client, args, true)
	if err != nil {
		return nil, err
	}
	if err := p.await(online); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// backendArg makes this binary serve the backend instead of benchmarking.
const backendArg = "__serve-backend"

// startBackend re-executes this binary as the backend process and returns it with its
// base URL.
func startBackend() (*proc, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", fmt.Errorf("start backend: %w", err)
	}
	var addr string
	p, err := startProc("backend", self, []string{backendArg}, func(line string) bool {
		a, ok := strings.CutPrefix(line, backendReady)
		addr = a
		return ok
	})
	if err != nil {
		return nil, "", err
	}
	return p, "http://" + addr, nil
}
