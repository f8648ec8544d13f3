package route

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
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
	root   any
}

// jsonState is how far the body's decoding went.
type jsonState uint8

const (
	jsonUnread jsonState = iota // not asked for yet
	jsonParsed                  // root holds the decoded body
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

// Parsed reports whether the body was decoded (for tests and metrics).
func (d *Delivery) Parsed() bool { return d.state == jsonParsed }

// lookup returns the JSON text of the value at path: a string's decoded
// value, a number's literal text, true, false or null. Objects, arrays and
// missing paths are not found.
func (d *Delivery) lookup(path []string) (string, bool) {
	if d.state == jsonUnread {
		d.decode()
	}
	if d.state != jsonParsed {
		return "", false
	}
	v := d.root
	for _, seg := range path {
		var ok bool
		if v, ok = child(v, seg); !ok {
			return "", false
		}
	}
	return scalarText(v)
}

func (d *Delivery) decode() {
	d.state = jsonNone
	if len(d.body) > MaxBody {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(d.body))
	dec.UseNumber()
	if dec.Decode(&d.root) != nil || dec.More() {
		d.root = nil
		return
	}
	d.state = jsonParsed
}

func child(v any, seg string) (any, bool) {
	switch v := v.(type) {
	case map[string]any:
		c, ok := v[seg]
		return c, ok
	case []any:
		i, ok := arrayIndex(seg)
		if !ok || i >= len(v) {
			return nil, false
		}
		return v[i], true
	}
	return nil, false
}

// arrayIndex reads a segment of decimal digits with no leading zero.
func arrayIndex(seg string) (int, bool) {
	if seg == "" || (seg[0] == '0' && len(seg) > 1) || seg[0] == '+' || seg[0] == '-' {
		return 0, false
	}
	i, err := strconv.Atoi(seg)
	return i, err == nil && i >= 0
}

func scalarText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return string(v), true
	case bool:
		return strconv.FormatBool(v), true
	case nil:
		return "null", true
	}
	return "", false
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
