package faultsuite

import (
	"fmt"
	"net/http"
	"sort"

	"github.com/hookrelay/hookrelay/proto"
)

// Sent is one request as its sender saw it: what went out and what came back.
type Sent struct {
	// ID is the sender's own id for the request, carried in SendHeader.
	ID string
	// Size and SHA256 describe the body that was sent (lowercase hex).
	Size   int64
	SHA256 string
	// Status is the answer's status, 0 when no answer came (reset, timeout).
	Status int
	// Code is the relay's error code (X-Hookrelay-Error), empty if none.
	Code string
	// FromApp reports that the answer carried the app's mark: the app wrote it.
	FromApp bool
	// Queued reports a 202 from the relay's offline queue: delivered later, at least
	// once.
	Queued bool
	// RespSHA256 is the digest of the answer body the app writes for this send, and
	// GotRespSHA256 that of the answer body the sender read (both set when FromApp).
	RespSHA256, GotRespSHA256 string
}

// success reports a 2xx answer, the sender's signal that it need not retry.
func (s *Sent) success() bool { return s.Status >= 200 && s.Status < 300 }

// answered reports an answer that promises a record: a success, the app's own answer,
// or a refusal the relay gives only after recording (recordedCodes).
func (s *Sent) answered() bool { return s.success() || s.FromApp || recordedCodes[s.Code] }

// recordedCodes are the relay's refusals that come after the request was recorded: no
// client (the record is what replay --missed sends later), and the app unreachable or
// too slow.
var recordedCodes = map[string]bool{
	string(proto.CodeTunnelOffline):    true,
	string(proto.CodeLocalUnreachable): true,
	string(proto.CodeLocalTimeout):     true,
}

// Received is one request the app read to its end.
type Received struct {
	// Send is the sender's id (SendHeader); RequestID and ReplayOf are the relay's
	// X-Hookrelay-Request-Id and X-Hookrelay-Replay-Of.
	Send, RequestID, ReplayOf string
	// Size and SHA256 describe the body the app read.
	Size   int64
	SHA256 string
	// Status is what the app answered.
	Status int
}

// Recorded is one record of the store, read back after the run.
type Recorded struct {
	// ID is the record id; Send the sender's id found in its headers; ReplayOf the
	// original of a replay.
	ID, Send, ReplayOf string
	// Size and SHA256 are the body's length and digest as the record states them.
	Size   int64
	SHA256 string
	// DataSHA256 is the digest of the body bytes actually stored; Truncated says
	// they are only a prefix.
	DataSHA256 string
	Truncated  bool
	// Outcome and Status are the record's response half; RespDataSHA256 the digest of
	// the answer body it stores, RespTruncated that it is only a prefix.
	Outcome        string
	Status         int
	RespDataSHA256 string
	RespTruncated  bool
}

// Counts are the oracle's verdict. The first four must be zero; the others describe
// the run.
type Counts struct {
	// Lost: the sender got a 2xx (or a queued 202) and the app never read the
	// request, or the sender got an answer that promises a record and there is none.
	Lost int
	// Corrupted: a body the app read, or a record's body (digest, size or stored
	// bytes), differs from what was sent.
	Corrupted int
	// Duplicated: the app read one live delivery twice, or one send has two records.
	Duplicated int
	// FalseSuccess: the sender got a live 2xx but the app answered otherwise or
	// never read the request.
	FalseSuccess int

	// Unsettled: records still pending at the end.
	Unsettled int
	// Redelivered: extra deliveries of queued requests (allowed: at least once).
	Redelivered int
	// Mismatched: the app answered a status the record does not hold.
	Mismatched int
	// Unacknowledged: the app read the request but its sender got a refusal or no
	// answer, so it will send it again (the app sees it twice).
	Unacknowledged int
}

// Zero reports that nothing was lost, corrupted, duplicated or falsely acknowledged.
func (c Counts) Zero() bool {
	return c.Lost == 0 && c.Corrupted == 0 && c.Duplicated == 0 && c.FalseSuccess == 0
}

func (c Counts) String() string {
	return fmt.Sprintf("lost=%d corrupted=%d duplicated=%d false-success=%d (unsettled=%d redelivered=%d mismatched=%d unacknowledged=%d)",
		c.Lost, c.Corrupted, c.Duplicated, c.FalseSuccess, c.Unsettled, c.Redelivered, c.Mismatched, c.Unacknowledged)
}

// Report is the verdict with one line per counted problem, and the problems grouped
// by kind (their message pattern) with a count and a first example each.
type Report struct {
	Counts
	Problems []string
	Kinds    []Kind
}

// Kind is one kind of problem: its message pattern, how often, a first example.
type Kind struct {
	Pattern, Example string
	N                int
}

