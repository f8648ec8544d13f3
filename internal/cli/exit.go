package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/hookrelay/hookrelay/internal/option"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitError   = 1
	ExitUsage   = 2
	ExitPartial = 3
)

// ExitCodesHelp documents the exit codes in --help.
const ExitCodesHelp = "Exit codes: 0 ok, 1 error, 2 usage (bad flag, argument, environment value or config),\n" +
	"3 partial failure (a bulk command where some items failed)."

// PartialError is the error of a bulk command some of whose items failed.
type PartialError struct{ Err error }

func (e *PartialError) Error() string { return e.Err.Error() }
func (e *PartialError) Unwrap() error { return e.Err }

// Partial marks err as a partial failure; nil stays nil.
func Partial(err error) error {
	if err == nil {
		return nil
	}
	return &PartialError{err}
}

// ShownError is an error the command already told the user about: Exit prints nothing
// more for it.
type ShownError struct{ Err error }

func (e *ShownError) Error() string { return e.Err.Error() }
func (e *ShownError) Unwrap() error { return e.Err }

// ExitCode maps err to the process exit code.
func ExitCode(err error) int {
	var usage *option.UsageError
	var partial *PartialError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &usage):
		return ExitUsage
	case errors.As(err, &partial):
		return ExitPartial
	}
	return ExitError
}

// Exit prints err to w, prefixed with the command name, unless it was shown already,
// and returns the exit code for it.
func Exit(w io.Writer, name string, err error) int {
	var shown *ShownError
	if err != nil && !errors.As(err, &shown) {
		fmt.Fprintf(w, "%s: %v\n", name, err)
	}
	return ExitCode(err)
}
