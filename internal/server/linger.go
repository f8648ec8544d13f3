package server

import (
	"io"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/hookrelay/hookrelay/proto"
)

// Streams the server gives up on. Closing a stream sends the client a FIN; relay-client
// finishes its side at once (it stops writing when it reads the FIN). Until the client
// does, yamux keeps buffering what it still sends on that stream, up to the stream's
// window, for proto.StreamCloseTimeout, and has no way to reset the stream sooner. A
// client that ignores FINs, say one answering with an endless response head, would make
// each stream the server gives up hold a window's worth (a 512 KiB buffer) for a minute,
// as many as its senders can make it give up. So every stream the server closes is read
// to its end in the background, its bytes dropped: the client's FIN ends that at once.
// A client that goes on sending more than lingerBudget after the FIN, on maxOverruns of
// a session's streams, loses the session.
const (
	lingerBudget = 4 * proto.MaxStreamWindow
	maxOverruns  = 4
)

// lingerStream is a stream the server opened, whose Close reads the client's rest away.
type lingerStream struct {
	*yamux.Stream
	ss   *session
	once sync.Once
}

// openStream opens a request stream of the session.
func (ss *session) openStream() (net.Conn, error) {
	st, err := ss.mux.OpenStream()
	if err != nil {
		return nil, err
	}
	return &lingerStream{Stream: st, ss: ss}, nil
}

func (c *lingerStream) Close() error {
	err := c.Stream.Close()
	c.once.Do(func() { go c.ss.linger(c.Stream) })
	return err
}

// linger drops what the client still sends on st after the server closed it, until the
// client's FIN, the stream's reset or proto.StreamCloseTimeout.
func (ss *session) linger(st *yamux.Stream) {
	_ = st.SetReadDeadline(time.Now().Add(proto.StreamCloseTimeout))
	n, _ := io.Copy(io.Discard, io.LimitReader(shrinking{st}, lingerBudget+1))
	if n <= lingerBudget {
		return // the client finished the stream, or it was reset or timed out
	}
	if ss.overruns.Add(1) == maxOverruns {
		ss.srv.log.Warn("client goes on sending on streams the server closed; ending its session",
			"owner", ss.owner, "remote", ss.remote)
		ss.end()
	}
	ss.release(st)
}

// release frees the receive buffer of a stream the server stopped reading, once the
// session is over or the stream's close timeout has passed. Until then the buffer stays
// (at most a window: the client gets no window update while nobody reads), and reading
// would only let the client send more. Waiting matters: yamux's close timer holds a
// closed stream, and through it the whole session with every stream's buffer, for
// proto.StreamCloseTimeout even after the session has ended; a session ended for
// overruns would otherwise keep a few MiB alive for a minute, and an attacker
// reconnecting at the session-open rate would keep hundreds of them.
func (ss *session) release(st *yamux.Stream) {
	t := time.NewTimer(proto.StreamCloseTimeout)
	defer t.Stop()
	select {
	case <-ss.mux.CloseChan():
	case <-t.C:
	}
	// Closed now: reads return what is buffered, then EOF, and never grant more window.
	_, _ = io.Copy(io.Discard, shrinking{st})
}

// shrinking reads a stream and lets go of its receive buffer whenever it is empty.
type shrinking struct{ st *yamux.Stream }

func (s shrinking) Read(p []byte) (int, error) {
	n, err := s.st.Read(p)
	s.st.Shrink()
	return n, err
}
