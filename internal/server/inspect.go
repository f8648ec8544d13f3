package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/inspect"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/proto"
)

// InspectPath is where the team inspector is served: a token login, then each token's
// own deliveries.
const InspectPath = "/inspect/"

// inspector returns the handler mounted on InspectPath. A server without a store has
// nothing to show and answers 404 there.
func (s *Server) inspector() http.Handler {
	if s.cfg.Store == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeError(w, proto.CodeNotFound, "this server records nothing", "")
		})
	}
	// A public URL on https means senders and browsers use TLS even when a proxy in
	// front terminates it and this server sees plain HTTP: the cookie must say Secure.
	secure := strings.HasPrefix(s.cfg.PublicURL, "https://")
	h, err := inspect.New(inspect.Config{BasePath: InspectPath, Login: s.inspectLogin, Logger: s.log,
		Now: s.cfg.Now, SecureCookies: secure})
	if err != nil { // not expected: the config above is fixed
		s.log.Error("inspector disabled", "err", err)
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeError(w, proto.CodeInternal, "the inspector is unavailable", "")
		})
	}
	return h
}

// inspectLogin resolves a token typed into the login form to a view of its owner's
// deliveries. Tokens are compared in constant time by Tokens.Owner.
func (s *Server) inspectLogin(token string) (inspect.Source, bool) {
	owner, ok := s.cfg.Tokens.Owner(token)
	if !ok {
		return nil, false
	}
	return ownerView{s: s, owner: owner}, true
}

// ownerView is the inspector's Source on the server: the core's store and replay, bound
// to one owner, so that a session never sees another token's tunnels.
type ownerView struct {
	s     *Server
	owner string
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
		live := v.s.reg.get(t.Name)
		out = append(out, api.Tunnel{Name: t.Name, Online: live != nil && live.live.Load() != nil,
			URLs: v.s.urls(t.Name), Offline: t.Offline, LastSeen: t.LastSeen})
	}
	return out, nil
}

// Events follows the owner's finished deliveries until ctx ends or the server closes.
func (v ownerView) Events(ctx context.Context, tunnel string, fn func(api.Summary)) error {
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
