package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/hookrelay/hookrelay/proto"
)

// clientIDFile is where relay-client keeps its client id, under the user's config
// directory: the same id across restarts makes a restarted client replace only its own
// older session on a shared tunnel.
const clientIDFile = "hookrelay/client-id"

// clientID is --client-id, else the id kept in the user's config directory, created on
// first run. Without a config directory (no HOME) the id lasts for this run only.
func (g *globals) clientID(flag string) (string, error) {
	if flag != "" {
		return flag, checkClientID(flag)
	}
	dir, err := g.configDir()
	if err != nil {
		fmt.Fprintf(g.stderr, "no config directory (%v): using a client id for this run only\n", err)
		return newClientID(), nil
	}
	return loadClientID(filepath.Join(dir, clientIDFile))
}

// configDir is os.UserConfigDir, read through the command's environment.
func (g *globals) configDir() (string, error) {
	switch runtime.GOOS {
	case "windows":
		if d := g.getenv("AppData"); d != "" {
			return d, nil
		}
		return "", errors.New("%AppData% is not set")
	case "darwin", "ios":
		if h := g.getenv("HOME"); h != "" {
			return filepath.Join(h, "Library", "Application Support"), nil
		}
		return "", errors.New("$HOME is not set")
	}
	if d := g.getenv("XDG_CONFIG_HOME"); d != "" {
		return d, nil
	}
	if h := g.getenv("HOME"); h != "" {
		return filepath.Join(h, ".config"), nil
	}
	return "", errors.New("neither $XDG_CONFIG_HOME nor $HOME is set")
}

// loadClientID reads the id kept in path, or creates it.
func loadClientID(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		id := strings.TrimSpace(string(b))
		if err := checkClientID(id); err != nil {
			return "", fmt.Errorf("client id in %s: %w (delete the file to make a new one)", path, err)
		}
		return id, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read client id: %w", err)
	}
	id := newClientID()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("save client id: %w", err)
	}
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("save client id: %w", err)
	}
	return id, nil
}

func newClientID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// checkClientID holds an id to what the server accepts: printable ASCII without
// spaces, at most proto.MaxClientIDLen bytes.
func checkClientID(id string) error {
	if id == "" || len(id) > proto.MaxClientIDLen {
		return fmt.Errorf("client id %q: want 1 to %d characters", id, proto.MaxClientIDLen)
	}
	for _, r := range id {
		if r <= ' ' || r > '~' {
			return fmt.Errorf("client id %q: only printable ASCII, no spaces", id)
		}
	}
	return nil
}
