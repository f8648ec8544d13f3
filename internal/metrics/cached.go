package metrics

import (
	"context"
	"sync"
	"time"
)

// queueDepthTimeout bounds one QueueDepth call, so a stuck store cannot hang a scrape.
const queueDepthTimeout = 2 * time.Second

// cachedCount calls an expensive counting function at most once per interval and
// remembers its last good value.
type cachedCount struct {
	fn    func(context.Context) (int, error)
	every time.Duration
	now   func() time.Time
	onErr func()

	mu  sync.Mutex
	at  time.Time // last call, successful or not; zero before the first
	val float64
}

func newCachedCount(fn func(context.Context) (int, error), every time.Duration, now func() time.Time, onErr func()) *cachedCount {
	if every <= 0 {
		every = DefaultQueueDepthEvery
	}
	if now == nil {
		now = time.Now
	}
	return &cachedCount{fn: fn, every: every, now: now, onErr: onErr}
}

// value returns the cached count, refreshing it first when it is older than the
// interval. A failed refresh keeps the previous value and is retried only after
// another interval, so a broken store is not hammered by every scrape.
func (c *cachedCount) value() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if !c.at.IsZero() && now.Sub(c.at) < c.every {
		return c.val
	}
	c.at = now
	ctx, cancel := context.WithTimeout(context.Background(), queueDepthTimeout)
	defer cancel()
	n, err := c.fn(ctx)
	if err != nil {
		c.onErr()
		return c.val
	}
	c.val = float64(n)
	return c.val
}
