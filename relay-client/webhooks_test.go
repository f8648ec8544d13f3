package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/webhook"
	"github.com/hookrelay/hookrelay/proto"
)

// githubDelivery builds a GitHub delivery with event id id, signed with secret.
func githubDelivery(t *testing.T, url, secret, id string) *http.Request {
	t.Helper()
	body := []byte(`{"zen":"y"}`)
	req, _ := http.NewRequest("POST", url+"/t/hook/gh", bytes.NewReader(body))
	req.Header.Set("X-GitHub-Delivery", id)
	scheme, _ := webhook.Parse("github:" + secret)
	if err := scheme.Sign(req.Header, body, time.Now(), ""); err != nil {
		t.Fatal(err)
	}
	return req
}

func send(t *testing.T, req *http.Request) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestForgedDeliveryCannotClaimEventID: a forged delivery carrying a genuine event id
// does not make the genuine delivery that follows a duplicate, in flag and enforce
// mode; a second genuine one still is.
func TestForgedDeliveryCannotClaimEventID(t *testing.T) {
	const id = "9f8e7d6c-0000-11ee-8000-000000000001"
	for _, mode := range []string{"flag", "enforce"} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, mode, "github:real")
			send(t, githubDelivery(t, e.url, "forged", id))
			if rec := e.lastRecord(t); rec.Verification == nil || rec.Verification.OK || rec.Duplicate {
				t.Fatalf("forged delivery: %+v duplicate=%v", rec.Verification, rec.Duplicate)
			}
			for i, wantDup := range []bool{false, true} {
				send(t, githubDelivery(t, e.url, "real", id))
				rec := e.lastRecord(t)
				if rec.Duplicate != wantDup || rec.EventID != id || !rec.Verification.OK {
					t.Fatalf("genuine delivery %d: duplicate=%v event id %q verdict %+v, want duplicate=%v",
						i+1, rec.Duplicate, rec.EventID, rec.Verification, wantDup)
				}
			}
		})
	}
}

// svixDelivery posts a body signed the way Svix sends it: svix-* headers only.
func svixDelivery(t *testing.T, url, whsec string, at time.Time) {
	t.Helper()
	body := []byte(`{"type":"invoice.paid","data":{"amount":100}}`)
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(whsec, "whsec_"))
	id, ts := "msg_svixorigin", strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	req, _ := http.NewRequest("POST", url+"/t/hook/svix", bytes.NewReader(body))
	req.Header.Set("svix-id", id)
	req.Header.Set("svix-timestamp", ts)
	req.Header.Set("svix-signature", "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	send(t, req)
}

// svixSecret is a Standard Webhooks / Svix secret.
const svixSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// TestResignSvixDelivery re-signs a delivery that came with svix-* headers, an hour
// old, from the CLI (--resign, --edit --resign) and the API (resign:true): the app gets
// fresh svix-* headers that verify, and no second header family.
func TestResignSvixDelivery(t *testing.T) {
	e := newEnv(t, "flag", "standardwebhooks:"+svixSecret)
	svixDelivery(t, e.url, svixSecret, time.Now().Add(-time.Hour))
	id := e.lastRecord(t).ID
	base, _ := url.Parse(e.url)
	c := &api.Client{Base: base, Token: relaytest.Token}
	edited := []byte(`{"type":"invoice.paid","data":{"amount":999}}`)
	for name, replay := range map[string]func(){
		"cli --resign": func() { e.cli(t, "replay", id, "--resign") },
		"api resign":   func() { _, _ = c.Replay(context.Background(), id, &api.Edit{Resign: true, Body: &edited}) },
	} {
		t.Run(name, func(t *testing.T) {
			replay()
			r, body := e.app.last(t)
			if r.Header.Get(proto.HeaderReplayOf) != id {
				t.Fatalf("the app did not get the replay of %s", id)
			}
			if r.Header.Get("Webhook-Id") != "" || r.Header.Get("Svix-Id") == "msg_svixorigin" {
				t.Fatalf("re-signed headers: svix-id %q webhook-id %q", r.Header.Get("Svix-Id"), r.Header.Get("Webhook-Id"))
			}
			scheme, _ := webhook.Parse("standardwebhooks:" + svixSecret)
			if v := scheme.Verify(r.Header, body, time.Now()); !v.OK {
				t.Fatalf("re-signed svix delivery does not verify at the app: %v", v)
			}
		})
	}
}

// TestResignDuringRotation: with two secrets configured (rotation), a delivery signed
// with the second is re-signed with the second, the one that verified it.
func TestResignDuringRotation(t *testing.T) {
	e := newEnv(t, "flag", "github:new-secret", "github:old-secret")
	send(t, githubDelivery(t, e.url, "old-secret", "rot-1"))
	id := e.lastRecord(t).ID
	e.cli(t, "replay", id, "--resign")
	r, body := e.app.last(t)
	old, _ := webhook.Parse("github:old-secret")
	if r.Header.Get(proto.HeaderReplayOf) != id || !old.Verify(r.Header, body, time.Now()).OK {
		t.Fatalf("re-signed replay does not verify with the secret the sender used")
	}
}
