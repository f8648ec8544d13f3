package wire

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Framing is how a message body is delimited (RFC 9112 section 6).
type Framing struct {
	Kind FramingKind
	N    int64 // the length, for FramedLength
}

// FramingKind is one of the ways a body is delimited.
type FramingKind uint8

const (
	FramedNone    FramingKind = iota // no body
	FramedLength                     // Content-Length bytes
	FramedChunked                    // chunked transfer coding, up to the trailer section's end
	FramedEOF                        // until the connection closes (responses only)
)

// maxChunkLine bounds a chunk-size line, as net/http does.
const maxChunkLine = 4096

// MaxTrailerSection bounds a chunked body's trailer section (its fields and the empty
// line that ends it). net/http reads one only if it ends within its read buffer, 4 KiB
// by default (http.Server's, http.Transport's): a larger one relay-server would refuse.
const MaxTrailerSection = 4096

// ErrChunked is wrapped by every error about the syntax of a chunked body.
var ErrChunked = errors.New("malformed chunked body")

// CopyError tells which side of a body copy failed: reading its source (Read) or
// writing its destination. Every error CopyBody returns is one.
type CopyError struct {
	Read bool
	Err  error
}

func (e *CopyError) Error() string {
	if e.Read {
		return "read body: " + e.Err.Error()
	}
	return "write body: " + e.Err.Error()
}

func (e *CopyError) Unwrap() error { return e.Err }

func readErr(err error) error  { return &CopyError{Read: true, Err: err} }
func writeErr(err error) error { return &CopyError{Err: err} }

// IsReadError reports whether a copy failed reading its source.
func IsReadError(err error) bool {
	var ce *CopyError
	return errors.As(err, &ce) && ce.Read
}

// copier copies message bodies from a buffered reader to a buffered writer as they
// arrive: it flushes the writer whenever the reader has nothing buffered, before it waits
// for more, so a streamed body (server-sent events, a chunk at a time) is never held
// back, while a body that arrived whole leaves in one write.
type copier struct {
	dst *bufio.Writer
	src *bufio.Reader
	buf []byte // for reads that bypass src's buffer
}

// CopyBody copies a body framed by fr from src to dst, as received (chunk lines and
// trailer section included); dst is flushed at the end, and along the way whenever src
// has nothing buffered.
func CopyBody(dst *bufio.Writer, src *bufio.Reader, fr Framing) error {
	buf := buffers.Get().(*[]byte)
	defer buffers.Put(buf)
	c := copier{dst: dst, src: src, buf: *buf}
	var err error
	switch fr.Kind {
	case FramedLength:
		err = c.copyN(fr.N)
	case FramedChunked:
		err = c.copyChunked()
	case FramedEOF:
		err = c.copyEOF()
	}
	if err != nil {
		return err
	}
	if err := dst.Flush(); err != nil {
		return writeErr(err)
	}
	return nil
}

// fill waits for src to hold at least one byte, flushing dst first.
func (c *copier) fill() error {
	if c.src.Buffered() > 0 {
		return nil
	}
	if err := c.dst.Flush(); err != nil {
		return writeErr(err)
	}
	if _, err := c.src.Peek(1); err != nil {
		return readErr(err)
	}
	return nil
}

func (c *copier) write(p []byte) error {
	if _, err := c.dst.Write(p); err != nil {
		return writeErr(err)
	}
	return nil
}

// copyN copies exactly n bytes. Large stretches are read straight into a 32 KiB buffer
// and written through, without passing through src's buffer.
func (c *copier) copyN(n int64) error {
	for n > 0 {
		if c.src.Buffered() == 0 && n >= int64(c.src.Size()) {
			if err := c.dst.Flush(); err != nil {
				return writeErr(err)
			}
			k, err := c.src.Read(c.buf[:min(int64(len(c.buf)), n)])
			if k == 0 && err != nil {
				return readErr(unexpected(err))
			}
			n -= int64(k)
			if err := c.write(c.buf[:k]); err != nil {
				return err
			}
			continue
		}
		if err := c.fill(); err != nil {
			return unexpectedRead(err)
		}
		p, _ := c.src.Peek(int(min(int64(c.src.Buffered()), n)))
		if err := c.write(p); err != nil {
			return err
		}
		_, _ = c.src.Discard(len(p))
		n -= int64(len(p))
	}
	return nil
}

// unexpectedRead turns a clean end of the source in the middle of a body into
// io.ErrUnexpectedEOF.
func unexpectedRead(err error) error {
	var ce *CopyError
	if errors.As(err, &ce) && ce.Read && ce.Err == io.EOF {
		return readErr(io.ErrUnexpectedEOF)
	}
	return err
}

