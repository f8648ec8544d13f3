// Package client is the core of relay-client: it keeps a tunnel session to a relay-server
// up, reconnecting with backoff, and serves the requests that arrive on it by forwarding
// them to local apps.
package client
