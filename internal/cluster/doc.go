// Package cluster runs a relay node's membership in a cluster of relays
// sharing one PostgreSQL (internal/store/postgres): it joins, heartbeats,
// reaps dead nodes while it holds the reap job, rejoins after being reaped,
// and says how the node's sessions and the stored leases disagree
// (Reconcile). The peer link that forwards deliveries between nodes is not
// here yet.
//
// # Timing
//
// A node heartbeats every 3 s and counts as alive for 15 s after its last
// heartbeat (postgres.DefaultNodeTTL), so four heartbeats in a row may fail
// (a slow or restarting PostgreSQL) before peers stop routing to it. The
// reaper runs every minute on one node (job lease "reap-nodes", held for two
// minutes) and deletes nodes dead for 30 s more, with their leases. Every
// expiry is computed by PostgreSQL's now(): node clocks are never compared.
// A node reaped while alive (its store unreachable for longer than the
// TTL) finds out at its next heartbeat, joins again and re-acquires its
// sessions' leases (Config.Rejoined).
package cluster
