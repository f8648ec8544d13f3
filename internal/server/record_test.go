package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
	"github.com/hookrelay/hookrelay/proto"
)

// recorder is a backend that remembers every request it got, in order.
type recorder struct {
	mu   sync.Mutex
	got  []recorded
	hits chan struct{}
}

type recorded struct {
	Method, URI string
	Header      http.Header
	Body        []byte
}

func newRecorder(tb testing.TB) (*recorder, string) {
	rec := &recorder{hits: make(chan struct{}, 10000)}
	u := httpServer(tb, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		_, _ = b.ReadFrom(r.Body)
		rec.mu.Lock()
		rec.got = append(rec.got, recorded{r.Method, r.RequestURI, r.Header.Clone(), b.Bytes()})
		rec.mu.Unlock()
		rec.hits <- struct{}{}
		w.Header().Set("X-App", "yes")
		fmt.Fprintf(w, "ok %s", r.Header.Get(proto.HeaderRequestID))
	}))
	return rec, u
}

func (r *recorder) all() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.got...)
}

func (r *recorder) wait(tb testing.TB, n int) {
	tb.Helper()
	for i := range n {
		select {
		case <-r.hits:
		case <-time.After(10 * time.Second):
			tb.Fatalf("backend got %d requests, want %d", i, n)
		}
	}
}

// recordSetup starts a server with a store, a recording backend and a client on "hook".
func recordSetup(tb testing.TB, mutate func(*server.Config), offline string) (*relaytest.Server, *sqlite.DB, *recorder, string, *relaytest.Client) {
	var db *sqlite.DB
	srv := relaytest.StartServer(tb, "", relaytest.Chain(relaytest.WithStore(tb, &db), mutate))
	rec, be := newRecorder(tb)
	cl := relaytest.StartClient(tb, srv.URL, relaytest.Token, client.Tunnel{Name: "hook", Target: relaytest.Target(tb, be), Offline: offline})
	return srv, db, rec, be, cl
}

func apiClient(tb testing.TB, srv *relaytest.Server, token string) *api.Client {
	u, _ := url.Parse(srv.URL)
	return &api.Client{Base: u, Token: token}
}

func post(tb testing.TB, url, body string) *http.Response {
	tb.Helper()
	req := mustRequest(tb, "POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Add("X-Sig", "a")
	req.Header.Add("X-Sig", "b")
	resp := mustDo(tb, req)
	resp.Body.Close()
	return resp
}

func TestDeliveriesRecordedByteExact(t *testing.T) {
	srv, _, _, _, _ := recordSetup(t, nil, "")
	const n = 1000
	bodies := make(map[string]string)
	for i := range n {
		body := fmt.Sprintf(`{"i":%d,"bin":"%s"}`, i, strings.Repeat("\u00e9", i%50))
		resp := post(t, fmt.Sprintf("%s/t/hook/e/%d?q=%d", srv.URL, i, i), body)
		if resp.StatusCode != 200 {
			t.Fatalf("delivery %d: status %d", i, resp.StatusCode)
		}
		bodies[fmt.Sprintf("/e/%d", i)] = body
	}
	c := apiClient(t, srv, relaytest.Token)
	f := store.Filter{Tunnel: "hook", Limit: store.MaxLimit}
	seen := 0
	for {
		page, err := c.List(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Requests {
			rec, err := c.Get(context.Background(), s.ID)
			if err != nil {
				t.Fatal(err)
			}
			checkRecorded(t, rec, bodies[rec.Path])
			seen++
		}
		if page.Next == "" {
			break
		}
		f.Cursor = page.Next
	}
	if seen != n {
		t.Fatalf("listed %d records, want %d", seen, n)
	}
}

func checkRecorded(tb testing.TB, rec *api.Record, body string) {
	tb.Helper()
	if string(rec.Request.Body) != body || rec.Status != 200 || rec.Outcome != store.OutcomeOK {
		tb.Fatalf("record %s %s: body %q status %d outcome %s, want body %q 200 ok", rec.ID, rec.Path,
			rec.Request.Body, rec.Status, rec.Outcome, body)
	}
	if !strings.HasPrefix(string(rec.Response.Body), "ok "+rec.ID) || header(rec.Response.Headers, "X-App") != "yes" {
		tb.Fatalf("record %s: response %q headers %v", rec.ID, rec.Response.Body, rec.Response.Headers)
	}
	if header(rec.Request.Headers, "X-Sig") != "a" || len(rec.Request.Headers) < 3 {
		tb.Fatalf("record %s: request headers %v", rec.ID, rec.Request.Headers)
	}
}

func header(hs [][2]string, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h[0], name) {
			return h[1]
		}
	}
	return ""
}

