package store

import "time"

// List limits.
const (
	// DefaultLimit is the page size used when Filter.Limit is zero or negative.
	DefaultLimit = 50
	// MaxLimit caps Filter.Limit; larger values are lowered to it.
	MaxLimit = 1000
)

// Filter selects records for [Store.List]. Zero fields do not filter.
type Filter struct {
	// Owner restricts the listing to one owner's records. Required unless
	// AllOwners is set; an empty Owner without AllOwners is ErrInvalid.
	Owner string
	// AllOwners lists every owner's records, ignoring Owner. Admin use only:
	// it bypasses the ownership check.
	AllOwners bool
	// Tunnel restricts to one tunnel; "" means all tunnels of the owner.
	Tunnel string
	// Limit is the page size: DefaultLimit when <= 0, at most MaxLimit.
	Limit int
	// Cursor continues a listing; it must come from Page.Next of a listing
	// in the same direction (see Oldest), else the call fails with ErrInvalid.
	Cursor string
	// Since keeps records received at or after it.
	Since time.Time
	// Until keeps records received before it.
	Until time.Time
	// Method keeps records with exactly this method.
	Method string
	// StatusClass keeps statuses in one class: 2 for 2xx up to 5 for 5xx.
	// 0 means any; other values are ErrInvalid.
	StatusClass int
	// Outcome keeps records with this outcome.
	Outcome Outcome
	// Text keeps records whose path or stored request body contains it,
	// ignoring the case of ASCII letters only. Bytes are compared as they
	// are (invalid UTF-8 included); each side ends at its first NUL byte.
	Text string
	// Verified is "" (any), "ok" (verified and valid) or "failed" (verified
	// and invalid); other values are ErrInvalid.
	Verified string
	// ReplayOnly keeps only replays.
	ReplayOnly bool
	// Missed keeps deliveries the app may not have got (an outcome in
	// MissedOutcomes: offline, expired, failed, interrupted) and that have
	// not been replayed since.
	Missed bool
	// Oldest lists oldest first instead of newest first, e.g. for replaying
	// in order. New records never shift a listing in either direction.
	Oldest bool
}

// Values of Filter.Verified.
const (
	VerifiedOK     = "ok"
	VerifiedFailed = "failed"
)

// Page is one page of a listing.
type Page struct {
	// Records are the matching records without body Data (sizes and digests
	// only).
	Records []Record
	// Next is the cursor of the following page, "" when this is the last.
	Next string
}
