package server

import "time"

// Observer receives the server's measurements, for metrics. Its methods are called on
// the request path and must not block.
type Observer interface {
	// Delivery reports one finished delivery: its tunnel, the status the sender got (0
	// if none), the relay's error code if it answered itself, the time from receipt to
	// the end of the response, and the body bytes in and out.
	Delivery(tunnel string, status int, code string, d time.Duration, bytesIn, bytesOut int64)
	// StoreError reports a failed store write; op is one of StoreOps.
	StoreError(op string)
}

// StoreOps are the store operations StoreError reports, so that their counters can
// exist at zero before any fails.
var StoreOps = []string{opInsert, opSaveBody, opComplete, opClaim, opTouch, opInterrupt, opProbe}

const (
	opInsert    = "insert"    // the request half, before forwarding
	opSaveBody  = "save_body" // a large body recorded as it streamed
	opComplete  = "complete"  // the response half
	opClaim     = "claim"     // a tunnel name taken or its settings saved
	opTouch     = "touch"     // a tunnel's last-seen time
	opInterrupt = "interrupt" // settling records a previous process left pending
	opProbe     = "probe"     // the write probe while the store fails
)

type nopObserver struct{}

func (nopObserver) Delivery(string, int, string, time.Duration, int64, int64) {}
func (nopObserver) StoreError(string)                                         {}

// Stats is a snapshot of the server's state, for gauges.
type Stats struct {
	// Sessions is the number of connected clients; Tunnels the number of online tunnels.
	Sessions, Tunnels int
	// StoreFailing reports that the store's last write failed (disk full, read-only):
	// deliveries get 503 store_unavailable until it writes again.
	StoreFailing bool
	// WaitingCompletions counts response halves the store refused, kept in memory and
	// retried until it takes them.
	WaitingCompletions int
}

// Stats returns the current state.
func (s *Server) Stats() Stats {
	return Stats{Sessions: int(s.sessions.Load()), Tunnels: s.reg.online(),
		StoreFailing: s.watch.isFailing(), WaitingCompletions: s.parkedCount()}
}
