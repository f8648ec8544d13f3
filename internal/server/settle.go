package server

import (
	"context"
	"sync"
)

// completions counts the response halves of records being saved in the background, so
// that readers (the API, the inspector) can wait until everything answered before their
// call is in the store: a sender's answer never waits for that second write, a reader
// still sees its own writes.
type completions struct {
	mu           sync.Mutex
	cond         *sync.Cond
	issued, done uint64
}

func (c *completions) start() {
	c.mu.Lock()
	c.issued++
	c.mu.Unlock()
}

func (c *completions) finish() {
	c.mu.Lock()
	c.done++
	if c.cond != nil {
		c.cond.Broadcast()
	}
	c.mu.Unlock()
}

// wait returns once every save started before the call has finished, or ctx ends.
func (c *completions) wait(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cond == nil {
		c.cond = sync.NewCond(&c.mu)
	}
	target := c.issued
	if c.done >= target {
		return
	}
	stop := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer stop()
	for c.done < target && ctx.Err() == nil {
		c.cond.Wait()
	}
}
