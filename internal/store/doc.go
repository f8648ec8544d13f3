// Package store defines what the relay remembers about webhook deliveries and
// the narrow interface the relay-server uses to record them.
//
// Every request that reaches a tunnel is recorded with [Store.Insert] before it
// is forwarded, and completed with [Store.Complete] once the local app (or the
// relay itself) has answered. Replays are ordinary records whose ReplayOf
// names the original. Tunnels, the names a token owns, live here too so that
// ownership survives restarts.
//
// This package holds only the domain types, the [Store] interface, the
// sentinel errors and the encodings every backend shares (record IDs and list
// cursors). The SQLite backend lives in package store/sqlite, the PostgreSQL
// one in package store/postgres; both pass the conformance suite in package
// store/storetest.
package store
