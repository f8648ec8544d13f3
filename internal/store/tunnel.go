package store

import "time"

// What a tunnel does with requests while no client is connected.
const (
	// OfflineReject answers at once with an error (the default).
	OfflineReject = "reject"
	// OfflineQueue records the request as queued and delivers it when the
	// client reconnects.
	OfflineQueue = "queue"
)

// Tunnel is a tunnel name and the token that owns it.
type Tunnel struct {
	// Name is the tunnel's public name. Required.
	Name string
	// Owner is the opaque id of the owning token. Required.
	Owner string
	// Offline is OfflineReject or OfflineQueue; empty means OfflineReject.
	Offline string
	// QueueStatus is the status answered to senders whose request was
	// queued; 0 lets the server choose.
	QueueStatus int
	// CreatedAt is set when the tunnel is first claimed (current time if
	// zero) and never changed afterwards.
	CreatedAt time.Time
	// LastSeen is when a client last used the tunnel (current time if zero
	// on claim).
	LastSeen time.Time
}

// Usage is what one owner's records on one tunnel name hold, as summed by
// [Store.RecordedSince].
type Usage struct {
	Tunnel string
	Owner  string
	// Bytes is the request body bytes stored (len(Body.Data) summed).
	Bytes int64
}
