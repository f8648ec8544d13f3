package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hookrelay/hookrelay/internal/inspect"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/proto"
)

// AdminOff as Config.AdminHost turns the team inspector off.
const AdminOff = "off"

// Defaults of Config fields left zero.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultBodyLimit    = 32 << 20
	DefaultRecordCap    = 10 << 20
	DefaultMaxInflight  = 256
	DefaultPrebufferCap = 64 << 10
)

// Config configures a Server. The zero value of every optional field means its default.
type Config struct {
	// Domain is the base domain: path URLs live on it and tunnel NAME is also served as
	// NAME.Domain. Required.
	Domain string
	// AdminHost is the host name, without a port, of the team inspector's own origin:
	// the inspector and its session cookie are served there and nowhere else, so a page
	// a tunnel serves can never be same-origin with them (see package doc). Default
	// "inspect."+Domain; AdminOff serves no team inspector. A first label under Domain
	// is refused as a tunnel name.
	AdminHost string
	// InspectSessions keeps the team inspector's logins. Default: in this process's
	// memory. Servers behind one load balancer need one shared store (PostgreSQL's
	// DB.InspectorSessions), or a browser is logged out on every other server.
	InspectSessions inspect.SessionStore
	// PublicURL is the scheme, host and port clients and senders use, e.g.
	// "https://relay.example.com" or "http://127.0.0.1:8080". Used to print tunnel URLs.
	// Required.
	PublicURL string
	// Tokens are the client tokens accepted. Required: a server with no token refuses
	// every client.
	Tokens *Tokens
	// Store records deliveries and owns tunnel names: any backend of the store contract
	// (*sqlite.DB is one). The server never closes it; its owner does, after Close.
	// Optional: nil records nothing and keeps name ownership in memory only (benchmarks
	// of the bare tunnel use this).
	Store store.Store
	// Cluster, when set, makes this server one node of several sharing Store: it leases
	// each tunnel its sessions serve, and forwards a request for a tunnel whose client
	// is on another node to that node (see Cluster and OpenSplice). Nil: one node.
	Cluster Cluster
	// Events, when set, shares live delivery events with the other nodes (see
	// EventBus). Nil: a live view shows this node's deliveries only.
	Events EventBus
	// Timeout is how long the local app may take to start answering a request before the
	// sender gets 504 local_timeout. Default DefaultTimeout (30 s).
	Timeout time.Duration
	// BodyLimit caps request bodies; larger ones get 413 body_too_large. Default
	// DefaultBodyLimit (32 MiB).
	BodyLimit int64
	// RecordCap is how many body bytes are recorded per request and per response; beyond
	// it the record keeps the length and SHA-256 and is marked truncated. Default
	// DefaultRecordCap (10 MiB).
	RecordCap int64
	// MaxInflight caps concurrent requests per tunnel (one yamux stream each); excess
	// requests get 503 tunnel_busy at once instead of queueing without bound. Default 256.
	MaxInflight int
	// Tunnels holds per-tunnel settings from the server config, by name. Optional.
	Tunnels map[string]TunnelSettings
	// Reserved lists the names the server config reserves for a token: they are never
	// released, neither when idle for NameTTL nor at their owner's request.
	Reserved []string
	// Retention is how long records are kept; MaxRecords caps them per tunnel and owner; QueueTTL
	// is how long a queued delivery waits for its client before it is marked expired.
	// Defaults (for 0): 7 days, 10,000 and 24 h. Retention < 0 purges nothing by age,
	// MaxRecords < 0 sets no cap.
	Retention  time.Duration
	MaxRecords int
	QueueTTL   time.Duration
	// PurgeEvery is how often retention runs. Default 10 minutes.
	PurgeEvery time.Duration
	// Observer receives measurements for metrics. Optional.
	Observer Observer
	// Version is the server binary's version, sent in the Welcome. Optional.
	Version string
	// Logger receives the server's logs. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Limits bound what senders and tunnel clients can make the server hold.
	Limits
}

// TunnelSettings are per-tunnel settings from the server config. Zero fields keep the
// server-wide value.
type TunnelSettings struct {
	Timeout   time.Duration
	BodyLimit int64
	Offline   string // proto.OfflineReject or proto.OfflineQueue
	// Handshake lists the URL-verification handshakes the relay answers for the tunnel,
	// client online or not (KIND, KIND,KIND or KIND:SECRET; see
	// internal/webhook/handshake). A client's --handshake adds kinds not listed here.
	Handshake []string
	// Share is how several clients attached to the tunnel share its deliveries:
	// proto.ShareMirror (the default) or proto.ShareBalance. A client's --share
	// overrides it.
	Share string
}

// checkSigns refuses negative values where zero means "the default" and a negative one
// has no meaning (Retention and MaxRecords are not among them: negative there means
// "no limit").
func (c *Config) checkSigns() error {
	for name, v := range map[string]int64{
		"timeout": int64(c.Timeout), "body limit": c.BodyLimit, "record cap": c.RecordCap,
		"max in-flight": int64(c.MaxInflight), "queue ttl": int64(c.QueueTTL), "purge interval": int64(c.PurgeEvery),
	} {
		if v < 0 {
			return fmt.Errorf("server config: %s must not be negative", name)
		}
	}
	return nil
}

