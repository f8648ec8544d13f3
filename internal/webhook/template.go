package webhook

import (
	"io"
	"strings"
)

// Placeholders of a payload template.
const (
	placeBody      = "{body}"
	placeTimestamp = "{timestamp}"
	placeID        = "{id}"
)

// template describes the bytes an HMAC covers, e.g. "v0:{timestamp}:{body}".
type template struct {
	text          string // as configured, for Spec
	parts         []templatePart
	usesBody      bool
	usesTimestamp bool
	usesID        bool
}

// templatePart is a literal (placeholder == "") or a placeholder.
type templatePart struct {
	literal     string
	placeholder string
}

// bodyOnly is the template of schemes that sign the raw body alone.
var bodyOnly = mustTemplate(placeBody)

// parseTemplate splits text into literals and placeholders. Any "{" must
// start a known placeholder, so a typo is an error rather than a literal.
func parseTemplate(text string) (template, error) {
	t := template{text: text}
	for rest := text; rest != ""; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			t.parts = append(t.parts, templatePart{literal: rest})
			break
		}
		if i > 0 {
			t.parts = append(t.parts, templatePart{literal: rest[:i]})
		}
		p, ok := matchPlaceholder(rest[i:])
		if !ok {
			return template{}, specError("payload: unknown placeholder (want {body}, {timestamp} or {id})")
		}
		t.parts = append(t.parts, templatePart{placeholder: p})
		t.usesBody = t.usesBody || p == placeBody
		t.usesTimestamp = t.usesTimestamp || p == placeTimestamp
		t.usesID = t.usesID || p == placeID
		rest = rest[i+len(p):]
	}
	return t, nil
}

func matchPlaceholder(s string) (string, bool) {
	for _, p := range []string{placeBody, placeTimestamp, placeID} {
		if strings.HasPrefix(s, p) {
			return p, true
		}
	}
	return "", false
}

// mustTemplate parses a template fixed in code, at package initialisation;
// it never sees user input.
func mustTemplate(text string) template {
	t, err := parseTemplate(text)
	if err != nil {
		panic("webhook: bad built-in template " + text)
	}
	return t
}

// write feeds the template's bytes to w (an HMAC, which never fails).
func (t template) write(w io.Writer, body []byte, ts, id string) {
	for _, p := range t.parts {
		switch p.placeholder {
		case "":
			_, _ = io.WriteString(w, p.literal)
		case placeBody:
			_, _ = w.Write(body)
		case placeTimestamp:
			_, _ = io.WriteString(w, ts)
		case placeID:
			_, _ = io.WriteString(w, id)
		}
	}
}
