package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hookrelay/hookrelay/internal/store"
)

// errClosed is returned by every call made after Close.
var errClosed = fmt.Errorf("%w: store closed", store.ErrUnavailable)

// wrap prefixes err with the operation and maps PostgreSQL failures onto the
// store's sentinel errors (see classify). The original error stays in the
// chain.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if s := classify(err); s != nil {
		return fmt.Errorf("%s: %w: %w", op, s, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// classify returns the sentinel err stands for, nil when none applies or it
// already wraps one. A server error is classified by its SQLSTATE; any other
// failure (refused or broken connection, timeout, closed pool) happened
// between the relay and the server, so the store is unavailable. A caller's
// cancellation is left as it is.
func classify(err error) error {
	for _, s := range []error{store.ErrNotFound, store.ErrConflict, store.ErrInvalid, store.ErrUnavailable} {
		if errors.Is(err, s) {
			return nil
		}
	}
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe):
		return sqlState(pe.Code)
	case errors.Is(err, context.Canceled):
		return nil
	case errors.Is(err, errBadHalf):
		return nil
	}
	return store.ErrUnavailable
}

// sqlState maps a SQLSTATE onto a sentinel: the classes of the environment
// (connection 08, resources 53, operator intervention 57, system 58, a
// read-only standby 25006) to ErrUnavailable, a unique violation to
// ErrConflict, a vanished referenced record to ErrNotFound, and bad data
// (class 22, e.g. a NUL in a text value) to ErrInvalid.
func sqlState(code string) error {
	switch {
	case code == "23505":
		return store.ErrConflict
	case code == "23503":
		return store.ErrNotFound
	case code == "25006":
		return store.ErrUnavailable
	case strings.HasPrefix(code, "22"):
		return store.ErrInvalid
	}
	switch code[:min(2, len(code))] {
	case "08", "53", "57", "58":
		return store.ErrUnavailable
	}
	return nil
}
