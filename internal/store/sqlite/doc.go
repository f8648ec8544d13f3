// Package sqlite is the SQLite backend of the delivery store
// (github.com/hookrelay/hookrelay/internal/store), built on the pure-Go
// modernc.org/sqlite driver.
//
// # Durability
//
// The database runs in WAL mode with synchronous=NORMAL by default: a write
// that has returned survives a crash or kill -9 of the process, but the last
// few commits can be lost if the machine loses power (the database stays
// consistent either way). Set [Options.SyncFull] to fsync on every commit and
// survive power loss too, at a cost in write throughput that group commit
// mostly hides.
//
// # Connections
//
// SQLite allows one writer at a time. Rather than let several connections
// race for the write lock (and fail with SQLITE_BUSY under load), all writes
// go through ONE connection owned by a single writer goroutine, and reads use
// a separate pool of query_only connections. In WAL mode readers never block
// the writer nor each other, so listing the log does not slow recording.
//
// # Group commit
//
// The writer goroutine takes every write that is waiting when it becomes
// free (up to [Options.MaxBatch]) and runs them in one transaction, each
// inside its own savepoint so that one failing write does not undo the
// others. Each caller returns only after the transaction holding its write
// has committed, so a nil error still means the write is durable; batching
// only shares the commit (and its fsync under SyncFull) between callers.
//
// # Layout
//
// The schema is created and upgraded by the numbered SQL files embedded from
// migrations/, applied in order inside one transaction on [Open] and tracked in
// the schema_migrations table. Records are rows of the records table; their
// body bytes live in request_bodies and response_bodies keyed by the record's
// seq, so that listing never reads them. Header lists are stored in order as
// a compact length-prefixed BLOB (see encodeHeaders) rather than JSON, because
// header values may hold bytes that are not valid UTF-8 and must survive
// exactly. Times are Unix nanoseconds in UTC.
package sqlite
