package export

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hookrelay/hookrelay/internal/api"
)

// maxDecoded caps a response body decoded for HAR text; a larger one stays encoded.
const maxDecoded = 64 << 20

// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/): every field the spec
// requires, and the optional ones that carry something. Custom fields start with "_".
type harLog struct {
	Log struct {
		Version string     `json:"version"`
		Creator harCreator `json:"creator"`
		Entries []harEntry `json:"entries"`
	} `json:"log"`
}

type harCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type harEntry struct {
	StartedDateTime string      `json:"startedDateTime"`
	Time            float64     `json:"time"`
	Request         harRequest  `json:"request"`
	Response        harResponse `json:"response"`
	Cache           struct{}    `json:"cache"`
	Timings         harTimings  `json:"timings"`
	Comment         string      `json:"comment,omitempty"`
}

type harTimings struct {
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harRequest struct {
	Method      string   `json:"method"`
	URL         string   `json:"url"`
	HTTPVersion string   `json:"httpVersion"`
	Cookies     []harNV  `json:"cookies"`
	Headers     []harNV  `json:"headers"`
	QueryString []harNV  `json:"queryString"`
	PostData    *harPost `json:"postData,omitempty"`
	HeadersSize int      `json:"headersSize"`
	BodySize    int64    `json:"bodySize"`
}

// harPost is a request body. HAR 1.2 gives postData no encoding field, so a body
// that is not UTF-8 is base64 text marked by the custom field _encoding. (params
// and text are mutually exclusive in HAR; text keeps the exact bytes.)
type harPost struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
	Encoding string `json:"_encoding,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

type harResponse struct {
	Status      int        `json:"status"`
	StatusText  string     `json:"statusText"`
	HTTPVersion string     `json:"httpVersion"`
	Cookies     []harNV    `json:"cookies"`
	Headers     []harNV    `json:"headers"`
	Content     harContent `json:"content"`
	RedirectURL string     `json:"redirectURL"`
	HeadersSize int        `json:"headersSize"`
	BodySize    int64      `json:"bodySize"`
}

// harContent is a response body: size decoded, text HTTP-decoded (gzip, deflate),
// base64 with encoding "base64" when not UTF-8.
type harContent struct {
	Size        int64  `json:"size"`
	Compression int64  `json:"compression,omitempty"`
	MimeType    string `json:"mimeType"`
	Text        string `json:"text,omitempty"`
	Encoding    string `json:"encoding,omitempty"`
	Comment     string `json:"comment,omitempty"`
}

// HAR writes recs as a HAR 1.2 log. scheme maps a tunnel name to the scheme of its
// public URL ("https" when absent).
func HAR(w io.Writer, recs []*api.Record, scheme map[string]string) error {
	var h harLog
	h.Log.Version, h.Log.Creator = "1.2", harCreator{Name: "hookrelay", Version: "1"}
	h.Log.Entries = []harEntry{}
	for _, r := range recs {
		h.Log.Entries = append(h.Log.Entries, harEntryOf(r, scheme[r.Tunnel]))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(h)
}

func harEntryOf(r *api.Record, scheme string) harEntry {
	return harEntry{
		StartedDateTime: r.ReceivedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00"), Time: r.DurationMS,
		Request: harRequestOf(r, scheme), Response: harResponseOf(r),
		Timings: harTimings{Wait: r.DurationMS}, Comment: "hookrelay " + r.ID,
	}
}

func harRequestOf(r *api.Record, scheme string) harRequest {
	q := harRequest{Method: r.Method, URL: PublicURL(r, scheme), HTTPVersion: r.Proto, Cookies: []harNV{},
		Headers: harHeaders(r.Request.Headers), QueryString: queryPairs(r.Query), HeadersSize: -1,
		BodySize: r.Request.BodySize}
	if r.Request.BodySize > 0 {
		q.PostData = &harPost{MimeType: header(r.Request.Headers, "Content-Type")}
		q.PostData.Text, q.PostData.Encoding = textOf(r.Request.Body)
		if r.Request.BodyTruncated {
			q.PostData.Comment = truncated(r.Request)
		}
	}
	return q
}

func harResponseOf(r *api.Record) harResponse {
	return harResponse{Status: r.Status, StatusText: http.StatusText(r.Status), HTTPVersion: "HTTP/1.1",
		Cookies: []harNV{}, Headers: harHeaders(r.Response.Headers), Content: contentOf(r.Response),
		HeadersSize: -1, BodySize: r.Response.BodySize}
}

// PublicURL is the URL the sender used: scheme://host, /t/NAME for a path-form
// delivery (a host that does not start with "NAME."), then the recorded path and query.
func PublicURL(r *api.Record, scheme string) string {
	if scheme == "" {
		scheme = "https"
	}
	prefix := ""
	if !strings.HasPrefix(strings.ToLower(r.Host), strings.ToLower(r.Tunnel)+".") {
		prefix = "/t/" + r.Tunnel
	}
	return scheme + "://" + r.Host + prefix + pathQuery(r.Path, r.Query)
}

// queryPairs decodes a query in order; a pair that does not decode is kept as sent.
func queryPairs(raw string) []harNV {
	out := []harNV{}
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		out = append(out, harNV{Name: unescape(k), Value: unescape(v)})
	}
	return out
}

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// contentOf is a response body as HAR content, decoded when gzip or deflate.
func contentOf(m api.Message) harContent {
	c := harContent{Size: m.BodySize, MimeType: header(m.Headers, "Content-Type")}
	body := m.Body
	if ce := strings.ToLower(strings.TrimSpace(header(m.Headers, "Content-Encoding"))); ce != "" && ce != "identity" {
		decoded, ok := decode(ce, body)
		if !ok || m.BodyTruncated {
			c.Text, c.Encoding = base64.StdEncoding.EncodeToString(body), "base64"
			c.Comment = "Content-Encoding " + ce + ": not decoded, text is the body as received"
			return c
		}
		body, c.Size, c.Compression = decoded, int64(len(decoded)), int64(len(decoded))-int64(len(m.Body))
	}
	c.Text, c.Encoding = textOf(body)
	if m.BodyTruncated {
		c.Comment = truncated(m)
	}
	return c
}

// decode undoes a gzip or deflate content coding, up to maxDecoded bytes.
func decode(coding string, b []byte) ([]byte, bool) {
	var r io.Reader
	switch coding {
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, false
		}
		r = zr
	case "deflate":
		r = flate.NewReader(bytes.NewReader(b))
	default:
		return nil, false
	}
	out, err := io.ReadAll(io.LimitReader(r, maxDecoded+1))
	return out, err == nil && len(out) <= maxDecoded
}

// textOf is a body as HAR text: as is when UTF-8, else base64.
func textOf(b []byte) (string, string) {
	if utf8.Valid(b) {
		return string(b), ""
	}
	return base64.StdEncoding.EncodeToString(b), "base64"
}

func truncated(m api.Message) string {
	return "only the first " + itoa(int64(len(m.Body))) + " of " + itoa(m.BodySize) + " bytes were recorded"
}

func harHeaders(hs [][2]string) []harNV {
	out := make([]harNV, len(hs))
	for i, h := range hs {
		out[i] = harNV{Name: h[0], Value: h[1]}
	}
	return out
}

func header(hs [][2]string, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h[0], name) {
			return h[1]
		}
	}
	return ""
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
