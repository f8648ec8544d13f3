package server_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
	"github.com/hookrelay/hookrelay/proto"
)

// The providers' documented examples (the handshake package's vectors cite each source).
const (
	hsSlackSecret   = "8f742231b10e8888abcd99yyyzzz85a5"
	hsMetaToken     = "vibecoding"
	hsZoomSecret    = "secretValueTest"
	hsTwitterSecret = "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu"

	hsSlackChallenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
	hsSlackVerify    = `{
    "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
    "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
    "type": "url_verification"
}`
	hsZoomValidation = `{
  "payload": {
    "plainToken": "qgg8vlvZRS6UYooatFL8Aw"
  },
  "event_ts": 1654503849680,
  "event": "endpoint.url_validation"
}`
	hsZoomAnswer    = `{"plainToken":"qgg8vlvZRS6UYooatFL8Aw","encryptedToken":"70c1f2e2e6ca2d39297490d1f9142c7d701415ea8e6151f6562a08fa657a40ff"}`
	hsTwitterQuery  = "crc_token=9b4507b3-9040-4669-9ca3-6b94edb50553"
	hsTwitterAnswer = `{"response_token":"sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8="}`
	hsMetaQuery     = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=vibecoding"
	hsGraphQuery    = "validationToken=Validation%3A+Testing+client+application+reachability+for+subscription+Request-Id%3A+522a8e7e-096a-494c-aaf1-ac0dcfca45b7"
	hsGraphToken    = "Validation: Testing client application reachability for subscription Request-Id: 522a8e7e-096a-494c-aaf1-ac0dcfca45b7"
	hsDropboxQuery  = "challenge=abc123"
)

// hsTunnels is the server config of the tests: "hooks" answers every kind, "signed"
// Slack only when signed, "fresh" is configured but never claimed.
func hsTunnels() map[string]server.TunnelSettings {
	every := []string{"slack", "meta:" + hsMetaToken, "zoom:" + hsZoomSecret, "twitter:" + hsTwitterSecret, "msgraph,dropbox"}
	return map[string]server.TunnelSettings{
		"hooks":  {Handshake: every},
		"signed": {Handshake: []string{"slack:" + hsSlackSecret}},
		"fresh":  {Handshake: []string{"dropbox"}},
	}
}

