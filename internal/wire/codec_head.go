package wire

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Limits of a message head, the ones net/http applies.
const (
	// MaxRequestHead bounds a request head from the relay: the net/http server's limit
	// (http.DefaultMaxHeaderBytes) plus the slack it allows on top. The trailer section
	// of a chunked body has the same bound.
	MaxRequestHead = http.DefaultMaxHeaderBytes + 4096
	// MaxResponseHead bounds a response head from an app: http.Transport's default.
	MaxResponseHead = 10 << 20
)

// ErrMalformed is wrapped by every error about the syntax of a head.
var ErrMalformed = errors.New("malformed message head")

// HeadReader reads message heads from a buffered connection. A head that fits in the
// reader's buffer is returned in place, without copying; a larger one is copied.
type HeadReader struct {
	br    *bufio.Reader
	spill []byte // the current head, when it did not fit in br's buffer
	held  int    // bytes of the current head still in br, discarded by Release
}

// NewHeadReader returns a HeadReader reading from br.
func NewHeadReader(br *bufio.Reader) HeadReader { return HeadReader{br: br} }

// Reader is the buffered reader heads are read from; a body follows its head there.
func (h *HeadReader) Reader() *bufio.Reader { return h.br }

// Next returns the next head, from its first line to its empty line included, or
// ErrHeadTooLarge when it is over limit bytes. It stays valid until Release. io.EOF
// means the peer closed between messages.
func (h *HeadReader) Next(limit int) ([]byte, error) {
	br := h.br
	if _, err := br.Peek(1); err != nil {
		return nil, err
	}
	from := 0
	for {
		buf, _ := br.Peek(br.Buffered())
		if end := headEnd(buf, from); end > 0 {
			if end > limit {
				return nil, ErrHeadTooLarge
			}
			h.held = end
			return buf[:end], nil
		}
		if len(buf) > limit {
			return nil, ErrHeadTooLarge
		}
		if len(buf) == br.Size() {
			return h.readSpilled(limit)
		}
		from = max(len(buf)-2, 0)
		if _, err := br.Peek(len(buf) + 1); err != nil {
			return nil, unexpected(err)
		}
	}
}

// readSpilled goes on reading a head that fills br's buffer, copying it line by line.
func (h *HeadReader) readSpilled(limit int) ([]byte, error) {
	buf, _ := h.br.Peek(h.br.Buffered())
	h.spill = append(h.spill[:0], buf...)
	_, _ = h.br.Discard(len(buf))
	for {
		from := max(len(h.spill)-2, 0)
		line, err := h.br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			return nil, unexpected(err)
		}
		h.spill = append(h.spill, line...)
		if len(h.spill) > limit {
			return nil, ErrHeadTooLarge
		}
		if end := headEnd(h.spill, from); end > 0 {
			return h.spill, nil
		}
	}
}

// Release gives the current head's bytes back to the reader.
func (h *HeadReader) Release() {
	if h.held > 0 {
		_, _ = h.br.Discard(h.held)
		h.held = 0
	}
	if cap(h.spill) > 64<<10 {
		h.spill = nil
	}
}

