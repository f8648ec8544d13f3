package server

import (
	"fmt"
	"strings"

	"github.com/hookrelay/hookrelay/internal/route"
	"github.com/hookrelay/hookrelay/proto"
)

// anonymousLabel names a client that sent neither a label nor a client id.
const anonymousLabel = "client"

// checkClient checks the Hello's client id and label and sets the session's: the label
// defaults to the token's label, else the start of the client id.
func (ss *session) checkClient(h *proto.Hello) *proto.Error {
	if err := checkClientText("client id", h.ClientID, proto.MaxClientIDLen, true); err != nil {
		return &proto.Error{Code: proto.CodeBadRequest, Message: err.Error()}
	}
	if err := checkClientText("label", h.Label, proto.MaxLabelLen, false); err != nil {
		return &proto.Error{Code: proto.CodeBadRequest, Message: err.Error()}
	}
	ss.clientID, ss.label = h.ClientID, h.Label
	switch {
	case ss.label != "":
	case ss.ident.Label != "":
		ss.label = ss.ident.Label
	case h.ClientID != "":
		ss.label = h.ClientID[:min(len(h.ClientID), 8)]
	default:
		ss.label = anonymousLabel
	}
	return nil
}

// checkClientText refuses a client id or label over max bytes or with control
// characters; an id must also be printable ASCII without spaces.
func checkClientText(what, s string, max int, ascii bool) error {
	if len(s) > max {
		return fmt.Errorf("%s %q: longer than %d bytes", what, s[:max]+"...", max)
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f || ascii && (r == ' ' || r > '~') {
			return fmt.Errorf("%s %q: only printable characters%s", what, s, map[bool]string{true: " of ASCII, no spaces"}[ascii])
		}
	}
	if !ascii && strings.TrimSpace(s) != s {
		return fmt.Errorf("%s %q: no leading or trailing spaces", what, s)
	}
	return nil
}

// clientFor is who the session serves one tunnel as: its id and label, and the share
// policy and routes it asked for, checked.
func (ss *session) clientFor(req proto.TunnelRequest) (clientOf, *proto.Error) {
	if err := parseShare(req.Share); err != nil {
		return clientOf{}, &proto.Error{Code: proto.CodeBadRequest, Message: err.Error()}
	}
	rs, err := route.ParseRoutes(req.Routes)
	if err != nil {
		return clientOf{}, &proto.Error{Code: proto.CodeBadRequest, Message: err.Error()}
	}
	return clientOf{id: ss.clientID, token: ss.ident.TokenID, label: ss.label, routes: rs, exprs: req.Routes, primary: req.Primary}, nil
}
