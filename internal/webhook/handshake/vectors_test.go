package handshake_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookrelay/hookrelay/internal/webhook/handshake"
	"github.com/hookrelay/hookrelay/proto"
)

// testNow is the clock of every case; Slack signatures are made at it.
var testNow = time.Unix(1735732800, 0)

// Secrets of the test tunnels. The twitter one is the sample consumer
// secret of X's CRC example; the others are ours.
const (
	slackSecret   = "8f742231b10e8888abcd99yyyzzz85a5" // sample signing secret of Slack's "Verifying requests from Slack"
	metaToken     = "vibecoding"                       // sample verify token of Meta's "Create a webhook endpoint" (WhatsApp Cloud API)
	zoomSecret    = "secretValueTest"
	twitterSecret = "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu"
)

// Documented requests.
const (
	// Slack, "url_verification event", https://api.slack.com/events/url_verification
	slackChallenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
	slackVerify    = `{
    "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
    "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
    "type": "url_verification"
}`
	// Slack, "Events API" (https://api.slack.com/apis/events-api), the
	// event_callback wrapper: an ordinary delivery, never answered.
	slackEvent = `{"token":"XXYYZZ","team_id":"T123ABC456","api_app_id":"A123ABC456",` +
		`"event":{"type":"app_mention","user":"U123ABC456","text":"what is url_verification? challenge accepted",` +
		`"ts":"1515449522.000016","channel":"C123ABC456","event_ts":"1515449522000016"},` +
		`"type":"event_callback","event_id":"Ev123ABC456","event_time":1515449522}`

	// Zoom, "Using webhooks" > "Validate your webhook endpoint",
	// https://developers.zoom.us/docs/api/webhooks/
	zoomValidation = `{
  "payload": {
    "plainToken": "qgg8vlvZRS6UYooatFL8Aw"
  },
  "event_ts": 1654503849680,
  "event": "endpoint.url_validation"
}`
	// HMAC-SHA256(zoomSecret, "qgg8vlvZRS6UYooatFL8Aw") in hex, computed
	// with `openssl dgst -sha256 -hmac`.
	zoomEncrypted = "70c1f2e2e6ca2d39297490d1f9142c7d701415ea8e6151f6562a08fa657a40ff"
	// Zoom, "Using webhooks" > event payload: an ordinary delivery.
	zoomEvent = `{"event":"meeting.started","payload":{"account_id":"AAAAAABBBB",` +
		`"object":{"id":"1234567890","uuid":"4444AAAiAAAAAiAiAiiAii==","host_id":"x1yCzABCDEfg23HiJKl4mN",` +
		`"topic":"My Meeting","type":2,"start_time":"2021-07-13T21:44:51Z","timezone":"America/Los_Angeles","duration":60}},` +
		`"event_ts":1626230691572}`

	// X, "Securing webhooks" (Account Activity API),
	// https://developer.x.com/en/docs/twitter-api/enterprise/account-activity-api/guides/securing-webhooks
	// and the CRC sample it links (consumer secret and token above);
	// base64 HMAC computed with openssl.
	twitterToken    = "9b4507b3-9040-4669-9ca3-6b94edb50553"
	twitterResponse = `{"response_token":"sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8="}`

	// Meta, "Create a webhook endpoint" (WhatsApp Cloud API / Graph API
	// webhooks), GET request syntax and example values.
	metaQuery = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=vibecoding"
	// Meta, an event notification POST: an ordinary delivery.
	metaEvent = `{"object":"whatsapp_business_account","entry":[{"id":"0","changes":[{"field":"messages","value":{}}]}]}`

	// Microsoft Graph, "Receive change notifications through webhooks",
	// https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks
	// POST {notificationUrl}?validationToken={opaqueTokenCreatedByMicrosoftGraph};
	// the token is URL-decoded before it is echoed.
	graphQuery = "validationToken=Validation%3A+Testing+client+application+reachability+for+subscription+Request-Id%3A+522a8e7e-096a-494c-aaf1-ac0dcfca45b7"
	graphToken = "Validation: Testing client application reachability for subscription Request-Id: 522a8e7e-096a-494c-aaf1-ac0dcfca45b7"
	graphEvent = `{"value":[{"subscriptionId":"7f105c7d-2dc5-4530-97cd-4e7ae6534c07","changeType":"created",` +
		`"resource":"Users/{user-id}/Messages/{message-id}","clientState":"secretClientValue"}]}`

	// Dropbox, "Webhooks" developer reference,
	// https://www.dropbox.com/developers/reference/webhooks
	dropboxQuery = "challenge=abc123"
	dropboxEvent = `{"list_folder":{"accounts":["dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"]},"delta":{"users":[12345]}}`
)

