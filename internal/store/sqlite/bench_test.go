package sqlite_test

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
	"github.com/hookrelay/hookrelay/internal/store/sqlite/sqlitetest"
)

// benchRecord is a typical delivery: a 1 KiB body and a few headers.
func benchRecord(body []byte) *store.Record {
	return &store.Record{
		Tunnel: "bench", Owner: "owner", Method: "POST", Host: "bench.relay.test", Path: "/webhooks/stripe",
		Proto: "HTTP/1.1", RemoteAddr: "192.0.2.7:40000",
		Headers: []store.Header{{Name: "Content-Type", Value: "application/json"},
			{Name: "Stripe-Signature", Value: "t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"},
			{Name: "User-Agent", Value: "Stripe/1.0"}},
		Body:    store.Body{Data: body, Size: int64(len(body)), SHA256: "00"},
		EventID: "evt_bench",
	}
}

// answerBench fills in a typical answer: 200 with a 2-byte body.
func answerBench(r *store.Record) {
	r.Status, r.Outcome = 200, store.OutcomeOK
	r.RespHeaders = []store.Header{{Name: "Content-Type", Value: "text/plain"}}
	r.RespBody = store.Body{Data: []byte("ok"), Size: 2}
}

func completeBench(ctx context.Context, db *sqlite.DB, r *store.Record) error {
	answerBench(r)
	return db.Complete(ctx, r)
}

// BenchmarkInsertComplete records and completes one delivery per
// iteration from a single goroutine: every write is its own commit.
func BenchmarkInsertComplete(b *testing.B) {
	ctx := context.Background()
	db := sqlitetest.MustOpen(b)
	body := make([]byte, 1024)
	rand.Read(body)
	for b.Loop() {
		r := benchRecord(body)
		if err := db.Insert(ctx, r); err != nil {
			b.Fatal(err)
		}
		if err := completeBench(ctx, db, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInsertCompleteParallel is the same from many goroutines, so
// group commit can share commits between them.
func BenchmarkInsertCompleteParallel(b *testing.B) {
	ctx := context.Background()
	db := sqlitetest.MustOpen(b)
	body := make([]byte, 1024)
	rand.Read(body)
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := benchRecord(body)
			if err := db.Insert(ctx, r); err != nil {
				b.Error(err)
				return
			}
			if err := completeBench(ctx, db, r); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
