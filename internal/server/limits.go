package server

import (
	"fmt"
	"time"

	"github.com/hookrelay/hookrelay/proto"
)

// Defaults of the Limits fields left zero. Why these numbers:
//   - A sender gets DefaultBodyTimeout to start its body, then must keep up
//     DefaultBodyMinRate on average: a webhook sender is a server on a decent link, and a
//     32 MiB body at the minimum rate still has about 35 minutes.
//   - In-flight bytes bound the memory that request bodies take while they are read,
//     recorded and forwarded, and the time an admitted request shares the relay with
//     others. Measured with a mixed overload (1 KiB-4 MiB bodies, 128 senders, one
//     tunnel, shared 2-core machine): 8 MiB per tunnel answered more requests than 16 or
//     64 MiB, with a p99 of 1.5 s instead of 2.4 and 7.5 s; with bodies up to 64 KiB
//     left out of the count, p99 0.44 s and peak RSS 88 MiB. 64 MiB server-wide lets
//     eight tunnels be that busy at once.
//   - A response head is a status line and headers: 1 MiB is far over any real one.
//   - Sessions and names per token bound what one token can make the server hold.
//   - Rates are requests per second with a burst of twice the rate. The defaults (1,000/s
//     per source, 2,000/s per tunnel) only stop floods: they are above what one relay
//     carries, so an operator who knows the traffic sets them lower.
//   - Session opens are rated so that churn is bounded, not only sessions open at once:
//     a hostile client that opens a session, floods it and is cut off can at once open
//     the next, and every open costs the server a websocket, a yamux session and what
//     the client pushes before it is cut off (up to a 256 KiB window on each stream it
//     opens). Unrated, one token churned about 100 sessions a second and grew server
//     RSS by 50-81 MiB in 30 s. relay-client opens at most one session a second:
//     after a session that connected it waits 1-1.5 s (proto.MinBackoff plus jitter),
//     after a refused or failed connect twice as long as the time before, up to 30 s.
//     So a token's worst legitimate rate is its SessionsPerToken clients (10) all
//     reconnecting at once, 10 opens within 1.5 s after a restart, and never more than
//     1/s each: a burst of 10 lets them all in at once, and 2/s sustained lets each of
//     10 clients whose sessions keep failing reconnect every 5 s (one refused is answered
//     429 rate_limited and tries again after its doubled backoff, 2-3 s later). Per
//     source address (an IPv6 /64), 5/s with a burst of 20 lets 20 clients behind one
//     NAT, of any tokens, reconnect at once, and bounds one address holding several
//     tokens to 5 opens a second.
//   - Record quotas bound what senders can make the server store per day: with the
//     default 7-day retention a tunnel's records stay under 7 GiB, a token's under 28 GiB.
//     Over a quota the relay refuses (429) rather than evicting older records: records
//     are the evidence of what was delivered, and a flood must not erase them. The day
//     is a UTC calendar day so that its counts can be rebuilt at start from the
//     records' receive times with one aggregate query (about 0.25 s for 200,000 records
//     of the day with the SQLite store).
//   - A name idle for NameTTL is released so that names do not pile up for ever; the
//     sweep runs with retention, every PurgeEvery.
const (
	DefaultBodyTimeout         = 10 * time.Second
	DefaultBodyMinRate         = 8 << 10
	DefaultServerInflightBytes = 64 << 20
	DefaultTunnelInflightBytes = 8 << 20
	DefaultResponseHeadLimit   = 1 << 20
	DefaultSessionsPerToken    = 10
	DefaultNamesPerToken       = 50
	DefaultNameTTL             = 30 * 24 * time.Hour
	DefaultSourceRate          = 1000
	DefaultTunnelRate          = 2000
	DefaultTunnelRecordQuota   = 1 << 30
	DefaultTokenRecordQuota    = 4 << 30
	DefaultRejectRecordCap     = 64 << 10
	DefaultSessionRate         = 2
	DefaultSessionBurst        = 10
	DefaultSourceSessionRate   = 5
	DefaultSourceSessionBurst  = 20
	DefaultClientsPerTunnel    = 16
)

// chunkedReserve is what a body of unknown length (chunked) counts against the in-flight
// byte budgets once it outgrows the prebuffer.
const chunkedReserve = 1 << 20

