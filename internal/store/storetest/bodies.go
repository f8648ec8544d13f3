package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/hookrelay/hookrelay/internal/store"
)

// testSaveRequestBody: a body saved after Insert (it streamed through) reads back
// byte-exact with its size and digest, whatever its size, and can be saved again.
func testSaveRequestBody(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, size := range []int{0, 10, 2048, 2049, 100 << 10, 600<<10 + 7, 5} {
		r := mustInsert(t, s, newRecord("hook", "alice", 0))
		data := bytes.Repeat([]byte{byte(size)}, size)
		r.Body = newBody(data)
		if err := s.SaveRequestBody(ctx, r); err != nil {
			t.Fatalf("SaveRequestBody(%d bytes): %v", size, err)
		}
		got := mustGet(t, s, "alice", r.ID)
		if !bytes.Equal(got.Body.Data, data) || got.Body.Size != int64(size) || got.Body.SHA256 != r.Body.SHA256 {
			t.Fatalf("%d bytes: read back %d bytes, size %d, sha %s", size, len(got.Body.Data), got.Body.Size, got.Body.SHA256)
		}
		if got.Host != r.Host || got.RemoteAddr != r.RemoteAddr || got.Outcome != store.OutcomePending {
			t.Fatalf("%d bytes: the rest of the record changed: %+v", size, got)
		}
		small := newBody([]byte("small"))
		r.Body = small
		if err := s.SaveRequestBody(ctx, r); err != nil {
			t.Fatal(err)
		}
		if got := mustGet(t, s, "alice", r.ID); string(got.Body.Data) != "small" || got.Body.Size != 5 {
			t.Fatalf("saved again after %d bytes: %q", size, got.Body.Data)
		}
	}
	missing := newRecord("hook", "alice", 0)
	missing.ID = store.NewID(base)
	if err := s.SaveRequestBody(ctx, missing); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SaveRequestBody on no record: %v, want ErrNotFound", err)
	}
}
