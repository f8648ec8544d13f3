package proto_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/proto"
)

// codeConst is one Code constant found in codes.go.
type codeConst struct {
	name    string // identifier, e.g. "CodeBadToken"
	value   proto.Code
	comment string // trailing line comment, e.g. "401: missing or unknown token"
}

// parseCodes lists the Code constants of codes.go and the keys of its codeStatus map, so
// that a code added without a status is caught here without editing this test.
func parseCodes(t *testing.T) (consts []codeConst, statusKeys map[string]bool) {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), "codes.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatalf("parse codes.go: %v", err)
	}
	statusKeys = make(map[string]bool)
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, spec := range gen.Specs {
			vs, ok := spec.(*ast.ValueSpec)
			switch {
			case !ok:
			case gen.Tok == token.CONST && (isIdent(vs.Type, "Code") || isCodeConversion(vs)):
				consts = append(consts, codeConsts(t, vs)...)
			case gen.Tok == token.VAR && len(vs.Names) == 1 && vs.Names[0].Name == "codeStatus":
				mapKeys(vs, statusKeys)
			}
		}
	}
	return consts, statusKeys
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// isCodeConversion reports whether vs is written `CodeX = Code("x")`.
func isCodeConversion(vs *ast.ValueSpec) bool {
	if len(vs.Values) == 0 {
		return false
	}
	call, ok := vs.Values[0].(*ast.CallExpr)
	return ok && isIdent(call.Fun, "Code") && len(call.Args) == 1
}

func codeConsts(t *testing.T, vs *ast.ValueSpec) []codeConst {
	t.Helper()
	var out []codeConst
	for i, id := range vs.Names {
		expr := vs.Values[i]
		if call, ok := expr.(*ast.CallExpr); ok && len(call.Args) == 1 {
			expr = call.Args[0]
		}
		lit, ok := expr.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			t.Fatalf("%s: value is not a string literal", id.Name)
		}
		v, err := strconv.Unquote(lit.Value)
		if err != nil {
			t.Fatalf("%s: %v", id.Name, err)
		}
		out = append(out, codeConst{name: id.Name, value: proto.Code(v), comment: strings.TrimSpace(vs.Comment.Text())})
	}
	return out
}

func mapKeys(vs *ast.ValueSpec, keys map[string]bool) {
	for _, v := range vs.Values {
		lit, ok := v.(*ast.CompositeLit)
		if !ok {
			continue
		}
		for _, elt := range lit.Elts {
			if kv, ok := elt.(*ast.KeyValueExpr); ok {
				if id, ok := kv.Key.(*ast.Ident); ok {
					keys[id.Name] = true
				}
			}
		}
	}
}

var (
	codeValueRE  = regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	statusNoteRE = regexp.MustCompile(`^(\d{3}):`)
)

func TestCodeStatus(t *testing.T) {
	consts, statusKeys := parseCodes(t)
	if len(consts) < 10 {
		t.Fatalf("found only %d Code constants in codes.go; has the file changed shape?", len(consts))
	}
	seen := make(map[proto.Code]string)
	for _, c := range consts {
		t.Run(c.name, func(t *testing.T) {
			checkCode(t, c, statusKeys)
			if other, dup := seen[c.value]; dup {
				t.Errorf("%s has the same value %q as %s", c.name, c.value, other)
			}
			seen[c.value] = c.name
		})
	}
	for key := range statusKeys {
		if !hasConst(consts, key) {
			t.Errorf("codeStatus has an entry for %s, which is not a Code constant", key)
		}
	}
}

func checkCode(t *testing.T, c codeConst, statusKeys map[string]bool) {
	t.Helper()
	if !statusKeys[c.name] {
		t.Errorf("%s has no entry in codeStatus", c.name)
	}
	if !codeValueRE.MatchString(string(c.value)) {
		t.Errorf("%s = %q, want lower snake_case", c.name, c.value)
	}
	status := c.value.Status()
	internal := c.name == "CodeInternal"
	if internal != (status == http.StatusInternalServerError) {
		t.Errorf("%s.Status() = %d; only CodeInternal may map to 500", c.name, status)
	}
	if status < 400 || status > 599 {
		t.Errorf("%s.Status() = %d, not an error status", c.name, status)
	}
	if m := statusNoteRE.FindStringSubmatch(c.comment); m != nil && m[1] != strconv.Itoa(status) {
		t.Errorf("%s is documented as %s but Status() = %d", c.name, m[1], status)
	}
}

func hasConst(consts []codeConst, name string) bool {
	for _, c := range consts {
		if c.name == name {
			return true
		}
	}
	return false
}

func TestCodeStatusUnknown(t *testing.T) {
	for _, c := range []proto.Code{"", "no_such_code", "BAD_TOKEN"} {
		if got := c.Status(); got != http.StatusInternalServerError {
			t.Errorf("Code(%q).Status() = %d, want 500", c, got)
		}
	}
}
