package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/proto"
)

// apiRoutes mounts the JSON API (see package api for the reference).
func (s *Server) apiRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /api/tunnels", s.authed(s.apiTunnels))
	m.HandleFunc("GET /api/tunnels/{name}", s.authed(s.apiTunnel))
	m.HandleFunc("DELETE /api/tunnels/{name}", s.authed(s.apiRelease))
	m.HandleFunc("GET /api/requests", s.authed(s.apiList))
	m.HandleFunc("GET /api/requests/{id}", s.authed(s.apiGet))
	m.HandleFunc("GET /api/requests/{id}/body", s.authed(s.apiBody))
	m.HandleFunc("POST /api/requests/{id}/replay", s.authed(s.apiReplay))
	m.HandleFunc("POST /api/replay", s.authed(s.apiBulkReplay))
	m.HandleFunc("GET /api/events", s.authed(s.apiEvents))
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, proto.CodeNotFound, "no API route "+r.Method+" "+r.URL.Path, "")
	})
}

// authed resolves the bearer token to its owner id (a team's, for a member), or
// answers 401. The request's context ends if the token is revoked meanwhile, which
// ends a live feed.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := s.identify(bearer(r))
		if !ok {
			writeError(w, proto.CodeBadToken, "missing or unknown token", "")
			return
		}
		if s.cfg.Store == nil {
			writeError(w, proto.CodeNotFound, "this server records nothing", "")
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		release, ok := s.hold(id.TokenID, cancel)
		if !ok {
			writeError(w, proto.CodeTokenRevoked, "this token was revoked", "")
			return
		}
		defer release()
		r = r.WithContext(ctx)
		s.settling.wait(ctx)
		h(w, r, id.Owner)
	}
}

func (s *Server) apiTunnels(w http.ResponseWriter, r *http.Request, owner string) {
	ts, err := s.cfg.Store.ListTunnels(r.Context(), owner)
	if err != nil {
		s.apiError(w, err)
		return
	}
	out := make([]api.Tunnel, 0, len(ts))
	for _, t := range ts {
		out = append(out, api.Tunnel{Name: t.Name, Online: s.onlineAnywhere(r.Context(), t.Name) != nil,
			URLs: s.urls(t.Name), Offline: t.Offline, LastSeen: t.LastSeen})
	}
	writeJSON(w, http.StatusOK, map[string]any{"tunnels": out})
}

// apiTunnel answers one of the token's tunnels with its attached clients; another
// token's name answers 404 not_found, as an unknown one does.
func (s *Server) apiTunnel(w http.ResponseWriter, r *http.Request, owner string) {
	name := r.PathValue("name")
	st, err := s.cfg.Store.GetTunnel(r.Context(), name)
	if err == nil && st.Owner != owner {
		err = store.ErrNotFound
	}
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
			writeError(w, proto.CodeNotFound, "this token has no tunnel "+name, "")
			return
		}
		s.apiError(w, err)
		return
	}
	out := api.Tunnel{Name: name, URLs: s.urls(name), Offline: st.Offline, LastSeen: st.LastSeen}
	if a := s.onlineAnywhere(r.Context(), name); a != nil {
		out.Online, out.Share, out.Clients = true, a.share, attachedClients(a)
	}
	writeJSON(w, http.StatusOK, out)
}

// attachedClients lists a's clients for the API.
func attachedClients(a *attached) []api.AttachedClient {
	out := make([]api.AttachedClient, 0, len(a.all()))
	for _, b := range a.all() {
		out = append(out, api.AttachedClient{ID: b.client.id, Label: b.client.label, Role: a.role(b), Routes: b.client.exprs})
	}
	return out
}

// apiRelease gives up one of the token's tunnel names at once (see release): 204, 409
// tunnel_online while a client serves it, 400 bad_name for a name the config reserves,
// 404 not_found when the token does not own it (another token's name answers
// the same, so names cannot be probed).
func (s *Server) apiRelease(w http.ResponseWriter, r *http.Request, owner string) {
	name := r.PathValue("name")
	switch err := s.release(r.Context(), name, owner, time.Time{}); {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, errTunnelInUse):
		writeError(w, proto.CodeTunnelOnline, "a client serves tunnel "+name+" now; stop it first", "")
	case errors.Is(err, errNameReserved):
		writeError(w, proto.CodeBadName, "tunnel "+name+" is reserved for this token in the server config", "")
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrInvalid):
		writeError(w, proto.CodeNotFound, "this token has no tunnel "+name, "")
	default:
		s.apiError(w, err)
	}
}

func (s *Server) apiList(w http.ResponseWriter, r *http.Request, owner string) {
	f, err := api.ParseFilter(r.URL.Query(), s.cfg.Now())
	if err != nil {
		writeError(w, proto.CodeBadRequest, err.Error(), "")
		return
	}
	f.Owner = owner
	page, err := s.cfg.Store.List(r.Context(), f)
	if err != nil {
		s.apiError(w, err)
		return
	}
	out := api.List{Requests: make([]api.Summary, len(page.Records)), Next: page.Next}
	for i := range page.Records {
		out.Requests[i] = api.SummaryOf(&page.Records[i])
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiGet(w http.ResponseWriter, r *http.Request, owner string) {
	rec, err := s.cfg.Store.Get(r.Context(), owner, r.PathValue("id"))
	if err != nil {
		s.apiError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, api.RecordOf(rec))
}

// apiBody answers one recorded body as raw bytes, with its record's content type.
func (s *Server) apiBody(w http.ResponseWriter, r *http.Request, owner string) {
	rec, err := s.cfg.Store.Get(r.Context(), owner, r.PathValue("id"))
	if err != nil {
		s.apiError(w, err)
		return
	}
	body := rec.Body
	if r.URL.Query().Get("part") == "response" {
		body = rec.RespBody
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Hookrelay-Body-Size", strconv.FormatInt(body.Size, 10))
	w.Header().Set("X-Hookrelay-Body-Truncated", strconv.FormatBool(body.Truncated))
	_, _ = w.Write(body.Data)
}

// apiError maps store errors to the API's answers.
func (s *Server) apiError(w http.ResponseWriter, err error) {
	var perr *proto.Error
	switch {
	case errors.As(err, &perr):
		writeError(w, perr.Code, perr.Message, "")
	case errors.Is(err, store.ErrNotFound):
		writeError(w, proto.CodeNotFound, "no such record", "")
	case errors.Is(err, store.ErrInvalid):
		writeError(w, proto.CodeBadRequest, err.Error(), "")
	case errors.Is(err, store.ErrUnavailable):
		writeError(w, proto.CodeStoreUnavailable, "the store cannot be reached; retry later", "")
	default:
		s.log.Error("api", "err", err)
		writeError(w, proto.CodeInternal, "internal error", "")
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