// headEnd returns the length of the head at the start of buf (through the "\n\r\n" or
// "\n\n" that ends it), or 0 if buf does not hold a whole head; the search starts at from.
func headEnd(buf []byte, from int) int {
	for i := from; i < len(buf); {
		j := bytes.IndexByte(buf[i:], '\n')
		if j < 0 {
			return 0
		}
		i += j + 1
		switch {
		case i < len(buf) && buf[i] == '\n':
			return i + 1
		case i+1 < len(buf) && buf[i] == '\r' && buf[i+1] == '\n':
			return i + 2
		}
	}
	return 0
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// headerField is one header line of a head, its parts pointing into the head's bytes.
type headerField struct {
	line  []byte // the whole line, without its line ending
	name  []byte
	value []byte // without surrounding whitespace
	kind  fieldKind
}

// fieldKind tells the header fields the relay looks at apart from the others.
type fieldKind uint8

const (
	kindOther fieldKind = iota
	kindHost
	kindContentLength
	kindTransferEncoding
	kindConnection
	kindKeepAlive
	kindProxy // other hop-by-hop fields (Proxy-Connection, Proxy-Authorization, Proxy-Authenticate)
	kindTE
	kindTrailer
	kindUpgrade
	kindExpect
	kindTunnel
	kindRequestID // proto.HeaderRequestID: forwarded, and kept for the client's own error answers
)

// kinds classifies header names, lowercase. The hop-by-hop names are HopByHop, the
// table relay-server's routes use too: those without a kind of their own are kindProxy.
var kinds = func() map[string]fieldKind {
	m := map[string]fieldKind{
		"host": kindHost, "content-length": kindContentLength, "transfer-encoding": kindTransferEncoding,
		"connection": kindConnection, "keep-alive": kindKeepAlive, "te": kindTE, "trailer": kindTrailer,
		"upgrade": kindUpgrade, "expect": kindExpect, "x-hookrelay-tunnel": kindTunnel,
		"x-hookrelay-request-id": kindRequestID,
	}
	for _, name := range HopByHop {
		if k := strings.ToLower(name); m[k] == kindOther {
			m[k] = kindProxy
		}
	}
	return m
}()

// kindOf classifies a header name, case-insensitively, without allocating.
func kindOf(name []byte) fieldKind {
	const longest = len("x-hookrelay-request-id")
	if len(name) > longest {
		return kindOther
	}
	var lower [longest]byte
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	return kinds[string(lower[:len(name)])]
}

// splitHead cuts a head into its start line and header fields, checking each field's
// syntax (RFC 9112 section 5): a token name right before the colon, a value without
// control characters, no obsolete line folding.
func splitHead(raw []byte, fields []headerField) (first []byte, _ []headerField, err error) {
	first, rest := nextLine(raw)
	if len(first) == 0 {
		return nil, fields, fmt.Errorf("%w: empty start line", ErrMalformed)
	}
	for {
		var line []byte
		line, rest = nextLine(rest)
		if len(line) == 0 {
			return first, fields, nil
		}
		f, err := parseField(line)
		if err != nil {
			return nil, fields, err
		}
		fields = append(fields, f)
	}
}

// nextLine returns the line at the start of b without its line ending, and what follows.
func nextLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b, nil
	}
	line, rest = b[:i], b[i+1:]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, rest
}

func parseField(line []byte) (headerField, error) {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 || !isToken(line[:colon]) {
		return headerField{}, fmt.Errorf("%w: bad header line %.40q", ErrMalformed, line)
	}
	value := trimOWS(line[colon+1:])
	for _, c := range value {
		if c < ' ' && c != '\t' || c == 0x7f {
			return headerField{}, fmt.Errorf("%w: bad header value in %.40q", ErrMalformed, line)
		}
	}
	name := line[:colon]
	return headerField{line: line, name: name, value: value, kind: kindOf(name)}, nil
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// hasToken reports whether the comma-separated list v holds tok, case-insensitively.
func hasToken(v []byte, tok string) bool {
	for len(v) > 0 {
		var item []byte
		item, v, _ = bytes.Cut(v, []byte{','})
		if equalFold(trimOWS(item), tok) {
			return true
		}
	}
	return false
}

// parseLength parses a Content-Length value as net/http does: decimal digits only
// (leading zeros too), at most 1<<63 - 1.
func parseLength(v []byte) (int64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	var n uint64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<63-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return int64(n), true
}

// equalFold reports whether b and s are equal, ASCII letters compared without case, as
// net/http compares header tokens (bytes.EqualFold would also fold Unicode: the Kelvin
// sign would spell "chunked").
func equalFold[S ~string | ~[]byte](b []byte, s S) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// framingTrailer reports whether a Trailer value announces a field that can never be a
// trailer because it frames the message (net/http refuses such a message).
func framingTrailer(v []byte) bool {
	for len(v) > 0 {
		var item []byte
		item, v, _ = bytes.Cut(v, []byte{','})
		item = trimOWS(item)
		if equalFold(item, "Content-Length") || equalFold(item, "Transfer-Encoding") || equalFold(item, "Trailer") {
			return true
		}
	}
	return false
}
