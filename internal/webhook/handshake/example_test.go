package handshake_test

import (
	"fmt"
	"time"

	"github.com/hookrelay/hookrelay/internal/webhook/handshake"
)

func ExampleResponder_Answer() {
	c, err := handshake.ParseConfig([]string{"dropbox", "meta:vibecoding"})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, _ := handshake.New(c)
	fmt.Println(r)
	for _, query := range []string{
		"hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=vibecoding",
		"hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess",
		"challenge=abc123",
		"page=2",
	} {
		res := r.Answer(handshake.Head{Method: "GET", RawQuery: query}, nil, time.Now())
		resp := res.Render("")
		fmt.Printf("%s %s %d %q\n", res.Outcome, res.Kind, resp.Status, resp.Header.Get("Content-Type"))
	}
	_, err = handshake.ParseKinds([]string{"slack,facebook"})
	fmt.Println(err)
	// Output:
	// dropbox,meta:***
	// answered meta 200 "text/plain; charset=utf-8"
	// refused meta 403 "application/json"
	// answered dropbox 200 "text/plain; charset=utf-8"
	// pass none 0 ""
	// parse handshake "facebook" (known: slack meta zoom twitter msgraph dropbox): handshake: unknown kind
}
