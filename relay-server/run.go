package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
)

// ready is what run reports once it listens, for tests and embedding.
type ready struct {
	Addr      string // the public listener's address
	PublicURL string
}

// drainTimeout bounds graceful shutdown: in-flight requests get this long to finish.
const drainTimeout = 30 * time.Second

// run starts relay-server with the given arguments and blocks until ctx is done, then
// drains in-flight requests and returns. onReady, if not nil, is called once listening.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, onReady func(ready)) error {
	cfg, err := load(args, getenv)
	if err != nil {
		return err
	}
	log := newLogger(stdout, cfg.LogFormat)
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	tokens, err := tokensFor(cfg, stdout)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	publicURL := "http://" + publicHost(cfg, ln.Addr())
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeStore(db)
	srv, err := server.New(serverConfig(cfg, tokens, db, publicURL, log))
	if err != nil {
		return err
	}
	defer srv.Close()
	hs := newHTTPServer(srv.Handler(), log)
	printBanner(stdout, cfg, tokens, publicURL)
	if onReady != nil {
		onReady(ready{Addr: ln.Addr().String(), PublicURL: publicURL})
	}
	return serve(ctx, hs, ln, log)
}

// serve runs hs on ln until ctx is done, then shuts it down gracefully.
func serve(ctx context.Context, hs *http.Server, ln net.Listener, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newHTTPServer sets the public listener's limits. There is no overall read or write
// timeout: bodies stream, and a 100 MiB upload may legitimately take minutes. Slow
// clients are bounded by the header timeout and the idle timeout instead.
func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

func publicHost(cfg *config, addr net.Addr) string {
	port := addr.(*net.TCPAddr).Port
	if cfg.Dev {
		return net.JoinHostPort("127.0.0.1", fmt.Sprint(port))
	}
	if port == 443 {
		return cfg.Domain
	}
	return net.JoinHostPort(cfg.Domain, fmt.Sprint(port))
}

func openStore(ctx context.Context, cfg *config) (*sqlite.DB, error) {
	if cfg.NoRecord {
		return nil, nil
	}
	db, err := sqlite.Open(ctx, filepath.Join(cfg.Data, "hookrelay.db"), sqlite.Options{})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return db, nil
}

func closeStore(db *sqlite.DB) {
	if db != nil {
		_ = db.Close()
	}
}

func serverConfig(cfg *config, tokens *server.Tokens, db *sqlite.DB, publicURL string, log *slog.Logger) server.Config {
	sc := server.Config{
		Domain: cfg.Domain, PublicURL: publicURL, Tokens: tokens, Timeout: cfg.Timeout,
		BodyLimit: cfg.BodyLimit, RecordCap: cfg.RecordCap, Logger: log,
		Tunnels: make(map[string]server.TunnelSettings),
	}
	if db != nil {
		sc.Store = db
	}
	for name, t := range cfg.Tunnels {
		sc.Tunnels[name] = server.TunnelSettings{Timeout: t.Timeout, BodyLimit: t.BodyLimit, Offline: t.Offline}
	}
	return sc
}

// tokensFor loads the configured tokens; in dev mode with none, it uses the data dir's
// generated token.
func tokensFor(cfg *config, stdout io.Writer) (*server.Tokens, error) {
	t := new(server.Tokens)
	for _, spec := range cfg.Tokens {
		if err := t.Add(spec); err != nil {
			return nil, err
		}
	}
	if t.Len() > 0 || !cfg.Dev {
		return t, nil
	}
	tok, err := devToken(cfg.Data)
	if err != nil {
		return nil, err
	}
	cfg.devToken = tok
	return t, t.Add(tok)
}

func printBanner(w io.Writer, cfg *config, tokens *server.Tokens, publicURL string) {
	fmt.Fprintf(w, "hookrelay relay-server listening on %s (tunnels: %s/t/NAME/ and NAME.%s)\n",
		publicURL, publicURL, cfg.Domain)
	if tokens.Len() == 0 {
		fmt.Fprintln(w, "warning: no --token configured: every client will be refused")
	}
	if cfg.devToken != "" {
		fmt.Fprintf(w, "dev token: %s\nconnect a client with:\n  relay-client http 3000 --server %s --token %s --name myhook\n",
			cfg.devToken, publicURL, cfg.devToken)
	}
}
