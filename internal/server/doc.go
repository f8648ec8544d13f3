// Package server is the core of relay-server: it accepts tunnel clients on
// proto.ConnectPath, routes public requests to their tunnels, records every delivery and
// serves the replay API.
//
// It never listens: Server.Handler returns the http.Handler that the relay-server binary
// mounts on its public listener. Close ends every tunnel session and waits for them.
//
// Every resource a sender or a tunnel client can make the server hold is bounded (see
// Limits, and the defaults next to it with the reason for each number). A small request
// body is read, under a deadline and a minimum rate, before the request takes a tunnel
// slot and its bytes on the in-flight budgets, so a sender still uploading holds
// neither. A request over a budget is shed at once (503 overloaded) rather than queued;
// shed and rate-limited requests are not recorded.
//
// A client's connect (serveConnect, control.go) is checked before the websocket
// upgrade, so a refused one costs a short HTTP answer and no session: protocol version,
// token, then the session-open rates (sessionrate.go; SessionRate 2/s with a burst of 10
// per token, then SourceSessionRate 5/s with a burst of 20 per source address, an IPv6
// /64; 429 rate_limited with Retry-After), then SessionsPerToken open at once (10; 429
// too_many_sessions). The open cap alone does not bound churn: a client cut off for
// flooding its session could open the next at once.
//
// # Tokens, teams and owners
//
// A client token speaks for an Identity (auth.go): its Owner, which owns the tunnel
// names its clients claim and the records on them, and its own TokenID. A token of its
// own is its own owner (OwnerID, 16 hex digits of its digest); the members of a team
// share TeamOwner ("team:NAME"), so names, records, API results and the team inspector
// are the team's. Session counts and session-open rates are per token, names and
// record quotas per owner. Tokens come from the config (Tokens.AddMember) and from the
// store (relay-server tokens): the server reads the store's one-row tokens version every
// TokenPoll (1 s) and on an unknown token, and reloads the list when it moved
// (tokenwatch.go). What a token holds open (sessions, API requests and feeds, inspector
// feeds) is registered under its TokenID and stopped when a reload finds it revoked: a
// session gets an Error frame token_revoked; the inspector drops a session whose token
// is no longer active on its next request.
//
// # Life of a delivery
//
// A delivery is one request on its way to a tunnel (type delivery, delivery.go). It has
// an origin: live traffic from a sender (fromSender), a replay through the API or the
// inspector (fromReplay), or a request from the offline queue (fromQueue). Its request
// body is held in one of three ways: read whole before it is forwarded (bodyInMemory),
// recorded as it streams to the tunnel (bodyStreaming) or not held by the delivery
// (bodyNone: nothing is recorded, or the record holds it, as on the offline path and
// for a queued delivery). Its fate says what became of it once forwarded:
// forwarded, requeued (its tunnel went away mid-way) or saved (its response half is in
// the store, written in place).
//
// Live traffic enters at Handler: a Host of NAME.Domain, or a target under /t/NAME/,
// reaches serveTunnel (ingress.go), which in order
//
//  1. refuses a target that is not a path (400 bad_request);
//  2. applies the request rates, SourceRate (1,000/s per source address, an IPv6 /64)
//     and TunnelRate (2,000/s per tunnel), each with a burst of twice the rate: 429
//     rate_limited with Retry-After, not recorded (admit.go);
//  3. finds the tunnel, in memory or in the store (a name claimed before a restart); an
//     unknown name is answered exactly as an offline one, 503 tunnel_offline;
//  4. drops the X-Hookrelay-* fields the sender set (only the relay speaks for itself),
//     starts the record's request half (outcome pending) and puts the body deadline on
//     the sender's connection: BodyTimeout (10 s) for the first bytes, then BodyMinRate
//     (8 KiB/s) on average, else 408 body_timeout (body.go).
//
// deliver then refuses a Content-Length over the tunnel's BodyLimit (32 MiB; 413
// body_too_large, recorded head only) and caps what is read to it. A tunnel that
// answers URL-verification handshakes (handshake.go, package webhook/handshake: the
// server config's handshake: list for the name, plus the kinds its client's
// TunnelRequest.Handshake adds) reads a sender's body of known length up to
// handshake.MaxBody (4 KiB) and answers a handshake itself, recorded with outcome
// handshake, or refuses one that fails its check (403 handshake_refused, recorded
// rejected): before the live/offline split, so that it works with no client online, and
// before any signature check. A name only the server config knows (handshake: under
// tunnels:, never claimed) gets its handshakes answered unrecorded. Anything else takes
// one of two paths: offline when no client serves the tunnel, else deliverLive.
//
// # The live path
//
// deliverLive reads a small body first: one of known length up to the prebuffer
// (DefaultPrebufferCap, 64 KiB, or the RecordCap when the tunnel verifies signatures, so
// that the bytes verified are the bytes recorded). Only then does the delivery take its
// tunnel slot (MaxInflight, 256 per tunnel: else 503 tunnel_busy, recorded head only)
// and its bytes on the in-flight budgets (ServerInflightBytes 64 MiB,
// TunnelInflightBytes 8 MiB; a body up to 64 KiB counts nothing, a larger one its
// Content-Length, a chunked one chunkedReserve, 1 MiB: else 503 overloaded, not
// recorded, except for a replay whose caller gets the record). A record quota used up
// (TunnelRecordQuota 1 GiB and TokenRecordQuota 4 GiB a UTC day) is 429 quota_exceeded,
// not recorded. A sender still uploading a small body holds neither slot nor budget; a
// large body is admitted first, so nothing is buffered for a request that is shed, and
// holds its slot while it streams, bounded by the body deadline.
//
// readRequest decides how the body is held. A body that fits the prebuffer is read
// whole (bodyInMemory): its signature is verified on its exact bytes (verify.go) and it
// goes into the record, keeping at most RecordCap (10 MiB) with the full length and
// SHA-256. A larger body, one of unknown length, or one whose sender waits for 100
// Continue (the relay must not answer Continue for the app) streams (bodyStreaming):
// teeBody records each byte once as it goes to the tunnel, and until it is saved the
// record says "truncated, nothing kept" (unsavedBody), so a crash never leaves a record
// that replays an empty body.
//
// insert writes the request half with Store.Insert, and only then is anything
// forwarded: a store that refuses it (disk full, read-only) is answered 503
// store_unavailable and nothing reaches the app. In enforce mode a signature that did
// not verify is recorded rejected and answered 401 signature_invalid here.
//
// forward sends the request one of two ways, and records the response (the first
// RecordCap bytes, with length and SHA-256) as it passes through captureWriter:
//
//   - The direct path (direct.go, package wire) when the body is in memory and the
//     request needs nothing only net/http handles (no upgrade, Expect or trailers): the
//     head and body are written straight onto a kept-alive yamux stream (at most
//     wire.PoolMaxIdle idle per tunnel) and the response head is read back, under the
//     tunnel's Timeout (30 s) for the app to start answering.
//   - The ReverseProxy route (forward.go) for everything else: streamed bodies,
//     websocket upgrades, Expect: 100-continue, trailers. Its http.Transport dials yamux
//     streams, with the same Timeout as ResponseHeaderTimeout and ResponseHeadLimit (1
//     MiB) as its cap on the response head (502 bad_response). A streamed body is saved
//     (SaveRequestBody) in captureWriter's onHeader, before the status goes out, so a
//     sender that got an answer has its body in the store; if the store refuses it
//     then (a full disk), the body goes in with the completion, retried until it does. A response to a body cut off
//     by its deadline is not passed on (checkBody, 408 body_timeout).
//
// Either route ends in complete (record_complete.go), which also runs when the proxy
// aborts a response mid-body (it panics with http.ErrAbortHandler; the record is
// completed first, as error). complete saves a streamed body not saved yet (the
// exchange failed before any response), fills in the response half and its outcome
// (outcomeOf maps the relay's code, or the client's X-Hookrelay-Error, to an outcome),
// and writes it with Store.Complete. A live delivery's sender is answered already, and
// the write happens in the background (see "Every record ends in an outcome" below).
//
// A live delivery whose client goes away mid-way, on a tunnel whose offline policy is
// queue and with its whole body recorded, is requeued: its record goes back to outcome
// queued, written in place, its sender gets the answer of a request that arrived
// offline, and a drain is started in case a newer client is online already.
//
// # The offline path, the queue and replays
//
// offline (offline.go) reads the whole body (at most BodyLimit) under the server's
// in-flight budget and records it: up to RecordCap on a queue tunnel, up to
// RejectRecordCap (64 KiB) on a reject tunnel, which must not be a free place to store
// data. A reject tunnel, or a queue tunnel given a body over the record cap, records
// the request as offline and answers 503 tunnel_offline (with the record id only to the
// tunnel's owner). A queue tunnel inserts it with outcome queued and answers 202 with
// its id. A signature that does not verify in enforce mode is recorded rejected and
// answered 401 on either policy.
//
// A client that connects starts a drain of each of its tunnels (queue.go): at most one
// per tunnel, loading maxDrainBatch (1,000) queued records at a time, oldest first.
// Each goes out as fromQueue on its own record (same id, Attempts counted), through the
// ReverseProxy route, re-signed first when its signature is timestamped and verified
// on arrival (queue_resign.go). Its response half is saved in place, and the next
// record goes only once the store has it: a completion the store refuses is parked, and
// the drain stops until the store takes it (so nothing is sent twice meanwhile). A
// client gone again leaves the record queued. A record queued for an earlier owner of
// a name since released is never sent to the new one: it is expired.
//
// Replay (replay.go) rebuilds a recorded request (edited, re-signed on request) and
// sends it as fromReplay through deliver, like live traffic, with a discarding
// ResponseWriter: it is linked to the original (ReplayOf), never a duplicate, never
// held back by a record quota, and its caller gets the finished record, saved in place. A
// record whose body was truncated replays only with an edited body (409
// not_replayable), and one whose tunnel name its owner no longer holds is answered 503
// tunnel_offline (replayTunnel): a replay never reaches another token's app.
//
// # Several nodes on one store
//
// With Config.Cluster set (relays sharing one PostgreSQL, internal/cluster/link) each
// session leases its tunnels at grant (cluster.go: acquireLease; lease keyed by tunnel,
// token and client id, with a cluster-wide generation) and releases them when it ends. A
// request for a tunnel with no client here looks up the tunnel's leases (kept 2 s) and,
// when another node holds one, takes the live path with a binding whose streams are
// splices to that node (remote.open, internal/peer) instead of streams of a local
// session: recording, limits, the direct path and the ReverseProxy are the same code,
// and the record is written by this node only; the holder copies bytes (OpenSplice).
// not_here (the session moved) looks the tunnel up again and retries once, before any
// byte reached a client; a holder out of reach makes the tunnel offline here
// (errRemoteOffline), so its offline policy applies. Splices are pooled like local
// streams, so a sequential sender pays the splice's open round trip once, not per
// request. Measured (BenchmarkClusterHop, 500 sequential 1 KiB POSTs answered with
// 1 KiB, two sets of three runs, 2 shared cores at load 4-6): p50 1.09-1.62 ms to the
// holding node, 1.10-1.81 ms through another one, the same run's difference -0.08 to
// +0.19 ms: the hop is within the noise of the store's insert and completion.
//
// A team tunnel may have clients on several nodes. Every node plans a delivery among
// all of them (cluster_members.go): the leases, in the store's primary order (explicit
// primary, earliest attach, generation), carry each client's label, routes and --share,
// so the primary, the mirrors, the routed clients and the balance rotation are the same
// whichever node a sender reaches; this node's own clients are its local bindings, the
// others bindings through splices, one per lease generation, dropped with their lease.
// Mirror copies, attempts and records are the ingress node's, as on one node. A node
// whose clients change (a session's start, after its leases are taken; its end, after
// they are released) tells the others (TunnelWatch: NOTIFY on channel "tunnels",
// cluster_watch.go); each then looks the tunnel up at once and sends its own clients of
// it a clients frame listing every node's. A delivery requeued because its client's
// node could not be reached is told the same way, so that a node with clients of the
// tunnel drains it at once rather than at its next sweep. A change missed (a node not
// listening) reaches the plans at the next lookup, within leaseFresh (2 s); meanwhile a
// client gone is found so at its splice (not_here, before any byte left), and a
// delivery whose body is held passes on to the next client, as on one node
// (TestClusterTeamAcrossNodes, TestClusterBalanceAcrossNodes). A lease keeps its attach
// time when its client reconnects, to any node, so a reconnecting primary stays primary.
// With clients on several nodes, each node starts drains of the tunnel's queue; a drain
// holds the tunnel's job lease (queue_lease.go, "drain:NAME", renewed per batch, given
// up at its end), so one node at a time drains, and each queued record reaches the
// primary once, in order, with copies to the others (TestClusterTeamQueueOnce; without
// the job, two nodes' drains delivered every record twice). GET /api/tunnels/NAME lists
// every node's clients too.
//
// The lease carries the client's --verify specs, verify mode and --handshake kinds,
// from which the ingress node makes the tunnel's verifier and handshake answers once
// per lease generation (remote.checks), so enforce-mode refusals (401
// signature_invalid, never reaching the app), verdicts and handshakes are the same on
// every node (TestClusterVerifyEnforceEveryNode, TestClusterHandshakeEveryNode). A
// splice carries anything HTTP/1.1 does: upgrades (websocket), Expect: 100-continue,
// trailers both ways, large bodies (3 MiB after 100 Continue;
// TestClusterSpliceUpgradeExpectTrailers).
//
// A queue tunnel with no client anywhere queues on whichever node a delivery reaches,
// in the shared store; the node the client next connects to drains them all, each
// once, in the order of records_seq, drawn when a delivery's record is inserted: each
// ingress node's in the order it accepted them, and deliveries accepted one after
// another (the 202 of one before the post of the next) in that order whatever their
// nodes; deliveries accepted at the same moment on two nodes are ordered by their seq
// only (TestClusterQueueDrainedOnceInOrder). While no client of the tunnel is attached
// anywhere, every node checks its deliveries with the --verify specs, mode and
// --handshake kinds of its latest client, which the store keeps in the tunnel's row
// (Cluster.Checks, written with each lease; looked up at most once per lease lookup):
// forged deliveries are refused 401 on every node, signed ones queued with their
// verdict and delivered verified, handshakes answered (TestClusterChecksWithNoClient).
//
// Every 5 s (reconcileEvery), and at once when the node finds it was reaped as dead and
// joins again (cluster.Config.Rejoined, wired by relay-server), ReconcileLeases makes
// the store's leases and this node's sessions agree (cluster_reconcile.go): the store
// deletes the leases of sessions that ended here without releasing them (store out of
// reach then); a session whose lease vanished (reaped with its node after an outage
// longer than the node TTL and reap delay, about 45 s) is leased again with a new
// generation, unless its client holds the lease elsewhere by now, so other nodes'
// splices reach it again; a session whose client attached again on another node (a
// partition, a half-open connection) is ended as replaced, as a newer session of its
// client on this node would end it. A lease is taken only while no reconcile compares
// (leaseBook.gate), so a reconcile never deletes a lease it did not see; the comparison,
// which an attach may wait for, took 0.3-0.5 ms with 1 session, 0.7-1.1 ms with 100 and
// 4.8-6.6 ms with 1000 (BenchmarkReconcile, 2 shared cores at load 4)
// (TestClusterReconcileLost, TestClusterReconcileSuperseded,
// TestClusterReconcileReleases, TestClusterRejoinLeasesAgain).
//
// # Several clients on a tunnel
//
// A tunnel's clients are an immutable set (attached, attach.go) that every change
// replaces whole, so a delivery reads it with one atomic load. A client instance is
// known by its Hello's ClientID: a session of an id already attached takes the older
// session's place in the attach order (a reconnecting primary stays primary) and ends
// it (replaced); another id attaches alongside, up to ClientsPerTunnel (16; 409
// too_many_clients), counted on every node together with a cluster (Cluster.Acquire,
// Lease.Cap). Sessions without an id share one slot and replace each other, as
// when a tunnel had a single client. The cap is checked for every tunnel of a Hello
// before any is attached, under the owner's grant lock, so a refused session ends
// nobody. Every change is told to the attached clients that sent an id, in a
// proto.FrameClients frame (clients_frame.go).
//
// The one client without routes is the fast path: deliverLive forwards to it exactly as
// before (a.solo), with no plan, no copy and no attempt recorded. Otherwise a plan
// (share.go) is made once the small body is read, so json routes see it: the clients
// whose routes match (package route, Select; the first attached answers, the others
// get copies), else the clients without routes under the tunnel's share policy (server
// config share:, or the last client's --share): mirror sends to the primary (the first
// attached that asked --primary, else the longest attached) and copies to the others;
// balance sends to one in turn, passing over those with clientInflight (64) in flight.
// When every client has routes and none matches, the offline policy applies.
//
// A client found gone before any byte of the delivery left (its session closed) passes
// it on (fate passed) to the next of the plan, when the body is held whole: the next in
// turn under balance, the longest attached under mirror. Nothing is answered or
// recorded for the pass but its attempt.
//
// Copies never touch the sender's answer: they start in goroutines of their own once
// the exchange of the client that answers is over and its answer flushed to the
// sender, each yielding once first so that work already waiting runs before it; a
// streamed body only once it was read whole within RecordCap. Each is
// written straight onto a stream of its client, as the direct path does, without
// Expect or trailers, and its answer read and dropped, within twice the tunnel's
// Timeout. Bounds: the bodies held for copies in flight (mirrorBytes, 32 MiB
// server-wide, each body once whatever the number of copies), copies in flight
// (mirrorInflight, 256 server-wide; clientInflight per client). A copy over a bound, of
// an upgrade, or of a body the relay does not hold whole is not sent: its attempt is
// recorded with the error mirror_overloaded, mirror_busy, mirror_not_possible or
// mirror_body_not_held.
//
// On a shared tunnel every attempt is recorded with the store's AddAttempt, when it has
// one: the one that answered (role primary, balance, routed, replay or queue), each
// pass, each copy (mirror), with the client's label, status, duration and error, in the
// background for live traffic and in place for replays and queued deliveries. The
// copies' attempts, with that of the one that answered for live traffic, are saved in
// one write once the last copy is done (copyBatch), so that a mirrored delivery costs
// the store as many commits as one to a single client. The price: the answering
// client's attempt shows in the record only when the slowest copy is done (at most
// twice the tunnel's Timeout; the record's outcome and answer are saved at once), and
// a crash meanwhile loses the attempts, never the record. A replay
// goes to one client: the one Edit.ToClient names by label, else the one that would
// answer a sender. A queued delivery goes out like a live one: to the one that answers,
// copies to the others.
//
// Cost, c=1, on the shared 2-core build machine (load average near 10, so only
// medians of interleaved runs mean anything): BenchmarkRelayRequest (one client) keeps
// its 187 (record=off) and 260 (record=on) allocations a delivery and its time within
// the noise (medians of 4 interleaved runs: record=on 785 µs before, 694 after;
// record=off 329 and 379, swinging 200-400 µs run to run). BenchmarkShareMirror, whose
// three clients and their apps all run in the test process on those 2 cores, so that
// every copy's whole round trip competes with the sender's: 3 mirrored clients against
// 1, 9-43% more time a delivery, median about 17%. Of a copy's round trip the relay's
// part is the smaller one; with mirror clients on teammates' machines the sender's
// added latency is that part only. BenchmarkShareMirrorPaced (one sender, each delivery
// settled before the next, 5 interleaved runs of 2,000, see BENCHMARKS.md) measures
// it: with the clients in processes of their own, 3 mirrored clients against 1 add
// 8% to the sender's median (p90 13%) and 3% to the relay's own time to the answer;
// before the attempts were saved together and the copies yielded, 23% (p90 28%). What
// remains is the copies' round trips through the other clients, on the same two cores
// as the sender.
//
// # Every record ends in an outcome
//
// A delivery's request half is in the store before it is forwarded; its outcome (the
// response half) is written after the sender's answer, in the background, so that the
// next request does not wait for it. Three things make sure that second write happens or
// its absence is visible:
//
//   - A completion the store refuses (disk full, read-only) is tried 4 times, 100 ms
//     apart and doubling (0.7 s), then kept in memory (at most 10,000) and tried every
//     2 s until the store takes it (settle_retry.go). Readers never wait for those.
//   - New settles what a previous process left pending as interrupted (settle.go): it
//     stopped before writing the outcome, and nothing else will. Whether the sender was
//     answered cannot be known, so interrupted is listed as missed. On a store that
//     cannot write, the server starts anyway and settles them once it can. On a store
//     several nodes share, the store decides which records are a dead process's
//     (postgres.DB.Interrupt); another node's deliveries in flight are left alone.
//   - A queued delivery's sender was answered 202 and will not retry: anything but a 2xx
//     from the app ends it failed, listed as missed (record_complete.go). Timestamped
//     signatures the relay verified are re-signed as they leave the queue
//     (queue_resign.go).
//
// The store's health is watched on every write (record_watch.go): one log line when
// writes start failing (at most one per 30 s) and one when they work again, a summary
// every 30 s in between rather than a line per refused delivery; StoreErr feeds /readyz
// and Stats the hookrelay_store_healthy gauge. While it fails, a probe write every 2 s
// notices recovery even with no traffic.
package server
