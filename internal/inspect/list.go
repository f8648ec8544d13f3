package inspect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/proto"
)

// Choices of the filter form.
var (
	methodChoices  = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
	statusChoices  = []string{"2xx", "3xx", "4xx", "5xx"}
	outcomeChoices = []store.Outcome{store.OutcomeOK, store.OutcomePending, store.OutcomeQueued, store.OutcomeOffline,
		store.OutcomeExpired, store.OutcomeFailed, store.OutcomeInterrupted, store.OutcomeTimeout, store.OutcomeRefused,
		store.OutcomeBadResponse, store.OutcomeTooLarge, store.OutcomeRejected, store.OutcomeError, store.OutcomeHandshake}
)

// listPage is the data of the list template.
type listPage struct {
	page
	Form      url.Values // the filters as typed, to fill the form again
	Tunnel    string     // the tunnel filter in force ("" for all)
	Tunnels   []string   // choices of the tunnel filter
	Rows      []row
	Older     string // URL of the next (older) page, "" on the last
	Newest    string // URL of the first page, "" when on it
	EventsURL string // the live feed for this view, "" when it is not live
	Status    statusView
	Err       string
	Methods   []string
	Statuses  []string
	Outcomes  []store.Outcome
}

// statusView is the tunnels panel: state, URLs and what was missed.
type statusView struct {
	Tunnels    []api.Tunnel
	Missed     int
	MissedMore bool // more than Missed
	Err        string
}

// missedProbe is how many missed deliveries the status panel counts before saying "+".
const missedProbe = 100

func (h *Handler) serveList(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	p := listPage{page: h.page("Deliveries", s), Form: q, Methods: methodChoices, Statuses: statusChoices,
		Outcomes: outcomeChoices}
	f, err := parseQuery(q, h.cfg.Now(), h.cfg.Location)
	if !q.Has("tunnel") {
		f.Tunnel = h.defaultTunnel()
	}
	p.Tunnel = f.Tunnel
	p.Status, p.Tunnels = h.status(r.Context(), s.src, f.Tunnel)
	if err != nil {
		p.Err = err.Error()
		h.render(w, http.StatusBadRequest, "list", p)
		return
	}
	status := h.fillRows(r.Context(), s.src, f, q, &p)
	h.render(w, status, "list", p)
}

// fillRows lists one page of f and the links around it; it returns the HTTP status.
func (h *Handler) fillRows(ctx context.Context, src Source, f store.Filter, q url.Values, p *listPage) int {
	list, err := src.List(ctx, f)
	if err != nil {
		p.Err = "Cannot list deliveries: " + err.Error()
		return sourceStatus(err)
	}
	for _, sum := range list.Requests {
		p.Rows = append(p.Rows, h.rowOf(sum))
	}
	keep := filterValues(q)
	if list.Next != "" {
		p.Older = h.listURL(keep, list.Next, f.Oldest)
	}
	if f.Cursor != "" {
		p.Newest = h.listURL(keep, "", f.Oldest)
	}
	if f.Cursor == "" && !f.Oldest {
		keep.Set("tunnel", f.Tunnel)
		p.EventsURL = h.cfg.BasePath + "events?" + keep.Encode()
	}
	return http.StatusOK
}

func (h *Handler) listURL(keep url.Values, cursor string, oldest bool) string {
	v := cloneValues(keep)
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	if oldest {
		v.Set("order", "oldest")
	}
	if len(v) == 0 {
		return h.cfg.BasePath
	}
	return h.cfg.BasePath + "?" + v.Encode()
}

// defaultTunnel is the tunnel the list shows when the URL names none.
func (h *Handler) defaultTunnel() string {
	if h.cfg.Names == nil {
		return ""
	}
	if names := h.cfg.Names(); len(names) == 1 {
		return names[0]
	}
	return ""
}

// status fills the tunnels panel and the tunnel filter's choices.
func (h *Handler) status(ctx context.Context, src Source, tunnel string) (statusView, []string) {
	var v statusView
	ts, err := src.Tunnels(ctx)
	if err != nil {
		v.Err = "Cannot reach the relay server: " + err.Error()
		return v, nil
	}
	var mine, names []string
	if h.cfg.Names != nil {
		mine = h.cfg.Names()
	}
	for _, t := range ts {
		names = append(names, t.Name)
		if len(mine) == 0 || slices.Contains(mine, t.Name) {
			v.Tunnels = append(v.Tunnels, t)
		}
	}
	missed, err := src.List(ctx, store.Filter{Missed: true, Tunnel: tunnel, Limit: missedProbe})
	if err == nil {
		v.Missed, v.MissedMore = len(missed.Requests), missed.Next != ""
	}
	return v, names
}

// sourceStatus maps a Source error to the page's status.
func sourceStatus(err error) int {
	var ae *api.Error
	var pe *proto.Error
	switch {
	case errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500:
		return ae.Status
	case errors.As(err, &pe) && pe.Code.Status() >= 400 && pe.Code.Status() < 500:
		return pe.Code.Status()
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, store.ErrInvalid):
		return http.StatusBadRequest
	}
	return http.StatusBadGateway
}

// row is one delivery in the list, ready to print.
type row struct {
	api.Summary
	URL      string
	Target   string // path and query
	Class    string // status class for styling: s2 for 2xx, s0 for none
	Duration string
	Size     string
	Queued   bool // delivered from, or waiting in, the offline queue
}

func (h *Handler) rowOf(s api.Summary) row {
	r := row{Summary: s, URL: h.cfg.BasePath + "r/" + url.PathEscape(s.ID), Target: s.Path,
		Class: fmt.Sprintf("s%d", s.Status/100), Duration: formatDuration(s.DurationMS), Size: formatSize(s.Size),
		Queued: s.Outcome == store.OutcomeQueued || s.Attempts > 0}
	if s.Query != "" {
		r.Target += "?" + s.Query
	}
	return r
}

func formatDuration(ms float64) string {
	if ms >= 1000 {
		return fmt.Sprintf("%.2f s", ms/1000)
	}
	return fmt.Sprintf("%.1f ms", ms)
}

func formatSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
