package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookrelay/hookrelay/internal/cli"
	"github.com/hookrelay/hookrelay/internal/option"
)

// healthcheckTimeout bounds the whole probe.
const healthcheckTimeout = 3 * time.Second

// healthcheckCommand probes a running relay-server's admin listener and fails unless it
// answers 200. It is the container health check: distroless images have no curl.
//
//	relay-server healthcheck [--admin-addr ADDR] [--path /readyz]
//
// ADDR defaults to HOOKRELAY_ADMIN_ADDR, then 127.0.0.1:9090; an unspecified host (":9090",
// "0.0.0.0:9090") is probed on 127.0.0.1.
func healthcheckCommand(getenv func(string) string) *cobra.Command {
	var addr, path string
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Probe a running relay-server's admin listener; exit 0 when it answers 200",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cli.ApplyEnv(cmd, getenv, cli.EnvRules{}); err != nil {
				return err
			}
			target, err := probeURL(addr, path)
			if err != nil {
				return option.Usage(err)
			}
			return probe(cmd.Context(), target)
		},
	}
	cmd.Flags().StringVar(&addr, "admin-addr", defaultAdminAddr, "admin listener address of the server to probe")
	cmd.Flags().StringVar(&path, "path", "/readyz", "path to probe: /readyz or /healthz")
	return cmd
}

// probeURL is the http URL of path on the admin address addr.
func probeURL(addr, path string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || listenerAddr(addr) == "" {
		return "", fmt.Errorf("healthcheck: admin address %q: want HOST:PORT", addr)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}

// errUnhealthy is returned by healthcheck when the server answers but not with 200.
var errUnhealthy = errors.New("relay-server: unhealthy")

func probe(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s answered %s: %s", errUnhealthy, url, resp.Status, body)
	}
	return nil
}
