package route

import (
	"net/http"
	"net/textproto"

	"github.com/hookrelay/hookrelay/internal/store"
)

// Delivery is the view of one delivery that routes are matched against. Build
// one per delivery with NewDelivery and share it across every route of every
// client: the body is decoded as JSON at most once, on the first json route
// that asks. A Delivery is not safe for concurrent use.
type Delivery struct {
	method string
	path   string
	header http.Header
	body   []byte
	state  jsonState
	tree   tree
}

// jsonState is how far the body's decoding went.
type jsonState uint8

const (
	jsonUnread jsonState = iota // not asked for yet
	jsonParsed                  // tree holds the decoded body
	jsonNone                    // over MaxBody or not JSON: json routes do not match
)

// NewDelivery makes the view of a delivery: its method, its path as received
// (escaped, without the query), its header (keys canonical, as net/http gives
// them) and its whole body. A body recorded only in part must be passed as nil
// (or cut), so that json routes do not match on a prefix. Nothing is copied:
// the caller must not change them while the Delivery is in use.
func NewDelivery(method, path string, header http.Header, body []byte) *Delivery {
	return &Delivery{method: method, path: path, header: header, body: body}
}

// RecordDelivery makes the view of a recorded delivery, for those routed
// from the store (the offline queue, replays without an explicit receiver):
// its header list becomes a header with canonical keys, and a body recorded
// only in part is left out, so json routes do not match it.
func RecordDelivery(rec *store.Record) *Delivery {
	h := make(http.Header, len(rec.Headers))
	for _, f := range rec.Headers {
		k := textproto.CanonicalMIMEHeaderKey(f.Name)
		h[k] = append(h[k], f.Value)
	}
	var body []byte
	if !rec.Body.Truncated && int64(len(rec.Body.Data)) == rec.Body.Size {
		body = rec.Body.Data
	}
	return NewDelivery(rec.Method, rec.Path, h, body)
}

// Parsed reports whether the body was decoded (for tests and metrics).
func (d *Delivery) Parsed() bool { return d.state == jsonParsed }

// lookup returns the JSON text of the value at path: a string's decoded
// value, a number's literal text, true, false or null. Objects, arrays and
// missing paths are not found.
func (d *Delivery) lookup(path []string) (string, bool) {
	if d.state == jsonUnread {
		d.state = jsonNone
		if len(d.body) <= MaxBody {
			if t, ok := parseJSON(d.body); ok {
				d.tree, d.state = t, jsonParsed
			}
		}
	}
	if d.state != jsonParsed {
		return "", false
	}
	return d.tree.lookup(path)
}

// Match reports whether the delivery matches the expression.
func (e Expr) Match(d *Delivery) bool {
	switch e.kind {
	case KindMethod:
		return d.method == e.method
	case KindPath:
		return e.glob.Match(d.path)
	case KindHeader:
		for _, v := range d.header[e.name] {
			if e.glob.Match(v) {
				return true
			}
		}
		return false
	case KindJSON:
		v, ok := d.lookup(e.path)
		return ok && e.glob.Match(v)
	}
	return false
}

// Match reports whether any of the routes matches; an empty Routes matches
// nothing (Select treats it as "no routes", not as "no match").
func (rs Routes) Match(d *Delivery) bool {
	for _, e := range rs {
		if e.Match(d) {
			return true
		}
	}
	return false
}
