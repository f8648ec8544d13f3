package server

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/wire"
)

// bodyCapture keeps the first cap bytes of a body, its full length and its SHA-256.
type bodyCapture struct {
	mu   sync.Mutex // the transport may still stream the body while the record is saved
	cap  int64
	data []byte
	size int64
	sum  hash.Hash
	want int64 // declared length of a streamed request body, -1 when not known
	eof  bool  // the sender's body was read to its end (see teeBody)
}

func newBodyCapture(cap int64) *bodyCapture { return &bodyCapture{cap: cap, sum: sha256.New()} }

func (c *bodyCapture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.size += int64(len(p))
	c.sum.Write(p)
	if room := c.cap - int64(len(c.data)); room > 0 {
		take := p[:min(int64(len(p)), room)]
		if len(c.data)+len(take) > cap(c.data) {
			c.grow(len(take))
		}
		c.data = append(c.data, take...)
	}
	return len(p), nil
}

// grow makes room for n more bytes, doubling but never past the cap, so a large body
// never holds more than the cap plus one copy in flight.
func (c *bodyCapture) grow(n int) {
	want := int64(max(2*cap(c.data), len(c.data)+n, 4096))
	nd := make([]byte, len(c.data), min(want, c.cap))
	copy(nd, c.data)
	c.data = nd
}

// hint sizes the buffer for a body of n bytes (n < 0: unknown) before the first write.
func (c *bodyCapture) hint(n int64) {
	if n > 0 && c.data == nil {
		c.data = make([]byte, 0, min(n, c.cap))
	}
}

// newStreamCapture records a request body of declared length want (-1: unknown) as
// it streams through; see streamed.
func newStreamCapture(cap, want int64) *bodyCapture {
	c := newBodyCapture(cap)
	c.want = want
	c.hint(want)
	return c
}

// ended notes that the reader reached the end of the body.
func (c *bodyCapture) ended() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.eof = true
}

// length is the number of body bytes seen so far.
func (c *bodyCapture) length() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}

// body returns what was captured as a store.Body.
func (c *bodyCapture) body() store.Body {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bodyLocked()
}

// streamed returns what was captured of a streamed request body. A body whose end
// was not seen (the tunnel or the sender went away mid-upload) is not the whole
// body: it is marked truncated, with its declared length and no digest, so it is
// never replayed or exported as if it were complete.
func (c *bodyCapture) streamed() store.Body {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.bodyLocked()
	if c.eof || c.want >= 0 && c.size >= c.want {
		return b
	}
	b.Size, b.SHA256, b.Truncated = max(c.size, c.want), "", true
	return b
}

func (c *bodyCapture) bodyLocked() store.Body {
	return store.Body{
		Data:      c.data[:len(c.data):len(c.data)],
		Size:      c.size,
		SHA256:    hex.EncodeToString(c.sum.Sum(nil)), // Sum does not change the running hash
		Truncated: c.size > int64(len(c.data)),
	}
}

// teeBody records a request body as the proxy streams it to the tunnel.
type teeBody struct {
	rc  io.ReadCloser
	cap *bodyCapture
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	t.cap.Write(p[:n])
	if err == io.EOF {
		t.cap.ended()
	}
	return n, err
}

func (t *teeBody) Close() error { return t.rc.Close() }

// captureWriter records the response the sender gets while passing it through. It
// unwraps for http.ResponseController, so flushing (SSE) and hijacking (websocket
// upgrades) reach the real writer.
type captureWriter struct {
	http.ResponseWriter
	status   int
	header   http.Header // snapshot at WriteHeader
	body     *bodyCapture
	onHeader func(status int) // called once, before the status goes out
}

func (w *captureWriter) WriteHeader(status int) {
	wire.KeepAppHeaders(w.Header())
	if w.status == 0 && status >= 200 || status == http.StatusSwitchingProtocols {
		w.status = status
		w.header = w.Header().Clone()
		if n, err := strconv.ParseInt(w.header.Get("Content-Length"), 10, 64); err == nil {
			w.body.hint(n)
		}
		if w.onHeader != nil {
			w.onHeader(status)
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *captureWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	w.body.Write(p)
	return w.ResponseWriter.Write(p)
}

func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack hands the connection over for a protocol switch (a websocket): the proxy
// writes the app's 101 on the raw connection without WriteHeader, after copying its
// header fields into Header(), so the record keeps that live map and status 101.
func (w *captureWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && w.status == 0 {
		w.status, w.header = http.StatusSwitchingProtocols, w.Header()
	}
	return c, brw, err
}

// headerList flattens a header map for the record: names sorted, each name's values in
// the order received. (net/http does not keep the order between different names.)
func headerList(h http.Header) []store.Header {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]store.Header, 0, len(h))
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, store.Header{Name: k, Value: v})
		}
	}
	return out
}

// headerMap is the inverse of headerList. Names are canonicalized: an edited replay's
// "host" or "x-hookrelay-verified" must meet the same rules as "Host" and
// "X-Hookrelay-Verified".
func headerMap(list []store.Header) http.Header {
	h := make(http.Header, len(list))
	for _, kv := range list {
		k := http.CanonicalHeaderKey(kv.Name)
		h[k] = append(h[k], kv.Value)
	}
	return h
}

// whole returns the captured body when it is the whole body: read to its end, and
// nothing beyond the cap.
func (c *bodyCapture) whole() ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.eof && (c.want < 0 || c.size < c.want) || c.size > int64(len(c.data)) {
		return nil, false
	}
	return c.data[:len(c.data):len(c.data)], true
}