func TestRetentionPurges(t *testing.T) {
	var db *sqlite.DB
	srv := relaytest.StartServer(t, "", relaytest.Chain(relaytest.WithStore(t, &db), func(c *server.Config) {
		c.Retention, c.PurgeEvery = 300*time.Millisecond, 50*time.Millisecond
	}))
	rec, be := newRecorder(t)
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "old", Target: relaytest.Target(t, be)})
	post(t, srv.URL+"/t/old/x", "{}")
	rec.wait(t, 1)
	c := apiClient(t, srv, relaytest.Token)
	deadline := time.Now().Add(5 * time.Second)
	for {
		page, err := c.List(context.Background(), store.Filter{Tunnel: "old"})
		if err == nil && len(page.Requests) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("record still there after its retention: %v %d", err, len(page.Requests))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAbortedDownloadIsRecorded: a sender that hangs up mid-download leaves a finished
// record (outcome error), not a pending one.
func TestAbortedDownloadIsRecorded(t *testing.T) {
	var db *sqlite.DB
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, &db))
	be := backend(t)
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "dl", Target: relaytest.Target(t, be.URL)})
	resp := mustDo(t, mustRequest(t, "GET", srv.URL+"/t/dl/download?n=104857600", nil))
	buf := make([]byte, 64<<10)
	_, _ = resp.Body.Read(buf)
	resp.Body.Close() // hang up with most of the body unread
	c := apiClient(t, srv, relaytest.Token)
	deadline := time.Now().Add(10 * time.Second)
	for {
		page, err := c.List(context.Background(), store.Filter{Tunnel: "dl"})
		if err == nil && len(page.Requests) == 1 && page.Requests[0].Outcome != store.OutcomePending {
			if page.Requests[0].Outcome != store.OutcomeError {
				t.Fatalf("aborted download recorded as %s", page.Requests[0].Outcome)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("record still pending after the sender hung up: %v %+v", err, page)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestLargeBodyRecorded: a body beyond the prebuffer streams through and is still
// recorded byte-exact, with its size and digest.
func TestLargeBodyRecorded(t *testing.T) {
	srv, _, rec, _, _ := recordSetup(t, nil, "")
	body := strings.Repeat("0123456789abcdef", 10<<10) // 160 KiB
	if resp := post(t, srv.URL+"/t/hook/big", body); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	rec.wait(t, 1)
	c := apiClient(t, srv, relaytest.Token)
	got, err := c.Get(context.Background(), lastID(t, c, "hook"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Request.Body) != body || got.Size != int64(len(body)) {
		t.Fatalf("recorded %d body bytes (size %d), want %d", len(got.Request.Body), got.Size, len(body))
	}
}

// TestAppFailuresHaveTheirOwnOutcomes: an app that cannot be connected to is refused; one
// that answers something that is not HTTP, or resets the connection, is bad_response.
func TestAppFailuresHaveTheirOwnOutcomes(t *testing.T) {
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	dead.Close()
	junk := rawAppAfterHead(t, func(c net.Conn) { io.WriteString(c, "SSH-2.0-not-http\r\n\r\n") })
	reset := rawAppAfterHead(t, func(c net.Conn) { c.(*net.TCPConn).SetLinger(0) })
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, nil))
	for _, tt := range []struct {
		name, target string
		code         proto.Code
		outcome      store.Outcome
	}{
		{"nothing listening", "http://" + dead.Addr().String(), proto.CodeLocalUnreachable, store.OutcomeRefused},
		{"garbage answer", junk, proto.CodeLocalBadResponse, store.OutcomeBadResponse},
		{"reset", reset, proto.CodeLocalBadResponse, store.OutcomeBadResponse},
	} {
		t.Run(tt.name, func(t *testing.T) {
			name := strings.ReplaceAll(tt.name, " ", "-")
			cl := relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: name, Target: relaytest.Target(t, tt.target)})
			defer cl.Stop()
			resp := post(t, srv.URL+"/t/"+name+"/x", "{}")
			if resp.StatusCode != tt.code.Status() || resp.Header.Get(proto.HeaderError) != string(tt.code) {
				t.Fatalf("status %d code %q, want %d %s", resp.StatusCode, resp.Header.Get(proto.HeaderError), tt.code.Status(), tt.code)
			}
			c := apiClient(t, srv, relaytest.Token)
			r := waitRecord(t, c, lastID(t, c, name), func(r *api.Record) bool { return r.Outcome != store.OutcomePending })
			if r.Outcome != tt.outcome {
				t.Fatalf("outcome %s, want %s", r.Outcome, tt.outcome)
			}
		})
	}
}

// rawAppAfterHead reads one request head on each connection, then serves it with serve.
func rawAppAfterHead(t *testing.T, serve func(net.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = http.ReadRequest(bufio.NewReader(c))
				serve(c)
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}
