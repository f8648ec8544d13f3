package proto

import "time"

// Version is the protocol version spoken by this package. See the package doc.
const Version = 1

// ConnectPath is the HTTP path on the server's base domain where clients open their tunnel
// websocket.
const ConnectPath = "/_hookrelay/connect"

// Headers used by the protocol.
const (
	// HeaderVersion carries the client's protocol version on the upgrade request.
	HeaderVersion = "Hookrelay-Protocol"
	// HeaderError carries the machine-readable [Code] of every error the relay answers
	// itself, on the public listener and on the connect path.
	HeaderError = "X-Hookrelay-Error"
	// HeaderTunnel names the tunnel a request on a stream is for. The server sets it; the
	// client removes it before the request reaches the local app.
	HeaderTunnel = "X-Hookrelay-Tunnel"
	// HeaderRequestID carries the id of the recorded delivery. Replays and queued
	// deliveries keep the original's id in [HeaderReplayOf] so apps can de-duplicate.
	HeaderRequestID = "X-Hookrelay-Request-Id"
	// HeaderReplayOf carries the id of the original delivery on a replay.
	HeaderReplayOf = "X-Hookrelay-Replay-Of"
	// HeaderVerified carries the signature verdict: "<provider>; ok" or
	// "<provider>; failed=<reason>".
	HeaderVerified = "X-Hookrelay-Verified"
	// HeaderResigned names the provider whose signature the relay recomputed on a queued
	// delivery, whose original signature had gone stale in the queue.
	HeaderResigned = "X-Hookrelay-Resigned"
)

// Limits and timeouts. Both sides enforce them.
const (
	// MaxFrameSize caps a control frame's payload. A Hello naming 100 tunnels with
	// verification specs fits in a few KiB; 64 KiB leaves room without letting a peer make
	// us allocate much.
	MaxFrameSize = 64 << 10

	// MaxTunnelsPerSession caps the tunnels one client session may hold.
	MaxTunnelsPerSession = 32

	// HandshakeTimeout bounds the websocket upgrade plus the Hello/Welcome exchange.
	HandshakeTimeout = 10 * time.Second

	// KeepAliveInterval is how often each side pings the other over yamux.
	KeepAliveInterval = 2 * time.Second

	// KeepAliveTimeout is how long a ping or a write may take before the session is
	// declared dead: a dead connection is noticed within KeepAliveInterval+KeepAliveTimeout.
	KeepAliveTimeout = 4 * time.Second

	// MinBackoff and MaxBackoff bound the client's reconnect delay, which doubles after
	// each failed attempt and carries up to 50% random jitter.
	MinBackoff = 1 * time.Second
	MaxBackoff = 30 * time.Second

	// MaxStreamWindow is the yamux per-stream receive window. It bounds how much of a body
	// may be in flight per request: 100 concurrent streams hold at most 25 MiB of buffered
	// data, while one stream still fills a fast loopback or LAN link.
	MaxStreamWindow = 256 << 10

	// WebsocketReadLimit caps one websocket message. yamux frames are bounded by the
	// stream window, so no legitimate message is larger than MaxStreamWindow plus a header.
	WebsocketReadLimit = MaxStreamWindow + 64<<10
)
