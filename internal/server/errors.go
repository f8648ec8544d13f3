package server

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/hookrelay/hookrelay/proto"
)

// retryAfter is the Retry-After sent with 503 answers: long enough for a client to
// reconnect, short enough for a sender's retry schedule.
const retryAfter = 30

type errorBody struct {
	Error struct {
		Code      proto.Code `json:"code"`
		Message   string     `json:"message"`
		RequestID string     `json:"request_id,omitempty"`
	} `json:"error"`
}

// writeError answers with the relay's own error: the code's status, the code in
// proto.HeaderError and a JSON body. It is the one place codes become HTTP.
func writeError(w http.ResponseWriter, code proto.Code, msg, requestID string) {
	var body errorBody
	body.Error.Code, body.Error.Message, body.Error.RequestID = code, msg, requestID
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set(proto.HeaderError, string(code))
	if requestID != "" {
		h.Set(proto.HeaderRequestID, requestID)
	}
	status := code.Status()
	if status == http.StatusServiceUnavailable && h.Get("Retry-After") == "" {
		h.Set("Retry-After", strconv.Itoa(retryAfter)) // a shed request has set a shorter one
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