// allKinds is a tunnel answering every handshake, without a Slack secret.
var allKinds = handshake.Config{
	Kinds:                 handshake.Kinds(),
	MetaVerifyToken:       metaToken,
	ZoomSecretToken:       zoomSecret,
	TwitterConsumerSecret: twitterSecret,
}

// slackSigned is a tunnel answering Slack only when signed.
var slackSigned = handshake.Config{Kinds: []handshake.Kind{handshake.Slack}, SlackSigningSecret: slackSecret}

// slackHeaders signs body as Slack does: v0=hex(HMAC-SHA256(secret,
// "v0:"+ts+":"+body)), written here rather than with the webhook package
// so the test does not check the code with itself.
func slackHeaders(secret, body string, at time.Time) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + ts + ":" + body))
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(m.Sum(nil)))
	return h
}

func jsonHeader() http.Header { return http.Header{"Content-Type": {"application/json"}} }

// vector is one request and the answer expected from a tunnel.
type vector struct {
	name    string
	cfg     handshake.Config
	method  string
	query   string
	header  http.Header
	body    string
	outcome handshake.Outcome
	kind    handshake.Kind
	status  int
	ctype   string
	answer  string     // exact body of an answer
	code    proto.Code // of a refusal
}

const (
	textPlain = "text/plain; charset=utf-8"
	appJSON   = "application/json"
)

