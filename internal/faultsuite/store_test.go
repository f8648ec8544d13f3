package faultsuite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/hookrelay/hookrelay/internal/store"
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
	var out []Recorded
	f := store.Filter{AllOwners: true, Oldest: true, Limit: store.MaxLimit}
	for {
		page, err := db.List(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("read store: %w", err)
		}
		for _, r := range page.Records {
			full, err := db.Get(ctx, r.Owner, r.ID)
			if err != nil {
				return nil, fmt.Errorf("read store: record %s: %w", r.ID, err)
			}
			out = append(out, recorded(full))
		}
		if page.Next == "" {
			return out, nil
		}
		f.Cursor = page.Next
	}
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
