// Package postgres is the PostgreSQL backend of the delivery store
// (github.com/hookrelay/hookrelay/internal/store), built on pgx/v5 and its
// pool. Several relay processes may share one database: every decision that
// must be unique (a record's seq, a taken ID, a tunnel's owner) is a
// constraint or a sequence the server checks, and nothing is cached on this
// side, so each process sees the others' writes at once. Schema and
// semantics follow the SQLite backend; the differences are listed below.
//
// # Durability
//
// A write returns nil once its transaction has committed with the server's
// settings: with synchronous_commit on (PostgreSQL's default) that includes
// the WAL flush, so a recorded delivery survives a crash of the machine
// running PostgreSQL, which is stronger than the SQLite backend's default.
// The cost is a round trip and a flush per commit, paid by each write
// unless concurrent writes share it (below).
//
// # Group commit
//
// Insert and Complete, the two writes of every delivery, go through a writer:
// [Options.Writers] goroutines (default 2), each taking every write waiting
// (up to [Options.MaxBatch], default 256) and sending them as one pipelined
// pgx.Batch, which the server runs as one implicit transaction: one round
// trip and one WAL flush for the group. Each caller returns only after the
// transaction holding its write has committed. Every statement is written
// so that an expected failure does not abort the batch: a taken ID inserts
// nothing (ON CONFLICT DO NOTHING) and an unknown record completes nothing,
// and the missing row tells the caller. When the server rejects a statement
// anyway, the whole batch was rolled back; the writer then runs each write
// alone, so that only its caller sees the error. A lost connection or a
// timeout leaves the commit's outcome unknown here, so every caller in the
// batch gets the error rather than risk a write done twice.
// SaveRequestBody goes through the writer too; the rare writes (tunnels,
// Interrupt, Purge) run on the pool directly.
//
// Measured with BenchmarkDeliveries on this 2-core VM, PostgreSQL 15 on the
// same cores. A delivery is an Insert with a 1 KiB body then a Complete, from
// 64 senders; the load average was 4.6-7 for the first column and 14-20
// (neighbours' builds) for the second, so rates swing; CPU per delivery
// (this process + PostgreSQL's processes, from the quieter run) is steadier:
//
//	backend                          deliveries/s        CPU per delivery
//	                                 quieter   loaded
//	sqlite (in process)              10,960    4,200-6,500   65 us
//	postgres, durable (fsync on)      8,530      790-1,370   56 + 116 us
//	postgres, durable, AsyncCommit    8,030    3,650-3,850   59 + 111 us
//	postgres, fsync off (tests)       8,060    1,750-3,800   72 + 142 us
//
// One sender waits for two commits per delivery: 1,155 deliveries/s durable
// on the quieter machine, down to 50-110/s when the disk's flushes slow to
// 5-10 ms under load. There flush latency rather than CPU is the limit, and
// four writers instead of two raised 64 senders from ~1,000 to ~1,500
// deliveries/s in one paired run; two stays the default until measured on a
// machine without neighbours.
//
// # Layout
//
// The schema is created and upgraded by the numbered SQL files embedded from
// migrations/, applied in order inside one transaction that first takes
// pg_advisory_xact_lock on the schema's name, so that processes starting
// together migrate one after another; a transaction-scoped lock is released
// with its transaction, which keeps it safe behind a pooler in transaction
// mode. Every object is unqualified and lives in the connections' search_path
// ([Options.Schema]). Tests get a fresh schema each (internal/pgtest): a
// schema and its migration take 0.1-0.5 s, CREATE DATABASE 0.3-0.9 s.
//
// Records are insert-only on the hot path: Insert writes a records row (and
// a queue row when the record is queued) and Complete inserts the response
// half into responses, updating it only when a record is completed again.
// Updating records instead rewrote the whole row and its indexes (only
// about 28 % of such updates were HOT in a probe) and cost ~25-30 % more
// server CPU per delivery. The view record_state joins the two halves, and
// every reader reads it. The offline queue is a table of its own, one row
// per queued record, so that Queued reads a few rows instead of filtering a
// tunnel's records on an outcome that lives in two tables. A record's
// delivery attempts are rows of attempts (AddAttempt, one insert that finds
// the record by ID and numbers the attempt), deleted with the record.
//
// Fields no query filters on are packed into one bytea per half (halves.go),
// so that a delivery binds few parameters. Every string a sender controls
// (path, query, host, headers, the event id taken from a header) is kept as
// bytes: they may hold invalid UTF-8 or NUL, which a text column refuses
// (Go's HTTP server passes both through). Tunnel names, owners, methods and
// IDs, which the relay validates before storing, are text; a NUL in one is
// store.ErrInvalid here where SQLite would store it. Times are Unix
// nanoseconds in bigint columns, because timestamptz keeps microseconds.
// Bodies are bytea in the row (PostgreSQL moves a large value out of line
// by itself, so listing never reads them); unlike SQLite, a body is not cut
// into parts, since a parameter travels and is held whole anyway.
// Filter.Text matches as SQLite's LIKE does on the same bytes (hr_fold in
// the schema: up to the first NUL, ASCII letters folded). Each record keeps
// its stored body's length in body_len, which the received_at index also
// carries, so that RecordedSince, run at every start, is an index-only scan
// rather than a read of every row of the day.
//
// # Errors
//
// One rule (classify) maps failures onto the store's sentinels: the
// SQLSTATE classes of the environment (connection, resources, operator
// intervention such as a shutdown or restart, system errors, a read-only
// standby) and every failure that is not the server's answer (refused or
// broken connection, timeout of [Options.Timeout], closed pool) are
// store.ErrUnavailable, so the relay fails closed; a unique violation is
// ErrConflict, a record deleted under a Complete is ErrNotFound and bad data
// is ErrInvalid. The pool reconnects by itself: after every connection was
// terminated, or the server was killed with SIGKILL and restarted, calls
// fail with ErrUnavailable and then succeed again, with nothing committed
// lost (TestRecoversAfterBackendsKilled, TestServerCrashAndRestart).
//
// # Several processes
//
// Two contracts of store.Store assume one process. Interrupt settles the
// records left pending before its cutoff; here each record names the node
// that inserted it (records.node_id), and Interrupt takes only its own and
// those of nodes known to be gone: nodes on this node's cluster address (its
// previous life, which is why relay-server joins before it settles) and
// nodes whose heartbeat expired. A live node's deliveries in flight are its
// own; Reap settles them when that node dies, in the transaction that
// deletes it. Each node's row says from which seq its records may still be
// pending (nodes.pending_from, inflight.go), so settling reads a dead node's
// last seconds of records, not the table (BenchmarkSettle: about 2 ms at
// 10,000 and at 100,000 records). Records written before records named their
// node were settled by migration 0011, which runs with every node stopped. A
// handle that inserts without ever joining (no relay-server does: it joins
// before it serves) is nobody's to settle but its own.
// And seqs, which come from a sequence that never rewinds, can commit out of
// order when several processes insert: an oldest-first listing that has
// passed seq 101 will not show a seq 100 that commits afterwards. The queue
// does not page with cursors, so it never skips a record.
//
// # Nodes, jobs and leases (nodes.go, leases.go, reconcile.go)
//
// Each DB is a node, named hostname-<8 hex> anew at every Open
// (Options.NodeID), so that a restarted process never inherits the leases
// of its previous life. Join inserts its row in nodes, alive until
// now() + NodeTTL (15 s); Heartbeat (every 3 s, internal/cluster) extends it
// and returns false when the row is gone: the node was reaped and must join
// again and re-acquire its leases. Reap deletes nodes dead for ReapAfter
// (30 s) more, and their leases by cascade. Every expiry is PostgreSQL's
// now(): the nodes' clocks are never read, so clock skew between them
// changes nothing.
//
// LeadJob is a singleton job's lease (job_leases): one upsert that takes the
// row only from its own holder or from an expired one, so under any number
// of contenders one node holds it; a holder that stops renewing loses it
// ttl after its last renewal. The relay's retention runs only on the holder
// of "purge" (internal/server), reaping on the holder of "reap-nodes".
//
// A tunnel lease says that one client session serves a tunnel from one
// node. A team-shared tunnel has several clients, so leases are keyed by
// (tunnel, token, client id) (a client is its token's public id and its
// client id's, 0012_lease_token: a teammate sending another's client id
// attaches beside it, never in its place), with the client's label, routes, primary wish, attach
// time, and its --verify specs, verify mode and --handshake kinds, which every
// node checks the tunnel's deliveries with (0006_lease_settings), and its
// --share policy (0007_lease_share). The tunnel's row keeps the checks of its
// latest client after it leaves (0009_tunnel_checks, TunnelChecks). With
// Options.SealSecret (the cluster secret) the specs' signing secrets are
// sealed in both tables (seal.go: AES-256-GCM, key from HKDF-SHA256 of the
// secret, the tunnel's name as additional data, a fresh nonce per spec), so
// a backup or replica of the database holds no secret that signs deliveries;
// without one they are stored as given, like the bodies and headers. Acquire replaces only the same client
// id's older lease (a reconnect, on any node), keeping its attach time, so a
// reconnecting primary stays primary wherever it reconnects, as on one node;
// and draws its generation from the sequence
// lease_gen after it holds the row's lock, so that a replacement's
// generation is higher than the replaced one's even when Acquires race (12
// concurrent Acquires of one key from three nodes leave one lease, the one
// with the highest generation: TestAcquireRace). The generation is the
// fencing token: Release deletes a lease only at its generation, and a
// session whose generation is no longer the stored one has been superseded.
// With Lease.Cap (the relay's --clients-per-tunnel) Acquire locks the tunnel's
// row first and counts the other clients' leases on live nodes in a
// statement of its own, so that racing Acquires from several nodes never pass
// the cap together (12 from three nodes with a cap of 5 leave 5:
// TestAcquireCap); a node's Acquire is then one transaction of three
// statements, once per attach: 0.68-0.80 ms against 0.17-0.19 ms without a
// cap (BenchmarkAcquire, fsync off, 2026-12-03).
// Lookup returns the leases on nodes alive and not draining; Held a node's
// own. Reconcile compares them with the sessions the node serves
// (internal/cluster.Reconcile), releases the leases no session serves and
// says which sessions were superseded or lost their lease (TestReconcile).
//
// The primary rule: of a tunnel's live leases, the primary is the one whose
// client asked to be primary, else the earliest attached; among several that
// asked, the earliest attached; equal attach times (one transaction instant)
// go to the lower generation. Lookup returns the leases in this order, the
// primary first, sorted by PostgreSQL on data every node reads alike, so
// every node elects the same primary (TestPrimaryRule,
// TestPrimaryTieByGeneration). A primary on a node that dies drops out of
// Lookup once that node's TTL passes, and the next in order becomes primary.
//
// A node given Options.ConfigHash stores it in its row at Join
// (0010_node_config); ConfigDiffers lists the live nodes whose hash differs,
// which internal/cluster warns of (TestConfigCheck).
//
// Measured with BenchmarkAcquire and BenchmarkLookup on this 2-core VM
// (PostgreSQL 15 on the same cores; load average 5.5-11 from neighbours'
// builds, hence the ranges), mean of 2,000-3,000 sequential calls in four
// runs:
//
//	Acquire, test settings (fsync off)                       136-470 us
//	Acquire, durable (fsync on: waits for the WAL flush)     2.5-2.9 ms
//	Lookup (tunnel with three clients, join with nodes)      100-335 us
//
// Acquire runs once per client attach, so even the durable figure is far
// below a handshake's other costs; Lookup writes nothing and is what a
// forward to another node will pay (behind a cache) per delivery.
//
// # Certificates and inspector logins
//
// Relay servers behind one name share one set of certificates and one set
// of inspector logins through two more views of the same database.
//
// DB.ACMECache is the autocert.Cache of certs.ACMEConfig.Cache, in table
// acme_cache: certificates, their private keys, the ACME account key and
// the HTTP-01 and TLS-ALPN-01 tokens, which autocert keeps in its cache, so
// the server a CA's validation reaches answers a challenge another server's
// order created. It also keeps two servers from ordering the same
// certificate: a Get that misses a certificate key (a host name, or one
// with "+rsa"; never a "+token", "+http-01" or "acme_account+key" key)
// inserts a row into acme_locks, valid 5 minutes by PostgreSQL's clock.
// The cache that inserted it answers autocert.ErrCacheMiss, so its manager
// orders; its Put of the certificate deletes the lock in the same
// transaction. Any other cache polls every second, taking an expired lock
// over, until the certificate appears (at most 2 minutes, then an error:
// the handshake fails rather than order twice). Right after taking the
// lock the cache reads the key once more, so a Put that committed just
// before is not ordered again. Each ACMECache names its own lock holder,
// and asking again while it holds the lock misses again, because autocert
// may ask twice for a name before it records its order.
//
// Costs and dangers. autocert holds its manager's state lock while it calls
// Get for a certificate it has not loaded, so a wait inside Get would hold
// up every new TLS handshake of that server, served names included
// (measured: a handshake for a served name timed out after 30 s during
// such a wait). certs.ACME therefore waits first, outside autocert,
// through AwaitOrder (TestACMEWaitStallsNoHandshake); only the RSA
// certificate of a client without ECDSA is still awaited inside autocert.
// A waiting handshake lasts as long as the other server's order: ~2 s with
// the in-process Pebble CA (TestACMESharedCache in certs: two servers, one
// order, one Put, both serve the same certificate), seconds with Let's
// Encrypt, and up to 2 minutes per attempt, for at most the lock's 5
// minutes, if the ordering server dies mid-order. Renewals take no lock:
// autocert re-reads the cache before renewing and jitters renewals by up
// to an hour, so two servers rarely renew at once, and if they do both
// certificates are valid. Everyone who can read acme_cache, or a backup of
// the database, holds the private keys. The lock relies on autocert asking
// Get before it orders (x/crypto v0.58.0 Manager.cert): recheck on
// upgrades. Measured on the tests' throwaway PostgreSQL (fsync off, same 2
// cores, load average 5-11, two runs of 3): a Get of a stored 3 KiB
// certificate 63-270 us, a Put 0.25-0.58 ms (BenchmarkACMECache); autocert reads a certificate from the
// cache once per process and keeps it in memory, so neither is on the
// handshake path after the first.
//
// DB.InspectorSessions is the inspect.SessionStore of the team inspector
// (server.Config.InspectSessions), in table inspector_sessions: a browser
// logged in through one server is logged in on all, and a logout or a
// revoked token ends the login everywhere. A row keeps the SHA-256 of the
// cookie value, never the value, with the session's subject (the token's
// public id), its CSRF token and its expiry by PostgreSQL's clock; each
// Create first deletes expired rows (logins are rare). Each inspector
// request reads one row by primary key: 73-92 us, one outlier of 370 us at
// load average 9-11 (BenchmarkInspectorSessions, same setup).
package postgres
