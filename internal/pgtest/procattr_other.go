//go:build !linux

package pgtest

import "syscall"

// dieWithParent: only Linux has a parent death signal; elsewhere a test
// binary killed by its -timeout leaves its server running.
func dieWithParent() *syscall.SysProcAttr { return nil }
