// Package route decides which of a tunnel's attached clients receive a
// delivery, from the route expressions the clients attached with
// (relay-client --route EXPR, repeatable).
//
// # Grammar
//
//	route    = "path=" glob            ; the path as received, escaped, no query
//	         | "method=" token         ; exact and case-sensitive, as HTTP methods are: POST, not post
//	         | "header:" token "=" glob ; the header name ignores case, the value does not
//	         | "json:" jpath "=" glob   ; a value in the recorded body
//	jpath    = segment *( "." segment )
//	segment  = 1*( any character but "." "=" "\" | "\." | "\=" | "\\" )
//	glob     = 1*( character | "*" | "?" | "\*" | "\?" | "\\" )
//
// Selector names are lowercase and exact. The selector ends at the first
// "=" (in a json path, the first one not escaped); everything after it is
// the value, "=" included. The value may not be empty: to ask for "the
// header is present, with any value", write header:NAME=*. A path glob
// starts with "/" or "*". Parse and ParseRoutes refuse anything else with an
// *Error naming the offending text and the reason, which the relay answers as
// bad_request.
//
// # Globs
//
// "*" matches any run of characters, none included; "?" exactly one
// character (one UTF-8 encoded code point, or one byte that starts no valid
// encoding). In paths too, "*" crosses "/": path=/webhooks/* matches
// /webhooks/a and /webhooks/a/b but not /webhooks itself (add path=/webhooks
// for that, routes OR). One meaning of "*" everywhere, and the common
// "everything under here" needs no "**". A backslash makes "*", "?" or "\"
// literal; before anything else it is an error. Matching never recurses and
// takes time linear in the value's length, whatever the sender puts in it:
// the text before the first star and after the last is compared in place,
// each segment between two stars is found leftmost, with a substring search,
// or with one word of Shift-And state when it holds a "?" (so such a segment
// is at most 64 characters).
//
// # JSON values
//
// json routes look into the body as a JSON document, whatever its
// Content-Type. Each path segment is an object key; a segment of decimal
// digits (no leading zero) also indexes an array. The value found compares by
// its JSON text: a string by its decoded value, a number by its literal text
// as sent (json:amount=100 does not match 100.0 or 1e2; json:amount=1* does
// match 100), true, false and null by those words, so json:live=true matches
// both true and "true". An object or array, a missing path, a body that is not
// one JSON document and a body over MaxBody (1 MiB) match nothing, nor does
// a body the relay does not hold whole ([NewDelivery] and [RecordDelivery]
// are given nil for one recorded only in part). Of repeated keys in an
// object the last counts.
//
// The body is decoded at most once per delivery, on the first json route that
// needs it, however many routes and clients look: the [Delivery] view holds
// the result. Deliveries that no client routes on JSON are never decoded. The
// decoder is a single pass that accepts exactly what encoding/json accepts
// (nesting up to 10,000 deep) and records each value's place in the body in
// one flat list, without copying strings; a route's lookup then walks that
// list and unescapes only the string it compares (a fuzz target holds it to
// encoding/json's answers).
//
// # Several routes, several clients
//
// A client's routes OR: it receives a delivery when any one of them matches.
// --route states "also send me these", the way stripe listen --events
// a,b lists the events wanted; a team member adds a route to widen what they
// get. AND would make each extra flag narrow the set instead, and a
// conjunction across selectors is rarely what a webhook consumer wants
// (one route can already pin a path and a value through its glob).
//
// [Select] applies the precedence, for each delivery, over the attached
// clients in attach order:
//
//  1. The clients with routes of which one or more match receive it; the
//     first attached of those is primary (answers the sender), the others
//     get copies, whatever the tunnel's share policy.
//  2. Otherwise the clients without routes receive it under the tunnel's
//     share policy (mirror or balance), as if the routed clients were absent.
//  3. When every attached client has routes and none matches, the delivery
//     goes to no client: the tunnel's offline policy applies (reject or
//     queue), as with no client attached.
//
// # Limits
//
// At most MaxRoutes (16) routes per client, MaxExprLen (256) bytes each,
// MaxJSONDepth (16) segments per json path, 64 characters in a glob segment
// between two stars that holds a "?": a tunnel's routing costs at most 16
// clients x 16 routes of short patterns per delivery, each linear in the
// value it reads. Bodies over MaxBody
// (1 MiB) are not decoded: webhook payloads are far smaller (Stripe, GitHub:
// typically under 100 KiB), and the decoded list takes 24 bytes a value,
// about twice a typical body's size and at worst 12 times (an array of
// one-digit numbers), for as long as the delivery is being routed.
// An expression must be UTF-8 without control characters.
//
// # Cost
//
// BenchmarkSelect3x3JSON (3 clients x 3 routes, one json route matching, on
// a 2 KiB Stripe-like event) takes about 12 µs and 5 allocations on the
// shared 2-core build machine, nearly all of it the one decode;
// encoding/json alone takes about 120 µs and 429 allocations on that body
// there. Routes that do not look into the body cost about 100 ns. A glob
// that nearly matches at every position of a 1 MiB value takes about 2 ms
// (BenchmarkGlobWorst).
package route
