package server

import (
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/wire"
	"github.com/hookrelay/hookrelay/proto"
)

// delivery is one request on its way to a tunnel, with its record. Its lifecycle is in
// three small states: where it comes from (origin), how its request body is held
// (requestBody) and what became of it once forwarded (fate). See "Life of a delivery"
// in the package doc.
type delivery struct {
	id, path, query string
	origin          origin
	replayOf        string // with fromReplay: the id of the record replayed
	verdict         string // X-Hookrelay-Verified value, if verified
	resigned        string // X-Hookrelay-Resigned value: a queued delivery re-signed (see restamp)
	start           time.Time
	tunnel          *tunnel
	try             try           // the client it went to, once forwarded
	rec             *store.Record // nil without a store
	body            requestBody
	timer           *timedBody // the body deadline, nil without one
	fate            fate
	code            proto.Code // the relay's own answer, if it gave one
	err             error      // why forwarding failed, if it did
	toClient        string     // with fromReplay: the label of the one client to send to
	shared          *sharing   // on a tunnel of several clients; nil on the fast path
}

// origin is where a delivery comes from. It decides who waits for the record, and what
// an answer from the app means.
type origin uint8

const (
	// fromSender is live traffic: the sender is answered as soon as the app answers, and
	// the response half is saved in the background.
	fromSender origin = iota
	// fromReplay is a replay through the API or the inspector: the caller gets the
	// finished record, so the response half is saved before forward returns. It is
	// never a duplicate, never counts against a record quota and is recorded even when
	// shed as overloaded.
	fromReplay
	// fromQueue is a delivery from the offline queue (see deliverQueued): saved on its
	// own record before the next one is sent, and failed unless the app answers 2xx,
	// because its sender was answered 202 long ago (see queuedOutcome).
	fromQueue
)

// savesInPlace reports whether the response half is saved before forward returns.
func (o origin) savesInPlace() bool { return o != fromSender }

// bodyKind is how a delivery holds its request body.
type bodyKind uint8

const (
	// bodyNone: nothing is held. The body streams to the tunnel as the app reads it,
	// unrecorded: on a server without a store, to a tunnel that does not verify, a body
	// over the prebuffer, of unknown length or waiting for 100 Continue. (The offline
	// path reads the body into the record itself, and a queued delivery's body is its
	// record's, which the proxy reads from memory.)
	bodyNone bodyKind = iota
	// bodyInMemory: the whole body was read before forwarding (data). It is recorded with
	// the request half, verified on its exact bytes, and may take the direct path.
	bodyInMemory
	// bodyStreaming: the body is recorded as it streams to the tunnel (capture, fed by
	// teeBody), and saved with SaveRequestBody before the response goes out.
	bodyStreaming
)

// requestBody is a delivery's request body as the relay holds it.
type requestBody struct {
	kind     bodyKind
	data     []byte       // bodyInMemory: the whole body
	capture  *bodyCapture // bodyStreaming: what was recorded so far
	saved    bool         // bodyStreaming: the capture went to the store (once)
	declared int64        // the declared length (0 when unknown), for metrics
}

// length is the number of body bytes in, for metrics: counted as they streamed, or the
// declared length.
func (b *requestBody) length() int64 {
	if b.kind == bodyStreaming {
		return b.capture.length()
	}
	return b.declared
}

// fate is what became of a delivery once it was forwarded, beyond its code and error.
type fate uint8

const (
	// forwarded: the exchange ran (code and err say how it went) and its response half
	// is not known to be in the store: not yet saved, saved in the background, or
	// refused by the store (then parked, see saveComplete).
	forwarded fate = iota
	// requeued: a live delivery whose tunnel went offline mid-way on a queue tunnel,
	// with its whole body recorded; it goes back to the offline queue and its sender is
	// answered as if it had arrived offline.
	requeued
	// saved: the response half is in the store, written in place (savesInPlace, or
	// requeued). A queued delivery lets the next one go only then.
	saved
	// passed: on a tunnel of several clients, the client tried was gone before any
	// byte of the delivery left (its session was closed): nothing is recorded of the
	// exchange nor answered, and the next client in the plan takes it.
	passed
)

func (d *delivery) fail(code proto.Code, err error) { d.code, d.err = code, err }

// requeueable reports whether a live delivery that lost its tunnel can go to the
// offline queue instead: the tunnel queues, and the whole body is in the record.
func (d *delivery) requeueable(cfg tunnelConfig) bool {
	return cfg.offline == proto.OfflineQueue && d.rec != nil && d.body.kind == bodyInMemory &&
		!d.rec.Body.Truncated && d.origin == fromSender
}

// target is the request target forwarded: the path and query as the sender wrote them.
func (d *delivery) target() string {
	if d.query == "" {
		return d.path
	}
	return d.path + "?" + d.query
}

// relay is what the relay states about d to the app.
func (d *delivery) relay() wire.Relay {
	return wire.Relay{Tunnel: d.tunnel.name, RequestID: d.id, ReplayOf: d.replayOf, Verified: d.verdict, Resigned: d.resigned}
}

// Names of the states, for logs and test failures.

func (o origin) String() string {
	return [...]string{fromSender: "sender", fromReplay: "replay", fromQueue: "queue"}[o]
}

func (k bodyKind) String() string {
	return [...]string{bodyNone: "none", bodyInMemory: "in memory", bodyStreaming: "streaming"}[k]
}

func (f fate) String() string {
	return [...]string{forwarded: "forwarded", requeued: "requeued", saved: "saved", passed: "passed"}[f]
}
