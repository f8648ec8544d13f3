package pgtest

import "syscall"

// dieWithParent has the kernel send the server SIGQUIT (PostgreSQL's
// immediate shutdown) when the test binary exits, however it exits. When
// running as root, setpriv sets the signal again after changing user,
// which clears it.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGQUIT}
}
