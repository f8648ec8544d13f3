// Package webhook verifies and produces the signatures that webhook senders
// attach to their deliveries, and extracts the sender's event id for
// duplicate detection.
//
// The relay server runs a tunnel's [Set] against every inbound delivery and
// reports the outcome to the local app in the [HeaderVerified] header; the
// client uses the same schemes to sign sample events (trigger) and replays.
//
// # Verify specs
//
// Each scheme is configured by one string, usually from a --verify flag, and
// built by [Parse]:
//
//	PROVIDER:SECRET           boostgpt sitegpt mygptassistants chatbase stripe
//	                          github slack shopify standardwebhooks
//	nexusgpt:HEADER=VALUE     a static header the user chose in NexusGPT
//	hmac:KEY=VALUE,...        any other HMAC scheme (grammar below)
//	token:header=NAME[,id-header=NAME|,id-field=NAME],secret=VALUE
//	                          any other static token header
//
// The generic hmac form is a comma-separated list of KEY=VALUE fields:
//
//	header=NAME        required; header carrying the signature
//	alg=ALG            sha1, sha256 (default) or sha512
//	enc=ENC            hex (default) or base64 (standard alphabet)
//	prefix=TEXT        literal text before the encoded MAC, e.g. "sha256="
//	payload=TEMPLATE   signed bytes; default "{body}". Placeholders:
//	                   {body} raw body, {timestamp} the ts-header value,
//	                   {id} the id-header value
//	ts-header=NAME     header with a Unix timestamp in seconds
//	tolerance=DUR      allowed clock skew for ts-header, Go duration;
//	                   default 5m, must be positive
//	id-header=NAME     header carrying the sender's event id
//	id-field=NAME      top-level JSON string field carrying the event id
//	secret=SECRET      required and LAST: everything after "secret=" up to
//	                   the end of the spec is the secret, verbatim, so it
//	                   may contain commas and equals signs
//
// Values other than the secret cannot contain commas; there is no escaping.
// For example:
//
//	hmac:header=X-Signature,alg=sha256,enc=hex,prefix=sha256=,secret=s3cr,et
//	hmac:header=X-Sig,payload={timestamp}.{body},ts-header=X-Ts,tolerance=300s,secret=k
//
// # Event ids
//
// EventID returns the sender's delivery id for duplicate detection:
// standardwebhooks webhook-id (or svix-id), github X-GitHub-Delivery,
// shopify X-Shopify-Webhook-Id, the top-level JSON "id" for stripe and
// mygptassistants, the id-header or id-field of generic specs, else "".
// Bodies are only decoded for this, never re-serialised.
//
// # Signing
//
// Sign writes the headers a real sender would: timestamps from now, and
// the id argument into the scheme's id header when it has one. Schemes
// that sign an id generate a "msg_..." id when given "" (standardwebhooks
// always; generic {id} specs first reuse the id header already in h).
// Re-signing rewrites the header family a delivery came with: a Standard
// Webhooks delivery carrying svix-* headers gets fresh svix-* ones (Svix's
// library reads svix-* before webhook-*, so a stale svix-signature beside a
// fresh webhook-signature would fail there), one carrying both gets both.
// [Set.SignAs] re-signs with the scheme whose secret verified the original
// delivery, which during secret rotation is not always the first.
//
// # Staleness
//
// [SignedAt] reads the time a Stripe, Slack or Standard Webhooks signature
// was made; receivers reject it beyond [DefaultTolerance] (5 minutes), so a
// byte-exact replay is judged by that time, not by when the relay got it.
//
// # Secrets
//
// Secrets never appear in String, GoString, Format, Spec or error output:
// every scheme renders as its spec with the secret replaced by "***".
// Signatures and tokens are compared in constant time.
package webhook
