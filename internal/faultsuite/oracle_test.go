package faultsuite

import (
	"strings"
	"testing"
)

const (
	shaA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	shaB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// ok200 is a send the app answered 200.
func ok200(id string) Sent {
	return Sent{ID: id, Size: 10, SHA256: shaA, Status: 200, FromApp: true, RespSHA256: shaB, GotRespSHA256: shaB}
}

func hit(id, req string) Received {
	return Received{Send: id, RequestID: req, Size: 10, SHA256: shaA, Status: 200}
}

func rec(id, send string) Recorded {
	return Recorded{ID: id, Send: send, Size: 10, SHA256: shaA, DataSHA256: shaA, Outcome: "ok", Status: 200,
		RespDataSHA256: shaB}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		sent []Sent
		got  []Received
		recs []Recorded
		want Counts
	}{
		{name: "clean", sent: []Sent{ok200("1")}, got: []Received{hit("1", "r1")}, recs: []Recorded{rec("r1", "1")}},
		{name: "2xx never read: lost and false success", sent: []Sent{ok200("1")}, recs: []Recorded{rec("r1", "1")},
			want: Counts{Lost: 1, FalseSuccess: 1}},
		{name: "answered without record", sent: []Sent{ok200("1")}, got: []Received{hit("1", "r1")},
			want: Counts{Lost: 1}},
		{name: "app error answered without record", sent: []Sent{{ID: "1", Size: 10, SHA256: shaA, Status: 500, FromApp: true}},
			got: []Received{{Send: "1", RequestID: "r1", Size: 10, SHA256: shaA, Status: 500}}, want: Counts{Lost: 1}},
		{name: "queued 202 never delivered", sent: []Sent{{ID: "1", Size: 10, SHA256: shaA, Status: 202, Queued: true}},
			recs: []Recorded{{ID: "r1", Send: "1", Size: 10, SHA256: shaA, DataSHA256: shaA, Outcome: "queued"}},
			want: Counts{Lost: 1}},
		{name: "queued body delivered empty",
			sent: []Sent{{ID: "1", Size: 10, SHA256: shaA, Status: 202, Queued: true}},
			got:  []Received{{Send: "1", RequestID: "r1", Size: 0, SHA256: shaB, Status: 200}},
			recs: []Recorded{rec("r1", "1")}, want: Counts{Corrupted: 1}},
		{name: "read by the app, refused to the sender",
			sent: []Sent{{ID: "1", Size: 10, SHA256: shaA, Status: 503, Code: "tunnel_offline"}},
			got:  []Received{hit("1", "r1")}, recs: []Recorded{rec("r1", "1")}, want: Counts{Unacknowledged: 1}},
		{name: "offline refusal without record", sent: []Sent{{ID: "1", Size: 10, SHA256: shaA, Status: 503, Code: "tunnel_offline"}},
			want: Counts{Lost: 1}},
		{name: "store refusal without record: fine", sent: []Sent{{ID: "1", Size: 10, SHA256: shaA, Status: 503, Code: "store_unavailable"}}},
		{name: "refused, never read, no record: fine",
			sent: []Sent{{ID: "1", Size: 10, SHA256: shaA, Status: 503, Code: "tunnel_busy"}}},
		{name: "no answer, cut record: fine", sent: []Sent{{ID: "1", Size: 10, SHA256: shaA}},
			recs: []Recorded{{ID: "r1", Send: "1", Size: 4, SHA256: shaB, DataSHA256: shaB, Outcome: "error"}}},
		{name: "refused mid-body, record holds the cut body as whole",
			sent: []Sent{{ID: "1", Size: 10, SHA256: shaA, Status: 503, Code: "tunnel_offline"}},
			recs: []Recorded{{ID: "r1", Send: "1", Size: 4, SHA256: shaB, DataSHA256: shaB, Outcome: "offline"}},
			want: Counts{Corrupted: 1}},
		{name: "refused mid-body, record says it is truncated",
			sent: []Sent{{ID: "1", Size: 10, SHA256: shaA, Status: 503, Code: "tunnel_offline"}},
			recs: []Recorded{{ID: "r1", Send: "1", Size: 4, SHA256: shaB, DataSHA256: shaB, Truncated: true, Outcome: "offline"}}},
		{name: "no answer, record of the declared length, truncated, no digest",
			sent: []Sent{{ID: "1", Size: 10, SHA256: shaA}},
			recs: []Recorded{{ID: "r1", Send: "1", Size: 10, DataSHA256: shaB, Truncated: true, Outcome: "interrupted"}}},
		{name: "answered, record truncated without digest",
			sent: []Sent{ok200("1")}, got: []Received{hit("1", "r1")},
			recs: []Recorded{{ID: "r1", Send: "1", Size: 10, DataSHA256: shaB, Truncated: true, Outcome: "ok", Status: 200,
				RespDataSHA256: shaB}}, want: Counts{Corrupted: 1}},
		{name: "no answer, full-length record with other bytes",
			sent: []Sent{{ID: "1", Size: 10, SHA256: shaA}},
			recs: []Recorded{{ID: "r1", Send: "1", Size: 10, SHA256: shaA, DataSHA256: shaB, Outcome: "error"}},
			want: Counts{Corrupted: 1}},
		{name: "record longer than sent (capture doubled)", sent: []Sent{{ID: "1", Size: 10, SHA256: shaA}},
			recs: []Recorded{{ID: "r1", Send: "1", Size: 17, SHA256: shaB, DataSHA256: shaB, Outcome: "ok"}},
			want: Counts{Corrupted: 1}},
		{name: "record digest field wrong", sent: []Sent{ok200("1")}, got: []Received{hit("1", "r1")},
			recs: []Recorded{{ID: "r1", Send: "1", Size: 10, SHA256: shaB, DataSHA256: shaA, Outcome: "ok", Status: 200, RespDataSHA256: shaB}},
			want: Counts{Corrupted: 1}},
		{name: "stored bytes wrong", sent: []Sent{ok200("1")}, got: []Received{hit("1", "r1")},
			recs: []Recorded{{ID: "r1", Send: "1", Size: 10, SHA256: shaA, DataSHA256: shaB, Outcome: "ok", Status: 200, RespDataSHA256: shaB}},
			want: Counts{Corrupted: 1}},
		{name: "truncated record: stored prefix not compared", sent: []Sent{ok200("1")}, got: []Received{hit("1", "r1")},
			recs: []Recorded{{ID: "r1", Send: "1", Size: 10, SHA256: shaA, DataSHA256: shaB, Truncated: true, Outcome: "ok", Status: 200, RespDataSHA256: shaB}}},
		{name: "app read other bytes", sent: []Sent{ok200("1")},
			got:  []Received{{Send: "1", RequestID: "r1", Size: 10, SHA256: shaB, Status: 200}},
			recs: []Recorded{rec("r1", "1")}, want: Counts{Corrupted: 1}},
		{name: "answer body changed on the way", sent: []Sent{{ID: "1", Size: 10, SHA256: shaA, Status: 200,
			FromApp: true, RespSHA256: shaB, GotRespSHA256: shaA}},
			got: []Received{hit("1", "r1")}, recs: []Recorded{rec("r1", "1")}, want: Counts{Corrupted: 1}},
		{name: "recorded answer body differs", sent: []Sent{ok200("1")}, got: []Received{hit("1", "r1")},
			recs: []Recorded{{ID: "r1", Send: "1", Size: 10, SHA256: shaA, DataSHA256: shaA, Outcome: "ok", Status: 200,
				RespDataSHA256: shaA}}, want: Counts{Corrupted: 1}},
		{name: "recorded answer of an aborted exchange not compared", sent: []Sent{ok200("1")}, got: []Received{hit("1", "r1")},
			recs: []Recorded{{ID: "r1", Send: "1", Size: 10, SHA256: shaA, DataSHA256: shaA, Outcome: "error", Status: 200,
				RespDataSHA256: shaA}}},
		{name: "live delivery read twice", sent: []Sent{ok200("1")}, got: []Received{hit("1", "r1"), hit("1", "r1")},
			recs: []Recorded{rec("r1", "1")}, want: Counts{Duplicated: 1}},
		{name: "queued delivery read twice: at least once",
			sent: []Sent{{ID: "1", Size: 10, SHA256: shaA, Status: 202, Queued: true}},
			got:  []Received{hit("1", "r1"), hit("1", "r1")}, recs: []Recorded{rec("r1", "1")},
			want: Counts{Redelivered: 1}},
		{name: "queued send read under two record ids",
			sent: []Sent{{ID: "1", Size: 10, SHA256: shaA, Status: 202, Queued: true}},
			got:  []Received{hit("1", "r1"), hit("1", "r2")}, recs: []Recorded{rec("r1", "1")},
			want: Counts{Duplicated: 1}},
		{name: "two records for one send", sent: []Sent{ok200("1")}, got: []Received{hit("1", "r1")},
			recs: []Recorded{rec("r1", "1"), rec("r2", "1")}, want: Counts{Duplicated: 1}},
		{name: "replays are not live deliveries", sent: []Sent{ok200("1")},
			got:  []Received{hit("1", "r1"), {Send: "1", RequestID: "r2", ReplayOf: "r1", Size: 10, SHA256: shaA, Status: 200}},
			recs: []Recorded{rec("r1", "1"), {ID: "r2", Send: "1", ReplayOf: "r1", Size: 10, SHA256: shaA, DataSHA256: shaA, Outcome: "ok", Status: 200}}},
		{name: "replay of a cut record", sent: []Sent{{ID: "1", Size: 10, SHA256: shaA, Status: 503, Code: "tunnel_offline"}},
			got: []Received{{Send: "1", RequestID: "r2", ReplayOf: "r1", Size: 4, SHA256: shaB, Status: 200}},
			recs: []Recorded{{ID: "r1", Send: "1", Size: 4, SHA256: shaB, DataSHA256: shaB, Outcome: "offline"},
				{ID: "r2", Send: "1", ReplayOf: "r1", Size: 4, SHA256: shaB, DataSHA256: shaB, Outcome: "ok", Status: 200}},
			want: Counts{Corrupted: 3}},
		{name: "2xx while the app answered 500", sent: []Sent{{ID: "1", Size: 10, SHA256: shaA, Status: 200}},
			got:  []Received{{Send: "1", RequestID: "r1", Size: 10, SHA256: shaA, Status: 500}},
			recs: []Recorded{{ID: "r1", Send: "1", Size: 10, SHA256: shaA, DataSHA256: shaA, Outcome: "ok", Status: 500}},
			want: Counts{FalseSuccess: 1}},
		{name: "request nobody sent", got: []Received{hit("x", "r1")}, recs: []Recorded{rec("r1", "x")},
			want: Counts{Duplicated: 2}},
		{name: "pending record", sent: []Sent{ok200("1")}, got: []Received{hit("1", "r1")},
			recs: []Recorded{{ID: "r1", Send: "1", Size: 10, SHA256: shaA, DataSHA256: shaA, Outcome: "pending"}},
			want: Counts{Unsettled: 1, Mismatched: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Check(tt.sent, tt.got, tt.recs)
			if r.Counts != tt.want {
				t.Errorf("counts %v, want %v\n%s", r.Counts, tt.want, strings.Join(r.Problems, "\n"))
			}
			if n := problemCount(r.Counts); n != len(r.Problems) {
				t.Errorf("%d problems listed for %d counted", len(r.Problems), n)
			}
			kinds := 0
			for _, k := range r.Kinds {
				kinds += k.N
			}
			if kinds != len(r.Problems) {
				t.Errorf("%d problems in kinds for %d listed", kinds, len(r.Problems))
			}
		})
	}
}

