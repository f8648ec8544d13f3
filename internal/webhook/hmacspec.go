package webhook

import (
	"strings"
	"time"
)

// defaultTolerance is the clock skew allowed for timestamped schemes, the
// same five minutes that Stripe, Slack and Standard Webhooks use.
const defaultTolerance = 5 * time.Minute

// hmacKeys are the keys of an "hmac:" spec, in rendering order.
var hmacKeys = []string{"header", "alg", "enc", "prefix", "payload",
	"ts-header", "tolerance", "id-header", "id-field", keySecret}

// parseHMACSpec builds a generic HMAC scheme; see the package documentation
// for the grammar.
func parseHMACSpec(arg string) (Scheme, error) {
	f, err := parseFields(arg, hmacKeys...)
	if err != nil {
		return nil, err
	}
	s := &hmacScheme{provider: "hmac"}
	for _, step := range []func(*hmacScheme, fields) error{
		setSecret, setSigHeader, setAlgorithm, setPayload, setTimestamp, setEventID, checkDistinct,
	} {
		if err := step(s, f); err != nil {
			return nil, err
		}
	}
	s.spec = renderHMACSpec(s, f)
	return s, nil
}

func setSecret(s *hmacScheme, f fields) error {
	text, err := f.secret()
	s.key = newSecret([]byte(text))
	return err
}

func setSigHeader(s *hmacScheme, f fields) (err error) {
	s.sigHeader, err = f.header("header", true)
	s.prefix = f["prefix"]
	if err == nil && !validHeaderValue(s.prefix) {
		err = specError("prefix: no control characters or surrounding spaces")
	}
	return err
}

func setAlgorithm(s *hmacScheme, f fields) error {
	var ok bool
	if s.newHash, ok = algorithms[f.lower("alg", "sha256")]; !ok {
		return specError("alg: want sha1, sha256 or sha512")
	}
	if s.enc, ok = encodings[f.lower("enc", "hex")]; !ok {
		return specError("enc: want hex or base64")
	}
	return nil
}

func setPayload(s *hmacScheme, f fields) (err error) {
	s.payload, err = parseTemplate(f.get("payload", placeBody))
	if err == nil && !s.payload.usesBody {
		err = specError("payload: must contain {body}")
	}
	return err
}

func setTimestamp(s *hmacScheme, f fields) (err error) {
	if s.tsHeader, err = f.header("ts-header", false); err != nil {
		return err
	}
	switch {
	case s.payload.usesTimestamp != (s.tsHeader != ""):
		return specError("ts-header and {timestamp} in payload go together")
	case f.has("tolerance") && s.tsHeader == "":
		return specError("tolerance needs ts-header")
	case s.tsHeader == "":
		return nil
	}
	s.tolerance, err = time.ParseDuration(f.get("tolerance", defaultTolerance.String()))
	if err != nil || s.tolerance <= 0 {
		return specError("tolerance: want a positive duration such as 300s")
	}
	return nil
}

func setEventID(s *hmacScheme, f fields) (err error) {
	if s.idHeader, err = f.header("id-header", false); err != nil {
		return err
	}
	field, hasField := f["id-field"]
	switch {
	case s.payload.usesID && s.idHeader == "":
		return specError("{id} in payload needs id-header")
	case hasField && s.idHeader != "":
		return specError("use id-header or id-field, not both")
	case hasField && field == "":
		return specError("id-field: want a JSON field name")
	case hasField:
		s.eventID = idFromField(field)
	case s.idHeader != "":
		s.eventID = idFromHeader(s.idHeader)
	default:
		s.eventID = noEventID
	}
	return nil
}

// checkDistinct rejects a spec that names one header for two roles, which
// would make Sign overwrite one value with another.
func checkDistinct(s *hmacScheme, _ fields) error {
	names := []string{s.sigHeader, s.tsHeader, s.idHeader}
	for i, a := range names {
		for _, b := range names[i+1:] {
			if a != "" && strings.EqualFold(a, b) {
				return specError("header, ts-header and id-header must differ")
			}
		}
	}
	return nil
}

// renderHMACSpec renders the scheme in the order of hmacKeys, with the
// defaults spelled out and the secret redacted.
func renderHMACSpec(s *hmacScheme, f fields) string {
	sb := newSpecBuilder("hmac").
		add("header", s.sigHeader).
		add("alg", f.lower("alg", "sha256")).
		add("enc", f.lower("enc", "hex")).
		add("prefix", s.prefix).
		add("payload", s.payload.text).
		add("ts-header", s.tsHeader)
	if s.tsHeader != "" {
		sb.add("tolerance", s.tolerance.String())
	}
	return sb.add("id-header", s.idHeader).add("id-field", f["id-field"]).done()
}
