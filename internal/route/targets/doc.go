// Package targets sends each request a tunnel client receives to one of
// several local apps by its path:
//
//	relay-client http /webhooks/leads=4000 /webhooks=3000 /=8080 --name sitegpt
//
// # Arguments
//
//	arg    = "/" prefix "=" target   ; this prefix goes to target
//	       | target                 ; the same as /=target
//	target = PORT                   ; http://localhost:PORT, PORT 1-65535
//	       | HOST:PORT              ; http://HOST:PORT
//	       | http(s)://HOST[:PORT][/base]
//
// A prefix starts with "/", is at most MaxPrefixLen (1024) bytes, has no
// empty, "." or ".." segment and no "?", "#", "=", space or control byte, and
// a "%" in it starts a hex escape; a trailing "/" is dropped. The argument is
// cut at its first "=", so a prefix cannot hold "=" (a target URL can). A
// target URL with a user, a query or a fragment is refused. Two arguments for
// one prefix are an error naming both; so are more than MaxTargets (64).
//
// [Group] is the one rule for relay-client http's argument list: without any
// /PREFIX= argument every argument is a tunnel of its own (as before: 3000
// 4000 opens two tunnels); with one or more, all the arguments are one
// tunnel's targets, and a bare one is its "/" target.
//
// # Picking
//
// [Set.Pick] takes the longest prefix that covers the path by whole
// segments: /webhooks covers /webhooks, /webhooks/ and /webhooks/x, not
// /webhooksx. The path is compared as the sender spelt it (escaped, without
// normalising "%2F", hex case or dot segments): the relay forwards those
// bytes, so the choice is the one the app will see. The prefix stays in the
// forwarded path, after the target's base path if it has one:
// /webhooks/leads/x with /webhooks/leads=http://localhost:4000/api reaches
// the app as /api/webhooks/leads/x.
//
// When no prefix covers the path and there is no "/" target, Pick returns
// ErrNoTarget and the client answers NoTargetStatus (502) with code
// CodeNoLocalTarget (no_local_target): the relay reached the client, the
// client has nowhere to send it, and the sender may retry once a developer
// adds a target.
package targets