// hsServer starts a server with a store and hsTunnels; "hooks" and "signed" are claimed
// by the test token, as reserved names are at startup, and no client ever connects.
func hsServer(t *testing.T) (*relaytest.Server, *sqlite.DB) {
	var db *sqlite.DB
	srv := relaytest.StartServer(t, "", relaytest.Chain(relaytest.WithStore(t, &db), func(c *server.Config) {
		c.Tunnels = hsTunnels()
		c.Reserved = []string{"hooks", "signed"}
	}))
	for _, name := range []string{"hooks", "signed"} {
		if err := db.ClaimTunnel(context.Background(), store.Tunnel{Name: name, Owner: tokenOwner, LastSeen: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	return srv, db
}

// slackSigned signs body as Slack does, now.
func slackSigned(secret, body string) http.Header {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + ts + ":" + body))
	return http.Header{"Content-Type": {"application/json"}, "X-Slack-Request-Timestamp": {ts},
		"X-Slack-Signature": {"v0=" + hex.EncodeToString(m.Sum(nil))}}
}

// hsCase is one request to a tunnel's public URL and what must come back.
type hsCase struct {
	name, tunnel, method, query, body string
	header                            http.Header
	status                            int
	ctype, answer                     string        // an answer: exact type and body
	code                              proto.Code    // the relay's error
	outcome                           store.Outcome // the record's ("" for none)
}

func (c hsCase) do(t *testing.T, base string) *http.Response {
	t.Helper()
	target := base + "/t/" + c.tunnel + "/webhooks/events"
	if c.query != "" {
		target += "?" + c.query
	}
	req, err := http.NewRequest(c.method, target, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	return mustDo(t, req)
}

// check reads the answer and the record of a case.
func (c hsCase) check(t *testing.T, resp *http.Response, db *sqlite.DB) {
	t.Helper()
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != c.status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
	}
	if c.code != "" {
		if got := resp.Header.Get(proto.HeaderError); got != string(c.code) {
			t.Errorf("error code %q, want %q: %s", got, c.code, body)
		}
	} else if resp.Header.Get("Content-Type") != c.ctype || string(body) != c.answer {
		t.Errorf("answer %q %q, want %q %q", resp.Header.Get("Content-Type"), body, c.ctype, c.answer)
	}
	id := resp.Header.Get(proto.HeaderRequestID)
	if c.outcome == "" {
		return
	}
	rec, err := db.Get(context.Background(), tokenOwner, id)
	if err != nil {
		t.Fatalf("record %q: %v", id, err)
	}
	if rec.Outcome != c.outcome || rec.Status != c.status || string(rec.Body.Data) != c.body {
		t.Errorf("record: outcome %s, status %d, body %q; want %s, %d, %q", rec.Outcome, rec.Status, rec.Body.Data, c.outcome, c.status, c.body)
	}
	if c.outcome == store.OutcomeHandshake && string(rec.RespBody.Data) != c.answer {
		t.Errorf("recorded answer %q, want %q", rec.RespBody.Data, c.answer)
	}
}

const (
	hsText = "text/plain; charset=utf-8"
	hsJSON = "application/json"
)

// TestHandshakesOffline: each provider's documented handshake is answered through the
// public URL with no client connected, and recorded with outcome handshake; anything
// else to the same tunnel takes the offline path; failed checks are refused 403.
func TestHandshakesOffline(t *testing.T) {
	srv, db := hsServer(t)
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	for _, c := range []hsCase{
		{name: "slack", tunnel: "hooks", method: "POST", body: hsSlackVerify, header: jsonHeader,
			status: 200, ctype: hsText, answer: hsSlackChallenge, outcome: store.OutcomeHandshake},
		{name: "slack signed", tunnel: "signed", method: "POST", body: hsSlackVerify, header: slackSigned(hsSlackSecret, hsSlackVerify),
			status: 200, ctype: hsText, answer: hsSlackChallenge, outcome: store.OutcomeHandshake},
		{name: "zoom", tunnel: "hooks", method: "POST", body: hsZoomValidation, header: jsonHeader,
			status: 200, ctype: hsJSON, answer: hsZoomAnswer, outcome: store.OutcomeHandshake},
		{name: "meta", tunnel: "hooks", method: "GET", query: hsMetaQuery,
			status: 200, ctype: hsText, answer: "1158201444", outcome: store.OutcomeHandshake},
		{name: "twitter", tunnel: "hooks", method: "GET", query: hsTwitterQuery,
			status: 200, ctype: hsJSON, answer: hsTwitterAnswer, outcome: store.OutcomeHandshake},
		{name: "msgraph", tunnel: "hooks", method: "POST", query: hsGraphQuery,
			status: 200, ctype: hsText, answer: hsGraphToken, outcome: store.OutcomeHandshake},
		{name: "dropbox", tunnel: "hooks", method: "GET", query: hsDropboxQuery,
			status: 200, ctype: hsText, answer: "abc123", outcome: store.OutcomeHandshake},
		{name: "an event goes the offline way", tunnel: "hooks", method: "POST", body: `{"type":"event_callback"}`, header: jsonHeader,
			status: 503, code: proto.CodeTunnelOffline},
		{name: "meta wrong verify token", tunnel: "hooks", method: "GET",
			query:  "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess",
			status: 403, code: proto.CodeHandshakeRefused, outcome: store.OutcomeRejected},
		{name: "slack wrong signature", tunnel: "signed", method: "POST", body: hsSlackVerify, header: slackSigned("not the secret", hsSlackVerify),
			status: 403, code: proto.CodeHandshakeRefused, outcome: store.OutcomeRejected},
		{name: "slack unsigned", tunnel: "signed", method: "POST", body: hsSlackVerify, header: jsonHeader,
			status: 403, code: proto.CodeHandshakeRefused, outcome: store.OutcomeRejected},
		{name: "a kind not listed", tunnel: "signed", method: "GET", query: hsDropboxQuery,
			status: 503, code: proto.CodeTunnelOffline},
		{name: "configured, never claimed", tunnel: "fresh", method: "GET", query: hsDropboxQuery,
			status: 200, ctype: hsText, answer: "abc123"},
		{name: "configured, never claimed, an event", tunnel: "fresh", method: "POST", body: "{}",
			status: 503, code: proto.CodeTunnelOffline},
	} {
		t.Run(c.name, func(t *testing.T) { c.check(t, c.do(t, srv.URL), db) })
	}
	offline := listOutcome(t, db, "hooks", store.OutcomeOffline)
	if len(offline) != 1 || offline[0].Path != "/webhooks/events" {
		t.Errorf("offline records of hooks: %d, want the one event", len(offline))
	}
}

// listOutcome lists a tunnel's records of one outcome.
func listOutcome(t *testing.T, db *sqlite.DB, tunnel string, o store.Outcome) []store.Record {
	t.Helper()
	page, err := db.List(context.Background(), store.Filter{Owner: tokenOwner, Tunnel: tunnel, Outcome: o})
	if err != nil {
		t.Fatal(err)
	}
	return page.Records
}

// TestHandshakeFromClient: a client's --handshake kinds are answered at the relay while
// it is online (the app never sees them) and after it has gone; every other request
// still reaches the app; an unknown kind is refused with bad_request naming it.
func TestHandshakeFromClient(t *testing.T) {
	var db *sqlite.DB
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, &db))
	be := backend(t)
	cl := relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "myapp", Target: relaytest.Target(t, be.URL),
		Handshake: []string{"dropbox", "meta:" + hsMetaToken}})
	dropbox := hsCase{tunnel: "myapp", method: "GET", query: hsDropboxQuery, status: 200, ctype: hsText, answer: "abc123",
		outcome: store.OutcomeHandshake}
	dropbox.check(t, dropbox.do(t, srv.URL), db)
	event := hsCase{tunnel: "myapp", method: "POST", body: `{"delta":{"users":[12345]}}`}
	resp := event.do(t, srv.URL)
	if s := decodeSeen(t, resp); resp.StatusCode != 200 || s.URI != "/webhooks/events" || s.Len != int64(len(event.body)) {
		t.Fatalf("event reached the app as %+v (status %d)", s, resp.StatusCode)
	}
	if err := cl.Stop(); err != nil {
		t.Fatal(err)
	}
	waitOffline(t, apiClient(t, srv, relaytest.Token), "myapp")
	meta := hsCase{tunnel: "myapp", method: "GET", query: hsMetaQuery, status: 200, ctype: hsText, answer: "1158201444",
		outcome: store.OutcomeHandshake}
	meta.check(t, meta.do(t, srv.URL), db)

	bad := relaytest.RunClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "other", Target: relaytest.Target(t, be.URL),
		Handshake: []string{"dropbox,facebook"}})
	<-bad.Done()
	var perr *proto.Error
	if !errors.As(bad.Err(), &perr) || perr.Code != proto.CodeBadRequest || !strings.Contains(perr.Message, `"facebook"`) {
		t.Fatalf("unknown kind: %v, want bad_request naming it", bad.Err())
	}
}

