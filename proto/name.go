package proto

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
)

// ErrBadName is returned by ValidName.
var ErrBadName = errors.New("proto: bad tunnel name")

// MaxNameLen is the longest tunnel name: one DNS label.
const MaxNameLen = 63

// Reserved lists names no client may take: they are, or may one day be, the server's own
// hosts and paths.
var Reserved = map[string]bool{
	"www": true, "api": true, "admin": true, "app": true, "inspect": true, "dashboard": true,
	"relay": true, "hookrelay": true, "connect": true, "status": true, "health": true,
	"healthz": true, "readyz": true, "metrics": true, "mail": true, "smtp": true,
	"ns": true, "ns1": true, "ns2": true, "dns": true, "static": true, "assets": true,
	"login": true, "auth": true, "docs": true, "localhost": true, "t": true,
}

// ValidName reports whether name may be a tunnel name: a lowercase DNS label
// (^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$) that is not Reserved and has no "--" in its
// third and fourth characters. Such labels are reserved for IDNA (RFC 5891 section
// 4.2.3.1): "xn--" ones are punycode, which browsers show as Unicode, so a tunnel could
// pass for another name ("xn--strpe-..." as "strípe").
func ValidName(name string) error {
	if len(name) == 0 || len(name) > MaxNameLen {
		return fmt.Errorf("%w: %q must be 1 to %d characters", ErrBadName, name, MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		edge := i == 0 || i == len(name)-1
		if !alnum && (edge || c != '-') {
			return fmt.Errorf("%w: %q must be lowercase letters, digits and inner hyphens", ErrBadName, name)
		}
	}
	if Reserved[name] {
		return fmt.Errorf("%w: %q is reserved", ErrBadName, name)
	}
	if len(name) >= 4 && name[2:4] == "--" {
		return fmt.Errorf("%w: %q: names with \"--\" in the third and fourth characters (xn--, punycode) are refused", ErrBadName, name)
	}
	return nil
}

var nameEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// RandomName returns a fresh tunnel name with 80 bits of entropy (16 characters).
func RandomName() string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return nameEncoding.EncodeToString(b[:])
}
