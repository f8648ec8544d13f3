package samples

import (
	"bytes"
	crand "crypto/rand"
	"embed"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"
)

// Errors returned by Build, wrapped with detail.
var (
	ErrUnknownProvider = errors.New("samples: unknown provider")
	ErrUnknownEvent    = errors.New("samples: unknown event")
	ErrBadSet          = errors.New("samples: invalid --set")
)

//go:embed templates
var templates embed.FS

// Build returns a realistic body (JSON bytes, compact, keys in the sender's
// order, with fresh ids and timestamps from now) and the sender's headers
// (Content-Type, User-Agent and any event or id headers), with body fields
// overridden by sets ("data.x=y": dotted path, value parsed as JSON if
// valid else taken as a string; a missing key is created). event "" picks
// the provider's default event. Signing is left to the caller's Scheme.
func Build(provider, event string, now time.Time, sets []string) (body []byte, h http.Header, err error) {
	var seed [32]byte
	_, _ = crand.Read(seed[:]) // never fails
	return build(provider, event, now, sets, rand.New(rand.NewChaCha8(seed)))
}

// build is Build with an injected random source, for golden tests.
func build(provider, event string, now time.Time, sets []string, rnd *rand.Rand) ([]byte, http.Header, error) {
	e, err := lookup(provider, event)
	if err != nil {
		return nil, nil, fmt.Errorf("build %s %s: %w", provider, event, err)
	}
	tree, h, err := expand(e, now, rnd)
	if err != nil {
		return nil, nil, fmt.Errorf("build %s %s: %w", e.Provider, e.Name, err)
	}
	for _, s := range sets {
		if err := applySet(tree, s); err != nil {
			return nil, nil, fmt.Errorf("build %s %s: %w", e.Provider, e.Name, err)
		}
	}
	var buf bytes.Buffer
	encodeJSON(&buf, tree)
	return buf.Bytes(), h, nil
}

// expand loads e's template and fills the placeholders of body and headers
// from one expander, so ids shared between them agree.
func expand(e Event, now time.Time, rnd *rand.Rand) (any, http.Header, error) {
	raw, err := templates.ReadFile(templateFile(e))
	if err != nil {
		return nil, nil, fmt.Errorf("read template: %w", err)
	}
	tree, err := decodeJSON(raw)
	if err != nil {
		return nil, nil, err
	}
	x := newExpander(now, e.Name, rnd)
	tree = x.tree(tree)
	h := http.Header{}
	for _, hd := range providerHeaders[e.Provider] {
		h.Set(hd.name, x.text(hd.value))
	}
	return tree, h, x.err
}
