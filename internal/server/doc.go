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
package server
