package webhook_test

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
)

// vector describes one scheme as the sender implements it, computed
// without the package under test.
type vector struct {
	name       string // row label
	provider   string // expected Verdict.Provider
	spec       func(secret string) string
	sign       func(secret string, body []byte, ts int64) http.Header
	stamped    bool // carries a timestamp checked against a tolerance
	coversBody bool // false for static tokens
	malformed  http.Header
	badTS      func(secret string, body []byte) http.Header
	eventID    string // expected EventID of a signed testBody
}

const (
	secretOld   = "old-s3cret,with=comma"
	secretNew   = "new-secret-2"
	secretWrong = "wrong-secret"
	githubID    = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
	shopifyID   = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
	standardID  = "msg_2b3c4d"
)

func itoa(ts int64) string { return strconv.FormatInt(ts, 10) }

func whsec(secret string) string {
	return "whsec_" + base64.StdEncoding.EncodeToString([]byte(secret))
}

func prefixed(name string) func(string) string {
	return func(secret string) string { return name + ":" + secret }
}

func standardHeaders(dialect, secret string, body []byte, ts string) http.Header {
	sig := b64MAC(sha256.New, []byte(secret), standardID, ".", ts, ".", string(body))
	return headers(dialect+"-id", standardID, dialect+"-timestamp", ts,
		dialect+"-signature", "v1a,aGVsbG8= v1,"+sig)
}

func stripeHeader(secret string, body []byte, t string) http.Header {
	v1 := hexMAC(sha256.New, secret, t, ".", string(body))
	return headers("Stripe-Signature", fmt.Sprintf("t=%s,v1=%s,v0=6ffbb59b2300aae6", t, v1))
}

func slackHeaders(secret string, body []byte, ts string) http.Header {
	return headers("X-Slack-Request-Timestamp", ts,
		"X-Slack-Signature", "v0="+hexMAC(sha256.New, secret, "v0:", ts, ":", string(body)))
}

const genericSpec = "hmac:header=X-Sig,alg=sha512,enc=base64,prefix=v1=,payload={id}:{timestamp}:{body}," +
	"ts-header=X-Ts,tolerance=2m,id-header=X-Id,secret="

func genericHeaders(secret string, body []byte, ts string) http.Header {
	return headers("X-Id", "id-7", "X-Ts", ts,
		"X-Sig", "v1="+b64MAC(sha512.New, []byte(secret), "id-7:", ts, ":", string(body)))
}

