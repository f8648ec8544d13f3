package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/inspect"
)

// defaultInspectAddr is where `relay-client http` serves its inspector unless told
// otherwise. When it is taken (another relay-client), the next few ports are tried.
const (
	defaultInspectAddr = "127.0.0.1:4040"
	inspectPortTries   = 10
)

// inspectOptions are the local inspector's flags of `relay-client http`.
type inspectOptions struct {
	addr     string // "false", "off" or "" disables the inspector
	password string
}

func (o *inspectOptions) bind(fs *pflag.FlagSet) {
	fs.StringVar(&o.addr, "inspect", defaultInspectAddr,
		"serve the web inspector on ADDR (false or off: no inspector)")
	fs.StringVar(&o.password, "inspect-password", "",
		"password of the inspector, required on a non-loopback ADDR (better in HOOKRELAY_INSPECT_PASSWORD, out of process lists)")
}

func (o *inspectOptions) enabled() bool {
	switch strings.ToLower(strings.TrimSpace(o.addr)) {
	case "", "false", "off", "no", "0":
		return false
	}
	return true
}

// check refuses an address other machines can reach unless a password protects it.
func (o *inspectOptions) check() error {
	if !o.enabled() {
		return nil
	}
	host, _, err := net.SplitHostPort(o.addr)
	if err != nil {
		return usagef("--inspect %q: want HOST:PORT, e.g. %s", o.addr, defaultInspectAddr)
	}
	if !loopbackAddr(host) && o.password == "" {
		return usagef("--inspect %q is not a loopback address: set --inspect-password (or HOOKRELAY_INSPECT_PASSWORD) "+
			"so that others on the network cannot read and replay your deliveries", o.addr)
	}
	return nil
}

// loopbackAddr reports whether a listen host is loopback only. "" and 0.0.0.0 listen on
// every interface.
func loopbackAddr(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// run runs the tunnel client c with the inspector beside it, until c.Run returns.
func (o *inspectOptions) run(ctx context.Context, g *globals, c *client.Client) error {
	if err := o.check(); err != nil {
		return err
	}
	if !o.enabled() {
		return c.Run(ctx)
	}
	ac, err := g.apiClient()
	if err != nil {
		return err
	}
	h, err := inspect.New(o.config(ac, c))
	if err != nil {
		return err
	}
	ln, err := o.listen()
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	fmt.Fprintf(g.stdout, "Inspector: http://%s/\n", ln.Addr())
	return c.Run(ctx)
}

// config is the inspector of c's tunnels, read through the server's API with the
// client's token.
func (o *inspectOptions) config(ac *api.Client, c *client.Client) inspect.Config {
	cfg := inspect.Config{State: func() string { return string(c.State()) }, Names: c.Names}
	if o.password == "" {
		cfg.Source = ac
		return cfg
	}
	want := sha256.Sum256([]byte(o.password))
	cfg.LoginLabel = "Password"
	cfg.Login = func(secret string) (string, bool) {
		got := sha256.Sum256([]byte(secret))
		return "local", hmac.Equal(got[:], want[:])
	}
	cfg.SourceFor = func(string) (inspect.Source, bool) { return ac, true }
	return cfg
}

// listen opens the inspector's listener; on the default address it moves to the next
// free port rather than fail when another relay-client has it.
func (o *inspectOptions) listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", o.addr)
	if err == nil {
		return ln, nil
	}
	if o.addr != defaultInspectAddr || !errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("inspector: %w", err)
	}
	host, port, _ := net.SplitHostPort(defaultInspectAddr)
	first, _ := strconv.Atoi(port)
	for p := first + 1; p < first+inspectPortTries; p++ {
		if ln, err = net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p))); err == nil {
			return ln, nil
		}
	}
	return nil, fmt.Errorf("inspector: ports %d-%d are taken; pick one with --inspect: %w", first,
		first+inspectPortTries-1, err)
}
