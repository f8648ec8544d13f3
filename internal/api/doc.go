// Package api defines the relay-server's JSON API for recorded deliveries (list, fetch,
// replay, live events) and a Go client for it, used by relay-client's commands and its
// local inspector.
//
// Every call carries "Authorization: Bearer <token>"; a token sees only the tunnels it
// owns, and another token's records answer 404. Errors are the relay's usual error
// answer: a status, the code in X-Hookrelay-Error and {"error":{"code","message"}}.
//
//	GET  /api/tunnels                        the token's tunnels
//	GET  /api/tunnels/{name}                 one of them, with its share policy and attached clients
//	DELETE /api/tunnels/{name}               release a name (204); 409 tunnel_online while served
//	GET  /api/requests?tunnel=&limit=&cursor= newest first; filters below
//	GET  /api/requests/{id}                  one record, bodies base64
//	GET  /api/requests/{id}/body?part=request|response   one body, raw bytes
//	POST /api/requests/{id}/replay           replay, optionally edited (to_client: one attached
//	                                         client by label); answers the new record
//	POST /api/replay?<filters>&parallel=N    bulk replay in arrival order; NDJSON, one line per replay,
//	                                         in order; parallel (1..32, default 1) replays N at a time
//	GET  /api/events?tunnel=                 server-sent events: one "delivery" event per finished record
//
// List filters: since, until (RFC 3339 or a duration like 1h), method, status (2xx..5xx),
// outcome, q (text in path or body), verified (ok|failed), replays (true), order
// (newest|oldest), missed (true: deliveries with an outcome in
// store.MissedOutcomes, not replayed yet).
package api
