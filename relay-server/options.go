package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/hookrelay/hookrelay/internal/option"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/proto"
)

// options is relay-server's table of options, the one place each is defined: its flag,
// HOOKRELAY_<FLAG> variable and config-file key (the name with underscores) come from
// its name, its type, unit and default from its Value, its range from its Check. The
// config file also takes two structured keys, tokens: and tunnels: (see configfile.go).
// README's option table is generated from this one (TestReadmeOptions).
func (c *config) options() []option.Option {
	sc, l := &c.Server, &c.Server.Limits
	return []option.Option{
		{Name: "config", Value: option.String(&c.configFile, ""), PerNode: true, NoFile: true,
			Help: "YAML config file; its keys are the flag names with underscores (see testdata/config.yaml)"},
		{Name: "dev", Value: option.Bool(&c.Dev, false),
			Help: "development mode: plain HTTP on loopback, no ACME, a generated token"},
		{Name: "domain", Value: option.String(&c.Domain, ""),
			Help: "base domain: tunnels are DOMAIN/t/NAME/ and NAME.DOMAIN (localhost with --dev)"},
		{Name: "data", Value: option.String(&c.Data, "./hookrelay-data"), PerNode: true,
			Help: "data directory: database, certificate cache"},
		{Name: "token", Value: option.List(&c.tokenFlags, ","), Secret: true, NoFile: true,
			Help: "client token, in clear or as sha256:<hex> (repeatable; comma-separated in HOOKRELAY_TOKEN; replaces the file's tokens:)"},

		// Listeners.
		{Name: "addr", Value: option.String(&c.Addr, defaultAddr), PerNode: true,
			Help: "public listener address, HTTPS (127.0.0.1:8080, plain HTTP, with --dev)"},
		{Name: "http-addr", Value: option.String(&c.HTTPAddr, defaultHTTPAddr), PerNode: true,
			Help: "plain-HTTP listener for ACME HTTP-01 and redirects to HTTPS (\"\" or off: none)"},
		{Name: "admin-addr", Value: option.String(&c.AdminAddr, defaultAdminAddr), PerNode: true,
			Help: "admin listener for /metrics, /healthz, /readyz (\"\" or off: none; off by default with --dev)"},
		{Name: "admin-host", Value: option.String(&c.AdminHost, ""),
			Help: "host of the team inspector's own origin, a name under --domain (default inspect.DOMAIN; off: no team inspector)"},

		// Certificates: files with --tls-cert/--tls-key, else a local CA with --self-signed, else ACME.
		{Name: "email", Value: option.String(&c.Email, ""), Help: "ACME account contact address, for expiry notices"},
		{Name: "acme-directory", Value: option.String(&c.ACMEDirectory, ""),
			Help: "ACME directory URL (default Let's Encrypt production)"},
		{Name: "acme-ca-file", Value: option.String(&c.ACMECAFile, ""), PerNode: true,
			Help: "PEM roots trusted for the ACME server (private or test CA)"},
		{Name: "tls-cert", Value: option.String(&c.TLSCert, ""), PerNode: true,
			Help: "certificate chain PEM file, reloaded on change (a *.DOMAIN wildcard serves every tunnel host)"},
		{Name: "tls-key", Value: option.String(&c.TLSKey, ""), PerNode: true, Help: "private key PEM file for --tls-cert"},
		{Name: "self-signed", Value: option.Bool(&c.SelfSigned, false),
			Help: "serve a certificate from a local CA saved in the data dir (for trying HTTPS)"},

		// Deliveries and records.
		{Name: "timeout", Value: option.Duration(&sc.Timeout, server.DefaultTimeout), Check: option.Positive,
			Help: "how long a local app may take to start answering (more: 504 local_timeout)"},
		{Name: "body-limit", Value: option.Size(&sc.BodyLimit, server.DefaultBodyLimit), Check: option.Positive,
			Help: "largest request body accepted (more: 413 body_too_large)"},
		{Name: "record-cap", Value: option.Size(&sc.RecordCap, server.DefaultRecordCap), Check: option.Positive,
			Help: "body bytes recorded per request and response (beyond: length and SHA-256 only)"},
		{Name: "retention", Value: option.Duration(&sc.Retention, 7*24*time.Hour), Check: option.Positive,
			Help: "how long deliveries are kept"},
		{Name: "max-records", Value: option.Int(&sc.MaxRecords, 10000), Check: option.NonNegative,
			Help: "deliveries kept per tunnel and owner (0: no cap)"},
		{Name: "queue-ttl", Value: option.Duration(&sc.QueueTTL, 24*time.Hour), Check: option.Positive,
			Help: "how long a queued delivery waits for its client"},
		{Name: "no-record", Value: option.Bool(&c.NoRecord, false),
			Help: "record nothing (benchmarks only: no replay, no queue)"},
		{Name: "sync", Value: option.String(&c.Sync, syncNormal), PerNode: true, Choices: []string{syncNormal, syncFull},
			Help: "store durability: normal (survives kill -9; a power cut may lose the last commits) or full (fsync every commit: survives power loss, fewer writes a second)"},
		{Name: "database-url", Value: option.String(&c.DatabaseURL, ""), Secret: true,
			Help: "PostgreSQL URL (postgres://user:pass@host/db) to keep deliveries in instead of SQLite in the data dir (several relays share one with --cluster-listen); never shown with its password"},
		{Name: "database-schema", Value: option.String(&c.DatabaseSchema, ""),
			Help: "PostgreSQL schema for hookrelay's tables, which must exist (default: the URL's search_path, normally public)"},
		{Name: "cluster-listen", Value: option.String(&c.ClusterListen, ""), PerNode: true,
			Help: "with --database-url: host:port other relays dial to forward deliveries to this one's clients (host: the address they reach, not 0.0.0.0)"},
		{Name: "cluster-secret-file", Value: option.String(&c.ClusterSecretFile, ""), PerNode: true,
			Help: "file holding the secret every relay of the cluster shares (at least 16 bytes), required by --cluster-listen; it also seals the --verify secrets the database keeps"},
		{Name: "proxy-protocol-from", Value: option.List(&c.ProxyFrom, ","), PerNode: true, Check: c.checkProxyFrom,
			Help: "addresses or CIDR prefixes of TCP balancers that put a PROXY protocol header (v1 or v2) before each connection to --addr and --http-addr: from them it is required and names the source address limits count; from anyone else it is never read"},
		{Name: "log-format", Value: option.String(&c.LogFormat, "text"), PerNode: true, Choices: []string{"text", "json"},
			Help: "log format: text or json"},

		// Limits on what senders and tunnel clients can make the server hold
		// (server.Limits has the reasons for the defaults).
		{Name: "max-inflight", Value: option.Int(&sc.MaxInflight, server.DefaultMaxInflight), Check: option.Positive,
			Help: "requests in flight per tunnel (more: 503 tunnel_busy)"},
		{Name: "body-timeout", Value: option.Duration(&l.BodyTimeout, server.DefaultBodyTimeout), Check: option.Positive,
			Help: "time a sender has to start its body; then --body-min-rate applies (slower: 408 body_timeout)"},
		{Name: "body-min-rate", Value: option.ByteRate(&l.BodyMinRate, server.DefaultBodyMinRate), Check: option.Positive,
			Help: "lowest average body rate accepted"},
		{Name: "server-inflight-bytes", Value: option.Size(&l.ServerInflightBytes, server.DefaultServerInflightBytes), Check: option.Positive,
			Help: "request body bytes in flight server-wide (more: 503 overloaded)"},
		{Name: "tunnel-inflight-bytes", Value: option.Size(&l.TunnelInflightBytes, server.DefaultTunnelInflightBytes), Check: option.Positive,
			Help: "request body bytes in flight per tunnel (more: 503 overloaded)"},
		{Name: "response-head-limit", Value: option.Size(&l.ResponseHeadLimit, server.DefaultResponseHeadLimit), Check: option.Positive,
			Help: "largest response head from a tunnel client (more: 502 bad_response)"},
		{Name: "sessions-per-token", Value: option.Int(&l.SessionsPerToken, server.DefaultSessionsPerToken), Check: option.Positive,
			Help: "sessions one token may have open (more: 429 too_many_sessions)"},
		{Name: "clients-per-tunnel", Value: option.Int(&l.ClientsPerTunnel, server.DefaultClientsPerTunnel), Check: clientsPerTunnel,
			Help: "clients attached to one tunnel at once, each with its own client id, on all nodes of a cluster together (more: too_many_clients)"},
		{Name: "session-rate", Value: option.PerSecond(&l.SessionRate, server.DefaultSessionRate), Check: option.Positive,
			Help: "new sessions a second one token may open, after --session-burst (more: 429 rate_limited at connect)"},
		{Name: "session-burst", Value: option.Int(&l.SessionBurst, server.DefaultSessionBurst), Check: option.Positive,
			Help: "new sessions one token may open at once before --session-rate applies"},
		{Name: "source-session-rate", Value: option.PerSecond(&l.SourceSessionRate, server.DefaultSourceSessionRate), Check: option.Positive,
			Help: "new sessions a second from one source address (an IPv6 /64), after --source-session-burst (more: 429 rate_limited at connect)"},
		{Name: "source-session-burst", Value: option.Int(&l.SourceSessionBurst, server.DefaultSourceSessionBurst), Check: option.Positive,
			Help: "new sessions from one source address at once before --source-session-rate applies"},
		{Name: "names-per-token", Value: option.Int(&l.NamesPerToken, server.DefaultNamesPerToken), Check: option.Positive,
			Help: "tunnel names one token may hold (more: too_many_tunnels)"},
		{Name: "name-ttl", Value: option.Duration(&l.NameTTL, server.DefaultNameTTL), Check: option.Positive,
			Help: "a name no client served for this long is released (any token may take it)"},
		{Name: "source-rate", Value: option.PerSecond(&l.SourceRate, server.DefaultSourceRate), Check: option.Positive,
			Help: "requests a second from one source address, burst twice that (more: 429 rate_limited)"},
		{Name: "tunnel-rate", Value: option.PerSecond(&l.TunnelRate, server.DefaultTunnelRate), Check: option.Positive,
			Help: "requests a second into one tunnel, burst twice that (more: 429 rate_limited)"},
		{Name: "tunnel-record-quota", Value: option.Size(&l.TunnelRecordQuota, server.DefaultTunnelRecordQuota), Check: option.Positive,
			Help: "body bytes recorded per tunnel per day (more: 429 quota_exceeded)"},
		{Name: "token-record-quota", Value: option.Size(&l.TokenRecordQuota, server.DefaultTokenRecordQuota), Check: option.Positive,
			Help: "body bytes recorded per token per day (more: 429 quota_exceeded)"},
		{Name: "reject-record-cap", Value: option.Size(&l.RejectRecordCap, server.DefaultRejectRecordCap), Check: option.Positive,
			Help: "body bytes kept in the record of a request refused while its tunnel is offline"},
	}
}

