package server

import "time"

// queueSweepEvery is how often a node of several looks at the queues of the tunnels it
// serves. A delivery queued through another node while the client was attached here
// waits at most this long: nothing tells this node of it (there is no NOTIFY yet), and
// the client's next session would otherwise be the first to drain it.
const queueSweepEvery = 10 * time.Second

// startQueueSweep kicks, every queueSweepEvery, the drain of each tunnel with a client
// here; a drain of an empty queue is one store read. One node alone needs none: every
// queued delivery is its own, and it kicks the drain itself.
func (s *Server) startQueueSweep() {
	if s.cfg.Cluster == nil || s.cfg.Store == nil {
		return
	}
	s.every(queueSweepEvery, func() {
		for _, tn := range s.reg.served() {
			s.kickDrain(tn)
		}
	})
}
