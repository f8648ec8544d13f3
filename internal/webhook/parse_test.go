package webhook_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/webhook"
)

// leak is the secret used by parse tests; no output may contain it.
const leak = "Sup3rSecretValue"

var parseGood = []struct {
	in, spec, provider string
}{
	{"boostgpt:" + leak, "boostgpt:***", "boostgpt"},
	{"sitegpt:" + leak, "sitegpt:***", "sitegpt"},
	{"MyGPTAssistants:" + leak, "mygptassistants:***", "mygptassistants"},
	{"chatbase:" + leak, "chatbase:***", "chatbase"},
	{"nexusgpt:nexus-signature=" + leak, "nexusgpt:Nexus-Signature=***", "nexusgpt"},
	{"nexusgpt:X-Key=" + leak + "=,x", "nexusgpt:X-Key=***", "nexusgpt"},
	{"stripe:whsec_" + leak, "stripe:***", "stripe"},
	{"github:" + leak + ",with,commas", "github:***", "github"},
	{"slack:" + leak, "slack:***", "slack"},
	{"shopify:" + leak, "shopify:***", "shopify"},
	{"standardwebhooks:whsec_" + leak, "standardwebhooks:***", "standardwebhooks"},
	{"standardwebhooks:" + leak + "bg==", "standardwebhooks:***", "standardwebhooks"},
	{"hmac:header=X-Sig,secret=" + leak,
		"hmac:header=X-Sig,alg=sha256,enc=hex,payload={body},secret=***", "hmac"},
	{"hmac:HEADER=X-Sig,Alg=SHA1,enc=Base64,prefix=sha1=,secret=" + leak + ",alg=x",
		"hmac:header=X-Sig,alg=sha1,enc=base64,prefix=sha1=,payload={body},secret=***", "hmac"},
	{"hmac:header=X-Sig,payload={timestamp}.{body},ts-header=X-Ts,secret=" + leak,
		"hmac:header=X-Sig,alg=sha256,enc=hex,payload={timestamp}.{body},ts-header=X-Ts,tolerance=5m0s,secret=***", "hmac"},
	{"hmac:header=X-S,payload={id}/{body},id-header=X-Id,alg=sha512,secret=" + leak,
		"hmac:header=X-S,alg=sha512,enc=hex,payload={id}/{body},id-header=X-Id,secret=***", "hmac"},
	{"hmac:header=X-S,id-field=event_id,secret=" + leak,
		"hmac:header=X-S,alg=sha256,enc=hex,payload={body},id-field=event_id,secret=***", "hmac"},
	{"token:header=X-Token,secret=" + leak, "token:header=X-Token,secret=***", "token"},
	{"token:header=X-Token,id-header=X-Id,secret=" + leak, "token:header=X-Token,id-header=X-Id,secret=***", "token"},
}

