package targets

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hookrelay/hookrelay/proto"
)

// Limits; see the package doc.
const (
	MaxTargets   = 64   // targets per tunnel
	MaxPrefixLen = 1024 // bytes per prefix
)

// CodeNoLocalTarget is the error code a client answers (with status
// NoTargetStatus) when no target's prefix covers a request's path and there
// is no "/" target.
const CodeNoLocalTarget = proto.CodeNoLocalTarget

// NoTargetStatus is the status served with CodeNoLocalTarget (its status in
// proto's code table): like local_unreachable, the relay worked and the
// local side has nowhere to go.
const NoTargetStatus = 502

// Target is one local app and the path prefix it serves.
type Target struct {
	// Prefix is "/" or a path without a trailing "/", as the request's path
	// spells it (escaped).
	Prefix string
	// URL is the local app, scheme://host:port[/base]; a base path goes in
	// front of the whole forwarded path, prefix included.
	URL *url.URL
}

// Set is one tunnel's targets, picked by longest prefix.
type Set struct {
	byLen []Target // longest prefix first; ties cannot happen (prefixes are distinct)
	given []Target // in the order given, for display
}

// ErrNoTarget is returned by Pick when no prefix covers the path.
var ErrNoTarget = errors.New("no local target for this path")

// ParseTarget reads a local app: PORT (http://localhost:PORT), HOST:PORT
// (http://HOST:PORT) or http(s)://HOST[:PORT][/base]. A URL with a user, a
// query or a fragment is refused: nothing would forward them.
func ParseTarget(s string) (*url.URL, error) {
	if p, err := strconv.Atoi(s); err == nil {
		if p <= 0 || p > 65535 {
			return nil, fmt.Errorf("target %q: port out of range 1-65535", s)
		}
		return &url.URL{Scheme: "http", Host: "localhost:" + strconv.Itoa(p)}, nil
	}
	raw := s
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" ||
		u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || badPort(u.Port()) {
		return nil, fmt.Errorf("target %q: want PORT, HOST:PORT or http(s)://HOST[:PORT][/path]", s)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return u, nil
}

func badPort(p string) bool {
	if p == "" {
		return false
	}
	n, err := strconv.Atoi(p)
	return err != nil || n <= 0 || n > 65535
}

// ParsePrefix checks and normalises a path prefix: it starts with "/", has
// no empty, "." or ".." segment, no "?", "#", "=", space or control
// character, and any "%" starts a two-digit hex escape. A trailing "/" is
// dropped ("/webhooks/" is "/webhooks").
func ParsePrefix(p string) (string, error) {
	if p == "/" {
		return p, nil
	}
	trimmed := strings.TrimSuffix(p, "/")
	switch {
	case !strings.HasPrefix(p, "/"):
		return "", fmt.Errorf("prefix %q: want /PATH", p)
	case len(p) > MaxPrefixLen:
		return "", fmt.Errorf("prefix %.40q...: longer than %d bytes", p, MaxPrefixLen)
	}
	for _, seg := range strings.Split(trimmed[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("prefix %q: empty, . or .. segment", p)
		}
	}
	for i := 0; i < len(trimmed); i++ {
		if c := trimmed[i]; c <= ' ' || c >= 0x7f || strings.IndexByte("?#=", c) >= 0 || (c == '%' && !hexEscape(trimmed[i:])) {
			return "", fmt.Errorf("prefix %q: byte %q at %d not allowed", p, c, i)
		}
	}
	return trimmed, nil
}

func hexEscape(s string) bool {
	return len(s) >= 3 && isHex(s[1]) && isHex(s[2])
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// ParseArg reads one argument: /PREFIX=PORT|URL, or a bare PORT|URL, which
// means "/" = it.
func ParseArg(arg string) (Target, error) {
	if !HasPrefix(arg) {
		u, err := ParseTarget(arg)
		return Target{Prefix: "/", URL: u}, err
	}
	prefix, target, ok := strings.Cut(arg, "=")
	if !ok {
		return Target{}, fmt.Errorf("%q: want /PREFIX=PORT|URL", arg)
	}
	p, err := ParsePrefix(prefix)
	if err != nil {
		return Target{}, err
	}
	u, err := ParseTarget(target)
	return Target{Prefix: p, URL: u}, err
}

// HasPrefix reports whether an argument is of the /PREFIX=TARGET form.
func HasPrefix(arg string) bool { return strings.HasPrefix(arg, "/") }

// Parse reads one tunnel's target arguments. Two targets for the same prefix
// (after normalisation) are an error; so is an empty list or more than
// MaxTargets.
func Parse(args []string) (*Set, error) {
	if len(args) == 0 || len(args) > MaxTargets {
		return nil, fmt.Errorf("parse targets: %d given, want 1 to %d", len(args), MaxTargets)
	}
	s := &Set{}
	seen := make(map[string]string, len(args))
	for _, a := range args {
		t, err := ParseArg(a)
		if err != nil {
			return nil, fmt.Errorf("parse targets: %w", err)
		}
		if prev, dup := seen[t.Prefix]; dup {
			return nil, fmt.Errorf("parse targets: %q and %q both serve %s", prev, a, t.Prefix)
		}
		seen[t.Prefix] = a
		s.given = append(s.given, t)
	}
	s.byLen = slices.Clone(s.given)
	slices.SortStableFunc(s.byLen, func(a, b Target) int { return len(b.Prefix) - len(a.Prefix) })
	return s, nil
}

// Group splits relay-client http's arguments into tunnels: without any
// /PREFIX= argument each argument is a tunnel of its own (one target at "/");
// with one or more, all the arguments are one tunnel's targets.
func Group(args []string) ([]*Set, error) {
	if !slices.ContainsFunc(args, HasPrefix) {
		sets := make([]*Set, 0, len(args))
		for _, a := range args {
			s, err := Parse([]string{a})
			if err != nil {
				return nil, err
			}
			sets = append(sets, s)
		}
		return sets, nil
	}
	s, err := Parse(args)
	if err != nil {
		return nil, err
	}
	return []*Set{s}, nil
}

// Pick returns the target for a request-target (origin-form: path and
// optional query, as the relay sends it): the one whose prefix is the longest
// that equals the path or is followed in it by "/". The path is compared as
// sent, byte for byte. Without one, ErrNoTarget.
func (s *Set) Pick(requestTarget string) (Target, error) {
	path, _, _ := strings.Cut(requestTarget, "?")
	for _, t := range s.byLen {
		if covers(t.Prefix, path) {
			return t, nil
		}
	}
	return Target{}, ErrNoTarget
}

func covers(prefix, path string) bool {
	if prefix == "/" {
		return true
	}
	return strings.HasPrefix(path, prefix) && (len(path) == len(prefix) || path[len(prefix)] == '/')
}

// Targets returns the targets in the order given.
func (s *Set) Targets() []Target { return slices.Clone(s.given) }

// Args renders the set as arguments Parse reads back to the same set:
// "/PREFIX=URL", in the order given.
func (s *Set) Args() []string {
	out := make([]string, len(s.given))
	for i, t := range s.given {
		out[i] = t.Prefix + "=" + t.URL.String()
	}
	return out
}

// String is Args joined by spaces, for display.
func (s *Set) String() string { return strings.Join(s.Args(), " ") }