// TestHandshakeSlackTakesVerifySecret: a client's --handshake slack on a tunnel that
// verifies Slack in enforce mode answers only a url_verification signed with the
// --verify secret, before the signature check (refused 403 handshake_refused, not 401),
// and Slack's events still go through verification to the app.
func TestHandshakeSlackTakesVerifySecret(t *testing.T) {
	var db *sqlite.DB
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, &db))
	be := backend(t)
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "slackbot", Target: relaytest.Target(t, be.URL),
		Verify: []string{"slack:" + hsSlackSecret}, VerifyMode: server.VerifyEnforce, Handshake: []string{"slack"}})
	for _, c := range []hsCase{
		{name: "signed", tunnel: "slackbot", method: "POST", body: hsSlackVerify, header: slackSigned(hsSlackSecret, hsSlackVerify),
			status: 200, ctype: hsText, answer: hsSlackChallenge, outcome: store.OutcomeHandshake},
		{name: "unsigned", tunnel: "slackbot", method: "POST", body: hsSlackVerify,
			status: 403, code: proto.CodeHandshakeRefused, outcome: store.OutcomeRejected},
		{name: "forged event", tunnel: "slackbot", method: "POST", body: `{"type":"event_callback"}`,
			header: slackSigned("forged", `{"type":"event_callback"}`),
			status: 401, code: proto.CodeSignatureInvalid, outcome: store.OutcomeRejected},
	} {
		t.Run(c.name, func(t *testing.T) { c.check(t, c.do(t, srv.URL), db) })
	}
	event := hsCase{tunnel: "slackbot", method: "POST", body: `{"type":"event_callback"}`,
		header: slackSigned(hsSlackSecret, `{"type":"event_callback"}`)}
	resp := event.do(t, srv.URL)
	if s := decodeSeen(t, resp); resp.StatusCode != 200 || s.Header.Get("X-Hookrelay-Verified") != "slack; ok" {
		t.Fatalf("signed event: %d, the app saw %v", resp.StatusCode, s.Header)
	}
}
