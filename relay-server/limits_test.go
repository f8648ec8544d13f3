package main

import (
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/server"
)

// Every limit comes from its flag, else HOOKRELAY_<FLAG>, else the config file key,
// else the server's default.
func TestLimitSources(t *testing.T) {
	file := writeFile(t, "relay.yaml", []byte("domain: relay.test\nbody_timeout: 3s\nnames_per_token: 7\nsource_rate: 12.5\nmax_inflight: 9\n"))
	env := map[string]string{"HOOKRELAY_NAMES_PER_TOKEN": "8", "HOOKRELAY_TUNNEL_RECORD_QUOTA": "1000"}
	c, err := load([]string{"--config", file, "--source-rate", "20"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := server.Limits{
		BodyTimeout: 3 * time.Second, NamesPerToken: 8, SourceRate: 20, TunnelRecordQuota: 1000,
		BodyMinRate: server.DefaultBodyMinRate, ServerInflightBytes: server.DefaultServerInflightBytes,
		TunnelInflightBytes: server.DefaultTunnelInflightBytes, ResponseHeadLimit: server.DefaultResponseHeadLimit,
		SessionsPerToken: server.DefaultSessionsPerToken, NameTTL: server.DefaultNameTTL,
		TunnelRate: server.DefaultTunnelRate, TokenRecordQuota: server.DefaultTokenRecordQuota,
		RejectRecordCap: server.DefaultRejectRecordCap, SessionRate: server.DefaultSessionRate,
		SessionBurst: server.DefaultSessionBurst, SourceSessionRate: server.DefaultSourceSessionRate,
		SourceSessionBurst: server.DefaultSourceSessionBurst, ClientsPerTunnel: server.DefaultClientsPerTunnel,
	}
	if c.Server.Limits != want || c.Server.MaxInflight != 9 {
		t.Errorf("limits %+v max-inflight %d\nwant %+v max-inflight 9", c.Server.Limits, c.Server.MaxInflight, want)
	}
	sc := serverConfig(c, nil, nil, "http://relay.test", nil, nil)
	if sc.Limits != want || sc.MaxInflight != 9 {
		t.Errorf("server config limits %+v max-inflight %d", sc.Limits, sc.MaxInflight)
	}
}

func TestLimitsValidated(t *testing.T) {
	for _, args := range [][]string{
		{"--body-timeout", "-1s"}, {"--server-inflight-bytes", "-1"}, {"--source-rate", "-0.5"},
		{"--names-per-token", "-3"}, {"--max-inflight", "-1"},
	} {
		_, err := load(append([]string{"--domain", "relay.test"}, args...), func(string) string { return "" })
		if err == nil || !strings.Contains(err.Error(), "must not be negative") {
			t.Errorf("%v: %v, want a negative-value error", args, err)
		}
	}
}

// Short or repetitive tokens are refused, except with --dev, which warns.
func TestWeakTokens(t *testing.T) {
	none := func(string) string { return "" }
	for _, tc := range []struct {
		token string
		weak  bool
	}{
		{"a", true}, {"changeme", true}, {"aaaaaaaaaaaaaaaaaaaaaaaa", true}, {"abababababababababab", true},
		{"hr_5f0c2a9d1e7b33aa01", false}, {"0123456789abcdef", false}, {digestTest, false},
	} {
		_, err := load([]string{"--domain", "relay.test", "--token", tc.token}, none)
		if gotWeak := err != nil && strings.Contains(err.Error(), "weak"); gotWeak != tc.weak {
			t.Errorf("token %q: err %v, want weak=%v", tc.token, err, tc.weak)
		}
		c, err := load([]string{"--dev", "--token", tc.token}, none)
		if err != nil || (len(c.warnings) > 0) != tc.weak {
			t.Errorf("--dev token %q: err %v, warnings %q", tc.token, err, c.warnings)
		}
	}
}
