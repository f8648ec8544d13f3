package inspect

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Login throttling: at most maxFailures failed logins per failureWindow from one client
// address (an IPv6 address counts by its /64, which one host usually holds whole);
// beyond, the form answers 429 to that address only. At most maxTracked addresses are
// remembered (about 100 bytes each): when full, expired windows are dropped, then
// arbitrary ones, so a flood from many addresses costs bounded memory and can at worst
// give an address a fresh count, never lock everyone out.
const (
	maxFailures   = 20
	failureWindow = time.Minute
	maxTracked    = 10000
)

// failures counts failed logins per client address.
type failures struct {
	mu     sync.Mutex
	now    func() time.Time
	byAddr map[netip.Prefix]failWindow
}

// failWindow is one address's failures since start.
type failWindow struct {
	start time.Time
	n     int
}

func newFailures(now func() time.Time) *failures {
	return &failures{now: now, byAddr: make(map[netip.Prefix]failWindow)}
}

// throttled reports whether addr failed too often lately.
func (f *failures) throttled(addr netip.Prefix) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	w, ok := f.byAddr[addr]
	return ok && f.now().Sub(w.start) <= failureWindow && w.n >= maxFailures
}

// failed counts one failed login from addr.
func (f *failures) failed(addr netip.Prefix) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	w, ok := f.byAddr[addr]
	if !ok || now.Sub(w.start) > failureWindow {
		if !ok && len(f.byAddr) >= maxTracked {
			f.evict(now)
		}
		w = failWindow{start: now}
	}
	w.n++
	f.byAddr[addr] = w
}

// evict makes room: expired windows go first, then arbitrary ones down to 90 %.
func (f *failures) evict(now time.Time) {
	for k, w := range f.byAddr {
		if now.Sub(w.start) > failureWindow {
			delete(f.byAddr, k)
		}
	}
	for k := range f.byAddr {
		if len(f.byAddr) < maxTracked*9/10 {
			return
		}
		delete(f.byAddr, k)
	}
}

// clientAddr is the address a login is counted against: the peer's IP, an IPv6 one
// widened to its /64. Behind a reverse proxy that is the proxy's address.
func clientAddr(r *http.Request) netip.Prefix {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Prefix{}
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return netip.PrefixFrom(ip, 32)
	}
	p, _ := ip.WithZone("").Prefix(64)
	return p
}
