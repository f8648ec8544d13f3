package store

import (
	"slices"
	"time"
)

// Header is one header line, kept in the order it was received. Names are
// stored exactly as given: no canonicalisation and no merging of repeats.
type Header struct {
	Name, Value string
}

// Body is a request or response body as recorded.
type Body struct {
	// Data holds the stored bytes: the whole body, or only its first bytes
	// when Truncated is set. It is nil when nothing was stored. Records
	// returned by [Store.List] never carry Data, only the size and digest.
	Data []byte
	// Size is the full length of the body as received, which may exceed
	// len(Data).
	Size int64
	// SHA256 is the lowercase hex digest of the full body. The store keeps it
	// as given and does not recompute it.
	SHA256 string
	// Truncated reports that Data holds only a prefix of the body.
	Truncated bool
}

// Outcome says how a delivery ended, or that it has not ended yet. Every
// record ends in one of the terminal outcomes (all but pending and queued);
// README's Durability section documents them in one table.
type Outcome string

// The outcomes a record can have.
const (
	// OutcomePending: recorded, not answered yet.
	OutcomePending Outcome = "pending"
	// OutcomeOK: the local app answered, with any status (a queued delivery:
	// with a 2xx status).
	OutcomeOK Outcome = "ok"
	// OutcomeOffline: rejected because no client was connected.
	OutcomeOffline Outcome = "offline"
	// OutcomeQueued: waiting in the offline queue for the client to return.
	OutcomeQueued Outcome = "queued"
	// OutcomeTimeout: the local app did not answer in time.
	OutcomeTimeout Outcome = "timeout"
	// OutcomeRefused: the local app was unreachable (connection refused,
	// nothing listening).
	OutcomeRefused Outcome = "refused"
	// OutcomeBadResponse: the local app accepted the connection but its
	// answer was not HTTP, or it reset or closed the connection before
	// answering.
	OutcomeBadResponse Outcome = "bad_response"
	// OutcomeTooLarge: the request or response exceeded a size limit.
	OutcomeTooLarge Outcome = "too_large"
	// OutcomeRejected: refused because signature enforcement failed.
	OutcomeRejected Outcome = "rejected"
	// OutcomeError: any other failure.
	OutcomeError Outcome = "error"
	// OutcomeExpired: was queued but not delivered before the queue TTL.
	OutcomeExpired Outcome = "expired"
	// OutcomeFailed: a queued delivery (the sender was answered 202 and will
	// not retry) that the local app did not accept: it answered non-2xx, or
	// could not be reached. It stays listed as missed until replayed.
	OutcomeFailed Outcome = "failed"
	// OutcomeInterrupted: the relay stopped (crash, kill -9, power loss)
	// before the record got its outcome; set when the next process starts.
	// The sender may or may not have been answered, and the app may or may
	// not have received it: the relay cannot know.
	OutcomeInterrupted Outcome = "interrupted"
	// OutcomeHandshake: a URL-verification handshake (Slack url_verification,
	// Meta hub.challenge, ...) the relay answered itself, client online or
	// not; nothing was forwarded.
	OutcomeHandshake Outcome = "handshake"
)

// Outcomes lists every outcome, for validation and for choosers.
var Outcomes = []Outcome{OutcomePending, OutcomeOK, OutcomeOffline, OutcomeQueued, OutcomeTimeout,
	OutcomeRefused, OutcomeBadResponse, OutcomeTooLarge, OutcomeRejected, OutcomeError, OutcomeExpired,
	OutcomeFailed, OutcomeInterrupted, OutcomeHandshake}

// MissedOutcomes are the outcomes of deliveries the app may not have got and
// nobody will send again by themselves: listed by Filter.Missed until
// replayed. Queued deliveries are not among them: the relay delivers them.
var MissedOutcomes = []Outcome{OutcomeOffline, OutcomeExpired, OutcomeFailed, OutcomeInterrupted}

// Valid reports whether o is one of the defined outcomes.
func (o Outcome) Valid() bool { return slices.Contains(Outcomes, o) }

// Missed reports whether o is one of MissedOutcomes.
func (o Outcome) Missed() bool { return slices.Contains(MissedOutcomes, o) }

// Verification is the result of checking a provider's webhook signature.
type Verification struct {
	// Provider names the scheme that was checked, e.g. "stripe" or "github".
	Provider string `json:"provider"`
	// OK reports whether the signature was valid.
	OK bool `json:"ok"`
	// Reason explains a failure; empty when OK.
	Reason string `json:"reason,omitempty"`
}

// Record is one inbound delivery (or replay) and, once completed, its answer.
//
// Strings a sender controls (Host, Path, RawQuery, header names and values,
// EventID, ...) are stored as the bytes given, invalid UTF-8 and NUL
// included. ID, Tunnel, Owner, Method and ReplayOf are validated by the
// relay before they reach the store; a backend may refuse a NUL in them
// with ErrInvalid.
//
// The request half is written by [Store.Insert]; [Store.Complete] overwrites
// the response half (the fields from Status on, except ReplayOf and EventID).
type Record struct {
	// ID identifies the record. Insert assigns one with [NewID] when empty;
	// a caller-chosen ID must satisfy [ValidID].
	ID string
	// Seq is assigned by Insert. It increases with every insert and is never
	// reused, even after a purge, so it orders records and backs cursors.
	Seq int64
	// Tunnel is the tunnel name the request arrived on. Required.
	Tunnel string
	// Owner is the opaque id of the owning token (the server passes a hash
	// prefix). Required. Never put the token itself here.
	Owner string
	// ReceivedAt is when the request arrived. Insert sets it to the current
	// time when zero. Stored with nanosecond precision and returned in UTC.
	ReceivedAt time.Time

	Method, Host, Path, RawQuery, Proto, RemoteAddr string

	// Headers are the request headers in received order.
	Headers []Header
	// Body is the request body.
	Body Body

	// Status is the response status, 0 if there was none.
	Status int
	// Outcome says how the delivery ended; Insert stores OutcomePending when
	// empty.
	Outcome Outcome
	// ErrorCode is a machine-readable code when the relay answered itself,
	// e.g. "tunnel_offline".
	ErrorCode string
	// RespHeaders are the response headers in the order sent.
	RespHeaders []Header
	// RespBody is the response body.
	RespBody Body
	// Duration runs from receipt to the end of the response.
	Duration time.Duration
	// ReplayOf is the ID of the original record when this is a replay.
	ReplayOf string
	// Verification is the signature check result, nil when none was made.
	Verification *Verification
	// EventID is the provider's event id, when one was found.
	EventID string
	// Duplicate reports that EventID was already seen on this tunnel.
	Duplicate bool
	// Attempts counts delivery attempts made from the offline queue.
	Attempts int
	// Resigned reports that the relay recomputed a timestamped signature when
	// it delivered the request from the offline queue (the stored request
	// keeps the original headers).
	Resigned bool
}
