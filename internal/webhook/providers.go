package webhook

import (
	"crypto/sha1"
	"crypto/sha256"
	"hash"
)

// providerHMAC builds a named provider's fixed HMAC scheme from its secret.
func providerHMAC(name, key string, s hmacScheme) (Scheme, error) {
	if key == "" {
		return nil, specError("missing secret")
	}
	s.described = described{spec: name + ":" + redacted}
	s.provider = name
	s.key = newSecret([]byte(key))
	if s.payload.parts == nil {
		s.payload = bodyOnly
	}
	if s.eventID == nil {
		s.eventID = noEventID
	}
	return &s, nil
}

// hexHMAC is the common shape: a hex HMAC of the raw body in one header.
func hexHMAC(header, prefix string, newHash func() hash.Hash) hmacScheme {
	return hmacScheme{sigHeader: header, prefix: prefix, newHash: newHash, enc: encodings["hex"]}
}

// newBoostGPT verifies x-boostgpt-signature, a hex HMAC-SHA256.
//
// BoostGPT's documentation verifies JSON.stringify(req.body), i.e. the body
// parsed and serialised again. That equals the raw bytes only when the
// sender itself serialised compactly, with the same key order and escaping;
// any whitespace, reordering or different number or unicode formatting
// changes the bytes and breaks the signature. The relay forwards bytes
// untouched, so it verifies the HMAC over the raw body, which is what the
// sender actually signed.
func newBoostGPT(secret string) (Scheme, error) {
	return providerHMAC("boostgpt", secret, hexHMAC("X-Boostgpt-Signature", "", sha256.New))
}

// newMyGPTAssistants verifies X-MGA-Signature: sha256=<hex HMAC-SHA256 of
// the raw body>. The event id is the payload's top-level "id".
func newMyGPTAssistants(secret string) (Scheme, error) {
	s := hexHMAC("X-Mga-Signature", "sha256=", sha256.New)
	s.eventID = idFromField("id")
	return providerHMAC("mygptassistants", secret, s)
}

// newChatbase verifies x-chatbase-signature, a hex HMAC-SHA1 of the raw body.
func newChatbase(secret string) (Scheme, error) {
	return providerHMAC("chatbase", secret, hexHMAC("X-Chatbase-Signature", "", sha1.New))
}

// newGitHub verifies X-Hub-Signature-256: sha256=<hex>; the event id is
// X-GitHub-Delivery.
func newGitHub(secret string) (Scheme, error) {
	s := hexHMAC("X-Hub-Signature-256", "sha256=", sha256.New)
	s.idHeader = "X-Github-Delivery"
	s.eventID = idFromHeader(s.idHeader)
	return providerHMAC("github", secret, s)
}

// newShopify verifies X-Shopify-Hmac-Sha256, a base64 HMAC-SHA256 of the
// raw body; the event id is X-Shopify-Webhook-Id.
func newShopify(secret string) (Scheme, error) {
	s := hmacScheme{sigHeader: "X-Shopify-Hmac-Sha256", newHash: sha256.New, enc: encodings["base64"]}
	s.idHeader = "X-Shopify-Webhook-Id"
	s.eventID = idFromHeader(s.idHeader)
	return providerHMAC("shopify", secret, s)
}

// slackPayload is Slack's signed "basestring".
var slackPayload = mustTemplate("v0:" + placeTimestamp + ":" + placeBody)

// newSlack verifies X-Slack-Signature: v0=<hex HMAC-SHA256 of
// "v0:<X-Slack-Request-Timestamp>:<body>">, within five minutes.
func newSlack(secret string) (Scheme, error) {
	s := hexHMAC("X-Slack-Signature", "v0=", sha256.New)
	s.payload = slackPayload
	s.tsHeader = "X-Slack-Request-Timestamp"
	s.tolerance = defaultTolerance
	return providerHMAC("slack", secret, s)
}
