package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"net/textproto"
	"strings"
	"time"
)

// tokenScheme checks a static secret sent verbatim in a header. It proves
// only that the sender knows the token, not that the body is unmodified.
type tokenScheme struct {
	described
	provider string
	header   string
	token    secret // dangerous: the shared secret
	digest   secret // SHA-256 of token, compared in constant time
	idHeader string // set by Sign when given an id; "" for none
	eventID  eventIDFunc
}

func newTokenScheme(provider, header, token, spec string, eventID eventIDFunc) *tokenScheme {
	digest := sha256.Sum256([]byte(token))
	return &tokenScheme{
		described: described{spec: spec},
		provider:  provider,
		header:    header,
		token:     newSecret([]byte(token)),
		digest:    newSecret(digest[:]),
		eventID:   eventID,
	}
}

// checkToken rejects tokens that could not arrive unchanged in a header.
func checkToken(token string) error {
	switch {
	case token == "":
		return specError("missing token")
	case !validHeaderValue(token):
		return specError("token: no control characters or surrounding spaces")
	}
	return nil
}

// newSiteGPT checks the static X-WEBHOOK-TOKEN header.
func newSiteGPT(token string) (Scheme, error) {
	if err := checkToken(token); err != nil {
		return nil, err
	}
	return newTokenScheme("sitegpt", "X-Webhook-Token", token, "sitegpt:"+redacted, noEventID), nil
}

// newNexusGPT checks the header name and value the user chose in NexusGPT's
// developer settings, configured as "HEADER=VALUE".
func newNexusGPT(arg string) (Scheme, error) {
	header, token, found := strings.Cut(arg, "=")
	switch {
	case !found:
		return nil, specError("want nexusgpt:HEADER=VALUE")
	case !validHeaderName(header):
		return nil, specError("want an HTTP header name before '='")
	}
	if err := checkToken(token); err != nil {
		return nil, err
	}
	header = textproto.CanonicalMIMEHeaderKey(header)
	spec := "nexusgpt:" + header + "=" + redacted
	return newTokenScheme("nexusgpt", header, token, spec, noEventID), nil
}

// parseTokenSpec builds "token:header=NAME[,id-header=NAME|,id-field=NAME],secret=VALUE".
func parseTokenSpec(arg string) (Scheme, error) {
	f, err := parseFields(arg, "header", "id-header", "id-field", keySecret)
	if err != nil {
		return nil, err
	}
	header, err := f.header("header", true)
	if err != nil {
		return nil, err
	}
	token, err := f.secret()
	if err == nil {
		err = checkToken(token)
	}
	if err != nil {
		return nil, err
	}
	ids := &hmacScheme{payload: bodyOnly} // reuses the hmac id-header/id-field rules
	if err := setEventID(ids, f); err != nil {
		return nil, err
	}
	spec := newSpecBuilder("token").add("header", header).
		add("id-header", ids.idHeader).add("id-field", f["id-field"]).done()
	s := newTokenScheme("token", header, token, spec, ids.eventID)
	s.idHeader = ids.idHeader
	return s, nil
}

// Provider returns the provider name, or "token" for a generic spec.
func (s *tokenScheme) Provider() string { return s.provider }

// EventID returns the sender's event id, or "".
func (s *tokenScheme) EventID(h http.Header, body []byte) string {
	return s.eventID(h, body)
}

// Verify compares the header with the token in constant time; comparing
// digests also hides the token's length.
func (s *tokenScheme) Verify(h http.Header, _ []byte, _ time.Time) Verdict {
	got := headerValue(h, s.header)
	if got == "" {
		return fail(s.provider, ReasonMissingHeader)
	}
	sum := sha256.Sum256([]byte(got))
	if !hmac.Equal(sum[:], s.digest()) {
		return fail(s.provider, ReasonBadSignature)
	}
	return pass(s.provider)
}

// Sign sets the token header, and the id header when the spec has one and
// id is not "". body and now are not used.
func (s *tokenScheme) Sign(h http.Header, _ []byte, _ time.Time, id string) error {
	if err := requireHeader(h); err != nil {
		return err
	}
	h.Set(s.header, string(s.token()))
	if s.idHeader != "" && id != "" {
		h.Set(s.idHeader, id)
	}
	return nil
}