func (r *Report) add(n *int, format string, args ...any) {
	*n++
	line := fmt.Sprintf(format, args...)
	r.Problems = append(r.Problems, line)
	for i := range r.Kinds {
		if r.Kinds[i].Pattern == format {
			r.Kinds[i].N++
			return
		}
	}
	r.Kinds = append(r.Kinds, Kind{Pattern: format, Example: line, N: 1})
}

// Check compares the three views of a run with what was sent. Records and
// deliveries that are replays (ReplayOf set) are not live deliveries: they count only
// if their body is not the one first sent.
func Check(sent []Sent, got []Received, recs []Recorded) Report {
	hits, recBySend := groupHits(got), groupRecords(recs)
	var r Report
	known := make(map[string]bool, len(sent))
	for i := range sent {
		s := &sent[i]
		known[s.ID] = true
		r.checkSend(s, hits[s.ID], recBySend[s.ID])
	}
	r.checkStrays(hits, recBySend, known)
	r.checkSettled(recs)
	r.checkReplays(sent, got, recs)
	return r
}

// checkReplays holds replays to the bytes first sent: what the app read of a replay,
// and a replay's record, must be the original body.
func (r *Report) checkReplays(sent []Sent, got []Received, recs []Recorded) {
	byID := make(map[string]*Sent, len(sent))
	for i := range sent {
		byID[sent[i].ID] = &sent[i]
	}
	for _, h := range got {
		if s := byID[h.Send]; s != nil && h.ReplayOf != "" && (h.Size != s.Size || h.SHA256 != s.SHA256) {
			r.add(&r.Corrupted, "send %s: replay of %s delivered %d bytes sha256 %.12s, sent %d bytes sha256 %.12s",
				s.ID, h.ReplayOf, h.Size, h.SHA256, s.Size, s.SHA256)
		}
	}
	for _, rec := range recs {
		s := byID[rec.Send]
		if s == nil || rec.ReplayOf == "" || rec.Truncated || (rec.Size == s.Size && rec.DataSHA256 == s.SHA256) {
			continue
		}
		r.add(&r.Corrupted, "record %s (send %s): replay of %s holds %d bytes sha256 %.12s, sent %d bytes sha256 %.12s",
			rec.ID, s.ID, rec.ReplayOf, rec.Size, rec.DataSHA256, s.Size, s.SHA256)
	}
}

func groupHits(got []Received) map[string][]Received {
	m := make(map[string][]Received)
	for _, h := range got {
		if h.ReplayOf == "" {
			m[h.Send] = append(m[h.Send], h)
		}
	}
	return m
}

func groupRecords(recs []Recorded) map[string][]Recorded {
	m := make(map[string][]Recorded)
	for _, rec := range recs {
		if rec.ReplayOf == "" {
			m[rec.Send] = append(m[rec.Send], rec)
		}
	}
	return m
}

// checkSend applies every rule to one send, its app deliveries and its records.
func (r *Report) checkSend(s *Sent, hits []Received, recs []Recorded) {
	r.checkLost(s, hits, recs)
	r.checkFalseSuccess(s, hits)
	for _, h := range hits {
		if h.Size != s.Size || h.SHA256 != s.SHA256 {
			r.add(&r.Corrupted, "send %s: app read %d bytes sha256 %.12s, sent %d bytes sha256 %.12s",
				s.ID, h.Size, h.SHA256, s.Size, s.SHA256)
		}
	}
	if s.FromApp && s.GotRespSHA256 != s.RespSHA256 {
		r.add(&r.Corrupted, "send %s: answer body sha256 %.12s, the app wrote %.12s", s.ID, s.GotRespSHA256, s.RespSHA256)
	}
	for _, rec := range recs {
		r.checkRecordBody(s, rec)
		r.checkRecordStatus(s, rec)
		r.checkRecordAnswer(s, rec)
	}
	r.checkDuplicates(s, hits, recs)
	if len(hits) > 0 && !s.success() && !s.FromApp {
		r.Unacknowledged++
	}
}

func (r *Report) checkLost(s *Sent, hits []Received, recs []Recorded) {
	switch {
	case s.success() && len(hits) == 0:
		r.add(&r.Lost, "send %s: sender got %d, the app never read it", s.ID, s.Status)
	case s.answered() && len(recs) == 0:
		r.add(&r.Lost, "send %s: sender got %d %s, no record", s.ID, s.Status, s.Code)
	}
}

func (r *Report) checkFalseSuccess(s *Sent, hits []Received) {
	if !s.success() || s.Queued {
		return
	}
	for _, h := range hits {
		if h.Status >= 200 && h.Status < 300 {
			return
		}
	}
	if len(hits) == 0 {
		r.add(&r.FalseSuccess, "send %s: sender got %d, the app never read it", s.ID, s.Status)
		return
	}
	r.add(&r.FalseSuccess, "send %s: sender got %d, the app answered %d", s.ID, s.Status, hits[0].Status)
}

