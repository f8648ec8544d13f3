package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/hookrelay/hookrelay/internal/cli"
	"github.com/hookrelay/hookrelay/internal/metrics"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store/postgres"
)

// ready is what run reports once it listens, for tests and embedding.
type ready struct {
	Addr       string // the public listener's address
	PublicURL  string
	HTTPAddr   string // the plain-HTTP listener's address, "" if none
	AdminAddr  string // the admin listener's address, "" if none
	CACertFile string // with --self-signed: the CA certificate clients must trust
}

// relay is a started relay-server: its listeners, store and tunnel server.
type relay struct {
	cfg       *config
	log       *slog.Logger
	tls       *tlsSetup
	lns       *listeners
	db        relayStore // nil with --no-record
	metrics   *metrics.Metrics
	srv       *server.Server
	member    *membership // with --database-url: this node in the nodes table
	link      *peerLink   // with --cluster-listen: the peer link to the other nodes
	ready     *readiness
	publicURL string
}

// run executes the relay-server command line: by default it serves, blocking until ctx
// is done, then drains in-flight requests and returns. onReady, if not nil, is called
// once listening. Errors of the command line and config are option.UsageErrors.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, onReady func(ready)) error {
	root := rootCommand(getenv, stdout, onReady)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stdout)
	return root.ExecuteContext(ctx)
}

// rootCommand is relay-server: serving is its own action; healthcheck, tokens, version
// and completion are subcommands.
func rootCommand(getenv func(string) string, stdout io.Writer, onReady func(ready)) *cobra.Command {
	cfg := new(config)
	root := &cobra.Command{
		Use:   "relay-server",
		Short: "Serve hookrelay: record every webhook delivery and forward it to relay-client tunnels",
		Long: "Serve HTTPS on --addr with certificates from ACME (Let's Encrypt by default), from files\n" +
			"(--tls-cert/--tls-key) or from a local CA (--self-signed); plain HTTP on --http-addr for ACME\n" +
			"challenges and redirects; /metrics, /healthz and /readyz on --admin-addr. --dev serves plain\n" +
			"HTTP on loopback instead.\n\n" +
			"Every option is also a key of the --config file, the flag name with underscores (body_limit);\n" +
			"the environment wins over the file. Sizes take units (32MiB), durations days (7d).",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.resolve(getenv); err != nil {
				return err
			}
			return serve(cmd.Context(), cfg, stdout, onReady)
		},
	}
	cli.CompleteChoices(root, cfg.bind(root.Flags()).Options())
	root.Flags().SortFlags = false
	root.AddCommand(healthcheckCommand(getenv), tokensCommand(getenv))
	cli.Prepare(root)
	return root
}

// serve runs the relay configured by cfg until ctx is done.
func serve(ctx context.Context, cfg *config, stdout io.Writer, onReady func(ready)) error {
	log := newLogger(stdout, cfg.LogFormat)
	for _, w := range cfg.warnings {
		log.Warn("WEAK TOKEN ACCEPTED ONLY BECAUSE OF --dev: " + w)
	}
	r := &relay{cfg: cfg, log: log, ready: new(readiness)}
	defer r.close()
	if err := r.start(ctx); err != nil {
		return err
	}
	printBanner(stdout, r)
	r.member = startMembership(r.db, log, r.link.advertised(), r.rejoined)
	r.ready.up.Store(true)
	if onReady != nil {
		onReady(r.readyInfo())
	}
	return serveAll(ctx, r.servers(), log, func() { r.ready.up.Store(false) })
}

