// Package wire is the relay's HTTP/1.1-on-streams contract, each rule written once and
// shared by relay-server's two routes and relay-client:
//
//   - the forwarding contract (ForwardHead, see forward.go): which fields pass, which
//     the relay drops and which it sets;
//   - the hop-by-hop table (HopByHop) and the token table (TokenChars);
//   - the check of a head that did not come from a parser (CheckRequest), so an edited
//     replay can never inject a second request;
//   - the relay's error answer (WriteError, AppendErrorResponse);
//   - the idle-connection holder of both sides' pools (Idle);
//   - the HTTP/1.1 codec relay-client pipes streams with (below).
//
// # The server's lean forwarding path
//
// Head.Write and Pool write a request head and an in-memory body onto a kept-alive
// tunnel stream and copy the response back, without httputil.ReverseProxy and
// http.Transport (whose goroutine handoffs and header copies dominate a small request's
// cost). Requests it does not cover (upgrades, Expect, trailers, streamed bodies) stay
// with ReverseProxy. The response is read with http.ReadResponse: the server hands it to
// a net/http ResponseWriter, which wants an http.Response anyway.
//
// # The codec
//
// relay-client serves each stream as a byte pipe and reads HTTP/1.1 itself, with this
// package's codec (codec_*.go): HeadReader finds a message head in a buffered stream
// (in place when it fits the buffer), Request and Response parse one (RFC 9112 sections
// 3-5) and write it on with only what a proxy must change, and CopyBody copies a body
// as framed: Content-Length bytes, chunked coding verbatim (chunk lines, extensions and
// trailer section as received), or until the connection closes (responses only).
//
// It applies net/http's limits, so that what the codec accepts the relay's other end
// (net/http) reads the same way:
//
//   - a request head up to MaxRequestHead (http.DefaultMaxHeaderBytes + 4 KiB, the
//     net/http server's), a response head up to MaxResponseHead (10 MiB,
//     http.Transport's); past them, ErrHeadTooLarge;
//   - a chunk-size line up to 4 KiB; a trailer section up to MaxTrailerSection (4 KiB:
//     net/http reads one only within its read buffer);
//   - header names are tokens, values hold no control byte but HTAB, no obsolete line
//     folding; one Host in a request (none only in HTTP/1.0); repeated Content-Length
//     values must agree; the only transfer coding is a single "chunked";
//   - request targets are origin-form, the one form the relay sends;
//   - chunk lines and every line of the trailer section end with CRLF (a bare LF there
//     is refused: net/http's response reader would wait for a CRLF that never comes).
//
// The codec is fuzzed against net/http (FuzzCodecMatchesNetHTTP): on every input both
// accept with the same method, target, status, fields and body bytes, or both refuse,
// but for the few deliberate differences listed in codecDeviations.
package wire
