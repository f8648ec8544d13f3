package server

import (
	"net/http"

	"github.com/hookrelay/hookrelay/internal/wire"
	"github.com/hookrelay/hookrelay/proto"
)

// writeError answers with the relay's own error (see wire.WriteError).
func writeError(w http.ResponseWriter, code proto.Code, msg, requestID string) {
	wire.WriteError(w, code, msg, requestID)
}
