package inspect

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/store"
)

// Source is where the inspector reads and replays one owner's deliveries. *api.Client
// implements it over HTTP; relay-server adapts its core, bound to the logged-in token.
type Source interface {
	// List returns one page of records; f.Owner is left for the source to set.
	List(ctx context.Context, f store.Filter) (*api.List, error)
	// Get returns one record with its bodies; a 404 error for another owner's record.
	Get(ctx context.Context, id string) (*api.Record, error)
	// Replay replays a record, optionally edited, and returns the new record.
	Replay(ctx context.Context, id string, edit *api.Edit) (*api.Record, error)
	// BulkReplay replays every record f selects, oldest first, reporting each.
	BulkReplay(ctx context.Context, f store.Filter, opt api.BulkOptions, progress func(api.ReplayResult)) error
	// Tunnels lists the owner's tunnels with their public URLs.
	Tunnels(ctx context.Context) ([]api.Tunnel, error)
	// Events calls fn for each finished delivery (of tunnel, or all when "") until ctx
	// ends or the feed fails.
	Events(ctx context.Context, tunnel string, fn func(api.Summary)) error
}

// *api.Client is the Source of relay-client's local inspector.
var _ Source = (*api.Client)(nil)

// LoginFunc checks a secret typed into the login form (a client token, or the local
// inspector's password) and returns the subject of the new session: an opaque string,
// stored with the session (never the secret itself), that SourceFunc turns into the
// Source the session sees. It must compare secrets in constant time and never log them.
type LoginFunc func(secret string) (subject string, ok bool)

// SourceFunc returns the Source a session's subject sees, on every request of the
// session. False ends the session: that is how a login is withdrawn, e.g. when the
// token it was made with is revoked. With a shared SessionStore it runs on whichever
// server the browser reaches, so it must depend on the subject alone.
type SourceFunc func(subject string) (Source, bool)

// Rendering caps for recorded bodies.
const (
	// RenderCap is how many bytes of a body are rendered as text; the rest is behind the
	// "download raw" link.
	RenderCap = 256 << 10
	// HexCap is how many bytes of a binary body are rendered as a hex dump.
	HexCap = 16 << 10
)

// ErrConfig is returned by New for an unusable Config.
var ErrConfig = errors.New("inspect: bad config")

// Config configures an inspector. Exactly one of Source and Login must be set, and
// SourceFor with Login.
type Config struct {
	// Source serves every visitor without a login. Only for a loopback listener: the
	// handler then refuses requests whose Host is not a loopback name or address.
	Source Source
	// Login turns on the login form; each session sees the Source it returns. Use it on
	// any listener other people can reach.
	Login LoginFunc
	// SourceFor turns a session's subject into its Source. Required with Login.
	SourceFor SourceFunc
	// Sessions keeps the logins. Default: a NewMemorySessions of this handler alone,
	// holding at most MaxMemorySessions; logins then end when the process does and
	// work on this handler only. Give handlers behind one load balancer one shared
	// store (e.g. PostgreSQL's, internal/store/postgres DB.InspectorSessions), or a
	// browser is logged out whenever it reaches another server. A shared store
	// keeps its sessions' subjects: whoever can write it can log in as anyone.
	Sessions SessionStore
	// LoginLabel names the secret on the login form. Default "Token".
	LoginLabel string
	// BasePath is where the handler is mounted, with a trailing slash, e.g. "/inspect/".
	// Default "/".
	BasePath string
	// State, if set, reports the tunnel client's connection state ("online",
	// "reconnecting", ...), shown in the header and pushed to open pages.
	State func() string
	// Names, if set, lists the tunnels this inspector is about. With exactly one name the
	// list and live feed default to it; otherwise they show all the owner's tunnels.
	Names func() []string
	// SecureCookies forces the Secure flag on the session cookie, e.g. behind a proxy
	// that terminates TLS. Default: Secure only when the request came over TLS.
	SecureCookies bool
	// SessionTTL is how long a login lasts. Default 12 hours.
	SessionTTL time.Duration
	// Location is the time zone times are shown in. Default time.Local.
	Location *time.Location
	// Logger receives the handler's errors (never secrets). Default slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Handler is the inspector. Create it with New.
type Handler struct {
	cfg      Config
	log      *slog.Logger
	tmpl     *template.Template
	mux      *http.ServeMux
	failures *failures // failed logins per client address
	local    *session  // the single implicit session when there is no login
}

// New checks cfg and returns the inspector's handler. It starts no goroutine.
func New(cfg Config) (*Handler, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	tmpl, err := parseTemplates(cfg.Location)
	if err != nil {
		return nil, fmt.Errorf("inspect templates: %w", err)
	}
	h := &Handler{cfg: cfg, log: cfg.Logger, tmpl: tmpl, failures: newFailures(cfg.Now)}
	if cfg.Source != nil {
		h.local = &session{src: cfg.Source, csrf: randomToken()}
	}
	h.mux = h.routes()
	return h, nil
}

func (c *Config) setDefaults() error {
	if (c.Source == nil) == (c.Login == nil) {
		return fmt.Errorf("%w: set exactly one of Source and Login", ErrConfig)
	}
	if (c.Login == nil) != (c.SourceFor == nil) {
		return fmt.Errorf("%w: set SourceFor with Login, and only then", ErrConfig)
	}
	if c.BasePath == "" {
		c.BasePath = "/"
	}
	if !strings.HasPrefix(c.BasePath, "/") || !strings.HasSuffix(c.BasePath, "/") {
		return fmt.Errorf("%w: base path %q must start and end with /", ErrConfig, c.BasePath)
	}
	c.LoginLabel = cmpOr(c.LoginLabel, "Token")
	c.SessionTTL = cmpOr(c.SessionTTL, 12*time.Hour)
	if c.Location == nil {
		c.Location = time.Local
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sessions == nil {
		c.Sessions = NewMemorySessions(c.Now)
	}
	return nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func (h *Handler) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", h.authed(h.serveList))
	m.HandleFunc("GET /r/{id}", h.authed(h.serveDetail))
	m.HandleFunc("GET /r/{id}/raw", h.authed(h.serveRaw))
	m.HandleFunc("POST /r/{id}/replay", h.posted(h.serveReplay))
	m.HandleFunc("POST /replay-missed", h.posted(h.serveReplayMissed))
	m.HandleFunc("GET /events", h.feed(h.serveEvents))
	m.HandleFunc("GET /static/{file}", h.serveStatic)
	m.HandleFunc("GET /login", h.serveLoginForm)
	m.HandleFunc("POST /login", h.serveLogin)
	m.HandleFunc("POST /logout", h.posted(h.serveLogout))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, http.StatusNotFound, "No such page.")
	})
	return m
}

// ServeHTTP serves the inspector under Config.BasePath.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	if h.local != nil && !loopbackHost(r.Host) {
		http.Error(w, "inspect: this inspector answers only on a loopback address", http.StatusForbidden)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, h.cfg.BasePath)
	if !ok {
		http.NotFound(w, r)
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path, r2.URL.RawPath = "/"+rest, ""
	h.mux.ServeHTTP(w, r2)
}
