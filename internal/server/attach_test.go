package server

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hookrelay/hookrelay/internal/route"
	"github.com/hookrelay/hookrelay/proto"
)

var clientTextCases = []struct {
	what  string
	in    string
	ascii bool
	ok    bool
}{
	{"client id", "", true, true},
	{"client id", "3f9a0c1d2e4b5a6978c0d1e2", true, true},
	{"client id", "laptop-1.example", true, true},
	{"client id", "has space", true, false},
	{"client id", "caf\u00e9", true, false},
	{"client id", "tab\there", true, false},
	{"client id", strings.Repeat("x", proto.MaxClientIDLen), true, true},
	{"client id", strings.Repeat("x", proto.MaxClientIDLen+1), true, false},
	{"label", "Alice's laptop", false, true},
	{"label", "caf\u00e9", false, true},
	{"label", " padded", false, false},
	{"label", "bell\a", false, false},
	{"label", "del\x7f", false, false},
	{"label", strings.Repeat("\u00e9", proto.MaxLabelLen/2+1), false, false},
}

func TestCheckClientText(t *testing.T) {
	for _, c := range clientTextCases {
		err := checkClientText(c.what, c.in, map[string]int{"client id": proto.MaxClientIDLen, "label": proto.MaxLabelLen}[c.what], c.ascii)
		if (err == nil) != c.ok {
			t.Errorf("%s %q: err %v, want ok %v", c.what, c.in, err, c.ok)
		}
		if err != nil && !strings.HasPrefix(err.Error(), c.what+" ") {
			t.Errorf("%s %q: error %q does not name the field", c.what, c.in, err)
		}
	}
}

// FuzzCheckClientText holds the check to its rules: what passes is within the length,
// free of control characters, and printable ASCII without spaces for an id; the error
// names the field and never panics on a cut inside a character.
func FuzzCheckClientText(f *testing.F) {
	for _, c := range clientTextCases {
		f.Add(c.in, c.ascii)
	}
	f.Fuzz(func(t *testing.T, s string, ascii bool) {
		err := checkClientText("label", s, proto.MaxLabelLen, ascii)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "label ") {
				t.Fatalf("error %q", err)
			}
			return
		}
		if len(s) > proto.MaxLabelLen {
			t.Fatalf("%q over the length passed", s)
		}
		for _, r := range s {
			if r < ' ' || r == 0x7f || ascii && (r == ' ' || r > '~') {
				t.Fatalf("%q passed with %q", s, r)
			}
		}
		if ascii && !utf8.ValidString(s) {
			t.Fatalf("%q: not ASCII", s)
		}
	})
}

func TestParseShare(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{{"", true}, {"mirror", true}, {"balance", true}, {"Mirror", false}, {"round-robin", false}} {
		err := parseShare(c.in)
		if (err == nil) != c.ok || err != nil && !strings.Contains(err.Error(), `"`+c.in+`"`) {
			t.Errorf("parseShare(%q) = %v", c.in, err)
		}
	}
}

// bind makes a binding of client id with routes, for the set's logic alone.
func bind(id string, primary bool, routes ...string) *binding {
	rs, err := route.ParseRoutes(routes)
	if err != nil {
		panic(err)
	}
	return &binding{client: clientOf{id: id, label: id, routes: rs, exprs: routes, primary: primary}}
}

func roles(a *attached) string {
	var out []string
	for _, b := range a.all() {
		out = append(out, b.client.id+":"+a.role(b))
	}
	return strings.Join(out, " ")
}

func TestAttachSet(t *testing.T) {
	tn := &tunnel{settings: tunnelConfig{share: proto.ShareMirror}}
	a, b, c, p, b2, b3 := bind("a", false), bind("b", false), bind("c", false, "path=/c/*"), bind("p", true), bind("b", false), bind("b", false)
	var replaced int
	steps := []struct {
		op   func()
		want string
	}{
		{func() { mustAttach(t, tn, a, &replaced) }, "a:primary"},
		{func() { mustAttach(t, tn, b, &replaced) }, "a:primary b:mirror"},
		{func() { mustAttach(t, tn, c, &replaced) }, "a:primary b:mirror c:routed"},
		{func() { mustAttach(t, tn, p, &replaced) }, "a:mirror b:mirror c:routed p:primary"},  // --primary
		{func() { mustAttach(t, tn, b2, &replaced) }, "a:mirror b:mirror c:routed p:primary"}, // b again, in its place
		{func() { tn.detach(a) }, "b:mirror c:routed p:primary"},
		{func() { tn.detach(p) }, "b:primary c:routed"}, // the longest attached
		{func() { tn.detach(b) }, "b:primary c:routed"}, // the replaced one is gone already
		{func() {
			tn.mu.Lock()
			tn.settings.share = proto.ShareBalance // a client asked --share balance
			tn.mu.Unlock()
			mustAttach(t, tn, b3, &replaced)
		}, "b:balance c:routed"},
		{func() { tn.detach(b3) }, "c:routed"}, // only a routed client: no primary
	}
	for i, st := range steps {
		st.op()
		if got := roles(tn.live.Load()); got != st.want {
			t.Errorf("step %d: %s, want %s", i, got, st.want)
		}
	}
	if replaced != 2 {
		t.Errorf("%d replaced, want 2 (b twice)", replaced)
	}
	if a := tn.live.Load(); a.primary != nil || a.solo != nil {
		t.Errorf("routed client alone: primary %v, solo %v", a.primary, a.solo)
	}
	if gone, offline := tn.detach(c); !gone || !offline || tn.live.Load() != nil {
		t.Errorf("last detach: gone %v offline %v", gone, offline)
	}
}

func mustAttach(t *testing.T, tn *tunnel, b *binding, replaced *int) {
	t.Helper()
	old, err := tn.attach(b, 4)
	if err != nil {
		t.Fatal(err)
	}
	*replaced += len(old)
}

func TestAttachCap(t *testing.T) {
	tn := &tunnel{settings: tunnelConfig{share: proto.ShareMirror}}
	for _, id := range []string{"a", "b"} {
		if _, err := tn.attach(bind(id, false), 2); err != nil {
			t.Fatal(err)
		}
	}
	if err := tn.room(bind("c", false), 2); err != ErrTooManyClients {
		t.Errorf("third client: %v", err)
	}
	if _, err := tn.attach(bind("c", false), 2); err != ErrTooManyClients {
		t.Errorf("third client attached: %v", err)
	}
	if old, err := tn.attach(bind("a", false), 2); err != nil || len(old) != 1 {
		t.Errorf("a again: replaced %d, err %v", len(old), err)
	}
}
