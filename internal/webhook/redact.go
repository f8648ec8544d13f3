package webhook

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// redacted stands in for a secret in every rendering of a scheme.
const redacted = "***"

// described is embedded by every scheme type. It holds the scheme's spec
// with the secret already replaced by [redacted], and makes every fmt verb
// (%v %+v %#v %s %q %x %d ...) print that spec, so a secret cannot leak
// through logging a scheme or a struct that contains one.
type described struct {
	spec string
}

// Spec returns the configuration string with the secret replaced by "***".
func (d described) Spec() string { return d.spec }

// String returns the redacted spec.
func (d described) String() string { return d.spec }

// GoString returns the redacted spec in Go syntax.
func (d described) GoString() string {
	return "webhook.Scheme(" + strconv.Quote(d.spec) + ")"
}

// Format implements fmt.Formatter so that no verb prints raw fields.
func (d described) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, d.spec, d.GoString())
}

// formatRedacted writes text for any verb, goText for %#v, and quotes it
// for %q.
func formatRedacted(f fmt.State, verb rune, text, goText string) {
	switch {
	case verb == 'v' && f.Flag('#'):
		text = goText
	case verb == 'q':
		text = strconv.Quote(text)
	}
	_, _ = io.WriteString(f, text)
}

// secret holds key material. It is a func because fmt prints func values
// only as an address, under every verb and at every depth, so the bytes
// cannot leak even when a scheme is printed raw inside another value.
type secret func() []byte

// newSecret copies b into a secret. Callers of the secret must not modify
// the returned bytes.
func newSecret(b []byte) secret {
	c := bytes.Clone(b)
	return func() []byte { return c }
}
