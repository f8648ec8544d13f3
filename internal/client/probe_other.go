//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package client

import (
	"net"
)

// canPeek: the socket of an idle connection cannot be asked here (see appConn.stale).
const canPeek = false

func peerGone(net.Conn) bool { return true }
