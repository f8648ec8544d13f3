package option

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Check refuses a value out of range, saying what is wanted.
type Check func(Value) error

// NonNegative refuses numbers below zero.
func NonNegative(v Value) error {
	if n, ok := v.(number); ok && n.Float() < 0 {
		return errors.New("must not be negative")
	}
	return nil
}

// Positive refuses zero and numbers below it: for limits where zero would let nothing
// through (or silently mean the default).
func Positive(v Value) error {
	if err := NonNegative(v); err != nil {
		return err
	}
	if n, ok := v.(number); ok && n.Float() == 0 {
		return errors.New("must be more than 0")
	}
	return nil
}

// OneOf accepts only the given words.
func OneOf(words ...string) Check {
	return func(v Value) error {
		if slices.Contains(words, v.String()) {
			return nil
		}
		return fmt.Errorf("want %s", orList(words))
	}
}

// orList writes "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// EmptyOr accepts the empty value (unset) and whatever check accepts.
func EmptyOr(check Check) Check {
	return func(v Value) error {
		if v.String() == "" {
			return nil
		}
		return check(v)
	}
}