func (c *Config) setDefaults() error {
	if c.Domain == "" || c.PublicURL == "" {
		return errors.New("server config: domain and public url are required")
	}
	if c.Tokens == nil {
		c.Tokens = new(Tokens)
	}
	if err := c.Limits.Check(); err != nil {
		return err
	}
	if err := c.checkSigns(); err != nil {
		return err
	}
	for name, ts := range c.Tunnels {
		if err := parseShare(ts.Share); err != nil {
			return fmt.Errorf("server config: tunnel %s: %w", name, err)
		}
	}
	c.Limits.setDefaults()
	c.Domain = strings.ToLower(strings.TrimSuffix(c.Domain, "."))
	c.AdminHost = strings.ToLower(strings.TrimSuffix(cmp.Or(c.AdminHost, "inspect."+c.Domain), "."))
	if c.AdminHost == AdminOff {
		c.AdminHost = ""
	}
	if c.AdminHost == c.Domain {
		return errors.New("server config: the admin host must differ from the domain, which path-form tunnels share")
	}
	setDefault(&c.Timeout, DefaultTimeout)
	setDefault(&c.BodyLimit, DefaultBodyLimit)
	setDefault(&c.RecordCap, DefaultRecordCap)
	setDefault(&c.MaxInflight, DefaultMaxInflight)
	setDefault(&c.Retention, 7*24*time.Hour)
	setDefault(&c.MaxRecords, 10000)
	setDefault(&c.QueueTTL, 24*time.Hour)
	setDefault(&c.PurgeEvery, 10*time.Minute)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// Server routes public requests to tunnels. Create it with New.
type Server struct {
	cfg      Config
	log      *slog.Logger
	reg      *registry
	mux      *http.ServeMux  // the public origin: tunnels, connect, API
	admin    *http.ServeMux  // the admin origin: team inspector and API; nil when off
	ctx      context.Context // canceled by Close; parent of every session
	cancel   context.CancelFunc
	work     workers      // sessions and background work
	sessions atomic.Int64 // connected clients
	hub      hub          // live feed of finished records
	settling completions  // response halves being saved in the background
	watch    *storeWatch  // the store's health
	parked   parked       // completions waiting for the store to write again
	inflight budget       // request body bytes in flight, server-wide
	// sourceRates and tunnelRates limit public requests by source address and tunnel.
	sourceRates, tunnelRates limiters
	// sessionRates and sourceSessionRates limit session opens by token and source.
	sessionRates, sourceSessionRates limiters
	quotas                           quotas        // body bytes recorded per tunnel and token
	owners                           ownerSessions // open sessions per token
	copies                           copyLimits    // mirror copies in flight
	holds                            holds         // what each token holds open, ended on revocation
	tokens                           tokenSync     // the store's tokens version loaded
	leases                           leaseBook     // this node's cluster leases
	reconcileKicked                  atomic.Bool   // a reconcile asked for by another node's change waits to run
	// handshakes are the server config's handshake: lists, by tunnel name.
	handshakes map[string]configHandshake
}

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, log: cfg.Logger, reg: newRegistry(), ctx: ctx, cancel: cancel}
	s.copies.init()
	s.inflight.limit = cfg.ServerInflightBytes
	var err error
	if s.handshakes, err = configHandshakes(cfg.Tunnels); err != nil {
		cancel()
		return nil, err
	}
	s.newStoreWatch()
	if err := s.settle(ctx); err != nil {
		cancel()
		return nil, err
	}
	if err := s.loadQuotas(ctx); err != nil {
		cancel()
		return nil, err
	}
	s.mux, s.admin = s.routes(), s.adminRoutes()
	s.startTokenWatch()
	s.startPurger()
	s.startQueueSweep()
	s.startEvents()
	s.startTunnelWatch()
	s.startReconcile()
	return s, nil
}

// Handler returns the handler for the public listener: tunnel traffic by host or
// /t/NAME/ path, the connect endpoint and the API; and, for requests whose Host is
// Config.AdminHost, the team inspector.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Close ends every tunnel session and waits for their goroutines. In-flight requests on
// them fail; drain the public listener first (http.Server.Shutdown) for a clean stop.
func (s *Server) Close() error {
	s.cancel()
	s.work.close()
	s.reg.closeRemote()
	return nil
}

func (s *Server) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("GET "+proto.ConnectPath, s.serveConnect)
	s.apiRoutes(m)
	m.HandleFunc(InspectPath, s.serveMovedInspector)
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	m.HandleFunc("/", s.serveRoot)
	return m
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if s.admin != nil && s.isAdminHost(r.Host) {
		s.admin.ServeHTTP(w, r)
		return
	}
	if name, ok := s.tunnelHost(r.Host); ok {
		s.serveTunnel(w, r, name, rawRequestURI(r))
		return
	}
	// Path-form tunnel URLs bypass ServeMux, which would redirect paths with "//" or
	// "." segments to a cleaned URL: the app must get the path as the sender wrote it.
	if rest, ok := strings.CutPrefix(rawRequestURI(r), "/t/"); ok {
		s.servePathTunnel(w, r, rest)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) serveRoot(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		writeError(w, proto.CodeNotFound, "no route for "+r.URL.Path, "")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "hookrelay: tunnels are served at %s/t/NAME/ and on NAME.%s\n", s.cfg.PublicURL, s.cfg.Domain)
}

// tunnelHost reports whether host (with optional port) is NAME.Domain.
func (s *Server) tunnelHost(host string) (string, bool) {
	host = strings.ToLower(stripPort(host))
	name, ok := strings.CutSuffix(host, "."+s.cfg.Domain)
	if !ok || name == "" || strings.Contains(name, ".") {
		return "", false
	}
	return name, true
}

func stripPort(host string) string {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		return host[:i]
	}
	return host
}
