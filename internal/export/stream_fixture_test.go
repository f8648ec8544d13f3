package export_test

import (
	"github.com/hookrelay/hookrelay/internal/api"
)

// streamFixture is the fixed set of the jsonl and curl golden files: the HAR fixture and
// the curl corpus but its big body (binary and truncated bodies take the same path).
func streamFixture() []*api.Record {
	recs := harFixture()
	for _, r := range corpus() {
		if r.ID != "big" {
			recs = append(recs, r)
		}
	}
	return recs
}
