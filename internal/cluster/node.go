package cluster

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Defaults of Config.
const (
	DefaultHeartbeatEvery = 3 * time.Second
	DefaultReapEvery      = time.Minute
)

// JobReap is the job lease name of reaping dead nodes.
const JobReap = "reap-nodes"

// Membership is what a node needs from the shared store
// (internal/store/postgres.DB implements it).
type Membership interface {
	NodeID() string
	Join(ctx context.Context, addr string) error
	// Heartbeat returns false when the node was reaped.
	Heartbeat(ctx context.Context) (bool, error)
	Leave(ctx context.Context) error
	Reap(ctx context.Context) (nodes, records int, err error)
	LeadJob(ctx context.Context, job string, ttl time.Duration) (bool, error)
}

// Config tunes Run. Zero values take the defaults.
type Config struct {
	Addr           string        // this node's address for peers ("" until the peer link exists)
	HeartbeatEvery time.Duration // default 3 s, a fifth of the store's 15 s node TTL
	ReapEvery      time.Duration // default 1 min
	// Rejoined is called after the node found itself reaped (a store outage
	// longer than the node TTL) and joined again: it must acquire its
	// sessions' leases again, which the reaper deleted.
	Rejoined func(ctx context.Context)
	Log      *slog.Logger
}

func (c *Config) defaults() {
	if c.HeartbeatEvery <= 0 {
		c.HeartbeatEvery = DefaultHeartbeatEvery
	}
	if c.ReapEvery <= 0 {
		c.ReapEvery = DefaultReapEvery
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// Run joins the node, heartbeats until ctx is done, reaps dead nodes while it
// holds the reap job, and leaves at the end (its leases go with it). A failed
// join is retried at each heartbeat: a node whose store is down starts anyway,
// as its deliveries fail closed on their own.
func Run(ctx context.Context, m Membership, cfg Config) error {
	cfg.defaults()
	n := &node{m: m, cfg: cfg}
	n.joined = n.join(ctx)
	n.checkConfig(ctx)
	beat, reap := time.NewTicker(cfg.HeartbeatEvery), time.NewTicker(cfg.ReapEvery)
	defer beat.Stop()
	defer reap.Stop()
	for {
		select {
		case <-ctx.Done():
			return n.leave()
		case <-beat.C:
			n.heartbeat(ctx)
		case <-reap.C:
			n.reap(ctx)
			n.checkConfig(ctx)
		}
	}
}

// node is Run's state.
type node struct {
	m      Membership
	cfg    Config
	joined bool
	differ []string // the nodes whose configuration differs, as last warned of
}

func (n *node) join(ctx context.Context) bool {
	if err := n.m.Join(ctx, n.cfg.Addr); err != nil {
		n.cfg.Log.Warn("join cluster", "node", n.m.NodeID(), "err", err)
		return false
	}
	return true
}

// heartbeat extends the node's life, joining again when it was reaped.
func (n *node) heartbeat(ctx context.Context) {
	if !n.joined {
		n.joined = n.join(ctx)
		return
	}
	alive, err := n.m.Heartbeat(ctx)
	switch {
	case err != nil:
		n.cfg.Log.Warn("cluster heartbeat", "node", n.m.NodeID(), "err", err)
	case !alive:
		n.cfg.Log.Warn("this node was reaped as dead (store unreachable longer than the node TTL); joining again",
			"node", n.m.NodeID())
		if n.joined = n.join(ctx); n.joined && n.cfg.Rejoined != nil {
			n.cfg.Rejoined(ctx)
		}
	}
}

// reap deletes dead nodes while this node holds the reap job.
func (n *node) reap(ctx context.Context) {
	lead, err := n.m.LeadJob(ctx, JobReap, 2*n.cfg.ReapEvery)
	if err != nil || !lead {
		return
	}
	if k, recs, err := n.m.Reap(ctx); err != nil {
		n.cfg.Log.Warn("reap dead nodes", "err", err)
	} else if k > 0 {
		n.cfg.Log.Info("reaped dead nodes; their pending records settled as interrupted", "count", k, "records", recs)
	}
}

// leave deletes the node's row, bounded, after ctx is done.
func (n *node) leave() error {
	if !n.joined {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.m.Leave(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
