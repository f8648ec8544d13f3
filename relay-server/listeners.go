package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/hookrelay/hookrelay/internal/proxyproto"
)

// drainTimeout bounds graceful shutdown: in-flight requests get this long to finish.
const drainTimeout = 30 * time.Second

// listeners are the sockets relay-server serves; http and admin are nil when disabled.
type listeners struct {
	public, http, admin net.Listener
}

// openListeners listens on every configured address. The public listener speaks TLS
// unless tls.mode is modeNone; the plain-HTTP one exists only next to TLS.
func openListeners(cfg *config, ts *tlsSetup) (*listeners, error) {
	l := new(listeners)
	var err error
	proxy := proxyproto.Config{Trusted: cfg.proxyFrom()}
	if l.public, err = listen("public", cfg.Addr); err != nil {
		return nil, err
	}
	l.public = proxyproto.Wrap(l.public, proxy) // the header comes before TLS
	if ts.provider != nil {
		l.public = tls.NewListener(l.public, listenerTLSConfig(ts.provider))
		if cfg.HTTPAddr != "" {
			l.http, err = listen("http", cfg.HTTPAddr)
		}
	}
	if l.http != nil {
		l.http = proxyproto.Wrap(l.http, proxy)
	}
	if err == nil && cfg.AdminAddr != "" {
		l.admin, err = listen("admin", cfg.AdminAddr)
	}
	if err != nil {
		l.close()
		return nil, err
	}
	return l, nil
}

func listen(name, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s %s: %w", name, addr, err)
	}
	return ln, nil
}

// close closes every open listener; serving ones are closed by their server instead.
func (l *listeners) close() {
	for _, ln := range []net.Listener{l.public, l.http, l.admin} {
		if ln != nil {
			_ = ln.Close()
		}
	}
}

// addrOf is ln's address, or "" for a disabled listener.
func addrOf(ln net.Listener) string {
	if ln == nil {
		return ""
	}
	return ln.Addr().String()
}

// served is one HTTP server and its listener.
type served struct {
	hs *http.Server
	ln net.Listener
}

// serveAll runs every server until ctx is done or one of them fails, then calls
// stopping, shuts them all down gracefully and returns the first failure.
func serveAll(ctx context.Context, srvs []served, log *slog.Logger, stopping func()) error {
	errc := make(chan error, len(srvs))
	for _, s := range srvs {
		go func() { errc <- s.hs.Serve(s.ln) }()
	}
	var first error
	pending := len(srvs)
	select {
	case err := <-errc:
		first, pending = fmt.Errorf("serve: %w", err), pending-1
	case <-ctx.Done():
	}
	stopping()
	log.Info("shutting down: draining in-flight requests")
	if err := shutdownAll(srvs); err != nil && first == nil {
		first = err
	}
	for ; pending > 0; pending-- {
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) && first == nil {
			first = fmt.Errorf("serve: %w", err)
		}
	}
	return first
}

// shutdownAll shuts every server down at once, giving in-flight requests drainTimeout.
func shutdownAll(srvs []served) error {
	ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	errs := make([]error, len(srvs))
	var wg sync.WaitGroup
	for i, s := range srvs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.hs.Shutdown(ctx); err != nil {
				errs[i] = fmt.Errorf("shutdown: %w", err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// newHTTPServer sets a listener's limits. There is no overall read or write timeout:
// bodies stream, and a 100 MiB upload may legitimately take minutes. Slow clients are
// bounded by the header timeout and the idle timeout instead. HTTP/2 is off (see
// listenerTLSConfig).
func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
}
