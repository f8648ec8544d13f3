package peer

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// Labels of the two MACs. Distinct labels keep one side's MAC from ever serving as the
// other's.
const (
	dialerLabel   = "hookrelay-peer-v1"
	acceptorLabel = "hookrelay-peer-v1 accept"
)

// mac is HMAC-SHA256(secret, label ‖ nonce ‖ len(from) ‖ from ‖ len(to) ‖ to), each
// id preceded by its length as one byte, so that no two (from, to) pairs give the same
// input.
func mac(secret []byte, label string, nonce []byte, from, to string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(label))
	h.Write(nonce)
	h.Write([]byte{byte(len(from))})
	h.Write([]byte(from))
	h.Write([]byte{byte(len(to))})
	h.Write([]byte(to))
	return h.Sum(nil)
}

// dialerMAC proves the dialer knows the secret, for this challenge and this pair.
func dialerMAC(secret, nonce []byte, dialer, acceptor string) []byte {
	return mac(secret, dialerLabel, nonce, dialer, acceptor)
}

// acceptorMAC proves the acceptor knows the secret, for the dialer's nonce and the pair.
func acceptorMAC(secret, nonce []byte, acceptor, dialer string) []byte {
	return mac(secret, acceptorLabel, nonce, acceptor, dialer)
}

func newNonce() []byte {
	b := make([]byte, NonceLen)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return b
}

// validNode reports whether id may be a node id: 1 to MaxIDLen printable characters.
func validNode(id string) bool { return printable(id) }

// withDeadline runs f with conn's deadline d from now, then clears it. A deadline that
// fired is reported as a handshake timeout.
func withDeadline(conn net.Conn, d time.Duration, f func() error) error {
	_ = conn.SetDeadline(time.Now().Add(d))
	err := f()
	_ = conn.SetDeadline(time.Time{})
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("%w: no answer within %s: %w", ErrHandshake, d, err)
	}
	return err
}

// dialHandshake runs the dialer's side: self dials the node acceptor over conn.
func dialHandshake(conn net.Conn, secret []byte, self, acceptor string, d time.Duration) error {
	return withDeadline(conn, d, func() error {
		var ch Challenge
		if err := readFrame(conn, FrameChallenge, &ch); err != nil {
			return handshakeErr("read challenge", err)
		}
		if len(ch.Nonce) != NonceLen {
			return fmt.Errorf("%w: challenge nonce of %d bytes", ErrHandshake, len(ch.Nonce))
		}
		mine := newNonce()
		ans := Answer{Node: self, MAC: dialerMAC(secret, ch.Nonce, self, acceptor), Nonce: mine}
		if err := writeFrame(conn, FrameAnswer, ans); err != nil {
			return handshakeErr("write answer", err)
		}
		return readAccept(conn, secret, mine, self, acceptor)
	})
}

// readAccept reads the acceptor's verdict and checks its proof.
func readAccept(conn net.Conn, secret, nonce []byte, self, acceptor string) error {
	t, payload, err := readRaw(conn)
	if err != nil {
		return handshakeErr("read verdict", err)
	}
	switch t {
	case FrameRefuse:
		var r Refusal
		_ = decode(payload, &r)
		return fmt.Errorf("%w by %s: %s", ErrRefused, acceptor, r.Message)
	case FrameAccept:
		var a Accept
		if err := decode(payload, &a); err != nil {
			return handshakeErr("read accept", err)
		}
		if !hmac.Equal(a.MAC, acceptorMAC(secret, nonce, acceptor, self)) {
			return fmt.Errorf("%w: %s did not prove the secret", ErrBadMAC, acceptor)
		}
		return nil
	}
	return handshakeErr("read verdict", fmt.Errorf("%w: got %s", ErrBadFrame, t))
}

// acceptHandshake runs the acceptor's side and returns the dialer's node id.
func acceptHandshake(conn net.Conn, secret []byte, self string, d time.Duration) (string, error) {
	var dialer string
	err := withDeadline(conn, d, func() error {
		nonce := newNonce()
		if err := writeFrame(conn, FrameChallenge, Challenge{Nonce: nonce}); err != nil {
			return handshakeErr("write challenge", err)
		}
		var ans Answer
		if err := readFrame(conn, FrameAnswer, &ans); err != nil {
			return handshakeErr("read answer", err)
		}
		if err := checkAnswer(secret, nonce, self, ans); err != nil {
			_ = writeFrame(conn, FrameRefuse, Refusal{Message: "authentication failed"})
			return err
		}
		dialer = ans.Node
		proof := Accept{MAC: acceptorMAC(secret, ans.Nonce, self, ans.Node)}
		return handshakeErr("write accept", writeFrame(conn, FrameAccept, proof))
	})
	return dialer, err
}

// checkAnswer checks an Answer's fields and, in constant time, its MAC.
func checkAnswer(secret, nonce []byte, self string, ans Answer) error {
	if !validNode(ans.Node) || len(ans.Nonce) != NonceLen {
		return fmt.Errorf("%w: answer with node %q and a nonce of %d bytes", ErrHandshake, ans.Node, len(ans.Nonce))
	}
	if !hmac.Equal(ans.MAC, dialerMAC(secret, nonce, ans.Node, self)) {
		return fmt.Errorf("%w: from %q (another secret, or it dialed another node id)", ErrBadMAC, ans.Node)
	}
	return nil
}

// handshakeErr wraps err with op and ErrHandshake, unless err is nil.
func handshakeErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrHandshake) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrHandshake, op, err)
}
