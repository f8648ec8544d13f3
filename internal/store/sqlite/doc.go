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
// free (up to [Options.MaxBatch]) and runs them in one transaction. Each
// caller returns only after the transaction holding its write has
// committed, so a nil error still means the write is durable; batching only
// shares the commit (and its fsync under SyncFull) between callers. Writes
// in a batch have no savepoints of their own: when one fails, the
// transaction is rolled back, that caller gets the error and the others run
// again without it. When writes have been arriving together, the writer
// yields the processor before committing while its batch keeps growing, so
// that the callers the last commit woke can join.
//
// The writer runs its statements on the driver connection itself
// ((*sql.Conn).Raw), prepared once, BEGIN and COMMIT included: database/sql
// would convert every argument and take its locks again for each
// statement, on the one goroutine every write waits for.
//
// # Layout
//
// The schema is created and upgraded by the numbered SQL files embedded from
// migrations/, applied in order inside one transaction on [Open] and tracked in
// the schema_migrations table. Records are rows of the records table with
// a column for each field a query filters on; the other fields of each half
// of the record are packed into one BLOB per half (see halves.go), so that
// recording a delivery binds few arguments and completing it rewrites few
// columns. Bodies up to a couple of KiB are kept in the row; larger ones
// live in request_bodies and response_bodies keyed by the record's seq, so
// that listing never reads them; a request body larger than bodyPartSize is
// stored in request_body_parts, in order, so that saving it never copies the
// whole body at once. One rule (placeOf, in bodies.go) places a request body
// for every writer, and every reader reads the place it chose. Header lists are stored in order as a
// compact length-prefixed encoding (see encodeHeaders) rather than JSON,
// because header values may hold bytes that are not valid UTF-8 and must
// survive exactly. Times are Unix nanoseconds in UTC.
//
// The writer assigns seqs itself, above both the largest seq in use and
// seq_floor, which purges raise before they delete, so that a seq is never
// handed out twice (see seqCounter). The outcome index leaves out the
// outcomes of ordinary deliveries ('pending' and 'ok'), which recording and
// completing them would otherwise rewrite; Interrupt, which looks for pending
// records once per start, scans the table instead (about 0.1 s for 200,000
// records). Probe writes and deletes a blob in write_probe, sized past the
// file's free pages, to tell whether a delivery could be written now.
//
// Each record keeps the length of its stored request body in body_len, and
// records_received covers (received_at, tunnel, owner, body_len), so that
// RecordedSince, which the relay runs once per start to rebuild the day's
// record quotas, reads that index and never the wide rows: about 0.25 s for
// 200,000 records of the day on a loaded 2-core machine, against about 8 s
// when it summed the bodies' lengths row by row
// (BenchmarkRecordedSince). Migration 6 fills body_len in for the last two
// days' records only, so an upgrade does not rewrite every row.
//
// The retention cap counts each owner's records of a tunnel apart (a released
// name's earlier holder keeps its records), so Purge groups by (tunnel, owner)
// and trims one pair at a time. records_tunnel_owner_seq (migration 9) covers
// both; it replaced records_tunnel_seq, whose readers all filter by owner too,
// so recording updates as many indexes as before. On 200,000 records of 50
// tunnels on a loaded 2-core machine (BenchmarkPurgeCap, 20 runs each): a
// purge finding nothing over the cap took 12-28 ms when the cap was per
// tunnel, 2.3 s per (tunnel, owner) on the old index (a scan of every row
// with a temporary B-tree for the grouping), 52-72 ms with the new one;
// trimming one record from each tunnel took 43-79 ms, 4.1 s and 83-134 ms.
// Missed names records_tunnel_outcome, which the planner would otherwise
// pass over for the new index.
//
// A record's delivery attempts are rows of attempts (migration 8), keyed by
// (seq, n) and deleted with their record. AddAttempt is one INSERT ... SELECT
// that finds the record by ID and numbers the attempt. Written alongside the
// completion it shares its commit: in BenchmarkDeliveryWrites (background
// completion, 5,000 deliveries, loaded 2-core machine) a delivery took 322 µs
// with 1 writer and 101-121 µs with 16 without an attempt, 272-318 µs and
// 115-120 µs with one written alongside, 341-384 µs and 123-165 µs with one
// written after the completion.
package sqlite
