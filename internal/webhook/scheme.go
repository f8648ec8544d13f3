package webhook

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Errors returned by [Parse] and by signing, wrapped with detail.
var (
	ErrUnknownProvider = errors.New("webhook: unknown provider")
	ErrInvalidSpec     = errors.New("webhook: invalid verify spec")
	ErrNilHeader       = errors.New("webhook: nil header")
	ErrNoScheme        = errors.New("webhook: no scheme configured")
)

// Verifier checks one delivery. body is the exact raw bytes; now is
// injected for tests.
type Verifier interface {
	Provider() string
	Verify(h http.Header, body []byte, now time.Time) Verdict
}

// Signer adds a valid signature (and timestamp / id headers where the
// scheme has them) to h for body. id is used for schemes that carry a
// message id (standardwebhooks webhook-id); may be "" to generate one.
type Signer interface {
	Sign(h http.Header, body []byte, now time.Time, id string) error
}

// Scheme is both, plus its event-id extraction for duplicate detection.
// EventID returns "" when the scheme or the delivery carries no id.
type Scheme interface {
	Verifier
	Signer
	EventID(h http.Header, body []byte) string
}

// builder makes a scheme from the text after "PROVIDER:".
type builder func(arg string) (Scheme, error)

// providers maps each named provider to its builder.
var providers = map[string]builder{
	"boostgpt":         newBoostGPT,
	"chatbase":         newChatbase,
	"github":           newGitHub,
	"mygptassistants":  newMyGPTAssistants,
	"nexusgpt":         newNexusGPT,
	"shopify":          newShopify,
	"sitegpt":          newSiteGPT,
	"slack":            newSlack,
	"standardwebhooks": newStandardWebhooks,
	"stripe":           newStripe,
}

// generic maps the provider-independent spec forms to their builders.
var generic = map[string]builder{
	"hmac":  parseHMACSpec,
	"token": parseTokenSpec,
}

// Providers lists the supported provider names, sorted. The generic
// "hmac:" and "token:" forms are not providers and are not listed.
func Providers() []string {
	names := make([]string, 0, len(providers))
	for name := range providers {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Parse parses one `--verify` value: "PROVIDER:SECRET",
// "nexusgpt:HEADER=VALUE", "hmac:<spec>" or "token:<spec>" (see the package
// documentation for the grammar). Errors never contain the secret.
func Parse(s string) (Scheme, error) {
	name, arg, found := strings.Cut(s, ":")
	if !found {
		return nil, fmt.Errorf("parse verify spec: want PROVIDER:SECRET: %w", ErrInvalidSpec)
	}
	name = strings.ToLower(strings.TrimSpace(name))
	build, ok := providers[name]
	if !ok {
		build, ok = generic[name]
	}
	if !ok {
		return nil, fmt.Errorf("parse verify spec: %s (known: %s): %w",
			quoteName(name), strings.Join(Providers(), " "), ErrUnknownProvider)
	}
	scheme, err := build(arg)
	if err != nil {
		return nil, fmt.Errorf("parse %s verify spec: %w", name, err)
	}
	return scheme, nil
}

// Spec returns the configuration string of s with its secret replaced by
// "***", or just its provider name for a Scheme not built by [Parse].
func Spec(s Scheme) string {
	if d, ok := s.(interface{ Spec() string }); ok {
		return d.Spec()
	}
	return s.Provider()
}

// specError reports an invalid spec. detail must never include a secret.
func specError(detail string) error {
	return fmt.Errorf("%s: %w", detail, ErrInvalidSpec)
}

// quoteName quotes text from a spec only when it looks like a name, so that
// a secret typed in the wrong place is not echoed back.
func quoteName(s string) string {
	if len(s) == 0 || len(s) > 24 {
		return "provider"
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && c != '-' {
			return "provider"
		}
	}
	return fmt.Sprintf("provider %q", s)
}

// requireHeader guards the Sign methods against a nil map.
func requireHeader(h http.Header) error {
	if h == nil {
		return fmt.Errorf("sign: %w", ErrNilHeader)
	}
	return nil
}
