package handshake

import (
	"errors"
	"fmt"
	"strings"
)

// Kind names one provider's URL-verification handshake.
type Kind uint8

// The handshakes the relay answers. The zero Kind is not a handshake.
const (
	Slack   Kind = iota + 1 // Events API url_verification
	Meta                    // GET hub.mode=subscribe with hub.verify_token
	Zoom                    // endpoint.url_validation
	Twitter                 // X Account Activity API CRC (crc_token)
	MSGraph                 // Microsoft Graph validationToken
	Dropbox                 // GET challenge
)

// kindNames is the one table of handshake names, in Kind order.
var kindNames = [...]string{
	Slack: "slack", Meta: "meta", Zoom: "zoom",
	Twitter: "twitter", MSGraph: "msgraph", Dropbox: "dropbox",
}

// Errors of the parsers, wrapped with the offending text.
var (
	ErrUnknownKind   = errors.New("handshake: unknown kind")
	ErrDuplicateKind = errors.New("handshake: kind listed twice")
	ErrMissingSecret = errors.New("handshake: missing secret")
	ErrUnusedSecret  = errors.New("handshake: secret for a kind not listed")
)

// maxQuoted bounds how much of a bad name an error repeats.
const maxQuoted = 32

// String returns the kind's name, e.g. "slack"; "none" for the zero Kind.
func (k Kind) String() string {
	if k == 0 {
		return "none"
	}
	if int(k) >= len(kindNames) {
		return fmt.Sprintf("kind(%d)", uint8(k))
	}
	return kindNames[k]
}

// Kinds lists every kind, in declaration order.
func Kinds() []Kind {
	ks := make([]Kind, 0, len(kindNames)-1)
	for k := Slack; int(k) < len(kindNames); k++ {
		ks = append(ks, k)
	}
	return ks
}

// names is the list of valid names for error messages.
func names() string {
	return strings.Join(kindNames[1:], " ")
}

// ParseKind reads one name. Names are lowercase; surrounding space is ignored.
func ParseKind(s string) (Kind, error) {
	name := strings.TrimSpace(s)
	for k, n := range kindNames {
		if k != 0 && n == name {
			return Kind(k), nil
		}
	}
	return 0, fmt.Errorf("parse handshake %s (known: %s): %w", quote(name), names(), ErrUnknownKind)
}

// ParseKinds reads a list of names, each entry itself possibly a
// comma-separated list (a YAML list and a --handshake a,b flag both fit).
// Empty entries are skipped; a name listed twice is an error.
func ParseKinds(list []string) ([]Kind, error) {
	var kinds []Kind
	for _, entry := range list {
		for _, name := range strings.Split(entry, ",") {
			if strings.TrimSpace(name) == "" {
				continue
			}
			k, err := ParseKind(name)
			if err != nil {
				return nil, err
			}
			if containsKind(kinds, k) {
				return nil, fmt.Errorf("parse handshake %q: %w", k.String(), ErrDuplicateKind)
			}
			kinds = append(kinds, k)
		}
	}
	return kinds, nil
}

func containsKind(kinds []Kind, k Kind) bool {
	for _, have := range kinds {
		if have == k {
			return true
		}
	}
	return false
}

// quote repeats user text in an error, cut to maxQuoted bytes at a rune
// boundary so a long paste (perhaps a secret) is not echoed whole.
func quote(s string) string {
	if len(s) <= maxQuoted {
		return fmt.Sprintf("%q", s)
	}
	cut := maxQuoted
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q...", s[:cut])
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// MarshalText renders k by name, so a Kind list reads as names in YAML and JSON.
func (k Kind) MarshalText() ([]byte, error) {
	if k == 0 || int(k) >= len(kindNames) {
		return nil, fmt.Errorf("marshal handshake %s: %w", k, ErrUnknownKind)
	}
	return []byte(k.String()), nil
}

// UnmarshalText reads a name as [ParseKind] does, so `handshake: [slack,
// meta]` in a config file decodes into a []Kind with the parser's errors.
func (k *Kind) UnmarshalText(text []byte) error {
	parsed, err := ParseKind(string(text))
	if err != nil {
		return err
	}
	*k = parsed
	return nil
}