// Limits bound what senders and tunnel clients can make the server hold. The zero value
// of every field means its default; negative values are refused by New.
type Limits struct {
	// BodyTimeout is how long a sender has for the first bytes of its body; after it the
	// body must arrive at BodyMinRate bytes per second on average, counted from the end
	// of the head. A slower sender gets 408 body_timeout. Defaults 10 s and 8 KiB/s.
	BodyTimeout time.Duration
	BodyMinRate int64
	// ServerInflightBytes and TunnelInflightBytes cap the request body bytes in flight
	// (being read, recorded or forwarded) server-wide and per tunnel; a request that would
	// go over gets 503 overloaded with a short Retry-After. A body is counted at its
	// Content-Length (1 MiB for a chunked body); one of up to 64 KiB is not counted (the
	// tunnel's slots bound those). Defaults 64 MiB and 8 MiB.
	ServerInflightBytes int64
	TunnelInflightBytes int64
	// ResponseHeadLimit caps the response head a tunnel client sends (status line and
	// headers); a larger one gets 502 bad_response and nothing of it is kept. Default 1 MiB.
	ResponseHeadLimit int64
	// SessionsPerToken caps the sessions one token has open at once; one more is refused
	// with 429 too_many_sessions. Default 10.
	SessionsPerToken int
	// NamesPerToken caps the tunnel names one token holds; a Hello asking for one more
	// is refused with too_many_tunnels. A name no client has served for NameTTL is
	// released (any token may take it; its records stay the old owner's), except one
	// in Config.Reserved. Defaults 50 and 30 days.
	NamesPerToken int
	NameTTL       time.Duration
	// SourceRate and TunnelRate are the requests per second accepted from one source
	// address and into one tunnel, with a burst of twice the rate; over it, 429
	// rate_limited with Retry-After. Defaults 1,000 and 2,000.
	SourceRate float64
	TunnelRate float64
	// TunnelRecordQuota and TokenRecordQuota cap the body bytes recorded per tunnel and
	// per token in a UTC day; over it, requests get 429 quota_exceeded with Retry-After
	// until the day ends. The counts are rebuilt from the store when the server starts
	// (Store.RecordedSince), so a restart does not reset them. Defaults 1 GiB and 4 GiB.
	TunnelRecordQuota int64
	TokenRecordQuota  int64
	// RejectRecordCap is how much of the body a request refused because its tunnel is
	// offline (reject policy) keeps in its record; the length and SHA-256 are kept whole.
	// Default 64 KiB.
	RejectRecordCap int64
	// SessionRate and SessionBurst rate the new sessions one token may open: a token
	// bucket of SessionBurst refilled at SessionRate a second. SourceSessionRate and
	// SourceSessionBurst do the same per source address (an IPv6 address counts as its
	// /64). Both are checked when a client connects, before the websocket upgrade, so a
	// refused open costs the server no session; over either, 429 rate_limited with
	// Retry-After. Defaults 2/s burst 10 per token, 5/s burst 20 per source.
	SessionRate        float64
	SessionBurst       int
	SourceSessionRate  float64
	SourceSessionBurst int
	// ClientsPerTunnel caps the clients attached to one tunnel at once (several client
	// ids of one owner; see "Several clients on a tunnel" in the package doc); one more
	// is refused with too_many_clients. At most proto.MaxClientsPerTunnel. Default 16:
	// each client of a mirrored tunnel gets every delivery, so the cap also bounds the
	// copies one delivery makes.
	ClientsPerTunnel int
}

// Check refuses negative limits.
func (l *Limits) Check() error {
	for name, v := range map[string]float64{
		"body timeout": float64(l.BodyTimeout), "body min rate": float64(l.BodyMinRate),
		"server in-flight bytes": float64(l.ServerInflightBytes), "tunnel in-flight bytes": float64(l.TunnelInflightBytes),
		"response head limit": float64(l.ResponseHeadLimit), "sessions per token": float64(l.SessionsPerToken),
		"names per token": float64(l.NamesPerToken), "name ttl": float64(l.NameTTL),
		"source rate": l.SourceRate, "tunnel rate": l.TunnelRate,
		"tunnel record quota": float64(l.TunnelRecordQuota), "token record quota": float64(l.TokenRecordQuota),
		"reject record cap": float64(l.RejectRecordCap),
		"session rate":      l.SessionRate, "session burst": float64(l.SessionBurst),
		"source session rate": l.SourceSessionRate, "source session burst": float64(l.SourceSessionBurst),
		"clients per tunnel": float64(l.ClientsPerTunnel),
	} {
		if v < 0 {
			return fmt.Errorf("server config: %s must not be negative", name)
		}
	}
	if l.ClientsPerTunnel > proto.MaxClientsPerTunnel {
		return fmt.Errorf("server config: clients per tunnel must be at most %d", proto.MaxClientsPerTunnel)
	}
	return nil
}

func (l *Limits) setDefaults() {
	setDefault(&l.BodyTimeout, DefaultBodyTimeout)
	setDefault(&l.BodyMinRate, DefaultBodyMinRate)
	setDefault(&l.ServerInflightBytes, DefaultServerInflightBytes)
	setDefault(&l.TunnelInflightBytes, DefaultTunnelInflightBytes)
	setDefault(&l.ResponseHeadLimit, DefaultResponseHeadLimit)
	setDefault(&l.SessionsPerToken, DefaultSessionsPerToken)
	setDefault(&l.NamesPerToken, DefaultNamesPerToken)
	setDefault(&l.NameTTL, DefaultNameTTL)
	setDefault(&l.SourceRate, DefaultSourceRate)
	setDefault(&l.TunnelRate, DefaultTunnelRate)
	setDefault(&l.TunnelRecordQuota, DefaultTunnelRecordQuota)
	setDefault(&l.TokenRecordQuota, DefaultTokenRecordQuota)
	setDefault(&l.RejectRecordCap, DefaultRejectRecordCap)
	setDefault(&l.SessionRate, DefaultSessionRate)
	setDefault(&l.SessionBurst, DefaultSessionBurst)
	setDefault(&l.SourceSessionRate, DefaultSourceSessionRate)
	setDefault(&l.SourceSessionBurst, DefaultSourceSessionBurst)
	setDefault(&l.ClientsPerTunnel, DefaultClientsPerTunnel)
}
