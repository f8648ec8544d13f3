package inspect

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"mime"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Kinds of rendered body.
const (
	kindEmpty  = "empty"
	kindJSON   = "json"
	kindForm   = "form"
	kindText   = "text"
	kindBinary = "binary"
)

// Body rendering limits besides RenderCap and HexCap.
const (
	indentMax   = 1 << 20 // JSON larger than this is shown as stored, not re-indented
	maxFormKeys = 1000    // form fields shown in the table
	sniffLen    = 8 << 10 // bytes looked at to tell text from binary
)

// bodyView is one recorded body, ready to print. Text is already capped.
type bodyView struct {
	Kind        string
	ContentType string
	Text        string
	Form        [][2]string
	Size        int64 // full size as received
	Stored      int   // bytes the record kept
	Truncated   bool  // the record kept only a prefix
	Capped      bool  // the page shows less than the record kept
}

// renderBody chooses how to show a recorded body: JSON pretty-printed, a form as a table,
// text as is, anything else as a hex dump. It never renders more than RenderCap bytes of
// text or HexCap bytes of dump.
func renderBody(headers [][2]string, body []byte, size int64, truncated bool) bodyView {
	v := bodyView{ContentType: contentType(headers), Size: size, Stored: len(body), Truncated: truncated}
	switch {
	case len(body) == 0:
		v.Kind = kindEmpty
	case !truncated && isJSON(v.ContentType, body) && len(body) <= indentMax:
		v.Kind = kindJSON
		var buf bytes.Buffer
		_ = json.Indent(&buf, body, "", "  ") // isJSON checked validity
		v.Text, v.Capped = capText(buf.Bytes(), RenderCap)
	case v.ContentType == "application/x-www-form-urlencoded" && len(body) <= RenderCap && looksText(body):
		v.Kind = kindForm
		v.Form, v.Capped = formPairs(string(body))
	case looksText(body):
		v.Kind = kindText
		v.Text, v.Capped = capText(body, RenderCap)
	default:
		v.Kind = kindBinary
		v.Text, v.Capped = hex.Dump(body[:min(len(body), HexCap)]), len(body) > HexCap
	}
	return v
}

// contentType is the media type of the first Content-Type header, lowercase, "" if none.
func contentType(headers [][2]string) string {
	raw := header(headers, "Content-Type")
	if mt, _, err := mime.ParseMediaType(raw); err == nil {
		return mt
	}
	mt, _, _ := strings.Cut(raw, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// header returns the first value of the named header, ignoring case.
func header(headers [][2]string, name string) string {
	for _, h := range headers {
		if strings.EqualFold(h[0], name) {
			return h[1]
		}
	}
	return ""
}

func isJSON(ct string, body []byte) bool {
	jsonType := ct == "application/json" || strings.HasSuffix(ct, "+json")
	if !jsonType && ct != "" && ct != "text/plain" {
		return false
	}
	t := bytes.TrimSpace(body)
	return len(t) > 0 && (t[0] == '{' || t[0] == '[' || jsonType) && json.Valid(body)
}

// looksText reports whether the start of b is UTF-8 without control characters other
// than tab, newline, carriage return and form feed.
func looksText(b []byte) bool {
	sample := cutUTF8(b, sniffLen)
	if !utf8.Valid(sample) {
		return false
	}
	for _, c := range sample {
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 0x7f {
			return false
		}
	}
	return true
}

// capText returns at most n bytes of b as valid UTF-8, and whether it cut anything.
func capText(b []byte, n int) (string, bool) {
	cut := cutUTF8(b, n)
	return strings.ToValidUTF8(string(cut), "\uFFFD"), len(cut) < len(b)
}

// cutUTF8 returns b's first n bytes or fewer, not splitting a UTF-8 sequence.
func cutUTF8(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	end := n
	for end > 0 && end > n-utf8.UTFMax && !utf8.RuneStart(b[end]) {
		end--
	}
	return b[:end]
}

// formPairs decodes a URL-encoded form in order, keeping undecodable parts as typed.
func formPairs(s string) ([][2]string, bool) {
	var out [][2]string
	for part := range strings.SplitSeq(s, "&") {
		if part == "" {
			continue
		}
		if len(out) == maxFormKeys {
			return out, true
		}
		k, v, _ := strings.Cut(part, "=")
		out = append(out, [2]string{unescapeForm(k), unescapeForm(v)})
	}
	return out, false
}

func unescapeForm(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return strings.ToValidUTF8(u, "\uFFFD")
	}
	return s
}
