package deploy_test

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// composeEnv is what an operator's .env holds.
var composeEnv = []string{
	"HOOKRELAY_DOMAIN=relay.example.com",
	"HOOKRELAY_EMAIL=ops@example.com",
	"HOOKRELAY_TOKEN=sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
}

// loadCompose loads ../docker-compose.yml with env as the interpolation environment.
func loadCompose(t *testing.T, env []string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{filepath.Join("..", "docker-compose.yml")},
		cli.WithName("hookrelay"), cli.WithWorkingDirectory(".."), cli.WithEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

func TestComposeFile(t *testing.T) {
	p, err := loadCompose(t, composeEnv)
	if err != nil {
		t.Fatal(err)
	}
	relay, err := p.GetService("relay")
	if err != nil {
		t.Fatal(err)
	}
	if relay.Build == nil || relay.Build.Context != p.WorkingDir {
		t.Errorf("build = %+v, want the repository root", relay.Build)
	}
	if relay.Restart != types.RestartPolicyUnlessStopped {
		t.Errorf("restart = %q", relay.Restart)
	}
	assertPorts(t, relay.Ports)
	assertDataVolume(t, p, relay.Volumes)
	assertEnv(t, relay.Environment, map[string]string{
		"HOOKRELAY_DOMAIN":     "relay.example.com",
		"HOOKRELAY_EMAIL":      "ops@example.com",
		"HOOKRELAY_TOKEN":      strings.TrimPrefix(composeEnv[2], "HOOKRELAY_TOKEN="),
		"HOOKRELAY_ADMIN_ADDR": "0.0.0.0:9090",
	})
	if hc := relay.HealthCheck; hc == nil || !slices.Equal([]string(hc.Test), []string{"CMD", "/relay-server", "healthcheck"}) {
		t.Errorf("healthcheck = %+v, want the binary's healthcheck command", hc)
	}
}

// assertPorts checks 80 and 443 are published on every address and the admin port only
// on the host's loopback.
func assertPorts(t *testing.T, ports []types.ServicePortConfig) {
	t.Helper()
	want := map[uint32]string{80: "", 443: "", 9090: "127.0.0.1"}
	for _, p := range ports {
		hostIP, ok := want[p.Target]
		if !ok || p.HostIP != hostIP || p.Published != strconv.Itoa(int(p.Target)) {
			t.Errorf("unexpected port mapping %+v", p)
		}
		delete(want, p.Target)
	}
	for port := range want {
		t.Errorf("container port %d is not published", port)
	}
}

func assertDataVolume(t *testing.T, p *types.Project, vols []types.ServiceVolumeConfig) {
	t.Helper()
	for _, v := range vols {
		if v.Target == "/data" {
			if v.Type != types.VolumeTypeVolume || v.Source != "hookrelay-data" {
				t.Errorf("/data is %s %q, want the named volume hookrelay-data", v.Type, v.Source)
			}
			if _, ok := p.Volumes["hookrelay-data"]; !ok {
				t.Error("volume hookrelay-data is not declared")
			}
			return
		}
	}
	t.Error("no volume mounted on /data")
}

func assertEnv(t *testing.T, env types.MappingWithEquals, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := env[k]; got == nil || *got != v {
			t.Errorf("environment %s = %v, want %q", k, got, v)
		}
	}
}

// TestComposeNeedsDomainAndToken checks compose refuses to start without the
// variables the server cannot run without.
func TestComposeNeedsDomainAndToken(t *testing.T) {
	for _, missing := range []string{"HOOKRELAY_DOMAIN", "HOOKRELAY_TOKEN"} {
		env := slices.DeleteFunc(slices.Clone(composeEnv), func(kv string) bool { return strings.HasPrefix(kv, missing+"=") })
		_, err := loadCompose(t, env)
		if err == nil || !strings.Contains(err.Error(), missing) {
			t.Errorf("without %s: err = %v, want it named", missing, err)
		}
	}
}
