package handshake_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/webhook/handshake"
)

// BenchmarkAnswerDelivery is the cost every ordinary delivery pays on a
// tunnel answering all six kinds: a 2 KiB JSON POST with a query.
func BenchmarkAnswerDelivery(b *testing.B) {
	r := mustNew(b, allKinds)
	body := []byte(`{"type":"event_callback","event":{"text":"` + strings.Repeat("x", 2000) + `"}}`)
	head := handshake.Head{Method: http.MethodPost, RawQuery: "source=ci&attempt=1", Header: jsonHeader()}
	b.ReportAllocs()
	for b.Loop() {
		if r.Answer(head, body, testNow).Outcome != handshake.Pass {
			b.Fatal("answered a delivery")
		}
	}
}

// BenchmarkAnswerSlack is one url_verification answered with a signature check.
func BenchmarkAnswerSlack(b *testing.B) {
	r := mustNew(b, signedAll)
	head := handshake.Head{Method: http.MethodPost, Header: slackHeaders(slackSecret, slackVerify, testNow)}
	b.ReportAllocs()
	for b.Loop() {
		if r.Answer(head, []byte(slackVerify), testNow).Outcome != handshake.Answered {
			b.Fatal("not answered")
		}
	}
}
