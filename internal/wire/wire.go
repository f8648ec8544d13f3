package wire

import (
	"bufio"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Eligible reports whether r can be forwarded by this package once its body is in
// memory: no upgrade, no Expect, no trailers.
func Eligible(r *http.Request) bool {
	h := r.Header
	return len(h["Upgrade"]) == 0 && len(h["Expect"]) == 0 && len(h["Te"]) == 0 && r.Trailer == nil
}

// ConnectionTokens are the headers a Connection header names as hop-by-hop.
func ConnectionTokens(h http.Header) map[string]bool {
	vv := h["Connection"]
	if len(vv) == 0 {
		return nil
	}
	m := make(map[string]bool)
	for _, v := range vv {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				m[http.CanonicalHeaderKey(f)] = true
			}
		}
	}
	return m
}

// Head is a request head to write.
type Head struct {
	Method, Target, Host string
	// Header is the received header; hop-by-hop ones, those in Skip and
	// Content-Length are left out.
	Header http.Header
	Skip   map[string]bool
	// Extra headers follow, in order, as name/value pairs.
	Extra []string
	// Body is the whole body; Content-Length is written when it is not empty or
	// when HadLength says the sender sent one.
	Body      []byte
	HadLength bool

	// relay holds ForwardHead's fields after Extra, as name/value pairs, in place: a
	// Head on the stack then needs no allocation of its own.
	relay  [16]string
	nRelay int
}

// relayFields are the fields ForwardHead set.
func (h *Head) relayFields() []string { return h.relay[:h.nRelay] }

// Write writes h and its body to bw (not flushed).
func (h *Head) Write(bw *bufio.Writer) {
	bw.WriteString(h.Method)
	bw.WriteByte(' ')
	bw.WriteString(h.Target)
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(h.Host)
	bw.WriteString("\r\n")
	named := ConnectionTokens(h.Header)
	for k, vv := range h.Header {
		if Hop[k] || named[k] || h.Skip[k] || k == "Content-Length" {
			continue
		}
		for _, v := range vv {
			writeField(bw, k, v)
		}
	}
	for i := 0; i+1 < len(h.Extra); i += 2 {
		writeField(bw, h.Extra[i], h.Extra[i+1])
	}
	for i := 0; i+1 < h.nRelay; i += 2 {
		writeField(bw, h.relay[i], h.relay[i+1])
	}
	if len(h.Body) > 0 || h.HadLength {
		bw.WriteString("Content-Length: ")
		bw.Write(strconv.AppendInt(bw.AvailableBuffer(), int64(len(h.Body)), 10))
		bw.WriteString("\r\n")
	}
	bw.WriteString("\r\n")
	bw.Write(h.Body)
}

func writeField(bw *bufio.Writer, k, v string) {
	bw.WriteString(k)
	bw.WriteString(": ")
	bw.WriteString(v)
	bw.WriteString("\r\n")
}

var buffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// CopyResponse writes resp to w: status, end-to-end headers and body, flushed as it
// comes when its length is unknown (server-sent events, chunked streams), then its
// trailers: the ones its Trailer header announced are announced again, the others are
// sent as net/http's undeclared trailers (http.TrailerPrefix).
func CopyResponse(w http.ResponseWriter, resp *http.Response) error {
	defer resp.Body.Close()
	named := ConnectionTokens(resp.Header)
	dst := w.Header()
	for k, vv := range resp.Header {
		if !Hop[k] && !named[k] {
			dst[k] = vv
		}
	}
	announced := make([]string, 0, len(resp.Trailer))
	for k := range resp.Trailer {
		announced = append(announced, k)
	}
	if len(announced) > 0 {
		dst["Trailer"] = []string{strings.Join(announced, ", ")}
	}
	w.WriteHeader(resp.StatusCode)
	if err := copyBody(w, resp); err != nil {
		return err
	}
	for k, vv := range resp.Trailer {
		if !slices.Contains(announced, k) {
			k = http.TrailerPrefix + k
		}
		dst[k] = vv
	}
	return nil
}

// copyBody copies resp's body to w, flushing as it comes when its length is unknown.
func copyBody(w http.ResponseWriter, resp *http.Response) error {
	buf := buffers.Get().(*[]byte)
	defer buffers.Put(buf)
	if resp.ContentLength >= 0 {
		_, err := io.CopyBuffer(w, resp.Body, *buf)
		return err
	}
	rc := http.NewResponseController(w)
	for {
		n, err := resp.Body.Read(*buf)
		if n > 0 {
			if _, werr := w.Write((*buf)[:n]); werr != nil {
				return werr
			}
			_ = rc.Flush()
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
