package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/inspect"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/proto"
)

// InspectPath is where the team inspector used to be served on the public origin; it now
// answers there only with a pointer to the admin origin, where the inspector is at "/".
const InspectPath = "/inspect/"

// adminRoutes is the admin origin (Config.AdminHost): the team inspector at "/", the
// API (bearer tokens, as on the public origin) and /healthz. Nil when the team
// inspector is off. No tunnel is ever served on this origin.
func (s *Server) adminRoutes() *http.ServeMux {
	if s.cfg.AdminHost == "" {
		return nil
	}
	m := http.NewServeMux()
	s.apiRoutes(m)
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	m.Handle("/", s.inspector())
	return m
}

// isAdminHost reports whether a request's Host header names the admin origin.
func (s *Server) isAdminHost(host string) bool {
	return strings.EqualFold(strings.TrimSuffix(stripPort(host), "."), s.cfg.AdminHost)
}

// AdminURL is the team inspector's URL: the public URL's scheme and port on
// Config.AdminHost. "" when the team inspector is off.
func (s *Server) AdminURL() string {
	if s.cfg.AdminHost == "" {
		return ""
	}
	u, err := url.Parse(s.cfg.PublicURL)
	if err != nil {
		return ""
	}
	if port := u.Port(); port != "" {
		u.Host = net.JoinHostPort(s.cfg.AdminHost, port)
	} else {
		u.Host = s.cfg.AdminHost
	}
	u.Path, u.RawQuery = "/", ""
	return u.String()
}

// serveMovedInspector answers the old inspector path on the public origin: a page there
// would share its origin with every path-form tunnel, so the inspector is never served
// on it. Browsers get a redirect to the admin origin, carrying no cookie of this one.
func (s *Server) serveMovedInspector(w http.ResponseWriter, r *http.Request) {
	admin := s.AdminURL()
	if admin == "" {
		writeError(w, proto.CodeNotFound, "this server serves no team inspector", "")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, proto.CodeNotFound, "the team inspector is served at "+admin, "")
		return
	}
	http.Redirect(w, r, admin, http.StatusFound)
}

// adminLabel is the tunnel name the admin host would have as a host-form tunnel URL
// (its first label when it sits right under Config.Domain), refused as a tunnel name.
func (s *Server) adminLabel() string {
	label, ok := strings.CutSuffix(s.cfg.AdminHost, "."+s.cfg.Domain)
	if !ok || strings.Contains(label, ".") {
		return ""
	}
	return label
}

// inspector returns the team inspector's handler, served at "/" of the admin origin. A
// server without a store has nothing to show and answers 404 there.
func (s *Server) inspector() http.Handler {
	if s.cfg.Store == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeError(w, proto.CodeNotFound, "this server records nothing", "")
		})
	}
	// A public URL on https means senders and browsers use TLS even when a proxy in
	// front terminates it and this server sees plain HTTP: the cookie must say Secure.
	secure := strings.HasPrefix(s.cfg.PublicURL, "https://")
	h, err := inspect.New(inspect.Config{BasePath: "/", Login: s.inspectLogin, SourceFor: s.inspectSource,
		Sessions: s.cfg.InspectSessions, Logger: s.log, Now: s.cfg.Now, SecureCookies: secure})
	if err != nil { // not expected: the config above is fixed
		s.log.Error("inspector disabled", "err", err)
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeError(w, proto.CodeInternal, "the inspector is unavailable", "")
		})
	}
	return h
}

// inspectLogin checks a token typed into the login form; the session's subject is the
// token's public id, never the token. Tokens are compared in constant time by
// Tokens.Lookup.
func (s *Server) inspectLogin(token string) (string, bool) {
	id, ok := s.identify(token)
	return id.TokenID, ok
}

// inspectSource is the view of a session's token: its owner's deliveries, as long as
// the token is not revoked (a revoked token's sessions end at their next request).
func (s *Server) inspectSource(tokenID string) (inspect.Source, bool) {
	id, ok := s.cfg.Tokens.ByID(tokenID)
	if !ok && s.syncTokens(s.ctx) { // added on another server a moment ago?
		id, ok = s.cfg.Tokens.ByID(tokenID)
	}
	if !ok {
		return nil, false
	}
	return ownerView{s: s, owner: id.Owner, tokenID: id.TokenID}, true
}

// ownerView is the inspector's Source on the server: the core's store and replay, bound
// to one owner (a team's, for a member), so that a session never sees another owner's
// tunnels, and to the token that logged in, whose revocation ends its live feeds.
type ownerView struct {
	s       *Server
	owner   string
	tokenID string
}

func (v ownerView) List(ctx context.Context, f store.Filter) (*api.List, error) {
	f.Owner, f.AllOwners = v.owner, false
	v.s.settling.wait(ctx)
	page, err := v.s.cfg.Store.List(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	out := &api.List{Requests: make([]api.Summary, len(page.Records)), Next: page.Next}
	for i := range page.Records {
		out.Requests[i] = api.SummaryOf(&page.Records[i])
	}
	return out, nil
}

func (v ownerView) Get(ctx context.Context, id string) (*api.Record, error) {
	v.s.settling.wait(ctx)
	rec, err := v.s.cfg.Store.Get(ctx, v.owner, id)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", id, err)
	}
	return api.RecordOf(rec), nil
}

func (v ownerView) Replay(ctx context.Context, id string, edit *api.Edit) (*api.Record, error) {
	rec, err := v.s.Replay(ctx, v.owner, id, edit)
	if err != nil {
		return nil, err
	}
	return api.RecordOf(rec), nil
}

// BulkReplay replays what f selects, oldest first, skipping replays, like POST /api/replay.
func (v ownerView) BulkReplay(ctx context.Context, f store.Filter, opt api.BulkOptions, progress func(api.ReplayResult)) error {
	f.Owner = v.owner
	ids, err := v.s.originals(ctx, f)
	if err != nil {
		return err
	}
	v.s.bulkReplay(ctx, v.owner, ids, opt, func(res api.ReplayResult) bool {
		progress(res)
		return true
	})
	return ctx.Err()
}

func (v ownerView) Tunnels(ctx context.Context) ([]api.Tunnel, error) {
	ts, err := v.s.cfg.Store.ListTunnels(ctx, v.owner)
	if err != nil {
		return nil, fmt.Errorf("tunnels: %w", err)
	}
	out := make([]api.Tunnel, 0, len(ts))
	for _, t := range ts {
		out = append(out, api.Tunnel{Name: t.Name, Online: v.s.onlineAnywhere(ctx, t.Name) != nil,
			URLs: v.s.urls(t.Name), Offline: t.Offline, LastSeen: t.LastSeen})
	}
	return out, nil
}

// Events follows the owner's finished deliveries until ctx ends or the server closes.
func (v ownerView) Events(ctx context.Context, tunnel string, fn func(api.Summary)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	release, ok := v.s.hold(v.tokenID, cancel)
	if !ok {
		return fmt.Errorf("events: %w", errRevoked)
	}
	defer release()
	ch := v.s.hub.subscribe(v.owner)
	defer v.s.hub.unsubscribe(ch)
	for {
		select {
		case sum := <-ch:
			if tunnel == "" || sum.Tunnel == tunnel {
				fn(sum)
			}
		case <-ctx.Done():
			return ctx.Err()
		case <-v.s.ctx.Done():
			return v.s.ctx.Err()
		}
	}
}
