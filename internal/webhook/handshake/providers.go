package handshake

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"unicode/utf8"
)

// Slack: a POST whose body is a JSON object with "type":"url_verification"
// and a string "challenge", answered with the challenge as text/plain.
func (r *Responder) slackAnswer(in *request) (Result, bool) {
	obj, ok := jsonObject(in, "url_verification")
	if !ok || stringField(obj, "type") != "url_verification" {
		return Result{}, false
	}
	challenge := stringField(obj, "challenge")
	if !echoable(challenge) {
		return declined(Slack, "the url_verification challenge is missing, over the token limit or not printable text")
	}
	if r.slack != nil {
		if v := r.slack.Verify(in.Header, in.body, in.now); !v.OK {
			return refused(Slack, CodeRefused, CodeRefused.Status(),
				"the url_verification signature does not verify: "+v.String())
		}
	}
	return answered(Slack, textAnswer(challenge))
}

// Zoom: a POST whose body is a JSON object with
// "event":"endpoint.url_validation" and a string payload.plainToken,
// answered with {"plainToken","encryptedToken"}: the hex HMAC-SHA256 of the
// token keyed with the app's secret token.
func (r *Responder) zoomAnswer(in *request) (Result, bool) {
	obj, ok := jsonObject(in, "endpoint.url_validation")
	if !ok || stringField(obj, "event") != "endpoint.url_validation" {
		return Result{}, false
	}
	var payload map[string]json.RawMessage
	if json.Unmarshal(obj["payload"], &payload) != nil {
		return declined(Zoom, "the endpoint.url_validation payload is not an object")
	}
	plain := stringField(payload, "plainToken")
	if !signable(plain) {
		return declined(Zoom, "the plainToken is missing, over the token limit or not of the token alphabet")
	}
	answer := struct {
		PlainToken     string `json:"plainToken"`
		EncryptedToken string `json:"encryptedToken"`
	}{plain, hex.EncodeToString(mac(r.zoomSecret, plain))}
	body, _ := json.Marshal(answer) // two strings: cannot fail
	return answered(Zoom, jsonAnswer(body))
}

// Meta: a body-less GET with hub.mode=subscribe and hub.challenge, answered
// with the challenge when hub.verify_token equals the configured token.
func (r *Responder) metaAnswer(in *request) (Result, bool) {
	if in.Method != http.MethodGet || len(in.body) != 0 {
		return Result{}, false
	}
	mode, _ := in.single("hub.mode")
	challenge, hasChallenge := in.single("hub.challenge")
	if mode != "subscribe" || !hasChallenge {
		return Result{}, false
	}
	if !echoable(challenge) {
		return declined(Meta, "the hub.challenge is over the token limit or not printable text")
	}
	token, _ := in.single("hub.verify_token")
	if subtle.ConstantTimeCompare([]byte(token), r.metaToken) != 1 {
		return refused(Meta, CodeRefused, CodeRefused.Status(),
			"the hub.verify_token does not match the tunnel's meta verify token")
	}
	return answered(Meta, textAnswer(challenge))
}

// Twitter (X): a body-less GET with crc_token, answered with
// {"response_token":"sha256=<base64 HMAC-SHA256 of the token keyed with
// the consumer secret>"}.
func (r *Responder) twitterAnswer(in *request) (Result, bool) {
	if in.Method != http.MethodGet || len(in.body) != 0 {
		return Result{}, false
	}
	token, ok := in.single("crc_token")
	if !ok {
		return Result{}, false
	}
	if !signable(token) {
		return declined(Twitter, "the crc_token is over the token limit or not of the token alphabet")
	}
	answer := struct {
		ResponseToken string `json:"response_token"`
	}{"sha256=" + base64.StdEncoding.EncodeToString(mac(r.twitterSecret, token))}
	body, _ := json.Marshal(answer) // one string: cannot fail
	return answered(Twitter, jsonAnswer(body))
}

// echoAnswer answers a request of method carrying query parameter key with
// its value as text/plain: Microsoft Graph's validationToken (POST) and
// Dropbox's challenge (GET, no body).
func echoAnswer(in *request, k Kind, method, key string) (Result, bool) {
	if in.Method != method || (method == http.MethodGet && len(in.body) != 0) {
		return Result{}, false
	}
	value, ok := in.single(key)
	if !ok {
		return Result{}, false
	}
	if !echoable(value) {
		return declined(k, "the "+key+" is over the token limit or not printable text")
	}
	return answered(k, textAnswer(value))
}

// jsonObject decodes a POST body that may be a handshake: at most MaxBody
// bytes, containing marker, and a JSON object. The marker test keeps the
// JSON parse off ordinary deliveries.
func jsonObject(in *request, marker string) (map[string]json.RawMessage, bool) {
	if in.Method != http.MethodPost || len(in.body) > MaxBody || !bytes.Contains(in.body, []byte(marker)) {
		return nil, false
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(in.body, &obj) != nil || obj == nil {
		return nil, false
	}
	return obj, true
}

// stringField returns obj[key] when it is a JSON string, else "". Keys
// match exactly (encoding/json would fold case into a struct field).
func stringField(obj map[string]json.RawMessage, key string) string {
	var s string
	if json.Unmarshal(obj[key], &s) != nil {
		return ""
	}
	return s
}

// echoable reports whether s may be echoed back: 1 to MaxToken bytes of
// UTF-8 text without control characters.
func echoable(s string) bool {
	if s == "" || len(s) > MaxToken || !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) {
			return false
		}
	}
	return true
}

// signable reports whether the relay will sign s with a tunnel's secret: 1
// to MaxToken bytes of letters, digits and "-._~+/=" (URL-safe and base64
// alphabets). An answer is an HMAC of s under the same secret the
// provider signs its deliveries with (Zoom over "v0:TS:BODY", X over the
// body), so signing arbitrary text would let anyone who can reach the URL
// forge deliveries. Zoom's signed string has colons and a JSON body has
// braces and quotes, none of which are in this alphabet.
func signable(s string) bool {
	if s == "" || len(s) > MaxToken {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenByte(s[i]) {
			return false
		}
	}
	return true
}

func tokenByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '='
}

// mac is HMAC-SHA256(key, msg).
func mac(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