var parseBad = []struct {
	in   string
	want error
}{
	{leak, webhook.ErrInvalidSpec},
	{"", webhook.ErrInvalidSpec},
	{"gitlab:" + leak, webhook.ErrUnknownProvider},
	{leak + ":" + leak, webhook.ErrUnknownProvider},
	{"github:", webhook.ErrInvalidSpec},
	{"sitegpt:", webhook.ErrInvalidSpec},
	{"nexusgpt:" + leak, webhook.ErrInvalidSpec},
	{"nexusgpt:bad header=" + leak, webhook.ErrInvalidSpec},
	{"nexusgpt:X-H=", webhook.ErrInvalidSpec},
	{"standardwebhooks:whsec_" + leak + "!", webhook.ErrInvalidSpec},
	{"standardwebhooks:whsec_", webhook.ErrInvalidSpec},
	{"hmac:", webhook.ErrInvalidSpec},
	{"hmac:secret=" + leak, webhook.ErrInvalidSpec},
	{"hmac:header=X-S", webhook.ErrInvalidSpec},
	{"hmac:header=X-S,secret=", webhook.ErrInvalidSpec},
	{"hmac:" + leak + ",header=X-S,secret=k", webhook.ErrInvalidSpec},
	{"hmac:" + leak + "=1,header=X-S,secret=k", webhook.ErrInvalidSpec},
	{"hmac:header=X-S,header=X-T,secret=" + leak, webhook.ErrInvalidSpec},
	{"hmac:header=X S,secret=" + leak, webhook.ErrInvalidSpec},
	{"hmac:header=X-S,alg=md5,secret=" + leak, webhook.ErrInvalidSpec},
	{"hmac:header=X-S,enc=base32,secret=" + leak, webhook.ErrInvalidSpec},
	{"hmac:header=X-S,payload=,secret=" + leak, webhook.ErrInvalidSpec},
	{"hmac:header=X-S,payload={timestamp},ts-header=X-T,secret=" + leak, webhook.ErrInvalidSpec},
	{"hmac:header=X-S,payload={ts}.{body},secret=" + leak, webhook.ErrInvalidSpec},
	{"hmac:header=X-S,payload={timestamp}.{body},secret=" + leak, webhook.ErrInvalidSpec},
	{"hmac:header=X-S,ts-header=X-T,secret=" + leak, webhook.ErrInvalidSpec},
	{"hmac:header=X-S,payload={timestamp}{body},ts-header=X-T,tolerance=-1s,secret=" + leak, webhook.ErrInvalidSpec},
	{"hmac:header=X-S,payload={timestamp}{body},ts-header=X-T,tolerance=soon,secret=" + leak, webhook.ErrInvalidSpec},
	{"hmac:header=X-S,payload={id}{body},secret=" + leak, webhook.ErrInvalidSpec},
	{"hmac:header=X-S,id-header=X-I,id-field=id,secret=" + leak, webhook.ErrInvalidSpec},
	{"hmac:header=X-S,id-field=,secret=" + leak, webhook.ErrInvalidSpec},
	{"hmac:id-field=id,tolerance=1s,header=X-S,secret=" + leak, webhook.ErrInvalidSpec},
	{"hmac:header=X-S,payload={timestamp}{body},ts-header=x-s,secret=" + leak, webhook.ErrInvalidSpec},
	{"hmac:header=X-S,id-header=X-S,secret=" + leak, webhook.ErrInvalidSpec},
	{"hmac:header=X-S,prefix= v1=,secret=" + leak, webhook.ErrInvalidSpec},
	{"sitegpt: " + leak, webhook.ErrInvalidSpec},
	{"nexusgpt:X-H=" + leak + "\n", webhook.ErrInvalidSpec},
	{"token:header=X-T,secret=" + leak + "\x00", webhook.ErrInvalidSpec},
	{"token:header=X-T", webhook.ErrInvalidSpec},
	{"token:header=X-T,alg=sha1,secret=" + leak, webhook.ErrInvalidSpec},
}

func TestParse(t *testing.T) {
	for _, tc := range parseGood {
		t.Run(tc.in, func(t *testing.T) {
			s, err := webhook.Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := webhook.Spec(s); got != tc.spec {
				t.Errorf("Spec = %q, want %q", got, tc.spec)
			}
			if got := s.Provider(); got != tc.provider {
				t.Errorf("Provider = %q, want %q", got, tc.provider)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range parseBad {
		t.Run(tc.in, func(t *testing.T) {
			s, err := webhook.Parse(tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Parse = %v, %v; want %v", s, err, tc.want)
			}
			if strings.Contains(err.Error(), leak) {
				t.Errorf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestProviders(t *testing.T) {
	want := []string{"boostgpt", "chatbase", "github", "mygptassistants", "nexusgpt",
		"shopify", "sitegpt", "slack", "standardwebhooks", "stripe"}
	got := webhook.Providers()
	if !slices.Equal(got, want) {
		t.Fatalf("Providers = %v, want %v", got, want)
	}
	for _, p := range got {
		arg := "aGVsbG8="
		if p == "nexusgpt" {
			arg = "X-Token=" + arg
		}
		if _, err := webhook.Parse(p + ":" + arg); err != nil {
			t.Errorf("Parse(%s): %v", p, err)
		}
	}
}

// TestRedaction prints schemes and sets, alone and nested, with every verb.
func TestRedaction(t *testing.T) {
	var values []any
	for _, tc := range parseGood {
		if s, err := webhook.Parse(tc.in); err == nil {
			set := webhook.NewSet(s)
			values = append(values, s, set, *set,
				struct{ S webhook.Scheme }{s}, struct{ s webhook.Scheme }{s}, []webhook.Scheme{s})
		}
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		for _, v := range values {
			if out := fmt.Sprintf(verb, v); leaks(out) {
				t.Errorf("%s leaks the secret: %s", verb, out)
			}
		}
	}
}

func TestSpecRoundTrip(t *testing.T) {
	for _, tc := range parseGood {
		if tc.provider == "standardwebhooks" {
			continue // "***" is not base64
		}
		t.Run(tc.in, func(t *testing.T) {
			again := mustParse(t, tc.spec)
			if got := webhook.Spec(again); got != tc.spec {
				t.Errorf("Spec(Parse(Spec)) = %q, want %q", got, tc.spec)
			}
		})
	}
}

// leaks reports whether out shows the test secret as text, hex or bytes.
func leaks(out string) bool {
	return strings.Contains(out, leak) ||
		strings.Contains(strings.ToLower(out), hex.EncodeToString([]byte(leak))) ||
		strings.Contains(out, strings.Trim(fmt.Sprint([]byte(leak)), "[]"))
}
