// Command bench measures the hookrelay relay path against direct localhost.
//
// It builds relay-server and relay-client, starts them as separate processes next to a
// small backend (this same binary, re-executed), and drives a webhook-sized POST (1 KiB
// of JSON) through three targets in turn: the backend directly, the relay with recording
// on (SQLite), and the relay with --no-record. Runs are interleaved (direct, relay,
// relay-norecord, direct, ...) so that every ratio comes from the same stretch of time on
// a machine whose other load varies.
//
// Load comes from wrk (Debian package "wrk") when it is installed, else from a built-in
// closed-loop generator that reports the same figures. For each run it prints requests
// per second, p50 and p99 latency, the ratio to direct, the CPU time per request of the
// relay's processes (from /proc/PID/stat) and their resident memory, and writes the whole
// report as JSON.
//
// Extra modes, off by default:
//
//	--idle N     N idle connected tunnels: server RSS and goroutines per tunnel
//	--big        a 100 MiB POST through the relay: server RSS growth
//	--replay N   N recorded deliveries bulk replayed, timed against live traffic
//	--all        all three with the target sizes (10,000 tunnels, 100 MiB, 10,000)
//
// Run it from the module root:
//
//	go run ./bench                  # the load table, about 2 minutes
//	go run ./bench --all            # everything, under 5 minutes
//
// It is a separate command and never runs as part of go test.
package main
