package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hookrelay/hookrelay/internal/store"
)

func TestClassify(t *testing.T) {
	pg := func(code string) error { return fmt.Errorf("exec: %w", &pgconn.PgError{Code: code}) }
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"unique violation", pg("23505"), store.ErrConflict},
		{"foreign key: record gone", pg("23503"), store.ErrNotFound},
		{"NUL in text", pg("22021"), store.ErrInvalid},
		{"admin shutdown", pg("57P01"), store.ErrUnavailable},
		{"starting up", pg("57P03"), store.ErrUnavailable},
		{"connection failure", pg("08006"), store.ErrUnavailable},
		{"disk full", pg("53100"), store.ErrUnavailable},
		{"too many connections", pg("53300"), store.ErrUnavailable},
		{"io error", pg("58030"), store.ErrUnavailable},
		{"read-only standby", pg("25006"), store.ErrUnavailable},
		{"syntax error", pg("42601"), nil},
		{"broken connection", io.ErrUnexpectedEOF, store.ErrUnavailable},
		{"timeout", context.DeadlineExceeded, store.ErrUnavailable},
		{"caller gave up", context.Canceled, nil},
		{"malformed half", errBadHalf, nil},
		{"already classified", store.ErrNotFound, store.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := wrap("op", tt.err)
			for _, s := range []error{store.ErrNotFound, store.ErrConflict, store.ErrInvalid, store.ErrUnavailable} {
				if got := errors.Is(err, s); got != (s == tt.want) {
					t.Errorf("wrap(%v) is %v: %v, want %v", tt.err, s, got, s == tt.want)
				}
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("wrap(%v) lost the original error", tt.err)
			}
		})
	}
}
