package link

import (
	"context"
	"encoding/json"

	"github.com/hookrelay/hookrelay/internal/server"
)

// tunnelsChannel carries "a tunnel changed on this node" (see server.TunnelWatch), one
// notification per change, never batched: they are rare (a client attaching or
// leaving, a delivery requeued) and each should reach the other nodes at once.
const tunnelsChannel = "tunnels"

type tunnelChange struct {
	Node   string `json:"node"`
	Tunnel string `json:"tunnel"`
}

var _ server.TunnelWatch = Cluster{}

// TunnelChanged tells the other nodes that tunnel changed on this node.
func (k Cluster) TunnelChanged(ctx context.Context, tunnel string) error {
	payload, _ := json.Marshal(tunnelChange{Node: k.DB.NodeID(), Tunnel: tunnel})
	return k.DB.Notify(ctx, tunnelsChannel, string(payload))
}

// WatchTunnels calls f with each tunnel another node says changed, until ctx ends. A
// change sent while this node was not listening is missed; lookups every few seconds
// (server.leaseFresh) and the queue sweep catch up with it.
func (k Cluster) WatchTunnels(ctx context.Context, f func(tunnel string)) {
	k.DB.Listen(ctx, tunnelsChannel, func(payload string) {
		var c tunnelChange
		if json.Unmarshal([]byte(payload), &c) != nil || c.Node == k.DB.NodeID() || c.Tunnel == "" {
			return
		}
		f(c.Tunnel)
	})
}
