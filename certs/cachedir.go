package certs

import (
	"fmt"
	"os"

	"golang.org/x/crypto/acme/autocert"
)

// privateDirMode and privateFileMode are the permissions of everything this
// package writes that may hold private keys.
const (
	privateDirMode  os.FileMode = 0o700
	privateFileMode os.FileMode = 0o600
)

// openCacheDir makes dir a private directory and returns an autocert cache
// on it. autocert.DirCache itself writes files with os.CreateTemp (mode 0600)
// and renames them into place, so only the directory needs care here.
func openCacheDir(dir string) (autocert.Cache, error) {
	if dir == "" {
		return nil, ErrNoCacheDir
	}
	if err := ensurePrivateDir(dir); err != nil {
		return nil, fmt.Errorf("open acme cache: %w", err)
	}
	return autocert.DirCache(dir), nil
}

// ensurePrivateDir creates dir with mode 0700, or tightens an existing
// directory to 0700.
func ensurePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, privateDirMode); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	if fi.Mode().Perm() == privateDirMode {
		return nil
	}
	return os.Chmod(dir, privateDirMode)
}
