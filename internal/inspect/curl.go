package inspect

import (
	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/export"
)

// curlCommand renders a POSIX shell command that sends the recorded request again to
// base (the tunnel's public URL; a placeholder when unknown), byte for byte (package
// export). A body that is binary, truncated or over RenderCap is read from the file the
// page offers for download.
func curlCommand(rec *api.Record, base string) string {
	if base == "" {
		base = "https://TUNNEL-URL/"
	}
	return export.Curl(rec, export.URL(base), RenderCap)
}
