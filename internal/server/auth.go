package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/hookrelay/hookrelay/internal/store"
)

// Identity is who a client token speaks for.
type Identity struct {
	// Owner owns what the token's clients claim and record: tunnel names, records, API
	// results, the team inspector's view. For a token of its own it is OwnerID of the
	// token's digest (as before teams existed, so existing databases keep working); for
	// a member of a team it is TeamOwner of the team, shared by every member.
	Owner string
	// TokenID is the token's short public id, OwnerID of its digest: safe to log, shown
	// by relay-server tokens list and taken by tokens revoke.
	TokenID string
	// Label names the token's holder for teammates ("alice"); "" when none.
	Label string
}

// TeamOwner is the owner id of a team: "team:" and the team's name. A token's owner id is
// 16 lowercase hex digits, which never contain ':', so the two can never collide.
func TeamOwner(team string) string { return "team:" + team }

// OwnerID is the public id of a token digest: its first 8 bytes in hex.
func OwnerID(digest [sha256.Size]byte) string { return hex.EncodeToString(digest[:8]) }

// HashToken returns the "sha256:<hex>" form of a token, for config files.
func HashToken(token string) string {
	d := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(d[:])
}

// Tokens is the set of client tokens the server accepts: those of the config, added
// once at startup, and those of the store (relay-server tokens add), which the server
// reloads while it runs (see TokenPoll). It keeps only SHA-256 digests, so a token never
// stays in memory or config in clear once loaded. Safe for concurrent use.
type Tokens struct {
	mu     sync.RWMutex
	static []tokenEntry // from the config
	stored []tokenEntry // from the store, revoked ones left out
}

// tokenEntry is one accepted digest and the identity it speaks for.
type tokenEntry struct {
	digest [sha256.Size]byte
	id     Identity
}

// ErrBadTokenSpec is returned by Tokens.Add for a malformed hashed token.
var ErrBadTokenSpec = errors.New("server: bad token spec")

// Add adds a token of its own, given in clear or as "sha256:<64 hex digits>".
func (t *Tokens) Add(spec string) error { return t.AddMember(spec, "", "") }

// AddMember adds a token, given as for Add, as a member of team ("" for a token of its
// own) with a label ("" for none).
func (t *Tokens) AddMember(spec, team, label string) error {
	d, err := ParseTokenSpec(spec)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.static = append(t.static, newEntry(d, team, label))
	return nil
}

// ParseTokenSpec returns the digest of a token given in clear or as "sha256:<hex>".
func ParseTokenSpec(spec string) ([sha256.Size]byte, error) {
	if hexDigest, ok := strings.CutPrefix(spec, "sha256:"); ok {
		b, err := hex.DecodeString(hexDigest)
		if err != nil || len(b) != sha256.Size {
			return [sha256.Size]byte{}, fmt.Errorf("%w: want sha256:<64 hex digits>", ErrBadTokenSpec)
		}
		return [sha256.Size]byte(b), nil
	}
	if spec == "" {
		return [sha256.Size]byte{}, fmt.Errorf("%w: empty token", ErrBadTokenSpec)
	}
	return sha256.Sum256([]byte(spec)), nil
}

func newEntry(d [sha256.Size]byte, team, label string) tokenEntry {
	id := Identity{Owner: OwnerID(d), TokenID: OwnerID(d), Label: label}
	if team != "" {
		id.Owner = TeamOwner(team)
	}
	return tokenEntry{digest: d, id: id}
}

// setStored replaces the tokens from the store with the valid ones of ts. A stored
// token whose digest is malformed is skipped: the store checks digests on the way in.
func (t *Tokens) setStored(ts []store.Token) {
	entries := make([]tokenEntry, 0, len(ts))
	for _, st := range ts {
		b, err := hex.DecodeString(st.Digest)
		if err != nil || len(b) != sha256.Size || st.Revoked() {
			continue
		}
		entries = append(entries, newEntry([sha256.Size]byte(b), st.Team, st.Label))
	}
	t.mu.Lock()
	t.stored = entries
	t.mu.Unlock()
}

// Len reports how many tokens are accepted.
func (t *Tokens) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.static) + len(t.stored)
}

// Lookup returns the identity token speaks for; ok is false for an unknown or revoked
// token. Every known digest is compared, in constant time, so the timing does not tell
// which token matched or how closely.
func (t *Tokens) Lookup(token string) (id Identity, ok bool) {
	d := sha256.Sum256([]byte(token))
	t.mu.RLock()
	defer t.mu.RUnlock()
	match, at := 0, 0
	for i, e := range t.all() {
		eq := subtle.ConstantTimeCompare(d[:], e.digest[:])
		match |= eq
		at = subtle.ConstantTimeSelect(eq, i, at)
	}
	if match != 1 || token == "" {
		return Identity{}, false
	}
	return t.entry(at).id, true
}

// all iterates over every entry, config first; the caller holds mu.
func (t *Tokens) all() func(yield func(int, tokenEntry) bool) {
	return func(yield func(int, tokenEntry) bool) {
		for i, e := range t.static {
			if !yield(i, e) {
				return
			}
		}
		for i, e := range t.stored {
			if !yield(len(t.static)+i, e) {
				return
			}
		}
	}
}

// entry is the i-th entry of all; the caller holds mu.
func (t *Tokens) entry(i int) tokenEntry {
	if i < len(t.static) {
		return t.static[i]
	}
	return t.stored[i-len(t.static)]
}

// Owner returns the owner id token speaks for (see Identity.Owner); ok is false for an
// unknown or revoked token.
func (t *Tokens) Owner(token string) (owner string, ok bool) {
	id, ok := t.Lookup(token)
	return id.Owner, ok
}

// Active reports whether the token with this public id is accepted now: false once it
// is revoked.
func (t *Tokens) Active(tokenID string) bool {
	_, ok := t.ByID(tokenID)
	return ok
}

// ByID returns the identity of the token with this public id; ok is false for an
// unknown or revoked one.
func (t *Tokens) ByID(tokenID string) (id Identity, ok bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, e := range t.all() {
		if e.id.TokenID == tokenID {
			return e.id, true
		}
	}
	return Identity{}, false
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
