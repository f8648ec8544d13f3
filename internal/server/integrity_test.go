package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
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

// TestQueuedLargeBodiesDelivered queues bodies on both sides of every size where the
// store changes where it keeps them, and checks the app gets each one byte for byte
// when its client comes back.
func TestQueuedLargeBodiesDelivered(t *testing.T) {
	srv, _, rec, be, cl := recordSetup(t, nil, proto.OfflineQueue)
	cl.Stop()
	sizes := []int64{2049, 256 << 10, 256<<10 + 1, 3<<20 + 5}
	var sent [][]byte
	for _, n := range sizes {
		body := patternBytes(n)
		resp := post(t, srv.URL+"/t/hook/big", string(body))
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("queue %d bytes: status %d", n, resp.StatusCode)
		}
		sent = append(sent, body)
	}
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "hook", Target: relaytest.Target(t, be)})
	rec.wait(t, len(sizes))
	for i, got := range rec.all() {
		if !bytes.Equal(got.Body, sent[i]) {
			t.Errorf("queued delivery %d: app got %d bytes (content-length %q), want %d", i, len(got.Body),
				got.Header.Get("Content-Length"), len(sent[i]))
		}
	}
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

// TestAppFailuresHaveTheirOwnOutcomes: an app that cannot be connected to is refused; one
// that answers something that is not HTTP, or resets the connection, is bad_response.
func TestAppFailuresHaveTheirOwnOutcomes(t *testing.T) {
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	dead.Close()
	junk := rawAppAfterHead(t, func(c net.Conn) { io.WriteString(c, "SSH-2.0-not-http\r\n\r\n") })
	reset := rawAppAfterHead(t, func(c net.Conn) { c.(*net.TCPConn).SetLinger(0) })
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, nil))
	for _, tt := range []struct {
		name, target string
		code         proto.Code
		outcome      store.Outcome
	}{
		{"nothing listening", "http://" + dead.Addr().String(), proto.CodeLocalUnreachable, store.OutcomeRefused},
		{"garbage answer", junk, proto.CodeLocalBadResponse, store.OutcomeBadResponse},
		{"reset", reset, proto.CodeLocalBadResponse, store.OutcomeBadResponse},
	} {
		t.Run(tt.name, func(t *testing.T) {
			name := strings.ReplaceAll(tt.name, " ", "-")
			cl := relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: name, Target: relaytest.Target(t, tt.target)})
			defer cl.Stop()
			resp := post(t, srv.URL+"/t/"+name+"/x", "{}")
			if resp.StatusCode != tt.code.Status() || resp.Header.Get(proto.HeaderError) != string(tt.code) {
				t.Fatalf("status %d code %q, want %d %s", resp.StatusCode, resp.Header.Get(proto.HeaderError), tt.code.Status(), tt.code)
			}
			c := apiClient(t, srv, relaytest.Token)
			r := waitRecord(t, c, lastID(t, c, name), func(r *api.Record) bool { return r.Outcome != store.OutcomePending })
			if r.Outcome != tt.outcome {
				t.Fatalf("outcome %s, want %s", r.Outcome, tt.outcome)
			}
		})
	}
}

// rawApp is an app on a raw TCP listener: serve gets each connection after its request
// head was read, and the connection is closed after.
// rawAppAfterHead reads one request head on each connection, then serves it with serve.
func rawAppAfterHead(t *testing.T, serve func(net.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = http.ReadRequest(bufio.NewReader(c))
				serve(c)
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// TestStreamedBodyNotSavedIsNotReplayable makes the store read-only while a streamed body
// is on its way: its record keeps nothing of the body and says so, and a replay is refused
// rather than sent with an empty body.
func TestStreamedBodyNotSavedIsNotReplayable(t *testing.T) {
	var db *sqlite.DB
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, &db))
	arrived, release := make(chan struct{}), make(chan struct{})
	app := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Header.Get(proto.HeaderReplayOf) == "" {
			close(arrived)
			<-release
		}
	}))
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "hook", Target: relaytest.Target(t, app)})
	body := patternBytes(300 << 10)
	done := make(chan *http.Response, 1)
	go func() { done <- post(t, srv.URL+"/t/hook/big", string(body)) }()
	recv(t, arrived, "the request at the app")
	if err := db.SetReadOnly(true); err != nil {
		t.Fatal(err)
	}
	close(release)
	recv(t, done, "the answer")
	if err := db.SetReadOnly(false); err != nil {
		t.Fatal(err)
	}
	c := apiClient(t, srv, relaytest.Token)
	id := lastID(t, c, "hook")
	r := waitRecord(t, c, id, func(r *api.Record) bool { return r.Outcome != store.OutcomePending })
	if len(r.Request.Body) != 0 || !r.Request.BodyTruncated {
		t.Fatalf("record of an unsaved body: %d bytes, truncated %v", len(r.Request.Body), r.Request.BodyTruncated)
	}
	var aerr *api.Error
	if _, err := c.Replay(context.Background(), id, nil); !errors.As(err, &aerr) || aerr.Code != proto.CodeNotReplayable {
		t.Fatalf("replay of a record without its body: %v, want %s", err, proto.CodeNotReplayable)
	}
}
