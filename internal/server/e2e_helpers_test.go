package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
)

// seen is what the backend reports about a request it received.
type seen struct {
	Method  string      `json:"method"`
	URI     string      `json:"uri"`
	Host    string      `json:"host"`
	Header  http.Header `json:"header"`
	Len     int64       `json:"len"`
	SHA256  string      `json:"sha256"`
	Trailer http.Header `json:"trailer"`
}

// backend is the "localhost app": /download?n=N streams N deterministic bytes; every other
// path answers with what it saw as JSON.
func backend(tb testing.TB) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/download", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		_, _ = io.CopyN(w, pattern(n), n)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, _ := io.Copy(h, r.Body)
		s := seen{Method: r.Method, URI: r.RequestURI, Host: r.Host, Header: r.Header, Len: n,
			SHA256: hex.EncodeToString(h.Sum(nil)), Trailer: r.Trailer}
		w.Header().Add("X-Multi", "one")
		w.Header().Add("X-Multi", "two")
		w.Header().Set("Content-Type", "application/json")
		status := http.StatusOK
		if v := r.Header.Get("X-Want-Status"); v != "" {
			status, _ = strconv.Atoi(v)
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(s)
	})
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	return srv
}

// pattern is a deterministic pseudo-random byte stream of length n.
func pattern(n int64) io.Reader {
	return io.LimitReader(rngReader{rand.NewChaCha8([32]byte{7})}, n)
}

type rngReader struct{ r *rand.ChaCha8 }

func (r rngReader) Read(p []byte) (int, error) { return r.r.Read(p) }

func sha(r io.Reader) (string, int64) {
	h := sha256.New()
	n, _ := io.Copy(h, r)
	return hex.EncodeToString(h.Sum(nil)), n
}

// setup starts a server, a backend and a client serving tunnel "app" to it.
func setup(tb testing.TB) (*relaytest.Server, *httptest.Server, *relaytest.Client) {
	return setupWith(tb, nil)
}

func setupWith(tb testing.TB, mutate func(*server.Config)) (*relaytest.Server, *httptest.Server, *relaytest.Client) {
	srv := relaytest.StartServer(tb, "", mutate)
	be := backend(tb)
	cl := relaytest.StartClient(tb, srv.URL, relaytest.Token, client.Tunnel{Name: "myapp", Target: relaytest.Target(tb, be.URL)})
	return srv, be, cl
}

func decodeSeen(tb testing.TB, resp *http.Response) seen {
	tb.Helper()
	defer resp.Body.Close()
	var s seen
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		tb.Fatalf("decode backend answer (status %d): %v", resp.StatusCode, err)
	}
	return s
}

func mustDo(tb testing.TB, req *http.Request) *http.Response {
	tb.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return resp
}

// waitOffline waits until the server no longer counts tunnel name online.
func waitOffline(tb testing.TB, c *api.Client, name string) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		ts, err := c.Tunnels(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		online := false
		for _, tun := range ts {
			online = online || tun.Name == name && tun.Online
		}
		if !online {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatalf("tunnel %s still online", name)
}
