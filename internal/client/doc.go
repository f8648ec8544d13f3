// Package client is the core of relay-client: it keeps a tunnel session to a relay-server
// up, reconnecting with backoff, and serves the requests that arrive on it by forwarding
// them to local apps.
//
// Each stream the relay opens is served as a byte pipe (see pipe): request and response
// heads are read by a small HTTP/1.1 parser and changed only where a proxy must (the
// app's path prefix, the tunnel header, hop-by-hop fields); bodies are copied as framed,
// byte for byte, over kept-alive connections to the app.
package client
