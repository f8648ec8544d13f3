package inspect

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"path"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// page is what every page's layout needs.
type page struct {
	Title    string
	Base     string // Config.BasePath
	CSRF     string // the session's form token; "" on the login page
	State    string // tunnel client state; "" when unknown
	LoggedIn bool   // a login session, which can log out
}

func parseTemplates(loc *time.Location) (*template.Template, error) {
	funcs := template.FuncMap{
		"stamp": func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04:05.000") },
		"day":   func(t time.Time) string { return t.In(loc).Format("2006-01-02") },
		"clock": func(t time.Time) string { return t.In(loc).Format("15:04:05.000") },
		"iso":   func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
		"size":  formatSize,
	}
	return template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
}

// page returns the layout data for a session's page.
func (h *Handler) page(title string, s *session) page {
	p := page{Title: title, Base: h.cfg.BasePath, LoggedIn: h.local == nil && s != nil}
	if s != nil {
		p.CSRF = s.csrf
	}
	if h.cfg.State != nil {
		p.State = h.cfg.State()
	}
	return p
}

// render executes a template into a buffer first, so a failure never sends half a page.
func (h *Handler) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		h.log.Error("inspect: render", "template", name, "err", err)
		http.Error(w, "inspect: cannot render the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorPage is the data of the error template.
type errorPage struct {
	page
	Status  int
	Message string
}

// fail answers an error page.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	p := h.page(http.StatusText(status), h.session(r))
	p.CSRF = ""
	h.render(w, status, "error", errorPage{page: p, Status: status, Message: msg})
}

// serveStatic serves the embedded script and style sheet.
func (h *Handler) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := path.Join("static", path.Base(r.PathValue("file")))
	b, err := staticFS.ReadFile(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	switch path.Ext(name) {
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".svg":
		w.Header().Set("Content-Type", "image/svg+xml")
	}
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}
