package faultsuite

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
)

// TestNoRecordCapKeepsEveryRecord starts relay-server with --max-records 0 ("no cap")
// on a store holding more records than the default cap of 10,000: retention, which
// runs at startup, must keep every one of them.
func TestNoRecordCapKeepsEveryRecord(t *testing.T) {
	t.Parallel()
	const n = 10_050
	data := t.TempDir()
	if err := fillStore(filepath.Join(data, "hookrelay.db"), n); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, rigOpts{data: data}) // newRig passes --max-records 0
	time.Sleep(scaled(3 * time.Second)) // retention runs as the server starts
	r.stopServer()
	kept, err := countRecords(filepath.Join(data, "hookrelay.db"))
	if err != nil {
		t.Fatal(err)
	}
	if kept != n {
		t.Errorf("--max-records 0 kept %d of %d records: %d lost to retention", kept, n, n-kept)
	}
}

// fillStore records n small deliveries on one tunnel, as a relay would have.
func fillStore(path string, n int) error {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		return fmt.Errorf("fill store: %w", err)
	}
	defer db.Close()
	next := make(chan int)
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range 32 { // concurrent inserts share commits
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rec := &store.Record{Tunnel: "filled", Owner: "owner", Method: "POST", Path: "/hook", Proto: "HTTP/1.1",
					Headers: []store.Header{{Name: SendHeader, Value: fmt.Sprintf("filled-%d", i)}},
					Outcome: store.OutcomeOK, Status: 200}
				if err := db.Insert(ctx, rec); err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if first != nil {
		return fmt.Errorf("fill store: %w", first)
	}
	return nil
}

// countRecords counts the records of a stopped server's database.
func countRecords(path string) (int, error) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		return 0, fmt.Errorf("count records: %w", err)
	}
	defer db.Close()
	n := 0
	f := store.Filter{AllOwners: true, Limit: store.MaxLimit}
	for {
		page, err := db.List(ctx, f)
		if err != nil {
			return 0, fmt.Errorf("count records: %w", err)
		}
		n += len(page.Records)
		if page.Next == "" {
			return n, nil
		}
		f.Cursor = page.Next
	}
}
