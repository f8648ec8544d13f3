package faultsuite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/postgres"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
)

// readStore checks the integrity of a stopped server's database and reads every
// record, with the digest of the body bytes each actually holds.
func readStore(path string) ([]Recorded, error) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		return nil, fmt.Errorf("read store: %w", err)
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		return nil, fmt.Errorf("read store: %w", err)
	}
	return readRecords(ctx, db)
}

// readPostgres reads every record of the PostgreSQL store named by dsn (a schema
// several servers shared), with the digest of the body bytes each actually holds.
func readPostgres(dsn string) ([]Recorded, error) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		return nil, fmt.Errorf("read store: %w", err)
	}
	defer db.Close()
	return readRecords(ctx, db)
}

// recordReader is the part of a store the oracle reads records through.
type recordReader interface {
	List(ctx context.Context, f store.Filter) (store.Page, error)
	Get(ctx context.Context, owner, id string) (*store.Record, error)
}

// readRecords reads every record of db, page by page.
func readRecords(ctx context.Context, db recordReader) ([]Recorded, error) {
	var out []Recorded
	f := store.Filter{AllOwners: true, Oldest: true, Limit: store.MaxLimit}
	for {
		page, err := db.List(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("read store: %w", err)
		}
		got, err := readBodies(ctx, db, page.Records)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		if page.Next == "" {
			return out, nil
		}
		f.Cursor = page.Next
	}
}

// readBodies reads the records of a page whole, a few at a time.
func readBodies(ctx context.Context, db recordReader, page []store.Record) ([]Recorded, error) {
	out := make([]Recorded, len(page))
	errs := make([]error, len(page))
	next := make(chan int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				full, err := db.Get(ctx, page[i].Owner, page[i].ID)
				if err != nil {
					errs[i] = fmt.Errorf("read store: record %s: %w", page[i].ID, err)
					continue
				}
				out[i] = recorded(full)
			}
		}()
	}
	for i := range page {
		next <- i
	}
	close(next)
	wg.Wait()
	return out, errors.Join(errs...)
}

func recorded(r *store.Record) Recorded {
	sum, resp := sha256.Sum256(r.Body.Data), sha256.Sum256(r.RespBody.Data)
	return Recorded{ID: r.ID, Send: headerValue(r.Headers, SendHeader), ReplayOf: r.ReplayOf,
		Size: r.Body.Size, SHA256: r.Body.SHA256, DataSHA256: hex.EncodeToString(sum[:]),
		Truncated: r.Body.Truncated, Outcome: string(r.Outcome), Status: r.Status,
		RespDataSHA256: hex.EncodeToString(resp[:]), RespTruncated: r.RespBody.Truncated}
}

func headerValue(h []store.Header, name string) string {
	for _, kv := range h {
		if strings.EqualFold(kv.Name, name) {
			return kv.Value
		}
	}
	return ""
}
