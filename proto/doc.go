// Package proto is the hookrelay wire protocol between relay-client and relay-server.
//
// It is small on purpose: a websocket carries a yamux session, and every HTTP request
// to a tunnel travels as plain HTTP/1.1 on a yamux stream. The only messages of our own
// are the handshake on the control stream, defined in this package.
//
// # Protocol flow
//
//  1. The client dials the server's [ConnectPath] and asks for a websocket upgrade with
//     the headers [HeaderVersion] (the client's [Version]) and
//     "Authorization: Bearer <token>". The server refuses before upgrading, with an
//     HTTP error carrying a [Code] in its body and in [HeaderError]:
//     426 [CodeVersionMismatch] for another protocol version, 401 [CodeBadToken] for an
//     unknown token. The handshake must complete within [HandshakeTimeout].
//  2. After the upgrade, every websocket message is a binary message holding a piece of
//     the yamux byte stream (see [NetConn]). The client is the yamux client, the server
//     the yamux server, both configured by [MuxConfig].
//  3. The client opens the first stream, the control stream, and writes a [Hello] frame
//     naming the tunnels it wants. The server answers with a [Welcome] frame (names
//     granted, public URLs, deliveries missed while offline) or an [Error] frame
//     ([CodeBadName], [CodeNameTaken], ...) and closes the session. The control
//     stream then stays open; closing it ends the session. The control stream is the
//     only stream a client opens: the server ends a session whose client opens another.
//  4. A client that sent [Hello] ClientID then gets a [Clients] frame ([FrameClients])
//     for each of its tunnels, and again whenever a client of the tunnel attaches or
//     leaves or the primary changes: who is attached, in attach order, with label, role
//     and routes. A tunnel has at most [MaxClientsPerTunnel] clients; labels are at most
//     [MaxLabelLen] bytes and the routes listed per client at most [MaxRoutesShown]
//     bytes, so the frame stays under 48 KiB. A client without ClientID never gets it.
//  5. For each inbound request the server opens a stream and writes the request as
//     HTTP/1.1 (RFC 9112), with [HeaderTunnel] naming the tunnel it is for. The client
//     answers on the same stream with an HTTP/1.1 response. Streams are reused for
//     further requests (keep-alive) exactly as TCP connections would be. A client
//     answers every request whose head it has read, if only with an error response of
//     its own (local_unreachable, local_timeout, ...); a reused stream that ends with no
//     answer therefore carried a request the client never read, and the server may
//     write it once more on a new stream (the rule is wire.MayResend).
//  6. Liveness is measured by received bytes, never by waiting for an answer: a side
//     that wrote nothing for [KeepAliveInterval] writes a yamux ping reply frame (type 2,
//     flag ACK, an opaque value), which yamux ignores; a session that received nothing
//     for [KeepAliveTimeout], or whose write to the connection takes longer than
//     [WriteTimeout], is dead and closed. yamux's own keep-alive is off: its ping queues
//     behind every data frame already queued, and on a slow, busy link it declared
//     live sessions dead. A peer that sends yamux pings is still answered. A client
//     reconnects with exponential backoff between [MinBackoff] and [MaxBackoff].
//  7. The server may end a session with a last [Error] frame on the control stream:
//     [CodeReplaced] (a newer session of the same client took the tunnels) and
//     [CodeTokenRevoked] are permanent; [CodeShuttingDown] says the server is stopping
//     after its deliveries in flight were answered. A client told so reconnects at once,
//     after a random wait of at most [ShutdownReconnect] rather than its backoff, so
//     that behind a balancer it is back on another node within a fraction of a second
//     and a node's clients do not all arrive in the same instant. An older client takes
//     it as any lost connection and reconnects after its backoff.
//
// # Frames
//
// Control frames are a 1-byte [FrameType], a 4-byte big-endian payload length and a JSON
// payload of at most [MaxFrameSize] bytes. JSON keeps the handshake readable and easy to
// extend: unknown fields are ignored, so new optional fields need no version bump. A
// new frame type is sent only to peers that announced they know it (FrameClients: a
// Hello with ClientID).
//
// # Versions
//
// [Version] changes only when an older peer could misread the new behaviour. Each
// side also names its software version in the handshake ([Hello] and [Welcome]
// software_version): it is shown to the user and logged, never compared, and a peer
// that leaves it out (any peer older than the field) is served the same.
//
//   - 1: first version.
package proto
