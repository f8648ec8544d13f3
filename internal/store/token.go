package store

import (
	"context"
	"time"
)

// Token is a client token added while the relay runs (relay-server tokens add). The
// store keeps only the SHA-256 digest of the token, never the token itself.
type Token struct {
	// ID is the token's short public id, unique: what tokens list shows and tokens
	// revoke takes. Required.
	ID string
	// Digest is the token's SHA-256 digest in lowercase hex (64 digits), unique.
	// Required.
	Digest string
	// Team is the team the token belongs to; "" makes the token a team of its own.
	Team string
	// Label names the token's holder for teammates ("alice"); "" for none.
	Label string
	// CreatedAt is when the token was added (current time if zero).
	CreatedAt time.Time
	// RevokedAt is when the token was revoked; zero while it is valid.
	RevokedAt time.Time
}

// Revoked reports whether the token has been revoked.
func (t *Token) Revoked() bool { return !t.RevokedAt.IsZero() }

// TokenStore is the part of [Store] that keeps runtime tokens. A relay reads
// TokensVersion every second or so and reloads ListTokens when it moved, so
// TokensVersion must be a cheap read (one row), not a scan.
type TokenStore interface {
	// AddToken stores t. ErrInvalid without ID or with a Digest that is not 64
	// lowercase hex digits; ErrConflict when the ID or the digest is stored
	// already.
	AddToken(ctx context.Context, t Token) error
	// ListTokens returns every token, revoked ones included, oldest first
	// (ties by ID).
	ListTokens(ctx context.Context) ([]Token, error)
	// RevokeToken marks the token revoked at at (current time if zero).
	// Revoking a revoked token keeps its first time and succeeds.
	// ErrNotFound for an unknown id.
	RevokeToken(ctx context.Context, id string, at time.Time) error
	// TokensVersion is a number that grows with every AddToken and every
	// RevokeToken that revokes; 0 in a store that never had a token.
	TokensVersion(ctx context.Context) (int64, error)
}

// ValidDigest reports whether d is a SHA-256 digest as Token.Digest holds it.
func ValidDigest(d string) bool {
	if len(d) != 64 {
		return false
	}
	for i := 0; i < len(d); i++ {
		if c := d[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
