package handshake_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/webhook/handshake"
)

func TestParseKinds(t *testing.T) {
	good := []struct {
		in   []string
		want []handshake.Kind
	}{
		{nil, nil},
		{[]string{"slack"}, []handshake.Kind{handshake.Slack}},
		{[]string{"meta", " zoom "}, []handshake.Kind{handshake.Meta, handshake.Zoom}},
		{[]string{"twitter,msgraph", "dropbox"}, []handshake.Kind{handshake.Twitter, handshake.MSGraph, handshake.Dropbox}},
		{[]string{"slack,,", ""}, []handshake.Kind{handshake.Slack}},
	}
	for _, tc := range good {
		got, err := handshake.ParseKinds(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseKinds(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// parseBad lists kind lists that must fail, with the error and the text
// the message must name.
var parseBad = []struct {
	in      []string
	err     error
	mention string
}{
	{[]string{"stripe"}, handshake.ErrUnknownKind, `"stripe"`},
	{[]string{"Slack"}, handshake.ErrUnknownKind, `"Slack"`},
	{[]string{"slack,facebook"}, handshake.ErrUnknownKind, `"facebook"`},
	{[]string{"slack", "slack"}, handshake.ErrDuplicateKind, `"slack"`},
	{[]string{"meta:" + strings.Repeat("s", 64)}, handshake.ErrUnknownKind, `"meta:sssss`},
	{[]string{"\xff"}, handshake.ErrUnknownKind, `"\xff"`},
}

func TestParseKindsBad(t *testing.T) {
	for _, tc := range parseBad {
		_, err := handshake.ParseKinds(tc.in)
		if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("ParseKinds(%q) = %v, want %v naming %s", tc.in, err, tc.err, tc.mention)
			continue
		}
		checkErrorStyle(t, err)
	}
	_, err := handshake.ParseKinds([]string{"meta:" + strings.Repeat("s", 64)})
	if strings.Contains(err.Error(), strings.Repeat("s", 40)) {
		t.Errorf("error repeats a long paste whole: %v", err)
	}
}

// checkErrorStyle: lowercase, names the known kinds for an unknown one.
func checkErrorStyle(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if strings.ToLower(msg[:1]) != msg[:1] {
		t.Errorf("error %q does not start lowercase", msg)
	}
	if errors.Is(err, handshake.ErrUnknownKind) && !strings.Contains(msg, "slack meta zoom twitter msgraph dropbox") {
		t.Errorf("error %q does not list the known kinds", msg)
	}
}

func TestKindString(t *testing.T) {
	for _, k := range handshake.Kinds() {
		back, err := handshake.ParseKind(k.String())
		if err != nil || back != k {
			t.Errorf("ParseKind(%q) = %v, %v", k, back, err)
		}
	}
	if s := handshake.Kind(0).String(); s != "none" {
		t.Errorf("Kind(0) = %q", s)
	}
	if s := handshake.Kind(42).String(); s != "kind(42)" {
		t.Errorf("Kind(42) = %q", s)
	}
	if _, err := handshake.ParseKind("none"); !errors.Is(err, handshake.ErrUnknownKind) {
		t.Errorf(`ParseKind("none") = %v`, err)
	}
}

func TestParseConfig(t *testing.T) {
	c, err := handshake.ParseConfig([]string{"slack:sl,ack=secret", "meta:" + metaToken, "msgraph,dropbox",
		"zoom:" + zoomSecret, "twitter:" + twitterSecret})
	if err != nil {
		t.Fatal(err)
	}
	want := handshake.Config{
		Kinds: []handshake.Kind{handshake.Slack, handshake.Meta, handshake.MSGraph, handshake.Dropbox,
			handshake.Zoom, handshake.Twitter},
		SlackSigningSecret: "sl,ack=secret", MetaVerifyToken: metaToken,
		ZoomSecretToken: zoomSecret, TwitterConsumerSecret: twitterSecret,
	}
	if fmt.Sprint(c) != fmt.Sprint(want) || c.SlackSigningSecret != want.SlackSigningSecret ||
		c.MetaVerifyToken != metaToken || c.ZoomSecretToken != zoomSecret || c.TwitterConsumerSecret != twitterSecret {
		t.Fatalf("ParseConfig = %#v", c)
	}
	if s := c.String(); s != "slack:***,meta:***,msgraph,dropbox,zoom:***,twitter:***" {
		t.Errorf("String = %q", s)
	}
	for _, s := range []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c)} {
		checkNoSecret(t, s)
	}
}

func TestParseConfigBad(t *testing.T) {
	for _, tc := range []struct {
		specs []string
		err   error
	}{
		{[]string{"meta"}, handshake.ErrMissingSecret},
		{[]string{"zoom"}, handshake.ErrMissingSecret},
		{[]string{"twitter:"}, handshake.ErrMissingSecret},
		{[]string{"dropbox:x"}, handshake.ErrUnusedSecret},
		{[]string{"msgraph:x"}, handshake.ErrUnusedSecret},
		{[]string{"slack", "slack:x"}, handshake.ErrDuplicateKind},
		{[]string{"slack:x", "slack"}, handshake.ErrDuplicateKind},
		{[]string{"facebook:" + metaToken}, handshake.ErrUnknownKind},
	} {
		_, err := handshake.ParseConfig(tc.specs)
		if !errors.Is(err, tc.err) {
			t.Errorf("ParseConfig(%q) = %v, want %v", tc.specs, err, tc.err)
			continue
		}
		checkErrorStyle(t, err)
		checkNoSecret(t, err.Error())
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		c   handshake.Config
		err error
	}{
		{handshake.Config{}, nil},
		{allKinds, nil},
		{handshake.Config{MetaVerifyToken: metaToken}, handshake.ErrUnusedSecret},
		{handshake.Config{Kinds: []handshake.Kind{handshake.Dropbox}, SlackSigningSecret: slackSecret}, handshake.ErrUnusedSecret},
		{handshake.Config{Kinds: []handshake.Kind{handshake.Twitter}}, handshake.ErrMissingSecret},
		{handshake.Config{Kinds: []handshake.Kind{handshake.Zoom, handshake.Zoom}, ZoomSecretToken: "z"}, handshake.ErrDuplicateKind},
		{handshake.Config{Kinds: []handshake.Kind{0}}, handshake.ErrUnknownKind},
		{handshake.Config{Kinds: []handshake.Kind{42}}, handshake.ErrUnknownKind},
	} {
		err := tc.c.Validate()
		if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("Validate(%v) = %v, want %v", tc.c, err, tc.err)
		}
		if _, nerr := handshake.New(tc.c); !errors.Is(nerr, tc.err) {
			t.Errorf("New(%v) = %v, want %v", tc.c, nerr, tc.err)
		}
		if err != nil {
			checkNoSecret(t, err.Error())
		}
	}
}

