package wire

import (
	"bytes"
	"fmt"
)

// Request is a parsed request head from the relay. Its slices point into the head's
// bytes and are valid until the head is released.
type Request struct {
	Method  []byte
	Target  []byte // the request target as received
	Tunnel  []byte // proto.HeaderTunnel: the tunnel the request is for
	ID      []byte // proto.HeaderRequestID: the relay's record id
	Upgrade []byte // the Upgrade value, when the Connection header asks for it
	Length  int64  // Content-Length, -1 without one
	Chunked bool
	Close   bool // the relay closes the stream after this exchange
	Expect  bool // Expect: 100-continue with a body to come

	fields  []headerField
	tokens  [][]byte // the Connection header's options
	trailer bool     // Te names "trailers"
	http10  bool
	noHost  bool // an HTTP/1.0 request without Host
}

// Parse reads a request head: request line (RFC 9112 section 3), header fields, and
// what the relay needs of them: framing, connection options, the tunnel.
func (r *Request) Parse(raw []byte) error {
	var first []byte
	var err error
	*r = Request{fields: r.fields[:0], tokens: r.tokens[:0], Length: -1}
	if first, r.fields, err = splitHead(raw, r.fields); err != nil {
		return err
	}
	method, rest, ok1 := bytes.Cut(first, []byte{' '})
	target, version, ok2 := bytes.Cut(rest, []byte{' '})
	if !ok1 || !ok2 || !isToken(method) || !validTarget(target) {
		return fmt.Errorf("%w: bad request line %.60q", ErrMalformed, first)
	}
	r.http10 = string(version) == "HTTP/1.0"
	if !r.http10 && string(version) != "HTTP/1.1" {
		return fmt.Errorf("%w: unsupported version %.20q", ErrMalformed, version)
	}
	r.Method, r.Target = method, target
	hosts, codings, err := r.scan()
	if err != nil {
		return err
	}
	if hosts > 1 || hosts == 0 && !r.http10 {
		return fmt.Errorf("%w: %d Host headers", ErrMalformed, hosts)
	}
	r.noHost = hosts == 0
	if r.http10 && (!r.hasToken("keep-alive") || codings) {
		r.Close = true // HTTP/1.0 with a transfer coding: faulty framing (RFC 9112 section 6.1)
	}
	return nil
}

// scan reads the fields the relay acts on and returns how many Host fields there are
// and whether an HTTP/1.0 request named a transfer coding, which has no meaning there
// and is ignored, as net/http ignores it: Content-Length frames the body.
func (r *Request) scan() (hosts int, codings bool, err error) {
	var upgrade, length []byte
	var badTrailer bool
	for _, f := range r.fields {
		switch f.kind {
		case kindHost:
			hosts++
		case kindContentLength:
			if r.Length, err = sameLength(&length, f.value); err != nil {
				return 0, false, err
			}
		case kindTransferEncoding:
			if r.http10 {
				codings = true
				continue
			}
			if r.Chunked || !equalFold(f.value, "chunked") {
				return 0, false, fmt.Errorf("%w: unsupported transfer encoding %.40q", ErrMalformed, f.value)
			}
			r.Chunked = true
		case kindConnection:
			r.tokens = appendTokens(r.tokens, f.value)
		case kindTE:
			r.trailer = r.trailer || hasToken(f.value, "trailers")
		case kindTrailer:
			badTrailer = badTrailer || framingTrailer(f.value)
		case kindUpgrade:
			if upgrade == nil {
				upgrade = f.value
			}
		case kindExpect:
			r.Expect = equalFold(f.value, "100-continue")
		case kindTunnel:
			r.Tunnel = f.value
		case kindRequestID:
			r.ID = f.value
		}
	}
	if r.Chunked && badTrailer {
		return 0, false, errFramingTrailer
	}
	if r.Chunked {
		r.Length = -1
	}
	r.Expect = r.Expect && (r.Chunked || r.Length > 0)
	r.Close = r.hasToken("close")
	if len(upgrade) > 0 && r.hasToken("upgrade") {
		r.Upgrade = upgrade
	}
	return hosts, codings, nil
}

// Framing tells how the request's body is framed: a request without Content-Length or
// chunked coding has none (RFC 9112 section 6.3).
func (r *Request) Framing() Framing {
	switch {
	case r.Chunked:
		return Framing{Kind: FramedChunked}
	case r.Length > 0:
		return Framing{Kind: FramedLength, N: r.Length}
	}
	return Framing{}
}

