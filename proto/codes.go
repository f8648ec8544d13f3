package proto

import "net/http"

// Code is a short machine-readable error code. The relay answers every error of its own
// with an HTTP status, the code in [HeaderError] and a JSON body
// {"error":{"code":"...","message":"..."}}. Codes are stable; messages are for humans.
type Code string

// Codes and the HTTP status each is served with (see [Code.Status]).
const (
	CodeBadToken         Code = "bad_token"         // 401: missing or unknown token
	CodeBadName          Code = "bad_name"          // 400: tunnel name is not a DNS label or is reserved
	CodeNameTaken        Code = "name_taken"        // 409: name held by another token or team
	CodeVersionMismatch  Code = "version_mismatch"  // 426: client speaks another protocol version
	CodeBadRequest       Code = "bad_request"       // 400: malformed handshake or API request
	CodeTunnelNotFound   Code = "tunnel_not_found"  // 404: no such tunnel
	CodeTunnelOffline    Code = "tunnel_offline"    // 503: tunnel exists, no client connected
	CodeTunnelBusy       Code = "tunnel_busy"       // 503: too many requests in flight on the tunnel
	CodeLocalUnreachable Code = "local_unreachable" // 502: local app refused or unreachable
	CodeLocalTimeout     Code = "local_timeout"     // 504: local app did not answer in time
	// 502: the local app accepted the connection but did not answer with HTTP (garbage,
	// reset or closed before a response)
	CodeLocalBadResponse Code = "local_bad_response"
	CodeBodyTooLarge     Code = "body_too_large"    // 413: request body over the tunnel's limit
	CodeStoreUnavailable Code = "store_unavailable" // 503: cannot record, so refuses to forward
	CodeSignatureInvalid Code = "signature_invalid" // 401: signature check failed in enforce mode
	CodeNotFound         Code = "not_found"         // 404: no such record or route
	CodeNotReplayable    Code = "not_replayable"    // 409: record body truncated, no byte-exact replay
	CodeTooManyTunnels   Code = "too_many_tunnels"  // 400: Hello names more than MaxTunnelsPerSession
	CodeShuttingDown     Code = "shutting_down"     // 503: server is draining; on the control stream: reconnect at once
	CodeReplaced         Code = "replaced"          // session ended: same token took over the tunnel
	CodeInternal         Code = "internal"          // 500: a bug; details are in the server log
	CodeBodyTimeout      Code = "body_timeout"      // 408: request body too slow (read deadline / minimum rate)
	CodeOverloaded       Code = "overloaded"        // 503: in-flight body bytes at the server's or tunnel's cap
	CodeRateLimited      Code = "rate_limited"      // 429: over the per-source or per-tunnel request rate
	CodeQuotaExceeded    Code = "quota_exceeded"    // 429: the tunnel or token recorded its daily byte quota
	CodeBadResponse      Code = "bad_response"      // 502: tunnel client's response head over the limit
	CodeTooManySessions  Code = "too_many_sessions" // 429: the token has its maximum of sessions open
	CodeTunnelOnline     Code = "tunnel_online"     // 409: a client serves the tunnel, so its name cannot be released
	// 409: the tunnel has its maximum of clients attached (relay-server
	// --clients-per-tunnel); a reconnect of an attached client id replaces itself and is
	// never refused so
	CodeTooManyClients Code = "too_many_clients"
	// session ended, or 401 on the API: the token was revoked (relay-server tokens
	// revoke); a new connect with it gets bad_token
	CodeTokenRevoked Code = "token_revoked"
	// A URL-verification handshake the tunnel answers failed its check (wrong verify
	// token, Slack signature that does not verify); recorded as rejected.
	CodeHandshakeRefused Code = "handshake_refused" // 403: a handshake failed its check
	// The client has no local target for the request's path (per-path targets without a
	// "/" one); the sender may retry once a target is added.
	CodeNoLocalTarget Code = "no_local_target" // 502: no local target for the path
)

var codeStatus = map[Code]int{
	CodeBadToken:         http.StatusUnauthorized,
	CodeBadName:          http.StatusBadRequest,
	CodeNameTaken:        http.StatusConflict,
	CodeVersionMismatch:  http.StatusUpgradeRequired,
	CodeBadRequest:       http.StatusBadRequest,
	CodeTunnelNotFound:   http.StatusNotFound,
	CodeTunnelOffline:    http.StatusServiceUnavailable,
	CodeTunnelBusy:       http.StatusServiceUnavailable,
	CodeLocalUnreachable: http.StatusBadGateway,
	CodeLocalTimeout:     http.StatusGatewayTimeout,
	CodeLocalBadResponse: http.StatusBadGateway,
	CodeBodyTooLarge:     http.StatusRequestEntityTooLarge,
	CodeStoreUnavailable: http.StatusServiceUnavailable,
	CodeSignatureInvalid: http.StatusUnauthorized,
	CodeNotFound:         http.StatusNotFound,
	CodeNotReplayable:    http.StatusConflict,
	CodeTooManyTunnels:   http.StatusBadRequest,
	CodeShuttingDown:     http.StatusServiceUnavailable,
	CodeReplaced:         http.StatusConflict,
	CodeInternal:         http.StatusInternalServerError,
	CodeBodyTimeout:      http.StatusRequestTimeout,
	CodeOverloaded:       http.StatusServiceUnavailable,
	CodeRateLimited:      http.StatusTooManyRequests,
	CodeQuotaExceeded:    http.StatusTooManyRequests,
	CodeBadResponse:      http.StatusBadGateway,
	CodeTooManySessions:  http.StatusTooManyRequests,
	CodeTunnelOnline:     http.StatusConflict,
	CodeTooManyClients:   http.StatusConflict,
	CodeTokenRevoked:     http.StatusUnauthorized,
	CodeHandshakeRefused: http.StatusForbidden,
	CodeNoLocalTarget:    http.StatusBadGateway,
}

// Status is the HTTP status the code is served with; unknown codes map to 500.
func (c Code) Status() int {
	if s, ok := codeStatus[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}
