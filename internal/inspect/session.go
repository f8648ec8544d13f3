package inspect

import (
	"errors"
	"net/http"
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

// session is what a request runs as: a logged-in browser's Source and CSRF token, or
// the single implicit session of a loopback inspector.
type session struct {
	src  Source
	csrf string // the token every POST form must carry
}

// session returns the request's session, nil when it must log in: no cookie, a session
// the store does not have (or cannot be asked about), or a subject SourceFor no longer
// accepts (the token it logged in with was revoked), whose session is then ended.
func (h *Handler) session(r *http.Request) *session {
	if h.local != nil {
		return h.local
	}
	c, err := r.Cookie(h.cookieNameFor(r))
	if err != nil {
		return nil
	}
	ss, err := h.cfg.Sessions.Get(r.Context(), c.Value)
	if err != nil {
		if !errors.Is(err, ErrNoSession) {
			h.log.Error("inspector session lookup failed", "err", err)
		}
		return nil
	}
	src, ok := h.cfg.SourceFor(ss.Subject)
	if !ok {
		h.endSession(r, c.Value)
		return nil
	}
	return &session{src: src, csrf: ss.CSRF}
}

// endSession deletes a session, logging a store's failure.
func (h *Handler) endSession(r *http.Request, id string) {
	if err := h.cfg.Sessions.Delete(r.Context(), id); err != nil {
		h.log.Error("inspector session delete failed", "err", err)
	}
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
