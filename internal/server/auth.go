package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Tokens is the set of client tokens the server accepts. It keeps only SHA-256 digests,
// so a token never stays in memory or config in clear once loaded.
type Tokens struct {
	digests [][sha256.Size]byte
}

// ErrBadTokenSpec is returned by Tokens.Add for a malformed hashed token.
var ErrBadTokenSpec = errors.New("server: bad token spec")

// Add adds a token given in clear, or its digest as "sha256:<64 hex digits>".
func (t *Tokens) Add(spec string) error {
	if hexDigest, ok := strings.CutPrefix(spec, "sha256:"); ok {
		b, err := hex.DecodeString(hexDigest)
		if err != nil || len(b) != sha256.Size {
			return fmt.Errorf("%w: want sha256:<64 hex digits>", ErrBadTokenSpec)
		}
		t.digests = append(t.digests, [sha256.Size]byte(b))
		return nil
	}
	if spec == "" {
		return fmt.Errorf("%w: empty token", ErrBadTokenSpec)
	}
	t.digests = append(t.digests, sha256.Sum256([]byte(spec)))
	return nil
}

// Len reports how many tokens are accepted.
func (t *Tokens) Len() int { return len(t.digests) }

// Owner returns the owner id of token: a short public id derived from its digest, safe to
// log and store. ok is false for an unknown token. Every known digest is compared, in
// constant time, so the timing does not tell which token matched or how closely.
func (t *Tokens) Owner(token string) (owner string, ok bool) {
	d := sha256.Sum256([]byte(token))
	match := 0
	for i := range t.digests {
		match |= subtle.ConstantTimeCompare(d[:], t.digests[i][:])
	}
	if match != 1 || token == "" {
		return "", false
	}
	return OwnerID(d), true
}

// OwnerID is the public id of a token digest: its first 8 bytes in hex.
func OwnerID(digest [sha256.Size]byte) string { return hex.EncodeToString(digest[:8]) }

// HashToken returns the "sha256:<hex>" form of a token, for config files.
func HashToken(token string) string {
	d := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(d[:])
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
