// Package server is the core of relay-server: it accepts tunnel clients on
// proto.ConnectPath, routes public requests to their tunnels, records every delivery and
// serves the replay API.
//
// It never listens: Server.Handler returns the http.Handler that the relay-server binary
// mounts on its public listener. Close ends every tunnel session and waits for them.
package server
