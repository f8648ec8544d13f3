package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Backends wrap them with the operation, so test with
// errors.Is.
var (
	// ErrNotFound: no such record or tunnel, or it belongs to another owner.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: the tunnel is owned by another owner, the record ID is
	// taken, or (ReleaseTunnel) a client used the name since seenBefore.
	ErrConflict = errors.New("store: conflict")
	// ErrInvalid: an argument is malformed (bad cursor, missing owner, ...).
	ErrInvalid = errors.New("store: invalid argument")
	// ErrUnavailable: the store cannot read or write (disk full, read-only
	// file system, I/O error, lock timeout, closed store). The server should
	// fail closed, answering 503, rather than forward unrecorded traffic.
	ErrUnavailable = errors.New("store: unavailable")
)

// Store is the narrow interface the relay-server uses. It is implemented by
// the SQLite and PostgreSQL backends.
// Implementations are safe for concurrent use.
type Store interface {
	// Insert records r, assigning r.ID (when empty) and r.Seq. The record is
	// durable when Insert returns nil. Insert stores every field it is given,
	// so a record can be inserted already complete.
	Insert(ctx context.Context, r *Record) error
	// Complete writes the response half of the record with ID r.ID: Status,
	// Outcome, ErrorCode, RespHeaders, RespBody, Duration, Attempts,
	// Verification and Duplicate. r.Outcome must be valid (ErrInvalid
	// otherwise). ErrNotFound if there is no such record. The record is
	// found by ID alone (r.Seq is not trusted). Completing with
	// OutcomeQueued puts the record in the queue Queued reads (a delivery
	// that lost its client); any other outcome takes it out.
	Complete(ctx context.Context, r *Record) error
	// SaveRequestBody writes r.Body for the record with ID r.ID: the body of
	// a delivery recorded before its body streamed through. ErrNotFound if
	// there is no such record.
	SaveRequestBody(ctx context.Context, r *Record) error
	// Get returns the record with bodies and its Tries. ErrNotFound if it is
	// absent or owned by someone other than owner.
	Get(ctx context.Context, owner, id string) (*Record, error)
	// AddAttempt records delivery attempts of the record with this ID, in
	// order, all or none: each numbered a.N, or the record's next number when
	// a.N is 0. ErrNotFound if there is no such record, ErrConflict if an
	// a.N is taken, ErrInvalid if one is < 0. Several attempts cost one
	// write (one transaction). The attempts go with their record when Purge
	// deletes it.
	AddAttempt(ctx context.Context, recordID string, as ...Attempt) error
	// List returns one page of records matching f, without body Data.
	List(ctx context.Context, f Filter) (Page, error)
	// SeenEvent reports whether a record of owner on tunnel with this event
	// id has a Seq below before; before <= 0 means any Seq. An empty eventID
	// is never seen. Another owner's records of the same tunnel name (an
	// earlier holder of a released name) are never seen.
	SeenEvent(ctx context.Context, owner, tunnel, eventID string, before int64) (bool, error)
	// Queued returns the tunnel's records with outcome "queued", oldest
	// first, with bodies, at most limit (DefaultLimit when <= 0, at most
	// MaxLimit). A backend may return fewer (at least one while any is
	// queued) to bound the body bytes of one call; callers read until the
	// queue is empty.
	Queued(ctx context.Context, tunnel string, limit int) ([]Record, error)
	// Missed counts owner's records of the tunnel with outcome offline,
	// queued or expired received at or after since. Another owner's records
	// of the same tunnel name are not counted.
	Missed(ctx context.Context, owner, tunnel string, since time.Time) (int, error)
	// Interrupt gives every record still pending that was received before
	// t the outcome interrupted, and returns how many. A relay calls it when
	// it starts, with its start time: what a previous process left pending
	// will never be completed. A backend several processes share takes only
	// the records of processes known to be gone.
	Interrupt(ctx context.Context, before time.Time) (int, error)
	// ClaimTunnel creates the tunnel or, when t.Owner already owns it,
	// updates its settings and LastSeen. ErrConflict if another owner has it.
	ClaimTunnel(ctx context.Context, t Tunnel) error
	// GetTunnel returns the named tunnel, ErrNotFound if unclaimed.
	GetTunnel(ctx context.Context, name string) (*Tunnel, error)
	// ListTunnels returns the owner's tunnels by name. An empty owner lists
	// every tunnel (admin use).
	ListTunnels(ctx context.Context, owner string) ([]Tunnel, error)
	// TouchTunnel sets the tunnel's LastSeen. ErrNotFound if unclaimed.
	TouchTunnel(ctx context.Context, name string, seen time.Time) error
	// ReleaseTunnel ends owner's claim on name, so that any owner can claim
	// it again. When seenBefore is not zero the name is released only if its
	// LastSeen is before seenBefore (the check and the delete are atomic), so
	// a sweep of idle names never takes one a client has just used: ErrConflict
	// otherwise. ErrNotFound if the name is unclaimed or another owner's;
	// ErrInvalid if name or owner is empty. In the same transaction owner's
	// records of the tunnel with outcome queued get outcome expired, so that
	// nothing is delivered to a later owner of the name. Records are not
	// deleted nor changed otherwise: they stay owner's (Get, List by
	// Owner and Tunnel still return them to owner, never to another owner).
	ReleaseTunnel(ctx context.Context, name, owner string, seenBefore time.Time) error
	// RecordedSince sums, by tunnel and owner, the request body bytes stored
	// (len(Body.Data)) in the records received at or after since: one Usage
	// per tunnel and owner with at least one such record (Bytes 0 when none
	// has a body), in no particular order. Replays count like
	// any other record. The relay rebuilds its daily record quotas from it at
	// start, so it is one aggregate query, not a scan of bodies.
	RecordedSince(ctx context.Context, since time.Time) ([]Usage, error)
	// Purge marks queued records received before queueExpiredBefore as
	// expired, then deletes records received before olderThan and, when
	// maxPerTunnel > 0, all but the newest maxPerTunnel of each tunnel and
	// owner: the records an earlier holder of a name keeps are capped apart
	// from the new holder's, so neither's traffic evicts the other's.
	// Zero times skip that step. It returns how many records were deleted.
	Purge(ctx context.Context, olderThan time.Time, maxPerTunnel int, queueExpiredBefore time.Time) (int, error)
	// Close releases the store. Calls after Close fail with ErrUnavailable.
	Close() error
	// TokenStore keeps the client tokens added while the relay runs.
	TokenStore
}