// start prepares everything run serves. On failure, close releases what was opened.
func (r *relay) start(ctx context.Context) error {
	if err := os.MkdirAll(r.cfg.Data, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	tokens, err := tokensFor(r.cfg)
	if err != nil {
		return err
	}
	// The store first: on PostgreSQL the nodes share their ACME cache there.
	if err := r.openStore(ctx); err != nil {
		return err
	}
	if r.tls, err = newTLS(r.cfg, r.log, sharedACMECache(r.db)); err != nil {
		return err
	}
	if r.lns, err = openListeners(r.cfg, r.tls); err != nil {
		return err
	}
	r.publicURL = publicURL(r.cfg, r.tls, r.lns.public.Addr())
	if r.metrics, err = newMetrics(r.db, r.tls); err != nil {
		return err
	}
	if r.link, err = openPeerLink(r.cfg, r.db); err != nil {
		return err
	}
	joinBeforeSettle(ctx, r.db, r.link.advertised(), r.log)
	sc := serverConfig(r.cfg, tokens, r.db, r.publicURL, r.log, r.metrics)
	sc.Cluster, sc.Events = r.link.cluster(), r.link.events(r.log)
	if r.srv, err = server.New(sc); err != nil {
		return err
	}
	r.link.serve(r.srv, r.log)
	r.ready.writes = r.srv.StoreErr
	return r.metrics.WatchStats(r.srv.Stats)
}

// openStore opens the database and seeds the reserved tunnel names into it.
func (r *relay) openStore(ctx context.Context) error {
	res := r.cfg.reservations()
	if r.cfg.NoRecord {
		if len(res) > 0 {
			r.log.Warn("--no-record keeps no tunnel ownership: reserved names are not enforced")
		}
		return nil
	}
	db, err := openDB(ctx, r.cfg)
	if err != nil {
		return err
	}
	r.db, r.ready.store = db, db
	if pg, ok := db.(*postgres.DB); ok {
		r.ready.probe = pg.Probe
	}
	return seedReservations(ctx, db, res, r.log)
}

// rejoined leases this node's sessions again once it joined the cluster again after
// being reaped as dead, with their leases (cluster.Config.Rejoined), rather than at the
// server's next reconcile.
func (r *relay) rejoined(ctx context.Context) {
	if err := r.srv.ReconcileLeases(ctx); err != nil {
		r.log.Warn("lease sessions again after rejoining the cluster", "err", err)
	}
}

// close stops the tunnel server, the store and any listener not yet served. On a
// cluster the node is marked leaving first and leaves only once the server has
// finished its deliveries, so no other node takes their records for a dead node's.
func (r *relay) close() {
	r.member.leaving(r.log)
	if r.srv != nil {
		_ = r.srv.Close()
	}
	r.member.stop()
	r.link.close()
	if r.db != nil {
		_ = r.db.Close()
	}
	if r.lns != nil {
		r.lns.close()
	}
}

// servers pairs each open listener with its HTTP server.
func (r *relay) servers() []served {
	out := []served{{hs: newHTTPServer(r.srv.Handler(), r.log), ln: r.lns.public}}
	if r.lns.http != nil {
		port := strconv.Itoa(r.lns.public.Addr().(*net.TCPAddr).Port)
		h := r.tls.provider.HTTPHandler(httpsRedirect(port))
		out = append(out, served{hs: newHTTPServer(h, r.log), ln: r.lns.http})
	}
	if r.lns.admin != nil {
		h := adminHandler(r.metrics.Handler(), r.ready)
		out = append(out, served{hs: newHTTPServer(h, r.log), ln: r.lns.admin})
	}
	return out
}

func (r *relay) readyInfo() ready {
	return ready{Addr: addrOf(r.lns.public), PublicURL: r.publicURL, HTTPAddr: addrOf(r.lns.http),
		AdminAddr: addrOf(r.lns.admin), CACertFile: r.tls.caFile}
}

// newMetrics exports the relay's metrics, including the queue depth when there is a
// store and the certificate expiry when there is TLS.
func newMetrics(db relayStore, ts *tlsSetup) (*metrics.Metrics, error) {
	var cfg metrics.Config
	if db != nil {
		cfg.QueueDepth = queueDepth(db)
	}
	if ts.provider != nil {
		cfg.CertExpiry, cfg.CertHosts = ts.provider.Expiry, ts.hosts
	}
	return metrics.New(cfg)
}

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// publicURL is the scheme, host and port senders and clients use.
func publicURL(cfg *config, ts *tlsSetup, addr net.Addr) string {
	port := addr.(*net.TCPAddr).Port
	if cfg.Dev {
		return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	}
	scheme, std := "https", 443
	if ts.provider == nil {
		scheme, std = "http", 80
	}
	if port == std {
		return scheme + "://" + cfg.Domain
	}
	return scheme + "://" + net.JoinHostPort(cfg.Domain, strconv.Itoa(port))
}

func serverConfig(cfg *config, tokens *server.Tokens, db relayStore, publicURL string, log *slog.Logger, obs server.Observer) server.Config {
	sc := cfg.Server // the options, as options.go filled them
	sc.Domain, sc.AdminHost, sc.PublicURL = cfg.Domain, cmp.Or(cfg.AdminHost, server.AdminOff), publicURL
	sc.Tokens, sc.Logger, sc.Observer, sc.Version = tokens, log, obs, cli.Version()
	sc.MaxRecords = noCapAsNegative(sc.MaxRecords)
	sc.Tunnels = cfg.Tunnels
	if db != nil {
		sc.Store = db
	}
	if pg, ok := db.(*postgres.DB); ok {
		sc.InspectSessions = pg.InspectorSessions() // a login holds on every node
	}
	for _, r := range cfg.reservations() {
		sc.Reserved = append(sc.Reserved, r.name)
	}
	return sc
}

// noCapAsNegative maps an option's "0: no cap" to server.Config's spelling of no cap
// (negative), where 0 means the default.
func noCapAsNegative(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
