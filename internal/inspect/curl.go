package inspect

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/hookrelay/hookrelay/internal/api"
)

// curlSkip are request headers a copied command leaves out: curl sets them itself, or
// they describe the hop to the relay rather than the delivery.
var curlSkip = map[string]bool{
	"host": true, "content-length": true, "transfer-encoding": true, "connection": true, "keep-alive": true,
	"te": true, "upgrade": true, "proxy-connection": true, "accept-encoding": true,
}

// shellSafe are the characters a shell word may have unquoted.
const shellSafe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/:@%+"

// curlCommand renders a POSIX shell command that sends the recorded request again to
// base (the tunnel's public URL; a placeholder when unknown). A body that is binary,
// truncated or over RenderCap is read from a file the user downloads first.
func curlCommand(rec *api.Record, base string) string {
	if base == "" {
		base = "https://TUNNEL-URL/"
	}
	target := strings.TrimSuffix(base, "/") + rec.Path
	if rec.Query != "" {
		target += "?" + rec.Query
	}
	var b strings.Builder
	b.WriteString("curl")
	if rec.Method == "HEAD" {
		b.WriteString(" --head")
	} else if rec.Method != "GET" || len(rec.Request.Body) > 0 {
		b.WriteString(" -X " + shellQuote(rec.Method))
	}
	b.WriteString(" " + shellQuote(target))
	for _, h := range rec.Request.Headers {
		if !curlSkip[strings.ToLower(h[0])] {
			b.WriteString(" \\\n  -H " + shellQuote(h[0]+": "+h[1]))
		}
	}
	writeCurlBody(&b, rec)
	return b.String()
}

func writeCurlBody(b *strings.Builder, rec *api.Record) {
	body := rec.Request.Body
	switch {
	case len(body) == 0 && rec.Request.BodySize == 0:
	case !rec.Request.BodyTruncated && len(body) <= RenderCap && looksText(body) && utf8.Valid(body) && bytes.IndexByte(body, 0) < 0:
		b.WriteString(" \\\n  --data-binary " + shellQuote(string(body)))
	default:
		b.WriteString(" \\\n  --data-binary @request-" + rec.ID + ".body")
	}
}

// shellQuote quotes s for a POSIX shell when it needs it: in single quotes, where each
// single quote inside becomes a closing quote, an escaped quote and an opening quote.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, shellSafe) == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