// copyEOF copies until src ends.
func (c *copier) copyEOF() error {
	for {
		if err := c.fill(); err != nil {
			if IsReadError(err) && errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		p, _ := c.src.Peek(c.src.Buffered())
		if err := c.write(p); err != nil {
			return err
		}
		_, _ = c.src.Discard(len(p))
	}
}

// copyChunked copies a chunked body as received (RFC 9112 section 7.1): chunk-size lines
// with their extensions, data, the last chunk and the trailer section. It checks the
// syntax as net/http's reader does, so both ends agree on where the body ends.
func (c *copier) copyChunked() error {
	for {
		line, err := c.chunkLine()
		if err != nil {
			return err
		}
		size, err := chunkSize(line)
		if err != nil {
			return err
		}
		if err := c.write(line); err != nil {
			return err
		}
		if size == 0 {
			return c.copyTrailer()
		}
		if err := c.copyN(int64(size)); err != nil {
			return err
		}
		if err := c.chunkEnd(); err != nil {
			return err
		}
	}
}

// chunkLine reads a chunk-size line, CRLF included; it is valid until the next read.
func (c *copier) chunkLine() ([]byte, error) {
	if err := c.fill(); err != nil {
		return nil, unexpectedRead(err)
	}
	line, err := c.src.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull || len(line)-2 >= maxChunkLine:
		return nil, readErr(fmt.Errorf("%w: chunk line too long", ErrChunked))
	case err != nil:
		return nil, readErr(unexpected(err))
	case len(line) < 2 || bytes.IndexByte(line, '\r') != len(line)-2:
		return nil, readErr(fmt.Errorf("%w: chunk line not ended by CRLF", ErrChunked))
	}
	return line, nil
}

// chunkSize parses the hexadecimal size of a chunk-size line (CRLF included) exactly as
// net/http does: trailing whitespace and the extensions after ';' are not looked at.
func chunkSize(line []byte) (uint64, error) {
	v, _, _ := bytes.Cut(bytes.TrimRight(line[:len(line)-2], " \t"), []byte{';'})
	if len(v) == 0 || len(v) > 16 {
		return 0, readErr(fmt.Errorf("%w: bad chunk size %.20q", ErrChunked, v))
	}
	var n uint64
	for _, b := range v {
		switch {
		case '0' <= b && b <= '9':
			b -= '0'
		case 'a' <= b && b <= 'f':
			b -= 'a' - 10
		case 'A' <= b && b <= 'F':
			b -= 'A' - 10
		default:
			return 0, readErr(fmt.Errorf("%w: bad chunk size %.20q", ErrChunked, v))
		}
		n = n<<4 | uint64(b)
	}
	if n > 1<<62 {
		return 0, readErr(fmt.Errorf("%w: chunk too large", ErrChunked))
	}
	return n, nil
}

// chunkEnd copies the CRLF after a chunk's data.
func (c *copier) chunkEnd() error {
	for c.src.Buffered() < 2 {
		if err := c.fill(); err != nil {
			return unexpectedRead(err)
		}
		if c.src.Buffered() < 2 {
			if _, err := c.src.Peek(2); err != nil {
				return readErr(unexpected(err))
			}
		}
	}
	p, _ := c.src.Peek(2)
	if string(p) != "\r\n" {
		return readErr(fmt.Errorf("%w: chunk data not followed by CRLF", ErrChunked))
	}
	if err := c.write(p); err != nil {
		return err
	}
	_, _ = c.src.Discard(2)
	return nil
}

// copyTrailer copies the trailer section after the last chunk, through its empty line,
// leaving out fields that can never be trailers: Framing (Content-Length,
// Transfer-Encoding, Trailer), Host, Expect, hop-by-hop ones and the relay's tunnel field.
func (c *copier) copyTrailer() error {
	total := 0
	for {
		if err := c.fill(); err != nil {
			return unexpectedRead(err)
		}
		line, err := c.src.ReadSlice('\n')
		if err != nil {
			if err == bufio.ErrBufferFull {
				err = fmt.Errorf("%w: trailer line too long", ErrChunked)
			}
			return readErr(unexpected(err))
		}
		if total += len(line); total > MaxTrailerSection {
			return readErr(fmt.Errorf("%w: trailer section too large", ErrChunked))
		}
		// Every line ends with CRLF, the last one too: net/http's reader, relay-server's,
		// looks for CRLF CRLF and would wait for ever on a bare LF.
		if len(line) < 2 || bytes.IndexByte(line, '\r') != len(line)-2 {
			return readErr(fmt.Errorf("%w: trailer line not ended by CRLF", ErrChunked))
		}
		content := line[:len(line)-2]
		if len(content) > 0 {
			f, err := parseField(content)
			if err != nil {
				return readErr(err)
			}
			if f.kind != kindOther {
				continue // Framing, routing or hop-by-hop: never a trailer (RFC 9110 section 6.5.1)
			}
		}
		if err := c.write(line); err != nil {
			return err
		}
		if len(content) == 0 {
			return nil
		}
	}
}
