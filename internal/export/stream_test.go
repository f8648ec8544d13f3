package export_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/export"
	"github.com/hookrelay/hookrelay/internal/store"
)

// TestStreamGolden writes the fixed set through each streaming format: the output is
// byte for byte what the export wrote when it held every record first.
func TestStreamGolden(t *testing.T) {
	for _, c := range []struct {
		golden string
		open   func(*bytes.Buffer) export.RecordWriter
	}{
		{"testdata/jsonl.golden", func(b *bytes.Buffer) export.RecordWriter { return export.JSONL(b) }},
		{"testdata/curl.golden", func(b *bytes.Buffer) export.RecordWriter { return export.CurlScript(b) }},
	} {
		var b bytes.Buffer
		w := c.open(&b)
		src := &fixedSource{recs: streamFixture(), page: 4}
		n, err := export.Each(context.Background(), src, store.Filter{}, 1000, w.Write)
		if err != nil || w.Close() != nil || n != len(src.recs) {
			t.Fatalf("%s: exported %d of %d: %v", c.golden, n, len(src.recs), err)
		}
		want, err := os.ReadFile(c.golden)
		if err != nil || !bytes.Equal(b.Bytes(), want) {
			t.Errorf("output differs from %s:\n%s", c.golden, b.String())
		}
	}
}

// TestEachLimitAndEmpty: the limit stops mid-page, and an empty curl export is still a
// script.
func TestEachLimitAndEmpty(t *testing.T) {
	src := &fixedSource{recs: streamFixture(), page: 4}
	var ids []string
	n, err := export.Each(context.Background(), src, store.Filter{}, 6, func(r *api.Record) error {
		ids = append(ids, r.ID)
		return nil
	})
	if err != nil || n != 6 || len(ids) != 6 || ids[5] != src.recs[5].ID || src.gets != 6 {
		t.Fatalf("limit 6: n=%d ids=%v gets=%d err=%v", n, ids, src.gets, err)
	}
	var b bytes.Buffer
	w := export.CurlScript(&b)
	if _, err := export.Each(context.Background(), &fixedSource{page: 4}, store.Filter{}, 10, w.Write); err != nil || w.Close() != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("#!/bin/sh\n")) || bytes.Contains(b.Bytes(), []byte("curl ")) {
		t.Fatalf("empty script:\n%s", b.String())
	}
}

// TestStreamHeapBounded exports 24 records of 1 MiB bodies, each made when it is
// fetched: the live heap after each record stays within a bound far below what holding
// them would take (24 MiB and more).
func TestStreamHeapBounded(t *testing.T) {
	const records, size = 24, 1 << 20
	for _, format := range []string{"jsonl", "curl"} {
		src := &bigSource{n: records, size: size}
		w := &heapWatch{}
		rw := map[string]export.RecordWriter{"jsonl": export.JSONL(w), "curl": export.CurlScript(w)}[format]
		w.start()
		n, err := export.Each(context.Background(), src, store.Filter{}, 10000, func(r *api.Record) error {
			if err := rw.Write(r); err != nil {
				return err
			}
			w.sample()
			return nil
		})
		if err != nil || n != records || rw.Close() != nil {
			t.Fatalf("%s: exported %d: %v", format, n, err)
		}
		t.Logf("%s: live heap grew by at most %.1f MiB", format, float64(w.peak-w.base)/(1<<20))
		if growth := w.peak - w.base; growth > records*size/2 {
			t.Errorf("%s: live heap grew by %d MiB while exporting %d MiB of bodies", format, growth>>20, records*size>>20)
		}
	}
}

// heapWatch discards what is written and notes the live heap (after a collection).
type heapWatch struct{ base, peak uint64 }

func (h *heapWatch) Write(p []byte) (int, error) { return len(p), nil }

func liveHeap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func (h *heapWatch) start()  { h.base = liveHeap(); h.peak = h.base }
func (h *heapWatch) sample() { h.peak = max(h.peak, liveHeap()) }

// fixedSource serves recs, page summaries to a list page.
type fixedSource struct {
	recs       []*api.Record
	page, gets int
}

func (s *fixedSource) List(_ context.Context, f store.Filter) (*api.List, error) {
	start := 0
	if f.Cursor != "" {
		fmt.Sscan(f.Cursor, &start)
	}
	out := &api.List{}
	for i := start; i < len(s.recs) && i < start+s.page; i++ {
		out.Requests = append(out.Requests, s.recs[i].Summary)
	}
	if end := start + s.page; end < len(s.recs) {
		out.Next = fmt.Sprint(end)
	}
	return out, nil
}

func (s *fixedSource) Get(_ context.Context, id string) (*api.Record, error) {
	s.gets++
	for _, r := range s.recs {
		if r.ID == id {
			return r, nil
		}
	}
	return nil, store.ErrNotFound
}

// bigSource makes n records with binary bodies of size bytes, a fresh body per Get.
type bigSource struct{ n, size int }

func (s *bigSource) List(_ context.Context, f store.Filter) (*api.List, error) {
	start := 0
	if f.Cursor != "" {
		fmt.Sscan(f.Cursor, &start)
	}
	out := &api.List{}
	for i := start; i < s.n && i < start+f.Limit; i++ {
		out.Requests = append(out.Requests, api.Summary{ID: fmt.Sprint(i)})
	}
	if end := start + f.Limit; end < s.n {
		out.Next = fmt.Sprint(end)
	}
	return out, nil
}

func (s *bigSource) Get(_ context.Context, id string) (*api.Record, error) {
	body := make([]byte, s.size) // NUL bytes: the curl script writes it as base64
	r := &api.Record{Summary: api.Summary{ID: id, Method: "POST", Path: "/big"}}
	r.Request.Body, r.Request.BodySize = body, int64(len(body))
	return r, nil
}