// tunnelOptions are the per-tunnel settings under tunnels: in the config file. They
// have no flag; zero keeps the server-wide value.
func tunnelOptions(t *server.TunnelSettings) []option.Option {
	return []option.Option{
		{Name: "timeout", Value: option.Duration(&t.Timeout, 0), Check: option.NonNegative,
			Help: "--timeout for this tunnel"},
		{Name: "body-limit", Value: option.Size(&t.BodyLimit, 0), Check: option.NonNegative,
			Help: "--body-limit for this tunnel"},
		{Name: "offline", Value: option.String(&t.Offline, ""), Check: option.EmptyOr(option.OneOf(proto.OfflineReject, proto.OfflineQueue)),
			Help: "offline policy: reject or queue"},
		{Name: "handshake", Value: option.List(&t.Handshake, ","), Secret: true, // checked by decodeTunnels, whose errors name no secret
			Help: "URL-verification handshakes answered at the relay, client online or not: slack[:SIGNING_SECRET], meta:VERIFY_TOKEN, zoom:SECRET_TOKEN, twitter:CONSUMER_SECRET, msgraph, dropbox"},
		{Name: "share", Value: option.String(&t.Share, ""), Check: option.EmptyOr(option.OneOf(proto.ShareMirror, proto.ShareBalance)),
			Help: "with several clients attached: mirror (the primary answers, the others get copies) or balance (one each in turn); a client's --share overrides it"},
	}
}

// clientsPerTunnel holds --clients-per-tunnel to 1 to proto.MaxClientsPerTunnel.
func clientsPerTunnel(v option.Value) error {
	if err := option.Positive(v); err != nil {
		return err
	}
	if n, err := strconv.Atoi(v.String()); err == nil && n > proto.MaxClientsPerTunnel {
		return fmt.Errorf("must be at most %d", proto.MaxClientsPerTunnel)
	}
	return nil
}
