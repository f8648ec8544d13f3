package proxyproto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Limits of a header.
const (
	MaxV1 = 107 // the longest version 1 header, CRLF included (the specification's)
	MaxV2 = 512 // address block and TLVs of a version 2 header; a balancer sends < 300
)

// ErrHeader: a conn from a trusted peer brought no valid PROXY header.
var ErrHeader = errors.New("proxyproto: bad or missing PROXY header")

// sigV2 begins every version 2 header.
var sigV2 = []byte("\r\n\r\n\x00\r\nQUIT\n")

// readHeader reads one header from r, byte-exact, and returns the client's address, or
// nil when the header names none (LOCAL, UNKNOWN).
func readHeader(r io.Reader) (net.Addr, error) {
	var first [1]byte
	if _, err := io.ReadFull(r, first[:]); err != nil {
		return nil, headerErr(err)
	}
	switch first[0] {
	case 'P':
		return readV1(r)
	case '\r':
		return readV2(r)
	}
	return nil, fmt.Errorf("%w: starts with %q", ErrHeader, first[0])
}

func headerErr(err error) error { return fmt.Errorf("%w: %w", ErrHeader, err) }

// readV1 reads the rest of a version 1 header, whose "P" was read, up to its LF.
func readV1(r io.Reader) (net.Addr, error) {
	line := []byte{'P'}
	var b [1]byte
	for len(line) < MaxV1 {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, headerErr(err)
		}
		line = append(line, b[0])
		if b[0] == '\n' {
			return parseV1(line)
		}
	}
	return nil, fmt.Errorf("%w: version 1 header over %d bytes", ErrHeader, MaxV1)
}

// parseV1 parses a whole version 1 line.
func parseV1(line []byte) (net.Addr, error) {
	text, ok := strings.CutSuffix(string(line), "\r\n")
	if !ok {
		return nil, fmt.Errorf("%w: version 1 header not ended by CRLF", ErrHeader)
	}
	f := strings.Split(text, " ")
	switch {
	case len(f) >= 2 && f[0] == "PROXY" && f[1] == "UNKNOWN":
		return nil, nil
	case len(f) != 6 || f[0] != "PROXY" || (f[1] != "TCP4" && f[1] != "TCP6"):
		return nil, fmt.Errorf("%w: version 1 header %q", ErrHeader, text)
	}
	src, err := netip.ParseAddr(f[2])
	if err != nil || src.Zone() != "" || src.Is4() != (f[1] == "TCP4") {
		return nil, fmt.Errorf("%w: source %q for %s", ErrHeader, f[2], f[1])
	}
	if dst, err := netip.ParseAddr(f[3]); err != nil || dst.Is4() != src.Is4() {
		return nil, fmt.Errorf("%w: destination %q", ErrHeader, f[3])
	}
	port, err := parsePort(f[4])
	if err != nil {
		return nil, err
	}
	if _, err := parsePort(f[5]); err != nil {
		return nil, err
	}
	return net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, port)), nil
}

// parsePort parses a decimal port without a sign or leading zeros.
func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("%w: port %q", ErrHeader, s)
	}
	return uint16(n), nil
}

// readV2 reads the rest of a version 2 header, whose first byte was read.
func readV2(r io.Reader) (net.Addr, error) {
	var fixed [16]byte
	fixed[0] = '\r'
	if _, err := io.ReadFull(r, fixed[1:]); err != nil {
		return nil, headerErr(err)
	}
	if !bytes.Equal(fixed[:12], sigV2) {
		return nil, fmt.Errorf("%w: not a version 2 signature", ErrHeader)
	}
	n := int(binary.BigEndian.Uint16(fixed[14:]))
	if n > MaxV2 {
		return nil, fmt.Errorf("%w: version 2 header of %d bytes, over %d", ErrHeader, n, MaxV2)
	}
	rest := make([]byte, n)
	if _, err := io.ReadFull(r, rest); err != nil {
		return nil, headerErr(err)
	}
	return parseV2(fixed[12], fixed[13], rest)
}

// parseV2 parses a version 2 header's version and command, family and protocol, and
// the bytes after its fixed part.
func parseV2(verCmd, fam byte, rest []byte) (net.Addr, error) {
	switch {
	case verCmd>>4 != 2:
		return nil, fmt.Errorf("%w: version %d", ErrHeader, verCmd>>4)
	case verCmd&0xf == 0: // LOCAL
		return nil, nil
	case verCmd&0xf != 1:
		return nil, fmt.Errorf("%w: command %d", ErrHeader, verCmd&0xf)
	}
	var size int
	switch fam {
	case 0x00: // UNSPEC
		return nil, nil
	case 0x11: // TCP over IPv4
		size = 4
	case 0x21: // TCP over IPv6
		size = 16
	default:
		return nil, fmt.Errorf("%w: family and protocol 0x%02x", ErrHeader, fam)
	}
	if len(rest) < 2*size+4 {
		return nil, fmt.Errorf("%w: address block of %d bytes", ErrHeader, len(rest))
	}
	src, _ := netip.AddrFromSlice(rest[:size])
	port := binary.BigEndian.Uint16(rest[2*size:])
	return net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, port)), nil
}
