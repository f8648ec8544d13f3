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

	// MaxClientsPerTunnel is the most clients a server may let attach to one tunnel (its
	// own cap is lower, 16 by default). With labels of MaxLabelLen and the routes of
	// each shown cut to MaxRoutesShown, a Clients frame of that many stays under 48 KiB,
	// inside MaxFrameSize, however much of them JSON escapes (6 bytes for "<").
	MaxClientsPerTunnel = 32
	// MaxClientIDLen and MaxLabelLen bound a Hello's ClientID and Label.
	MaxClientIDLen = 64
	MaxLabelLen    = 64
	// MaxRoutesShown is how many bytes of route text, as encoded in JSON, a Clients
	// frame lists per client.
	MaxRoutesShown = 768

	// HandshakeTimeout bounds the websocket upgrade plus the Hello/Welcome exchange.
	HandshakeTimeout = 10 * time.Second

	// KeepAliveInterval: a side that wrote nothing for about this long writes a ping
	// frame, so that its peer hears from it (see KeepAliveTimeout).
	KeepAliveInterval = 2 * time.Second

	// KeepAliveTimeout: a session that received nothing at all for this long is dead.
	// Any byte counts (data, window updates, pings) and nothing waits for an answer, so
	// a busy link, where a ping would queue behind seconds of data, is never taken for a
	// dead one. A side idle for KeepAliveInterval pings, which leaves 3 pings of slack.
	KeepAliveTimeout = 8 * time.Second

	// WriteTimeout bounds one write to the connection, at most one yamux frame
	// (MaxStreamWindow plus a header): a peer that reads nothing for this long is dead.
	// 60 s lets a whole 256 KiB frame through a link of 4.4 KB/s.
	WriteTimeout = 60 * time.Second

	// SendQueueTimeout is how long a stream's frame may wait in yamux's send queue, behind
	// the frames of other streams, before the stream's write fails (the session lives
	// on). The queue holds up to 64 frames of up to MaxStreamWindow; the relay writes
	// 32 KiB at a time, so 2 minutes covers a full queue on a link of about 20 KB/s.
	// A dead link is noticed by KeepAliveTimeout and WriteTimeout instead.
	SendQueueTimeout = 2 * time.Minute

	// StreamCloseTimeout is how long a stream closed on one side may wait for the
	// other side's close before yamux resets it.
	StreamCloseTimeout = time.Minute

	// MinBackoff and MaxBackoff bound the client's reconnect delay, which doubles after
	// each failed attempt and carries up to 50% random jitter.
	MinBackoff = 1 * time.Second
	MaxBackoff = 30 * time.Second

	// ShutdownReconnect bounds the random wait of a client whose session the server
	// ended with CodeShuttingDown before it reconnects (see the package doc, step 7).
	ShutdownReconnect = 250 * time.Millisecond

	// MaxStreamWindow is the yamux per-stream receive window. It bounds how much of a body
	// may be in flight per request: 100 concurrent streams hold at most 25 MiB of buffered
	// data, while one stream still fills a fast loopback or LAN link.
	MaxStreamWindow = 256 << 10

	// WebsocketReadLimit caps one websocket message. yamux frames are bounded by the
	// stream window, so no legitimate message is larger than MaxStreamWindow plus a header.
	WebsocketReadLimit = MaxStreamWindow + 64<<10
)
