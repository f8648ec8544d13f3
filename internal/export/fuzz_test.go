package export_test

import (
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/export"
)

// unquote reads back a word written by export.Quote: bare safe characters, or
// single-quoted runs joined by \' for each single quote.
func unquote(w string) (string, bool) {
	if !strings.HasPrefix(w, "'") {
		return w, !strings.ContainsAny(w, " '\"\\$`\n\t;&|<>()*?[]{}!#~")
	}
	var b strings.Builder
	for w != "" {
		switch {
		case strings.HasPrefix(w, `\'`):
			b.WriteByte('\'')
			w = w[2:]
		case strings.HasPrefix(w, "'"):
			end := strings.IndexByte(w[1:], '\'')
			if end < 0 {
				return "", false
			}
			b.WriteString(w[1 : 1+end])
			w = w[2+end:]
		default:
			return "", false
		}
	}
	return b.String(), true
}

// FuzzQuote: every string quotes to one shell word that reads back as itself.
func FuzzQuote(f *testing.F) {
	for _, r := range corpus() {
		f.Add(string(r.Request.Body))
		for _, h := range r.Request.Headers {
			f.Add(h[0] + ": " + h[1])
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := unquote(export.Quote(s))
		if !ok || got != s {
			t.Fatalf("Quote(%q) = %s reads back as %q (ok %v)", s, export.Quote(s), got, ok)
		}
	})
}

// FuzzCurlInline: whatever the body, the command never holds a NUL byte (which no
// shell word can carry), and an inline body is there as one quoted word.
func FuzzCurlInline(f *testing.F) {
	for _, r := range corpus() {
		f.Add(r.Method, r.Path, r.Query, r.Request.Body)
	}
	f.Fuzz(func(t *testing.T, method, path, query string, body []byte) {
		if strings.ContainsFunc(method+path+query, func(c rune) bool { return c < ' ' || c == 0x7f }) {
			t.Skip("no HTTP request line carries control characters")
		}
		r := rec("id", method, path, query, body)
		cmd := export.Curl(r, export.URL("http://x"), 1024)
		if strings.IndexByte(cmd, 0) >= 0 {
			t.Fatalf("command holds a NUL byte: %q", cmd)
		}
		if method != "HEAD" && export.InlineBody(r, 1024) && len(body) > 0 && !strings.Contains(cmd, export.Quote(string(body))) {
			t.Fatalf("inline body missing from %q", cmd)
		}
	})
}