// problemCount is how many problem lines a report must list: every count but
// Redelivered and Unacknowledged, which are allowed.
func problemCount(c Counts) int {
	return c.Lost + c.Corrupted + c.Duplicated + c.FalseSuccess + c.Unsettled + c.Mismatched
}

func TestCountsZero(t *testing.T) {
	if !(Counts{Unsettled: 3, Redelivered: 2, Mismatched: 1}).Zero() {
		t.Error("informational counts made Zero false")
	}
	for _, c := range []Counts{{Lost: 1}, {Corrupted: 1}, {Duplicated: 1}, {FalseSuccess: 1}} {
		if c.Zero() {
			t.Errorf("%v reported zero", c)
		}
	}
}

func TestCleanRefusal(t *testing.T) {
	tests := []struct {
		status     int
		code       string
		retryAfter bool
		want       bool
	}{
		{503, "tunnel_busy", true, true},
		{503, "tunnel_busy", false, false},
		{503, "", true, false},
		{502, "local_unreachable", false, true},
		{504, "local_timeout", false, true},
		{500, "internal", false, false},
		{502, "tunnel_busy", true, false},
		{503, "no_such_code", true, false},
	}
	for _, tt := range tests {
		if got := cleanRefusal(tt.status, tt.code, tt.retryAfter); got != tt.want {
			t.Errorf("cleanRefusal(%d, %q, %v) = %v, want %v", tt.status, tt.code, tt.retryAfter, got, tt.want)
		}
	}
}
