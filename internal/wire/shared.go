package wire

import (
	"net/http"
	"net/url"
	"strings"
)

// BufferPool lends the 32 KiB body-copy buffers to httputil.ReverseProxy; the direct
// path uses the same buffers.
type BufferPool struct{}

func (BufferPool) Get() []byte  { return *(buffers.Get().(*[]byte)) }
func (BufferPool) Put(b []byte) { buffers.Put(&b) }

// SetRawPath makes u's request target exactly raw. Opaque carries it byte for byte,
// except a path starting with "//", which Opaque would turn into an absolute URL; that
// one goes through Path and RawPath, which give the same bytes for a valid escaping.
func SetRawPath(u *url.URL, raw string) {
	u.Opaque, u.Path, u.RawPath = raw, "", ""
	if strings.HasPrefix(raw, "//") {
		u.Opaque = ""
		u.Path, _ = url.PathUnescape(raw)
		u.RawPath = raw
	}
}

// KeepAppHeaders stops net/http from adding a sniffed Content-Type or a Date to a
// response the app sent without them: the receiver gets the app's headers, no more.
// Call it on the ResponseWriter's header before WriteHeader.
func KeepAppHeaders(h http.Header) {
	for _, k := range [...]string{"Content-Type", "Date"} {
		if _, ok := h[k]; !ok {
			h[k] = nil
		}
	}
}
