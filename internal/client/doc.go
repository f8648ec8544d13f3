// Package client is the core of relay-client: it keeps a tunnel session to a relay-server
// up, reconnecting with backoff, and serves the requests that arrive on it by forwarding
// them to local apps.
//
// Each stream the relay opens is served as a byte pipe (see pipe): request and response
// heads are read by the HTTP/1.1 codec of package wire and changed only where a proxy
// must (the app's path prefix, the tunnel header, hop-by-hop fields); bodies are copied
// as framed, byte for byte, over kept-alive connections to the app.
//
// # Life of a request on the client
//
// Two goroutines serve a stream: the pipe (pipe.go), which reads what the relay writes,
// and the responder (respond.go), which writes what the relay reads. They share one job
// per exchange.
//
//  1. Head. The pipe reads the request head (wire.HeadReader, at most
//     wire.MaxRequestHead) and parses it (wire.Request). A head too large or malformed,
//     or one for a tunnel this client does not serve, gets the relay's error answer and
//     the stream closes: after a bad head nothing on the stream can be trusted.
//  2. Job. The tunnel's route picks the app: its one target, or with per-path targets
//     (package route/targets) the one whose prefix covers the path; a path none covers
//     goes on with no app, and is answered 502 no_local_target in step 5 (its body is
//     read or the stream closed, as for an unreachable app). startJob copies out of the
//     head what answering needs (requestFacts), writes the head the app gets into a
//     pooled buffer and releases the stream's bytes.
//  3. Body, two ways (bodyMode). A request of at most maxBuffered (64 KiB) bytes, head
//     included, with a length or no body, is read whole first (bodyBuffered): it can be
//     written again if a kept-alive connection turns out dead, and it leaves in one
//     write. Any other request (chunked, larger, Expect: 100-continue, an upgrade) is
//     bodyStreamed: the pipe hands the job over first, since the answer may start before
//     the body is through, then copies the body as it arrives (wire.CopyBody), each write
//     bounded by appStall so an app that stops reading ends the exchange.
//  4. Connection. appPool.get takes the most recent idle connection to the app that is
//     clean (no byte waiting, peer not gone; see appConn.stale) or dials one. The pipe
//     attaches it (attachApp) so that abort can close it from any goroutine.
//  5. Answer. The responder writes a buffered request, then reads response heads
//     (wire.Response, at most wire.MaxResponseHead), passing up to 16 1xx answers on.
//     An attempt that fails is made again on a new connection only when wire.MayResend
//     says so (the rule both hops share): it is why a webhook is never delivered twice. The final
//     head goes to the relay with hop-by-hop fields left out, then the body as framed.
//     With no answer, the relay gets the client's own error (answerError):
//     local_unreachable, local_timeout, local_bad_response or no_local_target.
//  6. Expect: 100-continue (continueState). The relay's sender sends the body only after
//     a 100 or after its own wait. A final answer that comes before either closes the
//     stream after it, since the body may never come and the pipe must not wait for it.
//  7. Finish. If the app answered before a streamed body was through, the pipe gets
//     earlyAnswerGrace to finish sending it, or the stream closes. The app connection
//     goes back to the pool only if the response was framed and read to its end and
//     nothing is left unread on it; the stream serves the next request unless either side
//     asked to close.
//  8. Watch. While the responder works, the pipe waits on the stream (awaitAnswer): the
//     relay writes the next request only after the answer, so anything else (the stream
//     closing, because the relay gave up on the request) aborts the exchange at once:
//     the app connection is closed and nothing is answered.
//  9. Upgrade. A 101 for the protocol asked for turns the stream into a tunnel to the
//     app connection: the responder copies app to stream, the pipe stream to app, until
//     either ends.
//
// Every exchange ends in forwarder.end, which prints the request line and counts the
// request out of those in flight (a closing session waits for them).
package client
