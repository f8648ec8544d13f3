package link

import (
	"context"
	"encoding/json"

	"github.com/hookrelay/hookrelay/internal/server"
)

// clientsChannel carries "a tunnel's clients changed on this node" (see
// server.ClientsWatch), one notification per change, never batched: they are rare
// (a client attaching or leaving) and each should reach the other nodes at once.
const clientsChannel = "clients"

type clientsChange struct {
	Node   string `json:"node"`
	Tunnel string `json:"tunnel"`
}

var _ server.ClientsWatch = Cluster{}

// ClientsChanged tells the other nodes that tunnel's clients on this node changed.
func (k Cluster) ClientsChanged(ctx context.Context, tunnel string) error {
	payload, _ := json.Marshal(clientsChange{Node: k.DB.NodeID(), Tunnel: tunnel})
	return k.DB.Notify(ctx, clientsChannel, string(payload))
}

// WatchClients calls f with each tunnel whose clients another node says changed, until
// ctx ends. A change sent while this node was not listening is missed; lookups every
// few seconds (server.leaseFresh) catch up with it.
func (k Cluster) WatchClients(ctx context.Context, f func(tunnel string)) {
	k.DB.Listen(ctx, clientsChannel, func(payload string) {
		var c clientsChange
		if json.Unmarshal([]byte(payload), &c) != nil || c.Node == k.DB.NodeID() || c.Tunnel == "" {
			return
		}
		f(c.Tunnel)
	})
}
