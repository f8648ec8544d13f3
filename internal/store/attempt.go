package store

import "time"

// Attempt is one forwarding attempt of a recorded delivery to one attached client: the
// primary's, each mirror copy, a balanced or routed delivery, a replay or a queued
// delivery on a tunnel shared by several clients.
type Attempt struct {
	N        int // 1, 2, ... in the order they started, per record (the store assigns it when 0)
	ClientID string
	Label    string
	Role     string        // "primary", "mirror", "balance", "routed", "replay", "queue"
	Status   int           // HTTP status the app answered, 0 if none
	Duration time.Duration // from the start of the attempt to the end of the response
	Error    string        // proto error code or short text, "" on success
	At       time.Time     // when it started
}
