package targets_test

import (
	"errors"
	"fmt"

	"github.com/hookrelay/hookrelay/internal/route/targets"
)

func ExampleSet_Pick() {
	set, err := targets.Parse([]string{"/webhooks/leads=4000", "/webhooks=3000"})
	if err != nil {
		panic(err)
	}
	for _, rt := range []string{"/webhooks/leads/42?x=1", "/webhooks/stripe", "/webhooksx"} {
		t, err := set.Pick(rt)
		if errors.Is(err, targets.ErrNoTarget) {
			fmt.Println(rt, "->", targets.NoTargetStatus, targets.CodeNoLocalTarget)
			continue
		}
		fmt.Println(rt, "->", t.URL.String()+rt)
	}
	// Output:
	// /webhooks/leads/42?x=1 -> http://localhost:4000/webhooks/leads/42?x=1
	// /webhooks/stripe -> http://localhost:3000/webhooks/stripe
	// /webhooksx -> 502 no_local_target
}
