package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/metrics"
	"github.com/hookrelay/hookrelay/internal/store"
)

// pagedLister serves queued records in pages of size, or fails with err.
type pagedLister struct {
	total, size int
	err         error
	calls       int
}

func (l *pagedLister) List(_ context.Context, f store.Filter) (store.Page, error) {
	l.calls++
	if l.err != nil {
		return store.Page{}, l.err
	}
	if !f.AllOwners || (f.Outcome != store.OutcomeQueued && f.Limit != 1) {
		return store.Page{}, fmt.Errorf("unexpected filter %+v", f)
	}
	start := 0
	if f.Cursor != "" {
		_, _ = fmt.Sscan(f.Cursor, &start)
	}
	n := min(l.size, l.total-start)
	p := store.Page{Records: make([]store.Record, n)}
	if start+n < l.total {
		p.Next = fmt.Sprint(start + n)
	}
	return p, nil
}

func TestQueueDepth(t *testing.T) {
	tests := []struct {
		name               string
		total, size, calls int
		err                error
	}{
		{name: "empty", total: 0, size: 1000, calls: 1},
		{name: "one page", total: 999, size: 1000, calls: 1},
		{name: "three pages", total: 2500, size: 1000, calls: 3},
		{name: "store down", size: 1000, calls: 1, err: store.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &pagedLister{total: tt.total, size: tt.size, err: tt.err}
			n, err := queueDepth(l)(context.Background())
			if !errors.Is(err, tt.err) || n != tt.total || l.calls != tt.calls {
				t.Errorf("got %d, %v after %d calls; want %d, %v after %d", n, err, l.calls, tt.total, tt.err, tt.calls)
			}
		})
	}
}

func TestAdminEndpoints(t *testing.T) {
	tests := []struct {
		name   string
		up     bool
		store  lister
		writes func() error
		path   string
		status int
		body   string
	}{
		{name: "healthz while starting", path: "/healthz", status: 200, body: "ok"},
		{name: "readyz while starting", path: "/readyz", status: 503, body: "listeners not serving"},
		{name: "readyz without store", up: true, path: "/readyz", status: 200, body: "ok"},
		{name: "readyz with store", up: true, store: &pagedLister{size: 1}, path: "/readyz", status: 200, body: "ok"},
		{name: "readyz store down", up: true, store: &pagedLister{err: store.ErrUnavailable}, path: "/readyz",
			status: 503, body: "store: store: unavailable"},
		{name: "readyz store cannot write", up: true, store: &pagedLister{size: 1}, path: "/readyz", status: 503,
			writes: func() error { return errors.New("store cannot write since T: disk full") }, body: "disk full"},
		{name: "healthz store down", up: true, store: &pagedLister{err: store.ErrUnavailable}, path: "/healthz", status: 200, body: "ok"},
		{name: "metrics", path: "/metrics", status: 200, body: "hookrelay_requests_total"},
		{name: "unknown path", path: "/debug/pprof/", status: 404},
	}
	m, err := metrics.New(metrics.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m.Delivery("x", 200, "", 0, 0, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd := &readiness{store: tt.store, writes: tt.writes}
			rd.up.Store(tt.up)
			srv := httptest.NewServer(adminHandler(m.Handler(), rd))
			t.Cleanup(srv.Close)
			resp, body := do(t, srv.Client(), http.MethodGet, srv.URL+tt.path, "")
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.body) {
				t.Errorf("got %s %q, want %d containing %q", resp.Status, body, tt.status, tt.body)
			}
		})
	}
}

func TestHealthcheck(t *testing.T) {
	r := startRelay(t, "--dev", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0")
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	tests := []struct {
		name string
		args []string
		env  string // HOOKRELAY_ADMIN_ADDR
		ok   bool
	}{
		{name: "flag", args: []string{"--admin-addr", r.AdminAddr}, ok: true},
		{name: "env", env: r.AdminAddr, ok: true},
		{name: "unspecified host", args: []string{"--admin-addr", "0.0.0.0:" + portOf(t, r.AdminAddr)}, ok: true},
		{name: "healthz path", args: []string{"--admin-addr", r.AdminAddr, "--path", "/healthz"}, ok: true},
		{name: "wrong path", args: []string{"--admin-addr", r.AdminAddr, "--path", "/nope"}},
		{name: "nothing listening", args: []string{"--admin-addr", closedAddr}},
		{name: "admin off", args: []string{"--admin-addr", "off"}},
		{name: "no port", args: []string{"--admin-addr", "localhost"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := func(k string) string {
				if k == "HOOKRELAY_ADMIN_ADDR" {
					return tt.env
				}
				return ""
			}
			err := run(context.Background(), append([]string{"healthcheck"}, tt.args...), env, io.Discard, nil)
			if (err == nil) != tt.ok {
				t.Errorf("healthcheck %v: %v, want ok=%v", tt.args, err, tt.ok)
			}
		})
	}
}
