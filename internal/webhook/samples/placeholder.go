package samples

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// errPlaceholder reports a template placeholder this package does not know.
var errPlaceholder = errors.New("samples: unknown placeholder")

// placeholder matches "{{kind}}" or "{{kind:args}}" inside template strings.
//
// Kinds: rfc3339, rfc3339ms (JavaScript toISOString), unix, slackts
// ("<unix>.<micros>"), event (the event name), id:PREFIX[:NAME] (PREFIX and
// 24 letters and digits), uuid[:NAME], num:DIGITS[:NAME], hex:LEN[:NAME],
// upper:LEN[:NAME]. Random values are memoised by the placeholder's text,
// so "{{num:16:order}}" is the same number everywhere in one build.
var placeholder = regexp.MustCompile(`\{\{([a-z0-9]+)(?::([^}]*))?\}\}`)

const (
	alnum      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	hexDigits  = "0123456789abcdef"
	digits     = "0123456789"
)

// expander fills placeholders for one build.
type expander struct {
	now   time.Time
	event string
	rnd   *rand.Rand
	memo  map[string]string
	err   error // first unknown placeholder
}

func newExpander(now time.Time, event string, rnd *rand.Rand) *expander {
	return &expander{now: now.UTC(), event: event, rnd: rnd, memo: map[string]string{}}
}

// value expands a template string. A string that is exactly one numeric
// placeholder (unix, num) becomes a JSON number.
func (e *expander) value(s string) any {
	out := e.text(s)
	if m := placeholder.FindStringSubmatch(s); m != nil && m[0] == s && (m[1] == "unix" || m[1] == "num") {
		return json.Number(out)
	}
	return out
}

// text expands every placeholder in s.
func (e *expander) text(s string) string {
	return placeholder.ReplaceAllStringFunc(s, func(p string) string {
		if v, ok := e.memo[p]; ok {
			return v
		}
		m := placeholder.FindStringSubmatch(p)
		v := e.generate(m[1], strings.Split(m[2], ":"))
		e.memo[p] = v
		return v
	})
}

func (e *expander) generate(kind string, args []string) string {
	switch kind {
	case "rfc3339":
		return e.now.Format(time.RFC3339)
	case "rfc3339ms":
		return e.now.Format("2006-01-02T15:04:05.000Z07:00")
	case "unix":
		return strconv.FormatInt(e.now.Unix(), 10)
	case "slackts":
		return fmt.Sprintf("%d.%06d", e.now.Unix(), e.now.Nanosecond()/1000)
	case "event":
		return e.event
	case "uuid":
		return e.uuid()
	case "id":
		return args[0] + e.random(alnum, 24)
	}
	return e.sized(kind, args)
}

// sizedAlphabets are the kinds whose first argument is a length.
var sizedAlphabets = map[string]string{"num": digits, "hex": hexDigits, "upper": upperAlnum}

// sized generates a random string of a sized kind; numbers never start
// with 0.
func (e *expander) sized(kind string, args []string) string {
	n, err := strconv.Atoi(args[0])
	alphabet, ok := sizedAlphabets[kind]
	if err != nil || !ok || n <= 0 || n > 64 {
		if e.err == nil {
			e.err = fmt.Errorf("expand %q: %w", kind+":"+strings.Join(args, ":"), errPlaceholder)
		}
		return ""
	}
	if kind == "num" {
		return e.random(digits[1:], 1) + e.random(digits, n-1)
	}
	return e.random(alphabet, n)
}

func (e *expander) random(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[e.rnd.IntN(len(alphabet))]
	}
	return string(b)
}

// uuid returns a random RFC 9562 version 4 UUID.
func (e *expander) uuid() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(e.rnd.Uint32())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// tree expands every string in a decoded JSON tree, in place.
func (e *expander) tree(v any) any {
	switch v := v.(type) {
	case *object:
		for _, k := range v.keys {
			v.vals[k] = e.tree(v.vals[k])
		}
	case []any:
		for i := range v {
			v[i] = e.tree(v[i])
		}
	case string:
		return e.value(v)
	}
	return v
}
