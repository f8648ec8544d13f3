// Package muxlog hands yamux's own log lines to slog, so that both ends of a tunnel
// session keep them with the rest of their logs instead of discarding them.
//
// yamux writes a line through a *log.Logger for events such as a peer that closed the
// connection mid-frame ("[ERR] yamux: Failed to read header: EOF") or a frame for a
// stream already gone. Most of them are the normal end of a session seen from inside
// the multiplexer, and the relay reports what matters itself (a session ending, a
// tunnel going offline), so every line goes to slog at debug level whatever tag yamux
// gave it; the tag is kept as an attribute.
package muxlog

import (
	"context"
	"io"
	"log/slog"
	"strings"
)

// Writer returns the io.Writer to give yamux (through proto.MuxConfig) for its log:
// each line written becomes one debug record of l, the line's text as the message
// after "yamux: ", with attribute severity (yamux's tag: ERR, WARN, ...) and then args
// (slog key-value pairs naming the session). The args are attached only to a line that
// is logged, so an idle session costs no more than before.
func Writer(l *slog.Logger, args ...any) io.Writer { return writer{l: l, args: args} }

type writer struct {
	l    *slog.Logger
	args []any
}

// Write logs one line; a *log.Logger calls it once per line.
func (w writer) Write(p []byte) (int, error) {
	if !w.l.Enabled(context.Background(), slog.LevelDebug) {
		return len(p), nil
	}
	severity, text := parse(string(p))
	w.l.Debug("yamux: "+text, append([]any{"severity", severity}, w.args...)...)
	return len(p), nil
}

// parse splits a yamux line, with or without the log prefix "yamux: " and the tag that
// yamux writes itself ("[ERR] yamux: "), into the tag and the text.
func parse(line string) (severity, text string) {
	text = strings.TrimRight(line, "\r\n")
	text = strings.TrimPrefix(text, "yamux: ")
	if rest, ok := strings.CutPrefix(text, "["); ok {
		if tag, after, ok := strings.Cut(rest, "] "); ok && !strings.ContainsAny(tag, " ]") {
			severity, text = tag, after
		}
	}
	return severity, strings.TrimPrefix(text, "yamux: ")
}