var vectors = []vector{
	{name: "slack url_verification", cfg: allKinds, method: "POST", header: jsonHeader(), body: slackVerify,
		outcome: handshake.Answered, kind: handshake.Slack, status: 200, ctype: textPlain, answer: slackChallenge},
	{name: "slack url_verification signed", cfg: slackSigned, method: "POST",
		header: slackHeaders(slackSecret, slackVerify, testNow), body: slackVerify,
		outcome: handshake.Answered, kind: handshake.Slack, status: 200, ctype: textPlain, answer: slackChallenge},
	{name: "slack url_verification wrong secret", cfg: slackSigned, method: "POST",
		header: slackHeaders("another secret", slackVerify, testNow), body: slackVerify,
		outcome: handshake.Refused, kind: handshake.Slack, status: 403, code: handshake.CodeRefused},
	{name: "slack url_verification stale signature", cfg: slackSigned, method: "POST",
		header: slackHeaders(slackSecret, slackVerify, testNow.Add(-10*time.Minute)), body: slackVerify,
		outcome: handshake.Refused, kind: handshake.Slack, status: 403, code: handshake.CodeRefused},
	{name: "slack url_verification unsigned", cfg: slackSigned, method: "POST", header: jsonHeader(), body: slackVerify,
		outcome: handshake.Refused, kind: handshake.Slack, status: 403, code: handshake.CodeRefused},
	{name: "slack event_callback is delivered", cfg: allKinds, method: "POST", header: jsonHeader(), body: slackEvent},
	{name: "slack signed event_callback is delivered", cfg: slackSigned, method: "POST",
		header: slackHeaders(slackSecret, slackEvent, testNow), body: slackEvent},
	{name: "slack url_verification as GET", cfg: allKinds, method: "GET", body: slackVerify},
	{name: "slack keys match exactly", cfg: allKinds, method: "POST",
		body: `{"TYPE":"url_verification","Challenge":"abc"}`},
	{name: "slack challenge not a string", cfg: allKinds, method: "POST",
		body: `{"type":"url_verification","challenge":12345}`, kind: handshake.Slack},
	{name: "slack challenge with a newline", cfg: allKinds, method: "POST",
		body: `{"type":"url_verification","challenge":"a\nb"}`, kind: handshake.Slack},
	{name: "slack body over MaxBody", cfg: allKinds, method: "POST",
		body: `{"type":"url_verification","challenge":"abc","pad":"` + strings.Repeat("x", handshake.MaxBody) + `"}`},
	{name: "slack not listed", cfg: handshake.Config{Kinds: []handshake.Kind{handshake.Dropbox}},
		method: "POST", body: slackVerify},

	{name: "zoom endpoint.url_validation", cfg: allKinds, method: "POST", header: jsonHeader(), body: zoomValidation,
		outcome: handshake.Answered, kind: handshake.Zoom, status: 200, ctype: appJSON,
		answer: `{"plainToken":"qgg8vlvZRS6UYooatFL8Aw","encryptedToken":"` + zoomEncrypted + `"}`},
	{name: "zoom meeting.started is delivered", cfg: allKinds, method: "POST", header: jsonHeader(), body: zoomEvent},
	{name: "zoom token outside the alphabet", cfg: allKinds, method: "POST",
		body: `{"event":"endpoint.url_validation","payload":{"plainToken":"v0:1700000000:{\"event\":\"meeting.started\"}"}}`,
		kind: handshake.Zoom},
	{name: "zoom payload not an object", cfg: allKinds, method: "POST",
		body: `{"event":"endpoint.url_validation","payload":"qgg8vlvZRS6UYooatFL8Aw"}`, kind: handshake.Zoom},
	{name: "zoom event in the payload only", cfg: allKinds, method: "POST",
		body: `{"event":"meeting.ended","payload":{"event":"endpoint.url_validation","plainToken":"abc"}}`},

	{name: "meta verification", cfg: allKinds, method: "GET", query: metaQuery,
		outcome: handshake.Answered, kind: handshake.Meta, status: 200, ctype: textPlain, answer: "1158201444"},
	{name: "meta wrong verify token", cfg: allKinds, method: "GET",
		query:   "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess",
		outcome: handshake.Refused, kind: handshake.Meta, status: 403, code: handshake.CodeRefused},
	{name: "meta no verify token", cfg: allKinds, method: "GET", query: "hub.mode=subscribe&hub.challenge=1158201444",
		outcome: handshake.Refused, kind: handshake.Meta, status: 403, code: handshake.CodeRefused},
	{name: "meta verify token twice", cfg: allKinds, method: "GET",
		query:   metaQuery + "&hub.verify_token=vibecoding",
		outcome: handshake.Refused, kind: handshake.Meta, status: 403, code: handshake.CodeRefused},
	{name: "meta unsubscribe mode", cfg: allKinds, method: "GET",
		query: "hub.mode=unsubscribe&hub.challenge=1158201444&hub.verify_token=vibecoding"},
	{name: "meta event notification is delivered", cfg: allKinds, method: "POST", query: metaQuery, body: metaEvent},
	{name: "meta GET with a body", cfg: allKinds, method: "GET", query: metaQuery, body: "x"},

	{name: "twitter crc", cfg: allKinds, method: "GET", query: "crc_token=" + twitterToken,
		outcome: handshake.Answered, kind: handshake.Twitter, status: 200, ctype: appJSON, answer: twitterResponse},
	{name: "twitter crc with nonce", cfg: allKinds, method: "GET", query: "crc_token=" + twitterToken + "&nonce=MTIzNA",
		outcome: handshake.Answered, kind: handshake.Twitter, status: 200, ctype: appJSON, answer: twitterResponse},
	{name: "twitter crc of a JSON body", cfg: allKinds, method: "GET",
		query: "crc_token=%7B%22for_user_id%22%3A%221%22%7D", kind: handshake.Twitter},
	{name: "twitter event POST is delivered", cfg: allKinds, method: "POST", query: "crc_token=" + twitterToken,
		body: `{"for_user_id":"2244994945","tweet_create_events":[]}`},

	{name: "msgraph validation", cfg: allKinds, method: "POST", query: graphQuery, header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
		outcome: handshake.Answered, kind: handshake.MSGraph, status: 200, ctype: textPlain, answer: graphToken},
	{name: "msgraph notification is delivered", cfg: allKinds, method: "POST", header: jsonHeader(), body: graphEvent},
	{name: "msgraph token with a control character", cfg: allKinds, method: "POST",
		query: "validationToken=a%00b", kind: handshake.MSGraph},
	{name: "msgraph token over MaxToken", cfg: allKinds, method: "POST",
		query: "validationToken=" + strings.Repeat("a", handshake.MaxToken+1), kind: handshake.MSGraph},

	{name: "dropbox challenge", cfg: allKinds, method: "GET", query: dropboxQuery,
		outcome: handshake.Answered, kind: handshake.Dropbox, status: 200, ctype: textPlain, answer: "abc123"},
	{name: "dropbox html challenge is text", cfg: allKinds, method: "GET", query: "challenge=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
		outcome: handshake.Answered, kind: handshake.Dropbox, status: 200, ctype: textPlain, answer: "<script>alert(1)</script>"},
	{name: "dropbox notification is delivered", cfg: allKinds, method: "POST", header: jsonHeader(), body: dropboxEvent},
	{name: "dropbox challenge twice", cfg: allKinds, method: "GET", query: "challenge=a&challenge=b"},
	{name: "dropbox empty challenge", cfg: allKinds, method: "GET", query: "challenge="},
	{name: "query that does not parse", cfg: allKinds, method: "GET", query: "challenge=%zz"},
	{name: "plain GET", cfg: allKinds, method: "GET"},
	{name: "no handshakes", method: "GET", query: dropboxQuery},
}
