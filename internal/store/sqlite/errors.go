package sqlite

import (
	"errors"
	"fmt"

	"github.com/hookrelay/hookrelay/internal/store"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// errClosed is returned by every call made after Close.
var errClosed = fmt.Errorf("%w: store closed", store.ErrUnavailable)

// wrap prefixes err with the operation and maps SQLite failures onto the
// store's sentinel errors: conditions of the disk, file or lock (full,
// read-only, I/O, cannot open, busy, ...) become store.ErrUnavailable and a
// unique-key violation becomes store.ErrConflict. The SQLite error stays in
// the chain.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%s: %w", op, err) // classified further down already
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch {
		case unavailableCode(se.Code()):
			return fmt.Errorf("%s: %w: %w", op, store.ErrUnavailable, err)
		case se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE ||
			se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%s: %w: %w", op, store.ErrConflict, err)
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// unavailableCode reports whether an (extended) SQLite result code describes
// the environment rather than the request, so that retrying later or on a
// healthy disk could succeed.
func unavailableCode(code int) bool {
	switch code & 0xff {
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR,
		sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED,
		sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB,
		sqlite3.SQLITE_PERM, sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_NOLFS:
		return true
	}
	return false
}
