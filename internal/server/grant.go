package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/hookrelay/hookrelay/proto"
)

// grant checks a Hello and claims its tunnels for the session. The returned *proto.Error
// is sent to the client as is.
func (s *Server) grant(ctx context.Context, ss *session, h *proto.Hello) (*proto.Welcome, *proto.Error) {
	if h.Version != proto.Version {
		return nil, &proto.Error{Code: proto.CodeVersionMismatch,
			Message: fmt.Sprintf("server speaks protocol %d, client %d", proto.Version, h.Version)}
	}
	if len(h.Tunnels) == 0 || len(h.Tunnels) > proto.MaxTunnelsPerSession {
		return nil, &proto.Error{Code: proto.CodeTooManyTunnels,
			Message: fmt.Sprintf("ask for 1 to %d tunnels per connection", proto.MaxTunnelsPerSession)}
	}
	if perr := ss.checkClient(h); perr != nil {
		return nil, perr
	}
	held, err := s.namesHeld(ctx, ss.owner)
	if err != nil {
		s.log.Error("count tunnel names", "owner", ss.owner, "err", err)
		return nil, &proto.Error{Code: proto.CodeStoreUnavailable, Message: "cannot claim tunnel names now; retry"}
	}
	w := &proto.Welcome{Server: "relay-server", SoftwareVersion: s.cfg.Version}
	seen := make(map[string]bool)
	for _, req := range h.Tunnels {
		info, perr := s.grantOne(ctx, ss, req, seen, held)
		if perr != nil {
			return nil, perr
		}
		w.Tunnels = append(w.Tunnels, info)
	}
	return w, nil
}

func (s *Server) grantOne(ctx context.Context, ss *session, req proto.TunnelRequest, seen, held map[string]bool) (proto.TunnelInfo, *proto.Error) {
	name := req.Name
	if name == "" {
		name = proto.RandomName()
	}
	if err := proto.ValidName(name); err != nil {
		return proto.TunnelInfo{}, &proto.Error{Code: proto.CodeBadName, Message: err.Error()}
	}
	if name == s.adminLabel() {
		return proto.TunnelInfo{}, &proto.Error{Code: proto.CodeBadName, Message: fmt.Sprintf("%q is reserved: the team inspector's host", name)}
	}
	if seen[name] {
		return proto.TunnelInfo{}, &proto.Error{Code: proto.CodeBadName, Message: fmt.Sprintf("tunnel %q asked for twice", name)}
	}
	seen[name] = true
	if perr := s.roomFor(held, name); perr != nil {
		return proto.TunnelInfo{}, perr
	}
	if req.Offline != "" && req.Offline != proto.OfflineReject && req.Offline != proto.OfflineQueue {
		return proto.TunnelInfo{}, &proto.Error{Code: proto.CodeBadRequest,
			Message: fmt.Sprintf("offline policy %q: want reject or queue", req.Offline)}
	}
	v, err := newVerifier(req.Verify, req.VerifyMode)
	if err != nil {
		return proto.TunnelInfo{}, &proto.Error{Code: proto.CodeBadRequest, Message: err.Error()}
	}
	hs, err := s.handshakeResponder(name, req.Handshake, req.Verify)
	if err != nil {
		return proto.TunnelInfo{}, &proto.Error{Code: proto.CodeBadRequest, Message: err.Error()} // never a secret
	}
	c, perr := ss.clientFor(req)
	if perr != nil {
		return proto.TunnelInfo{}, perr
	}
	// Counted before the claim, which moves the tunnel's last-seen time to now.
	missed, queued := s.missedSince(ctx, name, ss.owner)
	t, err := s.claim(ctx, name, ss.owner, req.Offline)
	if err != nil {
		return proto.TunnelInfo{}, claimError(name, err)
	}
	t.mu.Lock()
	t.settings.verify, t.settings.handshake = v, hs
	setIf(&t.settings.share, req.Share)
	t.mu.Unlock()
	cfg := t.config()
	b := newBinding(s, ss, t, cfg, c)
	if err := s.acquireLease(ctx, b, req); errors.Is(err, ErrTooManyClients) {
		return proto.TunnelInfo{}, tooManyClients(name, s.cfg.ClientsPerTunnel)
	} else if err != nil {
		s.log.Error("acquire tunnel lease", "tunnel", name, "err", err)
		return proto.TunnelInfo{}, &proto.Error{Code: proto.CodeStoreUnavailable, Message: "cannot claim tunnel name now; retry"}
	}
	ss.bindings = append(ss.bindings, b)
	info := proto.TunnelInfo{Name: name, URLs: s.urls(name), Offline: cfg.offline}
	if t.owner == ss.owner {
		info.Missed, info.Queued = missed, queued
	}
	return info, nil
}

// errNameTaken is returned by claim when another owner holds the name.
var errNameTaken = errors.New("server: name taken")

func claimError(name string, err error) *proto.Error {
	if errors.Is(err, errNameTaken) {
		return &proto.Error{Code: proto.CodeNameTaken,
			Message: fmt.Sprintf("tunnel name %q belongs to another token or team; pick another --name", name)}
	}
	return &proto.Error{Code: proto.CodeStoreUnavailable, Message: "cannot claim tunnel name now; retry"}
}
