// Package storetest is the conformance suite of the delivery store: Run
// checks any store.Store implementation against the contract written in
// package store, and RunShared checks what a backend that several relay
// processes share must add (two handles on one database see each other's
// writes and never hand out a seq twice). The suite depends on no backend:
// each backend's own test calls it with a function that opens a fresh,
// empty store.
package storetest

import (
	"testing"

	"github.com/hookrelay/hookrelay/internal/store"
)

// Opener returns a new, empty store for one test. It should register its
// own cleanup with t.Cleanup.
type Opener func(t *testing.T) store.Store

// Run runs the conformance suite against stores made by open. Each subtest
// gets a fresh store.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"Complete", testComplete},
		{"InsertInvalid", testInsertInvalid},
		{"ManyInsertsByteExact", testManyInserts},
		{"OwnerIsolation", testOwnerIsolation},
		{"ListFilters", testListFilters},
		{"ListInvalid", testListInvalid},
		{"ListPagination", testListPagination},
		{"CursorStability", testCursorStability},
		{"Tunnels", testTunnels},
		{"TunnelErrors", testTunnelErrors},
		{"ReleaseTunnel", testReleaseTunnel},
		{"ReleaseTunnelErrors", testReleaseTunnelErrors},
		{"RecordedSince", testRecordedSince},
		{"SeenEvent", testSeenEvent},
		{"Queued", testQueued},
		{"Missed", testMissed},
		{"Interrupt", testInterrupt},
		{"Purge", testPurge},
		{"PurgeCapPerOwner", testPurgeCapPerOwner},
		{"Attempts", testAttempts},
		{"AttemptsTogether", testAttemptsTogether},
		{"AttemptErrors", testAttemptErrors},
		{"PurgeAttempts", testPurgeAttempts},
		{"ConcurrentWriters", testConcurrentWriters},
		{"ConcurrentFailures", testConcurrentFailures},
		{"SeqNeverReused", testSeqNeverReused},
		{"CompleteStaleSeq", testCompleteStaleSeq},
		{"SaveRequestBody", testSaveRequestBody},
		{"BodiesEveryReader", testBodiesEveryReader},
		{"BytesInStrings", testBytesInStrings},
		{"ByteExactBodies", testByteExactBodies},
		{"NanosecondTimes", testNanosecondTimes},
		{"RequeueByComplete", testRequeueByComplete},
		{"Tokens", testTokens},
		{"TokenErrors", testTokenErrors},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t))
		})
	}
}
