package webhook_test

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"net/http"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/webhook"
)

// testNow is the fixed clock of the tests: 2025-01-01T12:00:00Z.
var testNow = time.Unix(1735732800, 0).UTC()

// testBody is a compact JSON delivery with an event id.
var testBody = []byte(`{"id":"evt_1Qa2b3","type":"ping","data":{"n":1,"s":"a,b"}}`)

// mac computes an HMAC independently of the package under test.
func mac(newHash func() hash.Hash, key []byte, parts ...string) []byte {
	m := hmac.New(newHash, key)
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

func hexMAC(newHash func() hash.Hash, key string, parts ...string) string {
	return hex.EncodeToString(mac(newHash, []byte(key), parts...))
}

func b64MAC(newHash func() hash.Hash, key []byte, parts ...string) string {
	return base64.StdEncoding.EncodeToString(mac(newHash, key, parts...))
}

// headers builds a header from name/value pairs.
func headers(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func mustParse(t testing.TB, spec string) webhook.Scheme {
	t.Helper()
	s, err := webhook.Parse(spec)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

// flipByte returns a copy of b with one byte changed.
func flipByte(b []byte) []byte {
	c := append([]byte(nil), b...)
	c[len(c)/2] ^= 0x01
	return c
}
