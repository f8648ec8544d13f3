// Package proxyproto reads the PROXY protocol header (versions 1 and 2, as HAProxy
// specifies them) that a TCP balancer puts in front of a connection to tell the
// server who the client is. Behind a balancer that does not keep client addresses,
// every sender and tunnel client would otherwise seem to come from the balancer, and
// the relay's per-source limits would count them all together.
//
// # Trust
//
// A header is read only from the peers the operator lists ([Config.Trusted]): from
// them it is required (a balancer configured to send it always does), and a conn
// without a valid one is closed before any byte reaches HTTP or TLS. A header from
// anybody else is never looked for: it would reach HTTP as garbage and be refused
// there, so no one outside the list can claim an address.
//
// # What is read
//
//   - Version 1, text: "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" or "PROXY UNKNOWN...\r\n",
//     at most [MaxV1] (107) bytes including CRLF.
//   - Version 2, binary: the 12-byte signature, version 2 with command LOCAL or PROXY,
//     family AF_INET or AF_INET6 over STREAM (or UNSPEC), an address block, and TLVs,
//     which are skipped; at most [MaxV2] bytes after the 16-byte fixed part.
//
// LOCAL (v2) and UNKNOWN (v1) keep the balancer's own address: they are its health
// checks. The header is read on the conn's first Read or RemoteAddr, not in Accept, so
// a slow peer never holds up the accept loop; it must arrive within [Config.Timeout]
// ([DefaultTimeout], 5 s). Exactly the header's bytes are read; everything after it is
// the conn's.
//
// # Errors
//
// A conn whose header is missing, malformed or late fails its first Read with an error
// wrapping [ErrHeader], and every Write after that: nothing is answered, and the HTTP
// server closes it.
package proxyproto
