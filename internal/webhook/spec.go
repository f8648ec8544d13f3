package webhook

import (
	"fmt"
	"slices"
	"strings"
)

// keySecret is the spec key whose value runs to the end of the spec.
const keySecret = "secret"

// fields is a parsed generic spec: KEY=VALUE pairs, including the secret.
type fields map[string]string

// parseFields splits "k=v,k=v,secret=REST" into fields. Keys are matched
// case-insensitively against allowed; "secret" consumes the rest of the
// string verbatim. Errors name a key only when it is an allowed one.
func parseFields(s string, allowed ...string) (fields, error) {
	f := fields{}
	for n := 1; s != ""; n++ {
		field, rest, _ := strings.Cut(s, ",")
		key, value, ok := strings.Cut(field, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		if !ok {
			return nil, specError(fmt.Sprintf("field %d: want KEY=VALUE", n))
		}
		if key == keySecret {
			_, f[keySecret], _ = strings.Cut(s, "=")
			return f, nil
		}
		if err := f.add(n, key, value, allowed); err != nil {
			return nil, err
		}
		s = rest
	}
	return f, nil
}

func (f fields) add(n int, key, value string, allowed []string) error {
	switch {
	case !slices.Contains(allowed, key):
		return specError(fmt.Sprintf("field %d: unknown key (want %s)", n, strings.Join(allowed, ", ")))
	case f.has(key):
		return specError(fmt.Sprintf("duplicate key %q", key))
	}
	f[key] = value
	return nil
}

func (f fields) has(key string) bool {
	_, ok := f[key]
	return ok
}

// get returns the value of key, or def when the key is absent.
func (f fields) get(key, def string) string {
	if v, ok := f[key]; ok {
		return v
	}
	return def
}

// lower returns get(key, def) in lower case, for enumerated values.
func (f fields) lower(key, def string) string {
	return strings.ToLower(f.get(key, def))
}

// secret returns the non-empty secret or an error.
func (f fields) secret() (string, error) {
	s := f[keySecret]
	if s == "" {
		return "", specError("missing secret (secret=... must be the last key)")
	}
	return s, nil
}

// header returns the named header key's value, validated as a field name;
// optional headers may be absent.
func (f fields) header(key string, required bool) (string, error) {
	v, ok := f[key]
	if !ok && !required {
		return "", nil
	}
	if !validHeaderName(v) {
		return "", specError(fmt.Sprintf("%s: want an HTTP header name", key))
	}
	return v, nil
}

// specBuilder renders a spec as "name:k=v,...,secret=***".
type specBuilder struct {
	b strings.Builder
}

func newSpecBuilder(name string) *specBuilder {
	sb := &specBuilder{}
	sb.b.WriteString(name + ":")
	return sb
}

// add appends k=v, skipping empty values.
func (sb *specBuilder) add(key, value string) *specBuilder {
	if value != "" {
		sb.b.WriteString(key + "=" + value + ",")
	}
	return sb
}

// done appends the redacted secret and returns the spec.
func (sb *specBuilder) done() string {
	return sb.b.String() + keySecret + "=" + redacted
}
