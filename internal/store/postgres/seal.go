package postgres

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/hookrelay/hookrelay/internal/store"
)

// sealPrefix marks a sealed --verify spec in tunnel_leases.verify and tunnels.verify:
// "sealed:v1:" + base64(nonce ‖ AES-256-GCM ciphertext). A spec without it is stored
// as given (no SealSecret, or written before sealing).
const sealPrefix = "sealed:v1:"

// sealInfo is the HKDF info the key is derived with: a key of its own for this use.
const sealInfo = "hookrelay verify specs v1"

// errSealed is the error of a sealed spec this handle cannot open: its SealSecret
// differs from the writer's, or it has none.
var errSealed = errors.New("postgres: sealed verify spec cannot be opened (is the cluster secret the same on every node?)")

// sealer seals and opens the --verify specs (signing secrets) the store keeps, under a
// key derived from the cluster secret: a copy of the database (a backup, a replica)
// then holds no secret that signs deliveries, unless the cluster secret goes with it.
// The tunnel's name is the additional data, so a sealed spec moved to another tunnel's
// row does not open.
type sealer struct {
	aead cipher.AEAD // nil: specs are stored as given
}

func newSealer(secret []byte) (sealer, error) {
	if len(secret) == 0 {
		return sealer{}, nil
	}
	key, err := hkdf.Key(sha256.New, secret, nil, sealInfo, 32)
	if err != nil {
		return sealer{}, fmt.Errorf("derive seal key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return sealer{}, fmt.Errorf("seal cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealer{}, fmt.Errorf("seal cipher: %w", err)
	}
	return sealer{aead: aead}, nil
}

// seal returns specs sealed for tunnel (as given without a key).
func (s sealer) seal(tunnel string, specs []string) []string {
	if s.aead == nil {
		return specs
	}
	out := make([]string, len(specs))
	for i, spec := range specs {
		nonce := make([]byte, s.aead.NonceSize())
		_, _ = rand.Read(nonce) // never fails (crypto/rand)
		out[i] = sealPrefix + base64.RawStdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(spec), []byte(tunnel)))
	}
	return out
}

// open returns specs of tunnel opened; ErrInvalid (errSealed) when one does not open.
func (s sealer) open(tunnel string, specs []string) ([]string, error) {
	out := make([]string, len(specs))
	for i, spec := range specs {
		enc, ok := strings.CutPrefix(spec, sealPrefix)
		if !ok {
			out[i] = spec
			continue
		}
		plain, err := s.openOne(tunnel, enc)
		if err != nil {
			return nil, fmt.Errorf("verify spec %d of %s: %w: %w", i+1, tunnel, store.ErrInvalid, err)
		}
		out[i] = plain
	}
	return out, nil
}

func (s sealer) openOne(tunnel, enc string) (string, error) {
	raw, err := base64.RawStdEncoding.DecodeString(enc)
	if s.aead == nil || err != nil || len(raw) < s.aead.NonceSize() {
		return "", errSealed
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(tunnel))
	if err != nil {
		return "", errSealed
	}
	return string(plain), nil
}
