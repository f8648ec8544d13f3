package wire

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/hookrelay/hookrelay/proto"
)

// RetryAfter is the Retry-After, in seconds, of the relay's 503 answers: long enough
// for a client to reconnect, short enough for a sender's retry schedule.
const RetryAfter = 30

// errorBody is the JSON body of every answer the relay gives itself.
type errorBody struct {
	Error struct {
		Code      proto.Code `json:"code"`
		Message   string     `json:"message"`
		RequestID string     `json:"request_id,omitempty"`
	} `json:"error"`
}

// AppendErrorBody appends the relay's error body, {"error":{"code","message",
// "request_id"}} and a newline, to b.
func AppendErrorBody(b []byte, code proto.Code, msg, requestID string) []byte {
	var body errorBody
	body.Error.Code, body.Error.Message, body.Error.RequestID = code, msg, requestID
	js, _ := json.Marshal(body) // strings only: cannot fail
	return append(append(b, js...), '\n')
}

// setErrorHeader sets the fields of an error answer but its length.
func setErrorHeader(set func(k, v string), code proto.Code, requestID string) {
	set("Content-Type", "application/json")
	set("Cache-Control", "no-store")
	set(proto.HeaderError, string(code))
	if requestID != "" {
		set(proto.HeaderRequestID, requestID)
	}
	if code.Status() == http.StatusServiceUnavailable {
		set("Retry-After", strconv.Itoa(RetryAfter))
	}
}

// WriteError answers with the relay's own error: the code's status, the code in
// proto.HeaderError and the error body. It is the one place codes become HTTP, with
// AppendErrorResponse for a raw stream.
func WriteError(w http.ResponseWriter, code proto.Code, msg, requestID string) {
	h := w.Header()
	ra := h.Get("Retry-After")
	setErrorHeader(h.Set, code, requestID)
	if ra != "" {
		h.Set("Retry-After", ra) // a shed request chose its own, shorter wait
	}
	body := AppendErrorBody(nil, code, msg, requestID)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code.Status())
	_, _ = w.Write(body)
}

// AppendErrorResponse appends WriteError's answer as a raw HTTP/1.1 response, with
// "Connection: close" when the stream ends after it.
func AppendErrorResponse(b []byte, code proto.Code, msg, requestID string, closing bool) []byte {
	body := AppendErrorBody(nil, code, msg, requestID)
	status := code.Status()
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(status)...)
	b = append(b, "\r\n"...)
	setErrorHeader(func(k, v string) {
		b = append(append(append(append(b, k...), ": "...), v...), "\r\n"...)
	}, code, requestID)
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	if closing {
		b = append(b, "\r\nConnection: close"...)
	}
	b = append(b, "\r\n\r\n"...)
	return append(b, body...)
}