// errFramingTrailer refuses a chunked message whose Trailer field announces Content-Length,
// Transfer-Encoding or Trailer, as net/http does: a framing field cannot come after
// the body (RFC 9110 section 6.5.1).
var errFramingTrailer = fmt.Errorf("%w: Trailer announces a framing field", ErrMalformed)

// sameLength parses a Content-Length value; first holds the first one seen. Repeated
// ones must be the same bytes, as net/http requires: "5" and "05" are refused, not
// taken as one length.
func sameLength(first *[]byte, v []byte) (int64, error) {
	n, ok := parseLength(v)
	if !ok || *first != nil && !bytes.Equal(*first, v) {
		return 0, fmt.Errorf("%w: bad Content-Length %.40q", ErrMalformed, v)
	}
	*first = v
	return n, nil
}

// validTarget accepts the one request-target form a relay sends, origin-form ("/...",
// see proto), with no spaces or control characters: the app's path prefix goes in front.
func validTarget(t []byte) bool {
	if len(t) == 0 || t[0] != '/' {
		return false
	}
	for _, c := range t {
		if c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

func appendTokens(tokens [][]byte, v []byte) [][]byte {
	for len(v) > 0 {
		var item []byte
		item, v, _ = bytes.Cut(v, []byte{','})
		if item = trimOWS(item); len(item) > 0 {
			tokens = append(tokens, item)
		}
	}
	return tokens
}

func (r *Request) hasToken(tok string) bool { return named(r.tokens, []byte(tok)) }

func named(tokens [][]byte, name []byte) bool {
	for _, t := range tokens {
		if equalFold(t, name) {
			return true
		}
	}
	return false
}

// appendHead appends the head the app gets: the request line with the target under the
// app's path prefix, every header line as received except the tunnel header and the
// hop-by-hop ones (RFC 9110 section 7.6.1), which an upgrade and "Te: trailers" keep in
// the form httputil.ReverseProxy sends them. An HTTP/1.0 request without Host gets the
// app's, as http.Transport gave it.
func (r *Request) AppendHead(b []byte, prefix, host string) []byte {
	b = append(b, r.Method...)
	b = append(b, ' ')
	b = append(b, prefix...)
	b = append(b, r.Target...) // origin-form: the prefix goes before the path, query and all
	b = append(b, " HTTP/1.1\r\n"...)
	if r.noHost {
		b = append(b, "Host: "...)
		b = append(b, host...)
		b = append(b, "\r\n"...)
	}
	var seen seenFields
	for _, f := range r.fields {
		if line := r.forward(f, &seen); line != nil {
			b = append(b, line...)
			b = append(b, "\r\n"...)
		}
	}
	return append(b, "\r\n"...)
}

// seenFields tracks the request fields the app gets at most once.
type seenFields struct{ conn, te, upgrade, length bool }

var (
	connectionUpgrade = []byte("Connection: Upgrade")
	teTrailers        = []byte("Te: trailers")
)

// forward returns the line the app gets for field f: the line as received, the form
// httputil.ReverseProxy gives an upgrade's Connection or a Te naming trailers, or nil.
func (r *Request) forward(f headerField, seen *seenFields) []byte {
	switch f.kind {
	case kindHost:
		return f.line
	case kindTransferEncoding:
		if !r.Chunked {
			return nil // an HTTP/1.0 request's, ignored
		}
		return f.line
	case kindTunnel, kindKeepAlive, kindProxy:
		return nil
	case kindContentLength:
		return once(&seen.length, !r.Chunked, f.line)
	case kindConnection:
		return once(&seen.conn, r.Upgrade != nil, connectionUpgrade)
	case kindTE:
		return once(&seen.te, r.trailer, teTrailers)
	case kindUpgrade:
		return once(&seen.upgrade, r.Upgrade != nil, f.line)
	case kindTrailer:
		if !r.Chunked {
			return nil
		}
		return f.line
	}
	if named(r.tokens, f.name) {
		return nil
	}
	return f.line
}

// once returns line the first time it is asked for a kind of field, if wanted; nil after.
func once(seen *bool, wanted bool, line []byte) []byte {
	first := !*seen
	*seen = true
	if first && wanted {
		return line
	}
	return nil
}

// Response is a parsed response head from an app, its slices pointing into the head.
type Response struct {
	Status  int
	Upgrade []byte // the Upgrade value
	Length  int64  // Content-Length, -1 without one
	Chunked bool
	Close   bool // the app closes the connection after this response

	fields []headerField
	rest   []byte // the status line after the version: " 200 OK"
	http10 bool
	tokens [][]byte // the Connection header's options
}

// Parse reads a response head: status line (RFC 9112 section 4) and header fields.
func (r *Response) Parse(raw []byte) error {
	var first []byte
	var err error
	*r = Response{fields: r.fields[:0], tokens: r.tokens[:0], Length: -1}
	if first, r.fields, err = splitHead(raw, r.fields); err != nil {
		return err
	}
	version, rest, _ := bytes.Cut(first, []byte{' '})
	code, reason, _ := bytes.Cut(bytes.TrimLeft(rest, " "), []byte{' '}) // spaces before the code: as net/http
	r.http10 = string(version) == "HTTP/1.0"
	if !r.http10 && string(version) != "HTTP/1.1" || len(code) != 3 || code[0] < '1' {
		return fmt.Errorf("%w: bad status line %.60q", ErrMalformed, first)
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return fmt.Errorf("%w: bad status line %.60q", ErrMalformed, first)
		}
		r.Status = r.Status*10 + int(c-'0')
	}
	for _, c := range reason {
		if c < ' ' && c != '\t' || c == 0x7f {
			return fmt.Errorf("%w: bad status line %.60q", ErrMalformed, first)
		}
	}
	r.rest = first[len(version):]
	return r.scan()
}

func (r *Response) scan() (err error) {
	var length []byte
	var badTrailer bool
	for _, f := range r.fields {
		switch f.kind {
		case kindContentLength:
			if r.Length, err = sameLength(&length, f.value); err != nil {
				return err
			}
		case kindTransferEncoding:
			if r.http10 {
				continue // HTTP/1.0 has no transfer codings: net/http ignores the field
			}
			if r.Chunked || !equalFold(f.value, "chunked") {
				return fmt.Errorf("%w: unsupported transfer encoding %.40q", ErrMalformed, f.value)
			}
			r.Chunked = true
		case kindConnection:
			r.tokens = appendTokens(r.tokens, f.value)
		case kindUpgrade:
			if r.Upgrade == nil {
				r.Upgrade = f.value
			}
		case kindTrailer:
			badTrailer = badTrailer || framingTrailer(f.value)
		}
	}
	if r.Chunked && badTrailer {
		return errFramingTrailer
	}
	if r.Chunked {
		r.Length = -1
	}
	r.Close = named(r.tokens, []byte("close")) || r.http10 && !named(r.tokens, []byte("keep-alive"))
	return nil
}

// Informational reports a 1xx response that another response follows.
func (r *Response) Informational() bool { return r.Status < 200 && r.Status != 101 }

// Framing tells how the response's body is framed, head saying whether it answers a
// HEAD request.
func (r *Response) Framing(head bool) Framing {
	switch {
	case head || r.Status < 200 || r.Status == 204 || r.Status == 304:
		return Framing{}
	case r.Chunked:
		return Framing{Kind: FramedChunked}
	case r.Length >= 0:
		return Framing{Kind: FramedLength, N: r.Length}
	}
	return Framing{Kind: FramedEOF}
}

// AppendHead appends the head the relay gets: the status line in HTTP/1.1, every header
// line as received except the hop-by-hop ones, and "Connection: close" when the stream
// ends after this response. A 101 keeps all its lines: they are the upgrade's.
func (r *Response) AppendHead(b []byte, closing bool) []byte {
	b = append(b, "HTTP/1.1"...)
	b = append(b, r.rest...)
	b = append(b, "\r\n"...)
	var length bool
	for _, f := range r.fields {
		if r.Status != 101 && !r.forwarded(f, &length) {
			continue
		}
		b = append(b, f.line...)
		b = append(b, "\r\n"...)
	}
	if closing {
		b = append(b, "Connection: close\r\n"...)
	}
	return append(b, "\r\n"...)
}

// forwarded reports whether a field of a response passes; length tracks the first
// Content-Length, the one kept.
func (r *Response) forwarded(f headerField, length *bool) bool {
	switch f.kind {
	case kindConnection, kindKeepAlive, kindProxy, kindTE, kindUpgrade:
		return false
	case kindTransferEncoding, kindTrailer:
		return r.Chunked
	case kindContentLength:
		if *length || r.Chunked {
			return false
		}
		*length = true
		return true
	case kindHost:
		return true
	}
	return !named(r.tokens, f.name)
}
