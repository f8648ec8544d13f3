// Package inspect is the web inspector for recorded deliveries: a live, searchable list, a
// detail view with request and response side by side, and forms to replay a delivery as
// recorded, edited or re-signed.
//
// The same views serve two places. relay-client serves them on a loopback address next to
// its tunnels, reading the relay-server's API through an *api.Client. relay-server serves
// them to a team under /inspect/, reading its own core, behind a token login where each
// token sees only its own tunnels. Both hand the inspector a [Source]; New returns an
// http.Handler and never listens itself.
//
// Pages are rendered on the server with html/template; a little embedded JavaScript and
// CSS add the live feed (server-sent events), copy-to-clipboard and a responsive layout.
// Nothing is loaded from elsewhere and there is no build step.
//
// # Security
//
// Recorded bodies are untrusted: they are always escaped, and what is rendered is capped
// (RenderCap bytes of text, HexCap bytes of hex dump), with a link to the raw bytes, which
// are served as an attachment. Every page carries a strict Content-Security-Policy.
//
// Every POST and the live feed refuse foreign requests: a cross-site Origin or
// Sec-Fetch-Site header is answered 403, and every POST form carries a per-session CSRF
// token. Without a login (Config.Login nil) the handler answers only requests whose Host is
// a loopback name or address, so a DNS-rebinding page cannot reach it through the
// browser. Session cookies are HttpOnly, SameSite=Strict and Secure over TLS.
//
// # Sessions
//
// A login (Config.Login) names a subject, an opaque string such as a token's public id,
// and Config.SourceFor turns it back into a Source on every request; a subject it no
// longer accepts ends the session. Sessions live in a [SessionStore]: by default this
// handler's memory ([MemorySessions], at most [MaxMemorySessions]); relay servers behind
// one load balancer share one (PostgreSQL's keeps only a hash of each cookie), so a
// browser stays logged in whichever server it reaches. Both pass the conformance suite
// in sessiontest. The failed-login throttle stays per handler.
package inspect
