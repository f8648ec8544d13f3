package server

import (
	"encoding/json"
	"net/http"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/proto"
)

// maxBulkReplay caps one bulk replay; page through with since/until for more.
const maxBulkReplay = 10000

// apiBulkReplay replays every record matching the filters, oldest first, one at a time,
// and streams one api.ReplayResult per line (NDJSON) so callers can show progress.
func (s *Server) apiBulkReplay(w http.ResponseWriter, r *http.Request, owner string) {
	f, err := api.ParseFilter(r.URL.Query(), s.cfg.Now())
	if err != nil {
		writeError(w, proto.CodeBadRequest, err.Error(), "")
		return
	}
	f.Owner, f.Oldest, f.Limit = owner, true, store.MaxLimit
	ids, err := s.matching(r, f)
	if err != nil {
		s.apiError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	flush := http.NewResponseController(w)
	edit := &api.Edit{Resign: r.URL.Query().Get("resign") == "true"}
	for i, id := range ids {
		res := api.ReplayResult{Original: id, Done: i + 1, Total: len(ids)}
		if rec, err := s.Replay(r.Context(), owner, id, edit); err != nil {
			res.Error = err.Error()
		} else {
			res.Record = api.RecordOf(rec)
			res.Record.Request.Body, res.Record.Response.Body = nil, nil
		}
		if enc.Encode(res) != nil || r.Context().Err() != nil {
			return
		}
		_ = flush.Flush()
	}
}

// matching lists the ids of every record f selects, up to maxBulkReplay. Replays
// themselves are skipped so that replaying "everything since 1h" twice does not snowball.
func (s *Server) matching(r *http.Request, f store.Filter) ([]string, error) {
	var ids []string
	for {
		page, err := s.cfg.Store.List(r.Context(), f)
		if err != nil {
			return nil, err
		}
		for _, rec := range page.Records {
			if rec.ReplayOf == "" && len(ids) < maxBulkReplay {
				ids = append(ids, rec.ID)
			}
		}
		if page.Next == "" || len(ids) >= maxBulkReplay {
			return ids, nil
		}
		f.Cursor = page.Next
	}
}
