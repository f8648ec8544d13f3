package server

import (
	"net/http"

	"github.com/hookrelay/hookrelay/proto"
)

// admitSession applies the session-open rates to an authenticated connect, before the
// websocket upgrade: a refused open costs a short HTTP answer, never a session. The
// token's bucket is checked first, so opens it refuses do not drain the bucket of an
// address that other tokens' clients share.
func (s *Server) admitSession(w http.ResponseWriter, r *http.Request, tokenID string) bool {
	now := s.cfg.Now()
	ok, wait := s.sessionRates.allow(tokenID, now, s.cfg.SessionRate, float64(s.cfg.SessionBurst))
	if ok {
		ok, wait = s.sourceSessionRates.allow(sourceOf(r), now, s.cfg.SourceSessionRate,
			float64(s.cfg.SourceSessionBurst))
	}
	if ok {
		return true
	}
	setRetryAfter(w, wait)
	writeError(w, proto.CodeRateLimited, "too many new sessions from this token or address; retry later", "")
	return false
}
