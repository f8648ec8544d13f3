package client

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"sync"
	"time"

	"github.com/hookrelay/hookrelay/internal/route/targets"
	"github.com/hookrelay/hookrelay/proto"
)

// Tunnel is one tunnel the client asks for and where its requests go.
type Tunnel struct {
	// Name is the wanted name; empty lets the server pick one, which is then kept for
	// reconnects.
	Name string
	// Target is the local app, e.g. http://localhost:3000. Its path, if any, prefixes
	// every forwarded path.
	Target *url.URL
	// Targets, when set, sends each request to the local app whose path prefix covers
	// its path (longest first, whole segments; the prefix stays in the forwarded path),
	// and answers 502 no_local_target when none does. Target is then unused.
	Targets *targets.Set
	// Offline is the offline policy asked for (proto.OfflineReject or OfflineQueue); empty
	// keeps the server's.
	Offline string
	// Verify and VerifyMode configure signature verification at the relay.
	Verify     []string
	VerifyMode string
	// Handshake lists the URL-verification handshakes the relay answers for the tunnel
	// (proto.TunnelRequest.Handshake), client online or not.
	Handshake []string
}

// Config configures a Client.
type Config struct {
	// Server is the relay-server's base URL, http(s)://host[:port]. Required.
	Server *url.URL
	// Token authenticates the client. Required.
	Token string
	// Version is the client binary's version, sent in the Hello. Optional.
	Version string
	// Tunnels lists the tunnels to open, at least one.
	Tunnels []Tunnel
	// Out receives the user-facing lines: status, URLs, one line per request. Default
	// io.Discard.
	Out io.Writer
	// JSON makes Out JSON lines, one object per event, for scripts.
	JSON bool
	// Logger receives diagnostics. Default slog.Default().
	Logger *slog.Logger
	// MaxIdlePerTarget caps the idle kept-alive connections to each local app. Default
	// DefaultMaxIdlePerTarget (64).
	MaxIdlePerTarget int
	// TLS configures TLS to an https server, e.g. extra roots for a self-signed or private
	// CA. Nil uses the system roots.
	TLS *tls.Config
	// OnConnect, if set, is called with the Welcome of each established session.
	OnConnect func(*proto.Welcome)
}

// describe renders where the tunnel's requests go, for the user.
func (t Tunnel) describe() string {
	if t.Targets != nil {
		return t.Targets.String()
	}
	return t.Target.String()
}

// ErrPermanent wraps errors that reconnecting cannot fix (bad token, name taken, version
// mismatch); Run returns them instead of retrying.
var ErrPermanent = errors.New("client: permanent error")

// Client keeps a tunnel session up. Create it with New, then call Run.
type Client struct {
	cfg    Config
	log    *slog.Logger
	fwd    *forwarder
	report *reporter
	mu     sync.Mutex
	names  []string // granted names, reused on reconnect
	state  State
}

// State is the connection state shown to the user.
type State string

// States of a Client.
const (
	StateConnecting   State = "connecting"
	StateOnline       State = "online"
	StateReconnecting State = "reconnecting"
	StateStopped      State = "stopped"
)

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.Server == nil || cfg.Token == "" || len(cfg.Tunnels) == 0 {
		return nil, errors.New("client config: server, token and at least one tunnel are required")
	}
	for _, t := range cfg.Tunnels {
		if t.Target == nil && t.Targets == nil {
			return nil, errors.New("client config: every tunnel needs a target")
		}
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxIdlePerTarget == 0 {
		cfg.MaxIdlePerTarget = DefaultMaxIdlePerTarget
	}
	c := &Client{cfg: cfg, log: cfg.Logger, state: StateConnecting}
	c.names = make([]string, len(cfg.Tunnels))
	for i, t := range cfg.Tunnels {
		c.names[i] = t.Name
	}
	c.report = &reporter{out: cfg.Out, json: cfg.JSON}
	c.fwd = newForwarder(c.report, cfg.MaxIdlePerTarget)
	return c, nil
}

// State reports the connection state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

func (c *Client) setState(s State) {
	c.mu.Lock()
	c.state = s
	c.mu.Unlock()
}

// Run connects and serves until ctx is done or a permanent error occurs. It reconnects
// after any other failure, waiting between proto.MinBackoff and proto.MaxBackoff, or
// as long as a refusal's Retry-After asks (at most proto.MaxBackoff).
func (c *Client) Run(ctx context.Context) error {
	defer c.setState(StateStopped)
	defer c.fwd.close()
	defer c.fwd.inflight.wait() // the exchanges of the last session, aborted already
	backoff := proto.MinBackoff
	for {
		connected, err := c.runOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, ErrPermanent) {
			c.report.stopped(userMessage(err))
			return err
		}
		if connected {
			backoff = proto.MinBackoff
		}
		wait := nextWait(backoff, err)
		c.setState(StateReconnecting)
		c.report.reconnecting(wait, err)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil
		}
		backoff = min(backoff*2, proto.MaxBackoff)
	}
}

// jitter returns d plus up to 50% random extra, capped at proto.MaxBackoff.
func jitter(d time.Duration) time.Duration {
	return min(d+time.Duration(rand.Int64N(int64(d)/2+1)), proto.MaxBackoff)
}

// userMessage is the server's explanation of a refusal, without our wrapping.
func userMessage(err error) string {
	var pe *proto.Error
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}

// Names returns the tunnel names in use, as granted by the server (empty before the first
// session for names the server picks).
func (c *Client) Names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.names...)
}
