// Package peer is the link between relay-server nodes of one cluster: a node that
// received a webhook for a tunnel whose client session is held by another node (the
// ingress node, "A") asks that node (the holder, "B") for a byte splice onto the
// session, and then speaks HTTP/1.1 through it exactly as over a local session stream.
// B parses nothing and never touches the store: it copies bytes.
//
// The package never listens. [Holder] serves conns it is given ([Holder.ServeConn]) or a
// listener of the caller's ([Holder.Serve]); [Peers] dials through a function of the
// caller's (TCP by default). Both run TLS over those conns themselves: a link is never
// in the clear.
//
// # Protocol flow
//
//  0. Every link is TLS 1.3. Each node derives one Ed25519 key from the cluster secret
//     (HKDF-SHA256, info "hookrelay peer tls v1": unrelated to the MAC key), presents it
//     in a self-signed certificate, and both ends require the other's certificate to
//     hold that same key; TLS 1.3 makes each prove it holds the private half. So a
//     party without the secret can neither read a link nor stand in the middle of one,
//     and there is no CA, name or expiry to manage. A key that does not match fails
//     the dial with [ErrRefused]. The TLS handshake runs inside the deadline of step 1,
//     and everything below, the MAC handshake included, goes through TLS.
//  1. A dials B's advertised address. Within the handshake deadline
//     ([DefaultHandshakeTimeout], on the whole exchange, with no clock comparison):
//     B sends [Challenge] (a fresh [NonceLen]-byte nonce); A answers [Answer] with its
//     node id, a MAC and a nonce of its own; B checks the MAC in constant time and
//     answers [Accept] with its own MAC over A's nonce, or [Refusal] and closes; A
//     checks B's MAC. Either side gives up at the deadline: a silent or garbled peer
//     costs at most that, never a hang.
//  2. The MACs, with the cluster secret as the key and each id preceded by its length
//     as one byte (ids are at most [MaxIDLen] bytes), so that no two id pairs collide:
//     A's: HMAC-SHA256(secret, "hookrelay-peer-v1" ‖ B's nonce ‖ A's id ‖ B's id).
//     B's: HMAC-SHA256(secret, "hookrelay-peer-v1 accept" ‖ A's nonce ‖ B's id ‖ A's id).
//     A's MAC names the node A meant to dial: a node reached at an address that now
//     belongs to another node refuses. B's MAC proves B knows the secret too, so that
//     A never sends a request to whoever took over a dead node's address. A fresh nonce
//     each way makes a recorded handshake worthless.
//  3. The conn then carries one yamux session, configured by proto.MuxConfig, with
//     proto's liveness rules: a side that wrote nothing for proto.KeepAliveInterval
//     (2 s) pings, and a session that received nothing for proto.KeepAliveTimeout (8 s)
//     is dead, so a peer that vanished without a FIN is noticed within 8 s even when
//     idle; a closed or reset conn at once. A is the yamux server and B the yamux client:
//     roles only decide stream id parity, and proto.Client's accept backlog of 256 suits
//     B, which accepts every stream, where proto.Server's is 1. There is one session per
//     ordered pair of nodes: A's splices to B use A's link to B, B's splices to A use B's
//     link to A. A second link from the same node replaces the first on B.
//  4. For each delivery A opens a stream and writes [Splice] naming the tunnel, the
//     lease generation A looked up, the delivery id (for logs) and the client session
//     id. B calls its [OpenFunc] for a new stream of that session and answers
//     [SpliceOK], or [SpliceError] with [CodeNotHere] (no such session holds the tunnel
//     at that generation here, or the session could not open a stream) or [CodeBusy]
//     (see Limits) and closes. A waits for the answer before it writes a byte, so
//     nothing reached a client before a refusal: after not_here A may look the tunnel
//     up again and retry once.
//  5. After SpliceOK B copies bytes both ways, untouched: an HTTP exchange, a websocket
//     after an upgrade, anything. A direction that ends with EOF half-closes the other
//     end and the other direction goes on; when both ended B closes both streams. A
//     direction that fails (a reset, a lost link) closes both at once. The client-side
//     conn should support half-close: a CloseWrite method (TCP, Unix, TLS) or a yamux
//     stream, whose Close sends FIN and keeps reading; any other conn is closed
//     outright when its direction ends.
//  6. On A a stream of a lost link reads [ErrLinkLost], never a clean EOF (yamux ends
//     the streams of a dead session with io.EOF, which would pass a truncated response
//     for a whole one). A cannot know whether the client saw the request: it never
//     retries then (design §6.4). When instead the client's session dies under a
//     splice, B closes A's stream at once, but yamux v0.1.2 has no stream reset, so A
//     reads that as EOF: a truncated response shows only through its HTTP framing
//     (Content-Length or chunked, io.ErrUnexpectedEOF), as on any proxied TCP hop.
//
// # Frames
//
// Every message is one frame of proto's codec (proto.WriteFrame): a type byte, a 4-byte
// big-endian payload length, a JSON payload, here of at most [MaxFrameSize] (1 KiB).
// Types 0x40–0x52 are outside proto's, so a frame of the wrong protocol is a clear
// error. A reader reads exactly one frame, never a byte past it: the bytes after
// SpliceOK are the client's.
//
//	0x40 Challenge    B→A  {"nonce": base64 of 32 bytes}
//	0x41 Answer       A→B  {"node": A's id, "mac": base64, "nonce": base64 of 32 bytes}
//	0x42 Accept       B→A  {"mac": base64}
//	0x43 Refusal      B→A  {"message": "..."}, then B closes the conn
//	0x50 Splice       A→B  {"tunnel", "generation", "delivery_id", "client"}
//	0x51 SpliceOK     B→A  {}
//	0x52 SpliceError  B→A  {"code": "not_here" | "busy", "message"}, then B closes the stream
//
// A Splice is valid with a tunnel of 1 to 63 characters [a-z0-9-], a generation of at
// least 1, and ids of 1 to [MaxIDLen] printable ASCII characters without spaces. A
// stream whose first frame is not a valid Splice within the handshake deadline is
// closed without an answer.
//
// # Limits
//
//   - [DefaultMaxSplices] (256) splices per peer at once on B; the next stream gets
//     busy at once, before its Splice frame is read. 256 is the server's per-tunnel
//     in-flight cap: one ingress node can fill one tunnel, not starve the node. Each
//     splice holds two 32 KiB copy buffers and up to two 256 KiB yamux windows, so
//     256 splices hold at most ~145 MiB, about 16 MiB with small bodies.
//   - [DefaultHandshakeTimeout] (3 s) for the handshake and for a Splice frame and its
//     answer; peers share an internal network where a round trip is well under 1 ms.
//   - [MaxHandshakes] (64) conns in their handshake at once on B; more are closed.
//   - [DefaultDialTimeout] (1 s) for a TCP dial.
//   - A dial that fails (unreachable, refused, timed out) makes the peer suspect for
//     [SuspectFor] (5 s): splices to it fail at once with [ErrSuspect] and the caller
//     treats its tunnels as offline (design §6.3). Each further failed dial doubles the
//     period, up to [MaxSuspectFor] (30 s); a successful one ends it. A link that ends
//     is dialed again by the next splice that needs it. At most one dial per peer runs
//     at a time; splices that need it wait for it.
//
// # Errors
//
// Every error wraps a sentinel: [ErrNotHere] and [ErrBusy] (a [*SpliceError] from B),
// [ErrSuspect], [ErrUnreachable] (the dial failed), [ErrHandshake] (timeout or garbage),
// [ErrRefused] (B refused A's MAC, or the TLS keys differ: another secret; or B is
// not the node A meant), [ErrBadMAC] (on B for a bad Answer, on A for a bad Accept),
// [ErrLinkLost], [ErrBadFrame], [ErrClosed].
//
// # Cost
//
// BenchmarkSpliceLatency, one 1 KiB POST answered with 1 KiB at a time on loopback, a
// new stream per request, 3 × 3 000 requests per case, on a shared 2-core machine under
// a load average of 10 to 18 (absolute numbers are high and noisy):
//
//	direct, a stream of the client session          p50  75–94 µs  (119–165 µs at load 18)
//	splice, through a peer link                      p50 245–251 µs (294–317 µs at load 18)
//	splice-open-only: stream, Splice, SpliceOK       p50 113–140 µs
//	p99 of all three                                 0.6–8 ms, noise
//
// TLS on the link, measured on 2026-12-03 at a load average of about 1 (3 × 3 000
// requests each): splice p50 247–254 µs with TLS against 230–239 µs without, direct
// 78–82 µs in both; about +15 µs p50 for encrypting both directions.
//
// The hop adds about 0.15–0.17 ms p50 here, most of it opening the splice: one round
// trip on the link before A writes, the price of never letting a refused delivery reach
// a client. The design's throwaway probe measured +0.01–0.06 ms p50 on a quiet machine.
// Should the hop ever matter, A could write the request right behind the Splice frame
// and read the answer before the response (B forwards nothing before it decides), if
// A can write the request again after not_here.
package peer
