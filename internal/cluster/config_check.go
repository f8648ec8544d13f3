package cluster

import (
	"context"
	"slices"
	"strings"
)

// ConfigChecker is implemented by a Membership that compares the nodes'
// configurations (postgres.DB given a ConfigHash): the nodes of a cluster must share
// their tunnels, teams, tokens and limits, or a delivery is treated differently by
// the node it reaches, and nothing else would tell the operator.
type ConfigChecker interface {
	// ConfigDiffers returns the live nodes whose configuration differs from this one's.
	ConfigDiffers(ctx context.Context) ([]string, error)
}

// checkConfig warns when the set of nodes whose configuration differs from this one's
// changes (once per change, not at every check), and says when it is empty again.
func (n *node) checkConfig(ctx context.Context) {
	cc, ok := n.m.(ConfigChecker)
	if !ok {
		return
	}
	ids, err := cc.ConfigDiffers(ctx)
	if err != nil || slices.Equal(ids, n.differ) {
		return
	}
	switch {
	case len(ids) > 0:
		n.cfg.Log.Warn("other nodes run another configuration (tunnels, teams, tokens or limits): deliveries are treated differently by node",
			"node", n.m.NodeID(), "differ", strings.Join(ids, ","))
	default:
		n.cfg.Log.Info("every node runs this node's configuration again", "node", n.m.NodeID())
	}
	n.differ = ids
}
