package main

import (
	"github.com/spf13/pflag"

	"github.com/hookrelay/hookrelay/internal/option"
	"github.com/hookrelay/hookrelay/internal/route"
	"github.com/hookrelay/hookrelay/proto"
)

// bindSharing adds the flags of a tunnel shared by several clients.
func (o *httpOptions) bindSharing(fs *pflag.FlagSet) {
	fs.StringVar(&o.clientID, "client-id", "", "this client's id (default: one kept in the user's config dir, hookrelay/client-id)")
	fs.StringVar(&o.label, "label", "", "name shown to the other clients of the tunnel (default: the start of the client id)")
	fs.StringVar(&o.share, "share", "", "with several clients: mirror (the primary answers, the others get copies) or balance (one each in turn)")
	fs.BoolVar(&o.primary, "primary", false, "answer senders when several clients mirror the tunnel")
	fs.StringArrayVar(&o.routes, "route", nil, "take the deliveries matching EXPR: path=GLOB, method=M, header:NAME=GLOB, json:PATH=GLOB (repeatable)")
}

// checkSharing checks the sharing flags before connecting.
func (o *httpOptions) checkSharing() error {
	if o.share != "" && o.share != proto.ShareMirror && o.share != proto.ShareBalance {
		return usagef("--share %q: want mirror or balance", o.share)
	}
	if len(o.label) > proto.MaxLabelLen {
		return usagef("--label: at most %d bytes", proto.MaxLabelLen)
	}
	if _, err := route.ParseRoutes(o.routes); err != nil {
		return option.Usage(err)
	}
	return nil
}
