package main

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/hookrelay/hookrelay/internal/server"
)

// limitsFile holds the limit keys of the config file, inline with the others.
type limitsFile struct {
	MaxInflight         int           `yaml:"max_inflight"`
	BodyTimeout         time.Duration `yaml:"body_timeout"`
	BodyMinRate         int64         `yaml:"body_min_rate"`
	ServerInflightBytes int64         `yaml:"server_inflight_bytes"`
	TunnelInflightBytes int64         `yaml:"tunnel_inflight_bytes"`
	ResponseHeadLimit   int64         `yaml:"response_head_limit"`
	SessionsPerToken    int           `yaml:"sessions_per_token"`
	NamesPerToken       int           `yaml:"names_per_token"`
	NameTTL             time.Duration `yaml:"name_ttl"`
	SourceRate          float64       `yaml:"source_rate"`
	TunnelRate          float64       `yaml:"tunnel_rate"`
	TunnelRecordQuota   int64         `yaml:"tunnel_record_quota"`
	TokenRecordQuota    int64         `yaml:"token_record_quota"`
	RejectRecordCap     int64         `yaml:"reject_record_cap"`
}

// limitFlags binds the limit flags to c. Their meaning and defaults are server.Limits'.
func (c *config) limitFlags(fs *pflag.FlagSet) {
	l := &c.Limits
	fs.IntVar(&c.MaxInflight, "max-inflight", server.DefaultMaxInflight, "requests in flight per tunnel (more: 503 tunnel_busy)")
	fs.DurationVar(&l.BodyTimeout, "body-timeout", server.DefaultBodyTimeout, "time a sender has to start its body (then --body-min-rate applies; slower: 408 body_timeout)")
	fs.Int64Var(&l.BodyMinRate, "body-min-rate", server.DefaultBodyMinRate, "lowest average body rate accepted, in bytes a second")
	fs.Int64Var(&l.ServerInflightBytes, "server-inflight-bytes", server.DefaultServerInflightBytes, "request body bytes in flight server-wide (more: 503 overloaded)")
	fs.Int64Var(&l.TunnelInflightBytes, "tunnel-inflight-bytes", server.DefaultTunnelInflightBytes, "request body bytes in flight per tunnel (more: 503 overloaded)")
	fs.Int64Var(&l.ResponseHeadLimit, "response-head-limit", server.DefaultResponseHeadLimit, "largest response head from a tunnel client, in bytes (more: 502 bad_response)")
	fs.IntVar(&l.SessionsPerToken, "sessions-per-token", server.DefaultSessionsPerToken, "sessions one token may have open (more: 429 too_many_sessions)")
	fs.IntVar(&l.NamesPerToken, "names-per-token", server.DefaultNamesPerToken, "tunnel names one token may hold (more: too_many_tunnels)")
	fs.DurationVar(&l.NameTTL, "name-ttl", server.DefaultNameTTL, "a name no client served for this long is released (any token may take it)")
	fs.Float64Var(&l.SourceRate, "source-rate", server.DefaultSourceRate, "requests a second from one source address, burst twice that (more: 429 rate_limited)")
	fs.Float64Var(&l.TunnelRate, "tunnel-rate", server.DefaultTunnelRate, "requests a second into one tunnel, burst twice that (more: 429 rate_limited)")
	fs.Int64Var(&l.TunnelRecordQuota, "tunnel-record-quota", server.DefaultTunnelRecordQuota, "body bytes recorded per tunnel per day (more: 429 quota_exceeded)")
	fs.Int64Var(&l.TokenRecordQuota, "token-record-quota", server.DefaultTokenRecordQuota, "body bytes recorded per token per day (more: 429 quota_exceeded)")
	fs.Int64Var(&l.RejectRecordCap, "reject-record-cap", server.DefaultRejectRecordCap, "body bytes kept in the record of a request refused while its tunnel is offline")
}

// mergeLimits copies the file's limits into c for flags not given on the command line.
func mergeLimits(c *config, f *limitsFile, fs *pflag.FlagSet) {
	l := &c.Limits
	pick(fs, "max-inflight", &c.MaxInflight, f.MaxInflight)
	pick(fs, "body-timeout", &l.BodyTimeout, f.BodyTimeout)
	pick(fs, "body-min-rate", &l.BodyMinRate, f.BodyMinRate)
	pick(fs, "server-inflight-bytes", &l.ServerInflightBytes, f.ServerInflightBytes)
	pick(fs, "tunnel-inflight-bytes", &l.TunnelInflightBytes, f.TunnelInflightBytes)
	pick(fs, "response-head-limit", &l.ResponseHeadLimit, f.ResponseHeadLimit)
	pick(fs, "sessions-per-token", &l.SessionsPerToken, f.SessionsPerToken)
	pick(fs, "names-per-token", &l.NamesPerToken, f.NamesPerToken)
	pick(fs, "name-ttl", &l.NameTTL, f.NameTTL)
	pick(fs, "source-rate", &l.SourceRate, f.SourceRate)
	pick(fs, "tunnel-rate", &l.TunnelRate, f.TunnelRate)
	pick(fs, "tunnel-record-quota", &l.TunnelRecordQuota, f.TunnelRecordQuota)
	pick(fs, "token-record-quota", &l.TokenRecordQuota, f.TokenRecordQuota)
	pick(fs, "reject-record-cap", &l.RejectRecordCap, f.RejectRecordCap)
}
