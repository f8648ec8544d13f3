package pgtest

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// recorder stands in for a test to see whether unavailable skips or fails.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Skipf(format string, args ...any)  { r.skipped = fmt.Sprintf(format, args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

func TestUnavailableSkipsUnlessRequired(t *testing.T) {
	for _, tt := range []struct {
		require  string
		wantFail bool
	}{{"", false}, {"0", false}, {"1", true}} {
		t.Setenv(EnvRequire, tt.require)
		var r recorder
		unavailable(&r, "no postgres here")
		if failed := r.failed != ""; failed != tt.wantFail || failed == (r.skipped != "") {
			t.Errorf("%s=%q: skipped %q, failed %q", EnvRequire, tt.require, r.skipped, r.failed)
		}
	}
}

func TestWithSearchPath(t *testing.T) {
	for _, tt := range []struct{ dsn, want string }{
		{"host=/tmp/x port=5432", "host=/tmp/x port=5432 search_path=hr_1"},
		{"postgres://u@db/app?sslmode=disable", "postgres://u@db/app?search_path=hr_1&sslmode=disable"},
	} {
		if got := WithSearchPath(tt.dsn, "hr_1"); got != tt.want {
			t.Errorf("WithSearchPath(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
	}
}

// TestSchema: a schema is created, is the search_path of the DSN returned,
// and is dropped when the test ends.
func TestSchema(t *testing.T) {
	var name string
	t.Run("use", func(t *testing.T) {
		dsn := Schema(t)
		admin(t, dsn, "CREATE TABLE probe (x int)")
		name = schemaOf(t, dsn)
	})
	if name == "" {
		return // skipped
	}
	dsn := DSN(t)
	if got := schemaOf(t, WithSearchPath(dsn, name)); got != "" {
		t.Errorf("schema %s still exists after its test", name)
	}
}

// schemaOf returns current_schema() on dsn: "" when the search_path names
// no existing schema.
func schemaOf(t *testing.T, dsn string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var name *string
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name == nil {
		return ""
	}
	return *name
}
