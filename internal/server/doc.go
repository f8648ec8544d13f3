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
//     cannot write, the server starts anyway and settles them once it can.
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
