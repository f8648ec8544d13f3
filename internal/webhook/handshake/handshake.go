package handshake

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hookrelay/hookrelay/internal/wire"
	"github.com/hookrelay/hookrelay/proto"
)

// Limits on what a handshake may carry; beyond them a request is not
// answered but delivered like any other.
const (
	// MaxBody is the largest body read as a Slack or Zoom handshake. Both
	// documented requests are under 200 bytes; 4 KiB leaves room for extra
	// fields while keeping the JSON parse of a normal delivery out of reach.
	MaxBody = 4 << 10
	// MaxToken is the longest challenge or token echoed or signed. The
	// documented ones are 10 to about 120 bytes.
	MaxToken = 1 << 10
)

// CodeRefused is the error code of a refused handshake (a wrong verify token,
// a Slack signature that does not verify), served with its status, 403.
const CodeRefused = proto.CodeHandshakeRefused

// Head is what a handshake is recognised by besides its body: the method,
// the raw query as the sender wrote it, and the header.
type Head struct {
	Method   string
	RawQuery string
	Header   http.Header
}

// Outcome is what the relay does with a request.
type Outcome uint8

const (
	// Pass: not a handshake this tunnel answers; deliver it as usual.
	Pass Outcome = iota
	// Answered: a handshake answered; write Result.Answer.
	Answered
	// Refused: a handshake of a listed kind that failed its check (wrong
	// verify token, bad signature); write the relay's error.
	Refused
)

var outcomeNames = [...]string{Pass: "pass", Answered: "answered", Refused: "refused"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "outcome(" + strconv.Itoa(int(o)) + ")"
}

// Response is an exact HTTP answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Result is the verdict on one request.
type Result struct {
	Outcome Outcome
	// Kind is the handshake recognised; 0 for a plain Pass.
	Kind Kind
	// Answer is the response to send when Outcome is Answered.
	Answer Response
	// Code and Status are the relay's error when Outcome is Refused.
	Code   proto.Code
	Status int
	// Reason says why a request of a listed kind's shape was refused or
	// passed on; "" for a request that is no handshake at all. Never
	// contains a secret.
	Reason string
}

// Answer says whether a request is a handshake of one of r's kinds and, if
// so, how to answer it. body is the exact request body, already read and
// bounded by the caller; now judges the Slack signature's timestamp.
// Kinds are tried in the configured order; the first that recognises the
// request decides.
func (r *Responder) Answer(h Head, body []byte, now time.Time) Result {
	if r == nil {
		return Result{}
	}
	in := request{Head: h, body: body, now: now}
	for _, k := range r.kinds {
		if res, ok := r.try(k, &in); ok {
			return res
		}
	}
	return Result{}
}

// request is one request being matched, with its query parsed once.
type request struct {
	Head
	body  []byte
	now   time.Time
	query url.Values
	state queryState
}

// queryState says whether a request's query has been parsed, and how.
type queryState uint8

const (
	queryUnread queryState = iota
	queryParsed
	queryBad // does not parse: matches nothing
)

// values returns the parsed query; ok is false when it does not parse.
func (in *request) values() (url.Values, bool) {
	if in.state == queryUnread {
		q, err := url.ParseQuery(in.RawQuery)
		in.query, in.state = q, queryParsed
		if err != nil {
			in.state = queryBad
		}
	}
	return in.query, in.state == queryParsed
}

// single returns the one value of key; ok is false when the query does not
// parse or key is absent, repeated or empty.
func (in *request) single(key string) (string, bool) {
	q, ok := in.values()
	if !ok || len(q[key]) != 1 || q[key][0] == "" {
		return "", false
	}
	return q[key][0], true
}

// try runs kind k's matcher.
func (r *Responder) try(k Kind, in *request) (Result, bool) {
	switch k {
	case Slack:
		return r.slackAnswer(in)
	case Meta:
		return r.metaAnswer(in)
	case Zoom:
		return r.zoomAnswer(in)
	case Twitter:
		return r.twitterAnswer(in)
	case MSGraph:
		return echoAnswer(in, MSGraph, http.MethodPost, "validationToken")
	case Dropbox:
		return echoAnswer(in, Dropbox, http.MethodGet, "challenge")
	}
	return Result{}, false
}

// answered wraps a response.
func answered(k Kind, resp Response) (Result, bool) {
	return Result{Outcome: Answered, Kind: k, Answer: resp}, true
}

// refused is a refusal with its code's status.
func refused(k Kind, code proto.Code, status int, reason string) (Result, bool) {
	return Result{Outcome: Refused, Kind: k, Code: code, Status: status, Reason: reason}, true
}

// declined is a request of k's shape that is not answered, with why.
func declined(k Kind, reason string) (Result, bool) {
	return Result{Outcome: Pass, Kind: k, Reason: reason}, true
}

// textAnswer is a 200 text/plain echo; nosniff keeps a browser from
// reading an echoed challenge as HTML (Dropbox asks for it; it is right
// for every echo).
func textAnswer(s string) Response {
	return newResponse("text/plain; charset=utf-8", []byte(s))
}

// jsonAnswer is a 200 application/json answer.
func jsonAnswer(body []byte) Response {
	return newResponse("application/json", body)
}

func newResponse(contentType string, body []byte) Response {
	h := http.Header{}
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	return Response{Status: http.StatusOK, Header: h, Body: body}
}

// Render returns the response to send: the answer, or for a refusal the
// relay's error body carrying requestID. A Pass renders as the zero Response.
func (res Result) Render(requestID string) Response {
	switch res.Outcome {
	case Answered:
		return res.Answer
	case Refused:
		return errorResponse(res, requestID)
	}
	return Response{}
}

// errorResponse is the relay's error answer for a refusal, as wire.WriteError
// writes it (Write uses that writer itself).
func errorResponse(res Result, requestID string) Response {
	body := wire.AppendErrorBody(nil, res.Code, res.Reason, requestID)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set(proto.HeaderError, string(res.Code))
	if requestID != "" {
		h.Set(proto.HeaderRequestID, requestID)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	return Response{Status: res.Status, Header: h, Body: body}
}

// Write sends Render(requestID) on w, a refusal through wire.WriteError; it
// does nothing for a Pass.
func (res Result) Write(w http.ResponseWriter, requestID string) error {
	switch res.Outcome {
	case Pass:
		return nil
	case Refused:
		wire.WriteError(w, res.Code, res.Reason, requestID)
		return nil
	}
	resp := res.Answer
	for k, v := range resp.Header {
		w.Header()[k] = append([]string(nil), v...)
	}
	w.WriteHeader(resp.Status)
	if _, err := w.Write(resp.Body); err != nil {
		return fmt.Errorf("write %s handshake answer: %w", res.Kind, err)
	}
	return nil
}
