package option

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// EnvPrefix starts the environment variable of every option.
const EnvPrefix = "HOOKRELAY_"

// Option is one option of a binary: a row of its options table.
type Option struct {
	// Name is the flag name, lower case with dashes: body-limit.
	Name string
	// Value is the typed destination and its default, e.g. Size(&c.BodyLimit, 32<<20).
	Value Value
	// Check refuses values out of range; nil accepts whatever Value parses.
	Check Check
	// Choices, if set, are the only values accepted (checked before Check) and what
	// shell completion offers.
	Choices []string
	// Help is the flag's usage line.
	Help string
	// Secret options never show their value: help prints no default, errors no value.
	Secret bool
	// NoFile options have no config-file key (the file's own path, or an option the
	// file gives in a structured form of its own).
	NoFile bool
	// PerNode options may differ between the relays of one cluster (addresses, paths,
	// logs); every other one is part of the configuration they must share (see
	// Set.Fingerprint).
	PerNode bool
}

// Env is the option's environment variable: HOOKRELAY_BODY_LIMIT for body-limit.
func (o *Option) Env() string { return EnvName(o.Name) }

// EnvName is the environment variable of the flag name.
func EnvName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// Key is the option's config-file key: body_limit for body-limit; "" when NoFile.
func (o *Option) Key() string {
	if o.NoFile {
		return ""
	}
	return strings.ReplaceAll(o.Name, "-", "_")
}

// Default is the default written in the option's unit ("32MiB", "30s"), "" for none.
func (o *Option) Default() string {
	if o.Secret {
		return ""
	}
	s := o.Value.Default()
	if s == "0" || s == "false" || s == "0s" || s == "0/s" {
		return ""
	}
	return s
}

// UsageError is a value given wrong: a bad flag, argument, environment value or
// config-file entry. Binaries exit 2 for it.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usage marks err as a usage error; nil stays nil.
func Usage(err error) error {
	if err == nil {
		return nil
	}
	var u *UsageError
	if errors.As(err, &u) {
		return err
	}
	return &UsageError{err}
}

// Set is a table of options bound to a flag set. It remembers where each value came
// from, for precedence and for errors.
type Set struct {
	opts   []*Option
	byName map[string]*Option
	fs     *pflag.FlagSet
	source map[string]string // by name: "" default, "flag", the env name or the file key
}

// NewSet binds every option to fs as a flag and stores its default.
func NewSet(fs *pflag.FlagSet, table []Option) *Set {
	s := &Set{byName: make(map[string]*Option), fs: fs, source: make(map[string]string)}
	for i := range table {
		o := &table[i]
		o.Value.Reset()
		s.opts, s.byName[o.Name] = append(s.opts, o), o
		f := fs.VarPF(o.Value, o.Name, "", o.Help)
		if _, ok := o.Value.(*boolValue); ok {
			f.NoOptDefVal = "true"
		}
		if o.Secret {
			f.DefValue = ""
		}
	}
	return s
}

// Options are the set's options in table order.
func (s *Set) Options() []*Option { return s.opts }

// Changed reports whether the option was given by any source but its default.
func (s *Set) Changed(name string) bool { return s.From(name) != "" }

// From is where the option's value came from: "flag", an environment variable name,
// "file KEY", or "" for the default.
func (s *Set) From(name string) string {
	if f := s.fs.Lookup(name); f != nil && f.Changed {
		return "flag"
	}
	return s.source[name]
}

// ApplyEnv sets every option not given as a flag from its environment variable, or
// only the named ones. Run it after ReadFile: the environment wins over the file.
func (s *Set) ApplyEnv(getenv func(string) string, only ...string) error {
	var errs []error
	for _, o := range s.opts {
		v := getenv(o.Env())
		if v == "" || s.From(o.Name) == "flag" || len(only) > 0 && !slices.Contains(only, o.Name) {
			continue
		}
		if err := s.set(o, v, o.Env()); err != nil {
			errs = append(errs, err)
		}
	}
	return Usage(errors.Join(errs...))
}

// set stores v into o from source, replacing a list.
func (s *Set) set(o *Option, v, source string) error {
	s.source[o.Name] = source
	if l, ok := o.Value.(*listValue); ok {
		l.setAll(v)
		return nil
	}
	if err := o.Value.Set(v); err != nil {
		return s.errorf(o, "", err)
	}
	return nil
}

// errorf is an error about o's value, naming the flag, the value shown (if any) and
// where the value came from; a secret's value and message are left out.
func (s *Set) errorf(o *Option, shown string, err error) error {
	where, msg := "--"+o.Name, err.Error()
	if o.Secret {
		shown, msg = "", "invalid value"
	}
	if shown != "" {
		where += " " + shown
	}
	if from := s.From(o.Name); from != "" && from != "flag" {
		where += " (from " + from + ")"
	}
	return &UsageError{fmt.Errorf("%s: %s", where, msg)}
}

// check runs the option's Choices and Check.
func (o *Option) check() error {
	if len(o.Choices) > 0 {
		if err := OneOf(o.Choices...)(o.Value); err != nil {
			return err
		}
	}
	if o.Check == nil {
		return nil
	}
	return o.Check(o.Value)
}

// Verify runs every option's check and reports every failure at once.
func (s *Set) Verify() error {
	var errs []error
	for _, o := range s.opts {
		if err := o.check(); err != nil {
			errs = append(errs, s.errorf(o, o.Value.String(), err))
		}
	}
	return Usage(errors.Join(errs...))
}

// Fingerprint writes to w, one "name=value" line each in table order, the options not
// PerNode and not Secret: what a digest of the configuration several processes must
// share is made of. Secret values stay out (a digest of a secret can be brute-forced
// when the secret is weak); the caller adds what it must compare of them.
func (s *Set) Fingerprint(w io.Writer) {
	for _, o := range s.opts {
		if o.PerNode || o.Secret {
			continue
		}
		fmt.Fprintf(w, "%s=%s\n", o.Name, o.Value.String())
	}
}
