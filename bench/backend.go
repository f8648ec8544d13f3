package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// backendReady starts the line the backend prints once it listens.
const backendReady = "backend listening on "

// serveBackend is the backend process: the "local app" every target ends at. It
// answers any request by reading the whole body and replying with a small JSON object.
func serveBackend() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "backend:", err)
		return 1
	}
	fmt.Println(backendReady + ln.Addr().String())
	hs := &http.Server{Handler: http.HandlerFunc(answer), ReadHeaderTimeout: 10 * time.Second}
	if err := hs.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "backend:", err)
		return 1
	}
	return 0
}

// answer reads the request body and acknowledges it the way a webhook receiver does.
func answer(w http.ResponseWriter, r *http.Request) {
	n, err := io.Copy(io.Discard, r.Body)
	if err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	body := `{"received":true,"bytes":` + strconv.FormatInt(n, 10) + "}\n"
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = io.WriteString(w, body)
}

// The envelope of webhookBody, around a padded description.
const (
	bodyHead = `{"id":"evt_1PbenchAbCdEf","type":"invoice.paid","created":1700000000,` +
		`"data":{"object":{"id":"in_1PbenchXyZ","amount_paid":4200,"currency":"eur","description":"`
	bodyTail = `"}}}`
	// minBodySize is the smallest body webhookBody makes: the envelope alone.
	minBodySize = len(bodyHead) + len(bodyTail)
)

// webhookBody is a JSON event of exactly size bytes (minBodySize at least), shaped
// like a payment provider's webhook.
func webhookBody(size int) []byte {
	pad := max(size-minBodySize, 0)
	return []byte(bodyHead + strings.Repeat("x", pad) + bodyTail)
}
