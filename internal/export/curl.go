package export

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/wire"
)

// Base is where a command sends a delivery: a URL or a shell expression, to which the
// recorded path and query are appended.
type Base struct {
	text string
	expr bool
}

// URL is a base written as a quoted URL, e.g. "https://relay.example/t/hook".
func URL(u string) Base { return Base{text: strings.TrimSuffix(u, "/")} }

// ShellVar is a base read from an environment variable with a default:
// "${NAME:-def}".
func ShellVar(name, def string) Base {
	return Base{text: "${" + name + ":-" + strings.TrimSuffix(def, "/") + "}", expr: true}
}

// curlAdds are the headers curl sends unless told otherwise; a delivery without one
// gets "Name:" so that curl leaves it out. Content-Type is added to any body, Expect to
// bodies over 1 KiB (over 1 MiB since curl 8).
var curlAdds = []struct {
	name    string
	minBody int64 // the body size from which curl adds it; -1: always
}{{"User-Agent", -1}, {"Accept", -1}, {"Content-Type", 0}, {"Expect", 1025}}

// curlSkip are the recorded headers curl writes itself: the target's Host and the
// body's length; hop-by-hop fields are wire.Hop.
var curlSkip = map[string]bool{"Host": true, "Content-Length": true}

// Curl renders a POSIX shell command that sends rec's request to base. Bodies over
// inlineMax bytes, or not plain text, are read from [BodyFile](rec).
func Curl(rec *api.Record, base Base, inlineMax int) string {
	var b strings.Builder
	b.WriteString("curl")
	target := pathQuery(rec.Path, rec.Query)
	b.WriteString(urlFlags(rec.Path, target))
	b.WriteString(methodFlag(rec))
	b.WriteString(" " + base.word(target))
	writeHeaders(&b, rec)
	writeBody(&b, rec, inlineMax)
	return b.String()
}

// BodyFile is the file a command reads rec's request body from when it is not inline.
func BodyFile(rec *api.Record) string { return rec.ID + "-request.body" }

// InlineBody reports whether rec's request body goes into the command itself.
func InlineBody(rec *api.Record, inlineMax int) bool {
	body := rec.Request.Body
	if rec.Request.BodyTruncated || len(body) > inlineMax || !utf8.Valid(body) {
		return false
	}
	for _, c := range body {
		if c < 0x20 && c != '\t' && c != '\n' || c == 0x7f {
			return false
		}
	}
	return true
}

func (b Base) word(target string) string {
	if b.expr {
		return `"` + b.text + `"` + Quote(target)
	}
	return Quote(b.text + target)
}

func pathQuery(path, query string) string {
	if query != "" {
		return path + "?" + query
	}
	return path
}

func urlFlags(path, target string) string {
	var f string
	if strings.ContainsAny(target, "[]{}") {
		f += " --globoff"
	}
	if hasDotSegment(path) {
		f += " --path-as-is"
	}
	return f
}

// hasDotSegment reports whether path has a "." or ".." segment.
func hasDotSegment(path string) bool {
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

func methodFlag(rec *api.Record) string {
	switch {
	case rec.Method == "HEAD":
		return " --head"
	case rec.Method == "GET" && !hasBody(rec):
		return ""
	}
	return " -X " + Quote(rec.Method)
}

// hasBody reports whether the delivery carried a body, even an empty one with
// Content-Length: 0.
func hasBody(rec *api.Record) bool {
	return rec.Request.BodySize > 0 || len(rec.Request.Body) > 0 || headerIn(rec.Request.Headers, "Content-Length")
}

func writeHeaders(b *strings.Builder, rec *api.Record) {
	hs := rec.Request.Headers
	for _, h := range hs {
		if curlSkip[canonical(h[0])] || wire.Hop[canonical(h[0])] {
			continue
		}
		if h[1] == "" {
			b.WriteString(" \\\n  -H " + Quote(h[0]+";"))
		} else {
			b.WriteString(" \\\n  -H " + Quote(h[0]+": "+h[1]))
		}
	}
	for _, a := range curlAdds {
		if adds(rec, a.minBody) && !headerIn(hs, a.name) {
			b.WriteString(" \\\n  -H " + Quote(a.name+":"))
		}
	}
}

func adds(rec *api.Record, minBody int64) bool {
	return minBody < 0 || hasBody(rec) && rec.Method != "HEAD" && rec.Request.BodySize >= minBody
}

func writeBody(b *strings.Builder, rec *api.Record, inlineMax int) {
	switch {
	case !hasBody(rec) || rec.Method == "HEAD":
	case InlineBody(rec, inlineMax):
		b.WriteString(" \\\n  --data-raw " + Quote(string(rec.Request.Body)))
	default:
		b.WriteString(" \\\n  --data-binary @" + Quote(BodyFile(rec)))
	}
}

func headerIn(hs [][2]string, name string) bool {
	for _, h := range hs {
		if strings.EqualFold(h[0], name) {
			return true
		}
	}
	return false
}

func canonical(name string) string { return http.CanonicalHeaderKey(name) }

// shellSafe are the characters a shell word may have unquoted.
const shellSafe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/:@%+="

// Quote quotes s for a POSIX shell when it needs it: in single quotes, where each
// single quote inside becomes a closing quote, an escaped quote and an opening quote.
func Quote(s string) string {
	if s != "" && strings.Trim(s, shellSafe) == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
