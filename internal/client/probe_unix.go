//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package client

import (
	"net"
	"syscall"
)

// canPeek: peerGone can ask the socket.
const canPeek = true

// peerGone reports whether the peer of an idle connection closed it or sent something
// unasked, which makes it unusable too; it peeks without blocking and without taking
// anything from the socket.
func peerGone(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	gone := false
	err = raw.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, rerr := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		gone = n > 0 || rerr == nil || rerr != syscall.EAGAIN && rerr != syscall.EWOULDBLOCK && rerr != syscall.EINTR
		return true
	})
	return gone || err != nil
}
