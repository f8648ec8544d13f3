package inspect

import (
	"net/http"
)

// loginPage is the data of the login template.
type loginPage struct {
	page
	Label string
	Err   string
}

// maxSecretBytes caps what the login form reads.
const maxSecretBytes = 4 << 10

func (h *Handler) serveLoginForm(w http.ResponseWriter, r *http.Request) {
	if h.local != nil {
		http.Redirect(w, r, h.cfg.BasePath, http.StatusSeeOther)
		return
	}
	h.render(w, http.StatusOK, "login", h.loginPage(""))
}

func (h *Handler) loginPage(msg string) loginPage {
	p := h.page("Log in", nil)
	p.State = ""
	return loginPage{page: p, Label: h.cfg.LoginLabel, Err: msg}
}

// serveLogin checks the secret and starts a session. Failures are counted per client
// address: past maxFailures a minute the form answers that address 429 without checking.
func (h *Handler) serveLogin(w http.ResponseWriter, r *http.Request) {
	if h.local != nil {
		http.Redirect(w, r, h.cfg.BasePath, http.StatusSeeOther)
		return
	}
	if !sameOrigin(r) {
		h.render(w, http.StatusForbidden, "login", h.loginPage("Refused a login from another site."))
		return
	}
	addr := clientAddr(r)
	if h.failures.throttled(addr) {
		h.render(w, http.StatusTooManyRequests, "login", h.loginPage("Too many failed logins; wait a minute."))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxSecretBytes)
	subject, ok := h.cfg.Login(r.PostFormValue("secret"))
	if !ok {
		h.failures.failed(addr)
		h.render(w, http.StatusUnauthorized, "login", h.loginPage("That "+h.cfg.LoginLabel+" was not accepted."))
		return
	}
	ss, err := h.cfg.Sessions.Create(r.Context(), subject, h.cfg.SessionTTL)
	if err != nil {
		h.log.Error("inspector session create failed", "err", err)
		h.render(w, http.StatusServiceUnavailable, "login", h.loginPage("Logins are unavailable right now; try again shortly."))
		return
	}
	h.setCookie(w, r, ss.ID, int(h.cfg.SessionTTL.Seconds()))
	http.Redirect(w, r, h.cfg.BasePath, http.StatusSeeOther)
}

func (h *Handler) serveLogout(w http.ResponseWriter, r *http.Request, _ *session) {
	if c, err := r.Cookie(h.cookieNameFor(r)); err == nil {
		h.endSession(r, c.Value)
	}
	h.setCookie(w, r, "", -1)
	http.Redirect(w, r, h.cfg.BasePath+"login", http.StatusSeeOther)
}
