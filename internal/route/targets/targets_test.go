package targets

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

var parseCases = []struct {
	args []string
	want []string // Args(), in the order given
}{
	{[]string{"3000"}, []string{"/=http://localhost:3000"}},
	{[]string{"localhost:3000"}, []string{"/=http://localhost:3000"}},
	{[]string{"https://app.local:8443/base/"}, []string{"/=https://app.local:8443/base"}},
	{[]string{"http://h:1//"}, []string{"/=http://h:1"}},
	{[]string{"http://[::1]:3000"}, []string{"/=http://[::1]:3000"}},
	{[]string{"/webhooks/leads=4000", "/webhooks=3000"}, []string{"/webhooks/leads=http://localhost:4000", "/webhooks=http://localhost:3000"}},
	{[]string{"/webhooks/=3000", "8080"}, []string{"/webhooks=http://localhost:3000", "/=http://localhost:8080"}},
	{[]string{"/=3000"}, []string{"/=http://localhost:3000"}},
	{[]string{"/a=http://h:1/x=y"}, []string{"/a=http://h:1/x=y"}},
	{[]string{"/caf%C3%A9=3000"}, []string{"/caf%C3%A9=http://localhost:3000"}},
}

func TestParse(t *testing.T) {
	for _, c := range parseCases {
		s, err := Parse(c.args)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.args, err)
		}
		if got := s.Args(); !slices.Equal(got, c.want) {
			t.Errorf("Parse(%q).Args() = %q, want %q", c.args, got, c.want)
		}
		again, err := Parse(s.Args())
		if err != nil || again.String() != s.String() {
			t.Errorf("Parse(%q) round trip: %v, %v", s.Args(), again, err)
		}
	}
}

var parseErrors = []struct {
	args []string
	want string
}{
	{nil, "0 given"},
	{[]string{"0"}, "port out of range"},
	{[]string{"65536"}, "port out of range"},
	{[]string{"-1"}, "port out of range"},
	{[]string{"localhost:99999"}, "want PORT, HOST:PORT"},
	{[]string{"ftp://h:21"}, "want PORT, HOST:PORT"},
	{[]string{"http://u:p@h:1"}, "want PORT, HOST:PORT"},
	{[]string{"http://h:1/?a=b"}, "want PORT, HOST:PORT"},
	{[]string{"http://h:1/#x"}, "want PORT, HOST:PORT"},
	{[]string{"http://"}, "want PORT, HOST:PORT"},
	{[]string{"/webhooks"}, `"/webhooks": want /PREFIX=PORT|URL`},
	{[]string{"/webhooks="}, `target ""`},
	{[]string{"/a//b=3000"}, "empty, . or .. segment"},
	{[]string{"/a/../b=3000"}, "empty, . or .. segment"},
	{[]string{"/a/./b=3000"}, "empty, . or .. segment"},
	{[]string{"/a b=3000"}, "not allowed"},
	{[]string{"/a?b=3000"}, "not allowed"},
	{[]string{"/a%zz=3000"}, "not allowed"},
	{[]string{"/é=3000"}, "not allowed"},
	{[]string{"/" + strings.Repeat("a", MaxPrefixLen) + "=3000"}, "longer than 1024"},
	{[]string{"/webhooks=3000", "/webhooks/=4000"}, `"/webhooks=3000" and "/webhooks/=4000" both serve /webhooks`},
	{[]string{"3000", "/=4000"}, "both serve /"},
	{[]string{"/a=1", "/a=bad url:x"}, `target "bad url:x"`},
	{[]string{"/a=1", "/b=2", "/a=3"}, `"/a=1" and "/a=3" both serve /a`},
}

func TestParseErrors(t *testing.T) {
	for _, c := range parseErrors {
		_, err := Parse(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "parse targets: ") {
			t.Errorf("Parse(%q) = %v, want an error with %q", c.args, err, c.want)
		}
	}
	many := make([]string, MaxTargets+1)
	for i := range many {
		many[i] = fmt.Sprintf("/p%d=3000", i)
	}
	if _, err := Parse(many[:MaxTargets]); err != nil {
		t.Errorf("%d targets: %v", MaxTargets, err)
	}
	if _, err := Parse(many); err == nil {
		t.Errorf("%d targets accepted", len(many))
	}
}

func TestPick(t *testing.T) {
	s, err := Parse([]string{"/webhooks=3000", "/webhooks/leads=4000", "/api/v1=http://localhost:5000/base"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ target, want string }{
		{"/webhooks", "/webhooks"},
		{"/webhooks?x=1", "/webhooks"},
		{"/webhooks/", "/webhooks"},
		{"/webhooks/x", "/webhooks"},
		{"/webhooks/leads", "/webhooks/leads"},
		{"/webhooks/leads/42?a=/b", "/webhooks/leads"},
		{"/webhooks/leadsx", "/webhooks"},
		{"/webhooksx", ""},
		{"/webhooks%2Fleads", ""},
		{"/api/v1/x", "/api/v1"},
		{"/api", ""},
		{"/", ""},
		{"/?webhooks", ""},
	}
	for _, c := range cases {
		got, err := s.Pick(c.target)
		if c.want == "" {
			if !errors.Is(err, ErrNoTarget) {
				t.Errorf("Pick(%q) = %v, %v, want ErrNoTarget", c.target, got.Prefix, err)
			}
			continue
		}
		if err != nil || got.Prefix != c.want {
			t.Errorf("Pick(%q) = %q, %v, want %q", c.target, got.Prefix, err, c.want)
		}
	}
	withRoot, _ := Parse([]string{"/webhooks=3000", "8080"})
	if got, err := withRoot.Pick("/other"); err != nil || got.URL.Port() != "8080" {
		t.Errorf("the / target did not take /other: %v, %v", got, err)
	}
	if CodeNoLocalTarget.Status() != 500 && CodeNoLocalTarget.Status() != NoTargetStatus {
		t.Errorf("proto serves %s with %d, this package says %d", CodeNoLocalTarget, CodeNoLocalTarget.Status(), NoTargetStatus)
	}
}

func TestGroup(t *testing.T) {
	cases := []struct {
		args []string
		want [][]string // each set's Args
	}{
		{[]string{"3000", "4000"}, [][]string{{"/=http://localhost:3000"}, {"/=http://localhost:4000"}}},
		{[]string{"/a=3000", "4000"}, [][]string{{"/a=http://localhost:3000", "/=http://localhost:4000"}}},
	}
	for _, c := range cases {
		sets, err := Group(c.args)
		if err != nil || len(sets) != len(c.want) {
			t.Fatalf("Group(%q) = %v, %v", c.args, sets, err)
		}
		for i, s := range sets {
			if !slices.Equal(s.Args(), c.want[i]) {
				t.Errorf("Group(%q)[%d] = %q, want %q", c.args, i, s.Args(), c.want[i])
			}
		}
	}
	if _, err := Group([]string{"/a=3000", "4000", "5000"}); err == nil {
		t.Error("two bare targets with a prefixed one: want the duplicate / error")
	}
	if _, err := Group([]string{"3000", "0"}); err == nil {
		t.Error("bad port accepted")
	}
}

func TestNoTargetStatusIsTheCodes(t *testing.T) {
	if NoTargetStatus != CodeNoLocalTarget.Status() {
		t.Errorf("NoTargetStatus %d, but %s is served with %d", NoTargetStatus, CodeNoLocalTarget, CodeNoLocalTarget.Status())
	}
}
