package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/proto"
)

// maxBulkReplay caps one bulk replay; page through with since/until for more.
const maxBulkReplay = 10000

// apiBulkReplay replays every record matching the filters, oldest first, and streams one
// api.ReplayResult per line (NDJSON), in order, so callers can show progress.
func (s *Server) apiBulkReplay(w http.ResponseWriter, r *http.Request, owner string) {
	f, err := api.ParseFilter(r.URL.Query(), s.cfg.Now())
	if err != nil {
		writeError(w, proto.CodeBadRequest, err.Error(), "")
		return
	}
	opt, err := bulkOptions(r.URL.Query())
	if err != nil {
		writeError(w, proto.CodeBadRequest, err.Error(), "")
		return
	}
	f.Owner = owner
	ids, err := s.originals(r.Context(), f)
	if err != nil {
		s.apiError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	flush := http.NewResponseController(w)
	s.bulkReplay(r.Context(), owner, ids, opt, func(res api.ReplayResult) bool {
		if res.Record != nil {
			res.Record.Request.Body, res.Record.Response.Body = nil, nil
		}
		if enc.Encode(res) != nil {
			return false
		}
		return flush.Flush() == nil
	})
}

// bulkOptions reads resign and parallel from a bulk replay's query.
func bulkOptions(q url.Values) (api.BulkOptions, error) {
	opt := api.BulkOptions{Resign: q.Get("resign") == "true", Parallel: 1}
	if v := q.Get("parallel"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > api.MaxParallel {
			return opt, fmt.Errorf("parallel must be a number from 1 to %d", api.MaxParallel)
		}
		opt.Parallel = n
	}
	return opt, nil
}

// bulkReplay replays ids with up to opt.Parallel in flight and reports each result in
// the order of ids. It stops starting new replays when ctx ends or report returns false,
// and returns once the replays it started are done.
func (s *Server) bulkReplay(ctx context.Context, owner string, ids []string, opt api.BulkOptions, report func(api.ReplayResult) bool) {
	n := min(max(opt.Parallel, 1), api.MaxParallel)
	var wg sync.WaitGroup
	defer wg.Wait()
	// window holds the results of the replays in flight, oldest first, one buffered
	// channel each: replays finish in any order, but are reported in the order of ids,
	// and a new one starts only when the oldest has been reported.
	window := make([]chan api.ReplayResult, 0, n)
	going := true
	next := func() { // report the oldest replay in flight
		res := <-window[0]
		window = window[1:]
		going = going && report(res)
	}
	for i, id := range ids {
		if len(window) == n {
			next()
		}
		if !going || ctx.Err() != nil {
			break
		}
		ch := make(chan api.ReplayResult, 1)
		window = append(window, ch)
		wg.Go(func() { ch <- s.replayOne(ctx, owner, id, opt.Resign, i+1, len(ids)) })
	}
	for len(window) > 0 {
		next()
	}
}

// replayOne replays one record of a bulk replay and describes the outcome.
func (s *Server) replayOne(ctx context.Context, owner, id string, resign bool, done, total int) api.ReplayResult {
	res := api.ReplayResult{Original: id, Done: done, Total: total}
	rec, err := s.Replay(ctx, owner, id, &api.Edit{Resign: resign})
	if err != nil {
		res.Error = err.Error()
		return res
	}
	res.Record = api.RecordOf(rec)
	return res
}

// originals lists the ids of every record f selects, oldest first, up to maxBulkReplay.
// Replays themselves are skipped so that replaying "everything since 1h" twice does not
// snowball.
func (s *Server) originals(ctx context.Context, f store.Filter) ([]string, error) {
	f.AllOwners, f.Oldest, f.Limit = false, true, store.MaxLimit
	var ids []string
	for len(ids) < maxBulkReplay {
		s.settling.wait(ctx)
		page, err := s.cfg.Store.List(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("bulk replay: %w", err)
		}
		for _, rec := range page.Records {
			if rec.ReplayOf == "" && len(ids) < maxBulkReplay {
				ids = append(ids, rec.ID)
			}
		}
		if page.Next == "" {
			break
		}
		f.Cursor = page.Next
	}
	return ids, nil
}