// checkRecordBody holds a record's body to what was sent. A record of a send that got no
// answer may hold a cut body (the upload was cut), and so may the record of a refusal
// if it says it is truncated; but never more bytes than were sent, nor other bytes
// when it claims the full length.
func (r *Report) checkRecordBody(s *Sent, rec Recorded) {
	if rec.Size > s.Size {
		r.add(&r.Corrupted, "record %s (send %s): states %d bytes, more than the %d sent", rec.ID, s.ID, rec.Size, s.Size)
		return
	}
	if rec.Size < s.Size && (!s.answered() || cutKnown(s, rec)) {
		return
	}
	if cutKnown(s, rec) && rec.SHA256 == "" {
		return // the whole length as declared, no digest, no claim to the bytes
	}
	switch {
	case rec.Size != s.Size:
		r.add(&r.Corrupted, "record %s (send %s, sender got %d): states %d bytes (outcome %s, truncated %v), %d were sent",
			rec.ID, s.ID, s.Status, rec.Size, rec.Outcome, rec.Truncated, s.Size)
	case rec.SHA256 != s.SHA256:
		r.add(&r.Corrupted, "record %s (send %s, sender got %d): states sha256 %q (outcome %s, truncated %v), sent %.12s",
			rec.ID, s.ID, s.Status, rec.SHA256, rec.Outcome, rec.Truncated, s.SHA256)
	case !rec.Truncated && rec.DataSHA256 != s.SHA256:
		r.add(&r.Corrupted, "record %s (send %s, sender got %d): stored bytes have sha256 %.12s (outcome %s), sent %.12s",
			rec.ID, s.ID, s.Status, rec.DataSHA256, rec.Outcome, s.SHA256)
	}
}

// cutKnown reports a record that holds part of a body and says so, for a request the
// relay refused or never answered (it may answer before the whole body came in, or
// die).
func cutKnown(s *Sent, rec Recorded) bool {
	return rec.Truncated && !s.success() && !s.FromApp
}

// checkRecordStatus notes a record whose status is not what the app answered (after a
// crash the response half may be settled without it).
func (r *Report) checkRecordStatus(s *Sent, rec Recorded) {
	if s.FromApp && !s.Queued && rec.Status != s.Status {
		r.add(&r.Mismatched, "record %s (send %s): status %d outcome %s, the app answered %d",
			rec.ID, s.ID, rec.Status, rec.Outcome, s.Status)
	}
}

// checkRecordAnswer holds the answer body of a record that says the app answered to
// what the app wrote, when its sender read that answer whole.
func (r *Report) checkRecordAnswer(s *Sent, rec Recorded) {
	if !s.FromApp || s.Queued || rec.Outcome != "ok" || rec.RespTruncated || rec.RespDataSHA256 == s.RespSHA256 {
		return
	}
	r.add(&r.Corrupted, "record %s (send %s): answer body sha256 %.12s, the app wrote %.12s",
		rec.ID, s.ID, rec.RespDataSHA256, s.RespSHA256)
}

func (r *Report) checkDuplicates(s *Sent, hits []Received, recs []Recorded) {
	if len(recs) > 1 {
		r.add(&r.Duplicated, "send %s: %d records", s.ID, len(recs))
	}
	if len(hits) <= 1 {
		return
	}
	if s.Queued && sameRequest(hits) {
		r.Redelivered += len(hits) - 1
		return
	}
	r.add(&r.Duplicated, "send %s: the app read it %d times", s.ID, len(hits))
}

// sameRequest reports that every delivery carries one record id (a queued request sent
// again, as at-least-once allows).
func sameRequest(hits []Received) bool {
	for _, h := range hits[1:] {
		if h.RequestID != hits[0].RequestID {
			return false
		}
	}
	return true
}

// checkStrays counts deliveries and records of sends nobody made.
func (r *Report) checkStrays(hits map[string][]Received, recs map[string][]Recorded, known map[string]bool) {
	for _, id := range strayKeys(hits, known) {
		r.add(&r.Duplicated, "send %q: the app read %d requests nobody sent", id, len(hits[id]))
	}
	for _, id := range strayKeys(recs, known) {
		r.add(&r.Duplicated, "send %q: %d records of requests nobody sent", id, len(recs[id]))
	}
}

func strayKeys[V any](m map[string][]V, known map[string]bool) []string {
	var ids []string
	for id := range m {
		if !known[id] {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

func (r *Report) checkSettled(recs []Recorded) {
	for _, rec := range recs {
		if rec.Outcome == "pending" {
			r.add(&r.Unsettled, "record %s (send %s): still pending", rec.ID, rec.Send)
		}
	}
}

// cleanRefusal reports whether an answer that is not the app's is one of the relay's
// documented refusals: a known code served with its own status, and Retry-After on 503
// and 429.
func cleanRefusal(status int, code string, retryAfter bool) bool {
	if code == "" || status == http.StatusInternalServerError || proto.Code(code).Status() != status {
		return false
	}
	if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
		return retryAfter
	}
	return true
}