// TestKindText checks that a Kind list round-trips through a text format
// by name and that a bad name fails with the parser's error.
func TestKindText(t *testing.T) {
	var kinds []handshake.Kind
	if err := json.Unmarshal([]byte(`["slack","meta","dropbox"]`), &kinds); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(kinds)
	if err != nil || string(out) != `["slack","meta","dropbox"]` {
		t.Fatalf("Marshal = %s, %v", out, err)
	}
	err = json.Unmarshal([]byte(`["slack","facebook"]`), &kinds)
	if !errors.Is(err, handshake.ErrUnknownKind) || !strings.Contains(err.Error(), `"facebook"`) {
		t.Fatalf("Unmarshal of an unknown name = %v", err)
	}
	if _, err := json.Marshal([]handshake.Kind{0}); !errors.Is(err, handshake.ErrUnknownKind) {
		t.Fatalf("Marshal of the zero Kind = %v", err)
	}
}

func TestMerge(t *testing.T) {
	for _, tt := range []struct {
		name         string
		base, client []string
		want         string // Config.String of the merge
		meta, zoom   string // secrets of the merge
	}{
		{"client adds kinds", []string{"meta:relay"}, []string{"dropbox", "zoom:z"}, "meta:***,dropbox,zoom:***", "relay", "z"},
		{"config wins a kind both list", []string{"meta:relay"}, []string{"meta:client"}, "meta:***", "relay", ""},
		{"no config", nil, []string{"zoom:z", "msgraph"}, "zoom:***,msgraph", "", "z"},
		{"no client", []string{"slack"}, nil, "slack", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base, err := handshake.ParseConfig(tt.base)
			if err != nil {
				t.Fatal(err)
			}
			client, err := handshake.ParseConfig(tt.client)
			if err != nil {
				t.Fatal(err)
			}
			before := base.String()
			got := base.Merge(client)
			if got.String() != tt.want || got.MetaVerifyToken != tt.meta || got.ZoomSecretToken != tt.zoom {
				t.Errorf("Merge = %s (meta %q, zoom %q), want %s (%q, %q)", got, got.MetaVerifyToken, got.ZoomSecretToken, tt.want, tt.meta, tt.zoom)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Merge result does not validate: %v", err)
			}
			if base.String() != before {
				t.Errorf("Merge changed its receiver: %s, was %s", base, before)
			}
		})
	}
}
