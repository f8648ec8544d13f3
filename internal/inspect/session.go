package inspect

import (
	"errors"
	"net/http"
	"sync"
	"time"
)

// cookieName is the inspector's session cookie. Served over TLS at the root of its
// origin, it carries the "__Host-" prefix: browsers then refuse it from any other host,
// so a sibling host (a tunnel's NAME.DOMAIN) cannot plant or overwrite it.
const cookieName = "hookrelay_inspect"

// cookieNameFor is the session cookie's name on r.
func (h *Handler) cookieNameFor(r *http.Request) string {
	if h.secure(r) && h.cfg.BasePath == "/" {
		return "__Host-" + cookieName
	}
	return cookieName
}

func (h *Handler) secure(r *http.Request) bool { return h.cfg.SecureCookies || r.TLS != nil }

// maxSessions caps live sessions; beyond, arbitrary ones are dropped.
const maxSessions = 10000

// session is one logged-in browser, or the single implicit one of a loopback inspector.
type session struct {
	src     Source
	csrf    string // the token every POST form must carry
	expires time.Time
}

// sessions are the logged-in browsers, by cookie value: a random id. The secret that
// logged in is never kept.
type sessions struct {
	mu   sync.Mutex
	ttl  time.Duration
	now  func() time.Time
	byID map[string]*session
}

func newSessions(ttl time.Duration, now func() time.Time) *sessions {
	return &sessions{ttl: ttl, now: now, byID: make(map[string]*session)}
}

// create starts a session for src and returns its cookie value.
func (ss *sessions) create(src Source) string {
	id := randomToken()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := ss.now()
	for k, s := range ss.byID {
		if now.After(s.expires) || len(ss.byID) >= maxSessions {
			delete(ss.byID, k)
		}
	}
	ss.byID[id] = &session{src: src, csrf: randomToken(), expires: now.Add(ss.ttl)}
	return id
}

func (ss *sessions) get(id string) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.byID[id]
	if s == nil || ss.now().After(s.expires) {
		delete(ss.byID, id)
		return nil
	}
	return s
}

func (ss *sessions) remove(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.byID, id)
}

// session returns the request's session, nil when it must log in.
func (h *Handler) session(r *http.Request) *session {
	if h.local != nil {
		return h.local
	}
	c, err := r.Cookie(h.cookieNameFor(r))
	if err != nil {
		return nil
	}
	s := h.sessions.get(c.Value)
	if rv, ok := s.source().(Revocable); ok && !rv.Valid() {
		h.sessions.remove(c.Value)
		return nil
	}
	return s
}

// Revocable is a Source whose login can be withdrawn (the token it logged in with was
// revoked): the inspector checks Valid on every request and ends a session it fails.
type Revocable interface {
	Valid() bool
}

func (s *session) source() Source {
	if s == nil {
		return nil
	}
	return s.src
}

func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: h.cookieNameFor(r), Value: value, Path: h.cfg.BasePath, MaxAge: maxAge,
		HttpOnly: true, Secure: h.secure(r), SameSite: http.SameSiteStrictMode})
}

// authed serves pages to a session; anyone else is sent to the login form.
func (h *Handler) authed(fn func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := h.session(r)
		if s == nil {
			http.Redirect(w, r, h.cfg.BasePath+"login", http.StatusSeeOther)
			return
		}
		fn(w, r, s)
	}
}

// maxFormBytes caps a POST form: an edited body plus headers.
const maxFormBytes = 32 << 20

// posted guards a POST: same origin, a session and its CSRF token.
func (h *Handler) posted(fn func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !sameOrigin(r) {
			h.fail(w, r, http.StatusForbidden, "Refused a request from another site.")
			return
		}
		s := h.session(r)
		if s == nil {
			h.fail(w, r, http.StatusForbidden, "Your session has ended; log in again.")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseMultipartForm(maxFormBytes); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			h.fail(w, r, http.StatusBadRequest, "Unreadable form: "+err.Error())
			return
		}
		if !tokenEqual(r.PostFormValue("csrf"), s.csrf) {
			h.fail(w, r, http.StatusForbidden, "The form has expired; reload the page and try again.")
			return
		}
		fn(w, r, s)
	}
}

// feed guards the live feed: same origin and a session.
func (h *Handler) feed(fn func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !sameOrigin(r) {
			http.Error(w, "inspect: cross-site request refused", http.StatusForbidden)
			return
		}
		s := h.session(r)
		if s == nil {
			http.Error(w, "inspect: log in first", http.StatusUnauthorized)
			return
		}
		fn(w, r, s)
	}
}
