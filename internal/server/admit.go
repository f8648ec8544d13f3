package server

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookrelay/hookrelay/proto"
)

// budget is a count of bytes in flight with a ceiling.
type budget struct {
	used  atomic.Int64
	limit int64
}

// take adds n if that stays within the limit; a request bigger than the whole limit
// still goes through when nothing else is in flight, so it can never be shed forever.
func (b *budget) take(n int64) bool {
	if n == 0 {
		return true
	}
	for {
		cur := b.used.Load()
		if cur > 0 && cur+n > b.limit {
			return false
		}
		if b.used.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}

func (b *budget) give(n int64) { b.used.Add(-n) }

// admission is what a delivery holds while it is forwarded: a tunnel slot and its body
// bytes on both byte budgets.
type admission struct {
	t     *tunnel
	srv   *budget
	bytes int64
}

// admit takes a slot of d's tunnel and reserves n body bytes. The code says why not.
func (s *Server) admit(d *delivery, n int64) (*admission, proto.Code) {
	if !d.tunnel.acquire() {
		return nil, proto.CodeTunnelBusy
	}
	if !s.inflight.take(n) {
		d.tunnel.release()
		return nil, proto.CodeOverloaded
	}
	if !d.tunnel.bytes.take(n) {
		s.inflight.give(n)
		d.tunnel.release()
		return nil, proto.CodeOverloaded
	}
	return &admission{t: d.tunnel, srv: &s.inflight, bytes: n}, ""
}

func (a *admission) release() {
	a.t.bytes.give(a.bytes)
	a.srv.give(a.bytes)
	a.t.release()
}

// reserveOf is what a request body counts against the byte budgets: nothing for a body
// of known length up to the prebuffer size (64 KiB; tunnel slots bound those, 256 x 64
// KiB a tunnel), so a large body streaming slowly never sheds small webhooks; its length
// for a larger one; chunkedReserve for a chunked one.
func reserveOf(r *http.Request) int64 {
	switch {
	case r.ContentLength >= 0 && r.ContentLength <= DefaultPrebufferCap:
		return 0
	case r.ContentLength >= 0:
		return r.ContentLength
	}
	return chunkedReserve
}

// shed answers a request the relay will not take now, without recording it: shedding
// must stay cheap, and a flood must not write to the store.
func (s *Server) shed(w http.ResponseWriter, d *delivery, code proto.Code, retry time.Duration) {
	s.cfg.Observer.Delivery(d.tunnel.name, code.Status(), string(code), s.cfg.Now().Sub(d.start), 0, 0)
	setRetryAfter(w, retry)
	writeError(w, code, shedMessage(code, d.tunnel.name), "")
}

// overloadRetry is the Retry-After of 503 overloaded: in-flight bytes drain in seconds.
const overloadRetry = 2 * time.Second

func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	secs := int64(math.Ceil(d.Seconds()))
	w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
}

func shedMessage(code proto.Code, name string) string {
	switch code {
	case proto.CodeRateLimited:
		return "too many requests to tunnel " + name + " or from this address; retry later"
	case proto.CodeQuotaExceeded:
		return "tunnel " + name + " has recorded its daily quota; retry later"
	}
	return "the relay is at capacity; retry shortly"
}

// limiter is a token bucket: rate tokens a second, up to burst.
type limiter struct {
	tokens float64
	last   time.Time
}

// allow takes a token, or says how long until one is there.
func (l *limiter) allow(now time.Time, rate, burst float64) (bool, time.Duration) {
	if l.last.IsZero() {
		l.tokens = burst
	} else {
		l.tokens = math.Min(burst, l.tokens+now.Sub(l.last).Seconds()*rate)
	}
	l.last = now
	if l.tokens >= 1 {
		l.tokens--
		return true, 0
	}
	return false, time.Duration((1 - l.tokens) / rate * float64(time.Second))
}

// limiters are token buckets by key. Buckets full again are dropped on a sweep, so a
// scan from many addresses costs memory only while it lasts.
type limiters struct {
	mu      sync.Mutex
	buckets map[string]*limiter
	swept   time.Time
}

// limiterSweep is how often full buckets are dropped.
const limiterSweep = time.Minute

// allow takes a token from key's bucket of burst tokens refilled at rate a second. The
// rate and burst are the same for every call on one limiters.
func (ls *limiters) allow(key string, now time.Time, rate, burst float64) (bool, time.Duration) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.buckets == nil {
		ls.buckets, ls.swept = make(map[string]*limiter), now
	}
	if now.Sub(ls.swept) > limiterSweep {
		ls.sweep(now, rate, burst)
	}
	l := ls.buckets[key]
	if l == nil {
		l = new(limiter)
		ls.buckets[key] = l
	}
	return l.allow(now, rate, burst)
}

// sweep drops the buckets that have refilled: they would start full anyway.
func (ls *limiters) sweep(now time.Time, rate, burst float64) {
	for k, l := range ls.buckets {
		if l.tokens+now.Sub(l.last).Seconds()*rate >= burst {
			delete(ls.buckets, k)
		}
	}
	ls.swept = now
}

// rateLimit applies the per-source and per-tunnel request rates to a public request.
func (s *Server) rateLimit(r *http.Request, name string) (bool, time.Duration) {
	now := s.cfg.Now()
	if ok, wait := s.sourceRates.allow(sourceOf(r), now, s.cfg.SourceRate, 2*s.cfg.SourceRate); !ok {
		return false, wait
	}
	return s.tunnelRates.allow(name, now, s.cfg.TunnelRate, 2*s.cfg.TunnelRate)
}

// sourceOf is the sender's address without the port; an IPv6 address is taken as its
// /64, which one host usually holds whole.
func sourceOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.To4() != nil {
		return host
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}
