package server

import (
	"net/http"

	"github.com/hookrelay/hookrelay/internal/wire"
)

// direct reports whether r can take the direct path: its body was read to be recorded
// and it needs nothing only the proxy handles (see package wire).
func direct(r *http.Request, d *delivery) bool {
	return d.body.kind == bodyInMemory && wire.Eligible(r)
}

// serveDirect writes r, as rewrite would have made it, straight onto a pooled stream of
// the tunnel and copies the response to w.
func (b *binding) serveDirect(w http.ResponseWriter, r *http.Request, d *delivery) {
	var head wire.Head
	wire.ForwardHead(&head, r, d.target(), d.relay(), d.body.data)
	sc, resp, err := b.streams.RoundTrip(&head, r, b.tunnel.config().timeout)
	if err != nil {
		b.fail(w, d, err)
		return
	}
	if err := wire.CopyResponse(w, resp); err != nil {
		sc.Close()
		d.fail("", err)
		if r.Context().Value(http.ServerContextKey) != nil {
			panic(http.ErrAbortHandler) // tell the sender the response is cut short
		}
		return
	}
	if resp.Close {
		sc.Close()
		return
	}
	b.streams.Put(sc)
}
