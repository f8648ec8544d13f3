package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookrelay/hookrelay/internal/inspect"
)

const (
	qSessionSweep  = `DELETE FROM inspector_sessions WHERE expires_at < now()`
	qSessionCreate = `INSERT INTO inspector_sessions (id_hash, subject, csrf, expires_at)
			VALUES ($1, $2, $3, now() + make_interval(secs => $4)) RETURNING expires_at`
	qSessionGet = `SELECT subject, csrf, expires_at FROM inspector_sessions
			WHERE id_hash = $1 AND expires_at >= now()`
	qSessionDelete = `DELETE FROM inspector_sessions WHERE id_hash = $1`
)

// InspectorSessions is an inspect.SessionStore in the table inspector_sessions,
// shared by every process using the database: a browser logged in through one
// relay server is logged in on all of them. Only the SHA-256 of a session's
// ID (its cookie) is stored, so the table's contents do not let anyone in;
// the subject and CSRF token are stored as they are. Expiry follows
// PostgreSQL's clock, and every Create first deletes expired rows.
type InspectorSessions struct{ db *DB }

var _ inspect.SessionStore = InspectorSessions{}

// InspectorSessions returns the session store on db.
func (db *DB) InspectorSessions() InspectorSessions { return InspectorSessions{db: db} }

// Create starts a session (see inspect.SessionStore).
func (s InspectorSessions) Create(ctx context.Context, subject string, ttl time.Duration) (inspect.Session, error) {
	ss := inspect.Session{ID: randomID(), Subject: subject, CSRF: randomID()}
	hash := sessionHash(ss.ID)
	err := s.db.call(ctx, "create inspector session", func(ctx context.Context) error {
		return pgx.BeginFunc(ctx, s.db.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, qSessionSweep); err != nil {
				return err
			}
			return tx.QueryRow(ctx, qSessionCreate, hash, subject, ss.CSRF, ttl.Seconds()).Scan(&ss.Expires)
		})
	})
	if err != nil {
		return inspect.Session{}, err
	}
	return ss, nil
}

// Get returns a live session (see inspect.SessionStore).
func (s InspectorSessions) Get(ctx context.Context, id string) (inspect.Session, error) {
	ss := inspect.Session{ID: id}
	err := s.db.call(ctx, "get inspector session", func(ctx context.Context) error {
		err := s.db.pool.QueryRow(ctx, qSessionGet, sessionHash(id)).Scan(&ss.Subject, &ss.CSRF, &ss.Expires)
		if errors.Is(err, pgx.ErrNoRows) {
			return inspect.ErrNoSession
		}
		return err
	})
	if err != nil {
		return inspect.Session{}, err
	}
	return ss, nil
}

// Delete ends a session (see inspect.SessionStore).
func (s InspectorSessions) Delete(ctx context.Context, id string) error {
	return s.db.call(ctx, "delete inspector session", func(ctx context.Context) error {
		_, err := s.db.pool.Exec(ctx, qSessionDelete, sessionHash(id))
		return err
	})
}

// sessionHash is what the table keeps of a session ID.
func sessionHash(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}

// randomID is 32 random bytes, base64url, as inspect's own session IDs.
func randomID() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails since Go 1.24
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}
