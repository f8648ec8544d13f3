// Package handshake answers the URL-verification handshakes that webhook
// senders make before, and while, they deliver to a URL, so that they
// succeed at the relay whether or not a client is attached to the tunnel.
//
// # Flow
//
// A tunnel lists the handshakes it answers in a [Config] (kinds, plus the
// secret or token each needs), built once into a [Responder] by [New].
// For each inbound request the relay reads the body as it does for
// recording, then calls [Responder.Answer] with the request head and the
// exact body bytes. The [Result] is one of:
//
//	Pass      not a handshake of a listed kind: deliver as usual
//	Answered  write Result.Answer (status, header and body, exact)
//	Refused   a listed kind's handshake failing its check: write the
//	          relay's error (Result.Render / Result.Write)
//
// Kinds are tried in the configured order and the first that recognises
// the request decides. A request is recognised only by its full documented
// shape (method, parameters or JSON fields, exact key names), so an
// ordinary delivery is never answered: a Slack event_callback or a Zoom
// meeting.started goes on to the client. A request of a listed kind's shape
// that cannot be answered safely (token too long, not text, not of the
// token alphabet) is a Pass with Result.Reason set.
//
// # Providers
//
//	slack    POST, JSON object with "type":"url_verification" and a string
//	         "challenge"; answered 200 text/plain with the challenge. With a
//	         signing secret, only when X-Slack-Signature verifies (the
//	         webhook package's slack scheme, five-minute tolerance), else
//	         refused 403 handshake_refused.
//	meta     GET, no body, hub.mode=subscribe and hub.challenge; answered
//	         200 text/plain with the challenge when hub.verify_token equals
//	         the configured token (constant-time), else refused 403
//	         handshake_refused. The verify token is required.
//	zoom     POST, JSON object with "event":"endpoint.url_validation" and a
//	         string payload.plainToken; answered 200 application/json
//	         {"plainToken":T,"encryptedToken":hex(HMAC-SHA256(secret,T))}.
//	         The secret token is required.
//	twitter  GET, no body, crc_token; answered 200 application/json
//	         {"response_token":"sha256="+base64(HMAC-SHA256(secret,token))}
//	         (X Account Activity API CRC). The consumer secret is required.
//	msgraph  POST with a validationToken query parameter (Microsoft Graph
//	         subscription validation); answered 200 text/plain with the
//	         decoded token.
//	dropbox  GET, no body, challenge; answered 200 text/plain with the
//	         challenge.
//
// A query parameter counts only when it appears exactly once and is not
// empty; a query that does not parse matches nothing.
//
// # Limits
//
// Slack and Zoom bodies over [MaxBody] (4 KiB; the documented requests
// are under 200 bytes) are not parsed, and a body is parsed as JSON only
// when it contains the handshake's marker string, so ordinary deliveries
// cost one substring search. Echoed challenges and signed tokens are at
// most [MaxToken] (1 KiB) bytes. An echo must be UTF-8 text without control
// characters; every text answer carries X-Content-Type-Options: nosniff and
// Cache-Control: no-store, so an echo cannot be read as HTML.
//
// Zoom's and X's answers are HMACs of sender-chosen text under the same
// secret the provider signs deliveries with; the relay signs only tokens of
// letters, digits and "-._~+/=", which can spell neither Zoom's signed
// "v0:TS:BODY" nor a JSON body, so the handshake cannot be used to forge a
// delivery's signature.
//
// # Secrets
//
// Secrets and tokens never appear in errors, in Result.Reason or in
// Config's String and GoString, which render a configured kind as
// "kind:***".
package handshake
