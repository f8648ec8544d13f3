package handshake

import (
	"fmt"
	"strings"

	"github.com/hookrelay/hookrelay/internal/webhook"
)

// Config is one tunnel's handshakes: the kinds it answers and the secret or
// token each one needs. Secrets never appear in String or in errors.
type Config struct {
	// Kinds lists the handshakes answered, in the order they are tried.
	Kinds []Kind
	// SlackSigningSecret, when set, makes a url_verification answered only
	// when its X-Slack-Signature verifies. Optional.
	SlackSigningSecret string
	// MetaVerifyToken is the token typed into Meta's dashboard. Required for meta.
	MetaVerifyToken string
	// ZoomSecretToken is the app's Secret Token. Required for zoom.
	ZoomSecretToken string
	// TwitterConsumerSecret is the app's consumer (API key) secret. Required for twitter.
	TwitterConsumerSecret string
}

// secretOf points at the field holding k's secret; nil for kinds without one.
func (c *Config) secretOf(k Kind) *string {
	switch k {
	case Slack:
		return &c.SlackSigningSecret
	case Meta:
		return &c.MetaVerifyToken
	case Zoom:
		return &c.ZoomSecretToken
	case Twitter:
		return &c.TwitterConsumerSecret
	}
	return nil
}

// needsSecret reports whether k cannot be answered without its secret.
func needsSecret(k Kind) bool {
	return k == Meta || k == Zoom || k == Twitter
}

// ParseConfig reads specs such as a repeated --handshake flag: each is
// KIND, a comma-separated list of kinds, or KIND:SECRET, in which case
// everything after the first colon is the secret, verbatim.
func ParseConfig(specs []string) (Config, error) {
	var c Config
	for _, spec := range specs {
		if err := c.add(spec); err != nil {
			return Config{}, err
		}
	}
	return c, c.Validate()
}

// add appends one spec to c.
func (c *Config) add(spec string) error {
	name, secret, hasSecret := strings.Cut(spec, ":")
	if !hasSecret {
		kinds, err := ParseKinds([]string{spec})
		for i := 0; err == nil && i < len(kinds); i++ {
			err = c.addKind(kinds[i])
		}
		return err
	}
	k, err := ParseKind(name)
	if err != nil {
		return err
	}
	field := c.secretOf(k)
	if field == nil {
		return fmt.Errorf("parse handshake %q: takes no secret: %w", k.String(), ErrUnusedSecret)
	}
	*field = secret
	return c.addKind(k)
}

// addKind appends k unless it is already listed.
func (c *Config) addKind(k Kind) error {
	if containsKind(c.Kinds, k) {
		return fmt.Errorf("parse handshake %q: %w", k.String(), ErrDuplicateKind)
	}
	c.Kinds = append(c.Kinds, k)
	return nil
}

// Merge returns c with the kinds of o that c does not list added after
// c's, each with its secret from o. A kind both list keeps c's settings:
// the relay's own config for a tunnel wins over what its client asks for.
func (c Config) Merge(o Config) Config {
	out := c
	out.Kinds = append([]Kind(nil), c.Kinds...)
	for _, k := range o.Kinds {
		if containsKind(out.Kinds, k) {
			continue
		}
		out.Kinds = append(out.Kinds, k)
		if from := o.secretOf(k); from != nil {
			*out.secretOf(k) = *from
		}
	}
	return out
}

// kindList renders kinds as a comma-separated list of names.
func kindList(kinds []Kind) string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = k.String()
	}
	return strings.Join(s, ",")
}

// Validate checks that every listed kind is known and listed once, that
// meta, zoom and twitter have their secret, and that no secret is set for
// a kind that is not listed (a typo that would otherwise go unnoticed).
func (c Config) Validate() error {
	if _, err := ParseKinds([]string{kindList(c.Kinds)}); err != nil {
		return fmt.Errorf("handshake config: %w", err)
	}
	for _, k := range Kinds() {
		field := c.secretOf(k)
		listed := containsKind(c.Kinds, k)
		switch {
		case listed && needsSecret(k) && *field == "":
			return fmt.Errorf("handshake config: %s needs its %s: %w", k, secretName(k), ErrMissingSecret)
		case !listed && field != nil && *field != "":
			return fmt.Errorf("handshake config: %s %s set but %s not listed: %w", k, secretName(k), k, ErrUnusedSecret)
		}
	}
	return nil
}

// secretName is what the provider calls the secret of k.
func secretName(k Kind) string {
	switch k {
	case Slack:
		return "signing secret"
	case Meta:
		return "verify token"
	case Zoom:
		return "secret token"
	case Twitter:
		return "consumer secret"
	}
	return "secret"
}

// String lists the kinds, marking those configured with a secret as
// KIND:***, so a Config can be logged.
func (c Config) String() string {
	s := make([]string, len(c.Kinds))
	for i, k := range c.Kinds {
		s[i] = k.String()
		if f := c.secretOf(k); f != nil && *f != "" {
			s[i] += ":***"
		}
	}
	return strings.Join(s, ",")
}

// GoString is String, so %#v cannot print a secret either.
func (c Config) GoString() string { return "handshake.Config{" + c.String() + "}" }

// Responder answers one tunnel's handshakes. It is immutable and safe for
// concurrent use; a nil *Responder answers nothing.
type Responder struct {
	config        string // Config.String, for logs
	kinds         []Kind
	slack         webhook.Scheme // nil: url_verification answered unsigned
	metaToken     []byte
	zoomSecret    []byte
	twitterSecret []byte
}

// New validates c and builds its Responder; nil when c lists no kind.
func New(c Config) (*Responder, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if len(c.Kinds) == 0 {
		return nil, nil
	}
	r := &Responder{
		config:        c.String(),
		kinds:         append([]Kind(nil), c.Kinds...),
		metaToken:     []byte(c.MetaVerifyToken),
		zoomSecret:    []byte(c.ZoomSecretToken),
		twitterSecret: []byte(c.TwitterConsumerSecret),
	}
	if c.SlackSigningSecret != "" {
		s, err := webhook.Parse("slack:" + c.SlackSigningSecret)
		if err != nil {
			return nil, fmt.Errorf("handshake config: slack: %w", err)
		}
		r.slack = s
	}
	return r, nil
}

// Kinds returns a copy of the kinds r answers.
func (r *Responder) Kinds() []Kind {
	if r == nil {
		return nil
	}
	return append([]Kind(nil), r.kinds...)
}

// String renders r as its Config's String: kinds, secrets as "***".
func (r *Responder) String() string {
	if r == nil {
		return ""
	}
	return r.config
}

// GoString is String, so %#v cannot print a secret either.
func (r *Responder) GoString() string { return "handshake.Responder{" + r.String() + "}" }
