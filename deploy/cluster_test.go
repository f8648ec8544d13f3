package deploy_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// clusterEnv is what an operator's deploy/cluster/.env holds.
var clusterEnv = []string{
	"HOOKRELAY_DOMAIN=relay.example.com",
	"HOOKRELAY_TOKEN=sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	"POSTGRES_PASSWORD=0a1b2c3d4e5f",
	"HOOKRELAY_TLS_CERT_FILE=./fullchain.pem",
	"HOOKRELAY_TLS_KEY_FILE=./key.pem",
}

// clusterNodes are the relay services of the cluster compose file and the port each
// publishes its HTTPS on by default.
var clusterNodes = map[string]string{"relay-a": "8443", "relay-b": "8444"}

func loadCluster(t *testing.T, env []string) (*types.Project, error) {
	t.Helper()
	dir := filepath.Join("cluster")
	opts, err := cli.NewProjectOptions([]string{filepath.Join(dir, "docker-compose.yml")},
		cli.WithName("hookrelay-cluster"), cli.WithWorkingDirectory(dir), cli.WithEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

// TestClusterCompose checks the two-node file: both nodes on one database, each with
// its own cluster address on the project network and the shared secret, the internal
// ports unpublished, health checks by the binary itself.
func TestClusterCompose(t *testing.T) {
	p, err := loadCluster(t, clusterEnv)
	if err != nil {
		t.Fatal(err)
	}
	urls, addrs := map[string]bool{}, map[string]bool{}
	for name, port := range clusterNodes {
		s, err := p.GetService(name)
		if err != nil {
			t.Fatal(err)
		}
		urls[env(s, "HOOKRELAY_DATABASE_URL")] = true
		addrs[env(s, "HOOKRELAY_CLUSTER_LISTEN")] = true
		checkNode(t, p, s, port)
	}
	if len(urls) != 1 || !urls["postgres://hookrelay:0a1b2c3d4e5f@postgres:5432/hookrelay?sslmode=disable"] {
		t.Errorf("database URLs %v, want one, on the postgres service", urls)
	}
	if len(addrs) != len(clusterNodes) {
		t.Errorf("cluster addresses %v, want one per node", addrs)
	}
	checkPostgres(t, p)
}

// checkNode checks one relay service.
func checkNode(t *testing.T, p *types.Project, s types.ServiceConfig, port string) {
	t.Helper()
	if s.Build == nil || s.Build.Context != filepath.Dir(filepath.Dir(p.WorkingDir)) {
		t.Errorf("%s: build = %+v, want the repository root", s.Name, s.Build)
	}
	if got, want := env(s, "HOOKRELAY_CLUSTER_LISTEN"), s.Name+":7443"; got != want {
		t.Errorf("%s: cluster listen %q, want %q (its name on the project network)", s.Name, got, want)
	}
	for _, v := range []string{"HOOKRELAY_DOMAIN", "HOOKRELAY_TOKEN"} {
		if env(s, v) == "" {
			t.Errorf("%s: %s not set", s.Name, v)
		}
	}
	checkSecret(t, p, s, "HOOKRELAY_CLUSTER_SECRET_FILE", "cluster-secret", "cluster-secret")
	checkSecret(t, p, s, "HOOKRELAY_TLS_CERT", "tls-cert", "fullchain.pem")
	checkSecret(t, p, s, "HOOKRELAY_TLS_KEY", "tls-key", "key.pem")
	checkNodePorts(t, s, port)
	if dc, ok := s.DependsOn["postgres"]; !ok || dc.Condition != types.ServiceConditionHealthy {
		t.Errorf("%s: depends_on = %+v, want postgres healthy", s.Name, s.DependsOn)
	}
	if hc := s.HealthCheck; hc == nil || !slices.Equal([]string(hc.Test), []string{"CMD", "/relay-server", "healthcheck"}) {
		t.Errorf("%s: healthcheck = %+v, want the binary's healthcheck command", s.Name, hc)
	}
	if len(s.Volumes) != 1 || s.Volumes[0].Target != "/data" || s.Volumes[0].Source != s.Name+"-data" {
		t.Errorf("%s: volumes = %+v, want its own named volume on /data", s.Name, s.Volumes)
	}
}

// checkSecret checks variable names the file of secret mounted in s, read from file
// next to the compose file.
func checkSecret(t *testing.T, p *types.Project, s types.ServiceConfig, variable, secret, file string) {
	t.Helper()
	if got := env(s, variable); got != "/run/secrets/"+secret {
		t.Errorf("%s: %s = %q, want the mounted secret %s", s.Name, variable, got, secret)
	}
	if !slices.ContainsFunc(s.Secrets, func(r types.ServiceSecretConfig) bool { return r.Source == secret }) {
		t.Errorf("%s: secret %s is not mounted", s.Name, secret)
	}
	if got := p.Secrets[secret].File; got != filepath.Join(p.WorkingDir, file) {
		t.Errorf("secret %s is read from %q, want %s in the compose file's directory", secret, got, file)
	}
}

// checkNodePorts checks a node publishes its HTTPS on port and its admin listener on the
// host's loopback only, and neither the cluster port nor plain HTTP.
func checkNodePorts(t *testing.T, s types.ServiceConfig, port string) {
	t.Helper()
	var https, admin bool
	for _, p := range s.Ports {
		switch {
		case p.Target == 443 && p.Published == port && p.HostIP == "":
			https = true
		case p.Target == 9090 && p.HostIP == "127.0.0.1":
			admin = true
		default:
			t.Errorf("%s: unexpected port mapping %+v", s.Name, p)
		}
	}
	if !https || !admin {
		t.Errorf("%s: ports = %+v, want 443 on host port %s and 9090 on 127.0.0.1", s.Name, s.Ports, port)
	}
	if env(s, "HOOKRELAY_HTTP_ADDR") != "off" || env(s, "HOOKRELAY_ADMIN_ADDR") != "0.0.0.0:9090" {
		t.Errorf("%s: http addr %q, admin addr %q", s.Name, env(s, "HOOKRELAY_HTTP_ADDR"), env(s, "HOOKRELAY_ADMIN_ADDR"))
	}
}

// checkPostgres checks the database publishes nothing, keeps its files in a volume and
// reports its health, which the nodes wait for.
func checkPostgres(t *testing.T, p *types.Project) {
	t.Helper()
	pg, err := p.GetService("postgres")
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Ports) != 0 {
		t.Errorf("postgres publishes %+v, want nothing", pg.Ports)
	}
	if env(pg, "POSTGRES_PASSWORD") != "0a1b2c3d4e5f" || env(pg, "POSTGRES_USER") != "hookrelay" || env(pg, "POSTGRES_DB") != "hookrelay" {
		t.Errorf("postgres environment = %v", pg.Environment)
	}
	if pg.HealthCheck == nil || len(pg.HealthCheck.Test) < 2 || pg.HealthCheck.Test[1] != "pg_isready" {
		t.Errorf("postgres healthcheck = %+v, want pg_isready", pg.HealthCheck)
	}
	if len(pg.Volumes) != 1 || pg.Volumes[0].Source != "postgres-data" {
		t.Errorf("postgres volumes = %+v, want the named volume postgres-data", pg.Volumes)
	}
}

func env(s types.ServiceConfig, name string) string {
	if v := s.Environment[name]; v != nil {
		return *v
	}
	return ""
}

// TestClusterComposeNeedsSettings checks compose refuses to start without each
// variable the nodes cannot run without, and names it.
func TestClusterComposeNeedsSettings(t *testing.T) {
	for _, kv := range clusterEnv {
		missing, _, _ := strings.Cut(kv, "=")
		t.Run(missing, func(t *testing.T) {
			env := slices.DeleteFunc(slices.Clone(clusterEnv), func(s string) bool { return strings.HasPrefix(s, missing+"=") })
			_, err := loadCluster(t, env)
			if err == nil || !strings.Contains(err.Error(), missing) {
				t.Errorf("without %s: err = %v, want it named", missing, err)
			}
		})
	}
}