var vectors = []vector{{
	name: "boostgpt", provider: "boostgpt", spec: prefixed("boostgpt"), coversBody: true,
	sign: func(s string, b []byte, _ int64) http.Header {
		return headers("x-boostgpt-signature", hexMAC(sha256.New, s, string(b)))
	},
	malformed: headers("X-Boostgpt-Signature", "not-hex!"),
}, {
	name: "sitegpt", provider: "sitegpt", spec: prefixed("sitegpt"),
	sign: func(s string, _ []byte, _ int64) http.Header { return headers("X-WEBHOOK-TOKEN", s) },
}, {
	name: "mygptassistants", provider: "mygptassistants", spec: prefixed("mygptassistants"), coversBody: true,
	sign: func(s string, b []byte, _ int64) http.Header {
		return headers("X-MGA-Signature", "sha256="+hexMAC(sha256.New, s, string(b)))
	},
	malformed: headers("X-MGA-Signature", "sha1="+hexMAC(sha256.New, "k", "x")),
	eventID:   "evt_1Qa2b3",
}, {
	name: "chatbase", provider: "chatbase", spec: prefixed("chatbase"), coversBody: true,
	sign: func(s string, b []byte, _ int64) http.Header {
		return headers("x-chatbase-signature", hexMAC(sha1.New, s, string(b)))
	},
	malformed: headers("X-Chatbase-Signature", hexMAC(sha256.New, "k", "x")), // wrong length
}, {
	name: "nexusgpt", provider: "nexusgpt",
	spec: func(s string) string { return "nexusgpt:nexus-signature=" + s },
	sign: func(s string, _ []byte, _ int64) http.Header { return headers("Nexus-Signature", s) },
}, {
	name: "stripe", provider: "stripe", spec: prefixed("stripe"), stamped: true, coversBody: true,
	sign:      func(s string, b []byte, ts int64) http.Header { return stripeHeader(s, b, itoa(ts)) },
	malformed: headers("Stripe-Signature", "v1=abcdef"),
	badTS:     func(s string, b []byte) http.Header { return stripeHeader(s, b, "soon") },
	eventID:   "evt_1Qa2b3",
}, {
	name: "github", provider: "github", spec: prefixed("github"), coversBody: true,
	sign: func(s string, b []byte, _ int64) http.Header {
		return headers("X-Hub-Signature-256", "sha256="+hexMAC(sha256.New, s, string(b)),
			"X-GitHub-Delivery", githubID)
	},
	malformed: headers("X-Hub-Signature-256", "sha256=zz"),
	eventID:   githubID,
}, {
	name: "slack", provider: "slack", spec: prefixed("slack"), stamped: true, coversBody: true,
	sign:      func(s string, b []byte, ts int64) http.Header { return slackHeaders(s, b, itoa(ts)) },
	malformed: headers("X-Slack-Request-Timestamp", "1735732800", "X-Slack-Signature", "v1=00"),
	badTS:     func(s string, b []byte) http.Header { return slackHeaders(s, b, "1.7e9") },
}, {
	name: "shopify", provider: "shopify", spec: prefixed("shopify"), coversBody: true,
	sign: func(s string, b []byte, _ int64) http.Header {
		return headers("X-Shopify-Hmac-Sha256", b64MAC(sha256.New, []byte(s), string(b)),
			"X-Shopify-Webhook-Id", shopifyID)
	},
	malformed: headers("X-Shopify-Hmac-Sha256", "%%%"),
	eventID:   shopifyID,
}, {
	name: "standardwebhooks", provider: "standardwebhooks", stamped: true, coversBody: true,
	spec: func(s string) string { return "standardwebhooks:" + whsec(s) },
	sign: func(s string, b []byte, ts int64) http.Header {
		return standardHeaders("webhook", s, b, itoa(ts))
	},
	malformed: headers("Webhook-Id", "m", "Webhook-Timestamp", "1735732800", "Webhook-Signature", "v2,AAAA"),
	badTS:     func(s string, b []byte) http.Header { return standardHeaders("webhook", s, b, "noon") },
	eventID:   standardID,
}, {
	name: "standardwebhooks/svix", provider: "standardwebhooks", stamped: true, coversBody: true,
	spec: func(s string) string { return "standardwebhooks:" + whsec(s) },
	sign: func(s string, b []byte, ts int64) http.Header {
		return standardHeaders("svix", s, b, itoa(ts))
	},
	badTS:   func(s string, b []byte) http.Header { return standardHeaders("svix", s, b, "-") },
	eventID: standardID,
}, {
	name: "hmac", provider: "hmac", stamped: true, coversBody: true,
	spec:      func(s string) string { return genericSpec + s },
	sign:      func(s string, b []byte, ts int64) http.Header { return genericHeaders(s, b, itoa(ts)) },
	malformed: headers("X-Id", "i", "X-Ts", "1735732800", "X-Sig", "v1=###"),
	badTS:     func(s string, b []byte) http.Header { return genericHeaders(s, b, "12:00") },
	eventID:   "id-7",
}, {
	name: "token", provider: "token",
	spec: func(s string) string { return "token:header=X-Api-Token,id-field=id,secret=" + s },
	sign: func(s string, _ []byte, _ int64) http.Header {
		return headers("X-Api-Token", s)
	},
	eventID: "evt_1Qa2b3",
}}
