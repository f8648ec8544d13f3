package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/proto"
)

// patternBytes returns n deterministic bytes.
func patternBytes(n int64) []byte {
	b, _ := io.ReadAll(pattern(n))
	return b
}

func hexSHA(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// chunked hides a body's length so the sender uses chunked transfer encoding.
type chunked struct{ io.Reader }

// TestChunkedBodyRecordedOnce sends a chunked body larger than the prebuffer: the record
// holds it once (size and digest as sent), and a replay delivers the same bytes.
func TestChunkedBodyRecordedOnce(t *testing.T) {
	srv, _, rec, _, _ := recordSetup(t, nil, "")
	body := patternBytes(100 << 10)
	req := mustRequest(t, "POST", srv.URL+"/t/hook/chunked", chunked{bytes.NewReader(body)})
	resp := mustDo(t, req)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(resp.TransferEncoding) != 0 && req.ContentLength != 0 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	rec.wait(t, 1)
	c := apiClient(t, srv, relaytest.Token)
	id := lastID(t, c, "hook")
	r, err := c.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Request.BodySize != int64(len(body)) || r.Request.BodySHA256 != hexSHA(body) || !bytes.Equal(r.Request.Body, body) {
		t.Fatalf("record: size %d sha %s, %d bytes stored; want %d %s", r.Request.BodySize, r.Request.BodySHA256,
			len(r.Request.Body), len(body), hexSHA(body))
	}
	if _, err := c.Replay(context.Background(), id, nil); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, 1)
	if got := rec.all(); !bytes.Equal(got[1].Body, body) {
		t.Fatalf("replay delivered %d bytes, want %d", len(got[1].Body), len(body))
	}
}

// TestTunnelLostMidUploadIsNotReplayable loses the tunnel while a body larger than the
// prebuffer is still streaming from its sender: the record holds what came in but says
// it is cut (truncated, no digest claimed for the whole body), and a replay is refused
// rather than delivering the cut body to the app as a complete request. With a declared
// length and chunked.
func TestTunnelLostMidUploadIsNotReplayable(t *testing.T) {
	const declared, sent = 1 << 20, 300 << 10
	for _, tt := range []struct {
		name   string
		length int64 // the request's Content-Length; -1: chunked
	}{
		{"content-length", declared},
		{"chunked", -1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := relaytest.StartServer(t, "", relaytest.WithStore(t, nil))
			arrived, release := make(chan struct{}), make(chan struct{})
			defer close(release)
			app := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, err := io.ReadFull(r.Body, make([]byte, 100<<10)); err == nil && r.Header.Get(proto.HeaderReplayOf) == "" {
					close(arrived)
					<-release // stalls mid-body until the test ends
				}
				_, _ = io.Copy(io.Discard, r.Body)
			}))
			cl := relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "hook", Target: relaytest.Target(t, app)})
			resp := sendCut(t, srv.URL+"/t/hook/upload", tt.length, patternBytes(sent), arrived, cl)
			if resp.StatusCode < 500 {
				t.Fatalf("sender got %d for a body the app never finished reading", resp.StatusCode)
			}
			c := apiClient(t, srv, relaytest.Token)
			id := lastID(t, c, "hook")
			r := waitRecord(t, c, id, func(r *api.Record) bool { return r.Outcome != store.OutcomePending })
			if !r.Request.BodyTruncated || r.Request.BodySHA256 != "" || len(r.Request.Body) == 0 {
				t.Fatalf("record of a cut body (outcome %s): %d bytes kept of size %d, truncated %v, sha256 %q; want a truncated prefix, no digest",
					r.Outcome, len(r.Request.Body), r.Request.BodySize, r.Request.BodyTruncated, r.Request.BodySHA256)
			}
			if tt.length > 0 && r.Request.BodySize != tt.length {
				t.Errorf("record of a cut body: size %d, want the declared %d", r.Request.BodySize, tt.length)
			}
			var aerr *api.Error
			if _, err := c.Replay(context.Background(), id, nil); !errors.As(err, &aerr) || aerr.Code != proto.CodeNotReplayable {
				t.Fatalf("replay of a cut body: %v, want %s", err, proto.CodeNotReplayable)
			}
		})
	}
}

// sendCut sends the first bytes of a body of the given length (-1: chunked) and then
// trickles more, stops the client once the app has begun reading it, and returns the
// sender's answer; the body is never finished.
func sendCut(t *testing.T, url string, length int64, first []byte, arrived chan struct{}, cl *relaytest.Client) *http.Response {
	pr, pw := io.Pipe()
	defer pw.Close()
	go trickle(pw, first)
	req := mustRequest(t, "POST", url, pr)
	req.ContentLength = length
	done := make(chan *http.Response, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("send: %v", err)
			resp = &http.Response{StatusCode: http.StatusBadGateway, Body: http.NoBody}
		}
		resp.Body.Close()
		done <- resp
	}()
	recv(t, arrived, "the first bytes at the app")
	cl.Stop()
	return recv(t, done, "the sender's answer")
}

// trickle writes first, then 1 KiB every 20 ms until w is closed.
func trickle(w io.Writer, first []byte) {
	if _, err := w.Write(first); err != nil {
		return
	}
	for {
		time.Sleep(20 * time.Millisecond)
		if _, err := w.Write(first[:1<<10]); err != nil {
			return
		}
	}
}
