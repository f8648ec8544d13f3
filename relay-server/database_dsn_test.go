package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/store"
)

var dsnTests = []struct {
	dsn, want string
}{
	{"postgres://hr:s3cret@db.internal:5432/hookrelay?sslmode=require", "postgres://hr:xxxxx@db.internal:5432/hookrelay?sslmode=require"},
	{"postgresql://hr@db/hookrelay", "postgresql://hr@db/hookrelay"},
	{"postgres://db/hookrelay?password=s3cret&user=hr", "postgres://db/hookrelay?password=xxxxx&user=hr"},
	{"host=db port=5432 user=hr password=s3cret dbname=hookrelay sslmode=disable", "host=db port=5432 user=hr dbname=hookrelay"},
	{"host=db password='s3cret'", "host=db"},
}

func TestRedactDSN(t *testing.T) {
	for _, tt := range dsnTests {
		if got := redactDSN(tt.dsn); got != tt.want {
			t.Errorf("redactDSN(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
	}
}

func TestScrubDSN(t *testing.T) {
	err := scrubDSN(errors.Join(store.ErrUnavailable, errors.New("cannot parse user=hr password=s3cret")),
		"host=db user=hr password=s3cret")
	if strings.Contains(err.Error(), "s3cret") || !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("scrubbed error %q (is unavailable: %v): want no password, same chain", err, errors.Is(err, store.ErrUnavailable))
	}
}

// FuzzRedactDSN: whatever the DSN, its password is never in the redacted form.
func FuzzRedactDSN(f *testing.F) {
	for _, tt := range dsnTests {
		f.Add(tt.dsn)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		pw := passwordOf(dsn)
		if len(pw) < 4 || strings.Count(dsn, pw) > 1 {
			return // a short password, or one whose text is also elsewhere (a host, a user)
		}
		if got := redactDSN(dsn); strings.Contains(got, pw) {
			t.Errorf("redactDSN(%q) = %q shows the password %q", dsn, got, pw)
		}
	})
}

func TestDatabaseOptionRules(t *testing.T) {
	tests := []struct {
		args []string
		err  string
	}{
		{[]string{"--database-schema", "hr"}, "needs --database-url"},
		{[]string{"--database-url", "postgres://db/x", "--no-record"}, "--no-record keeps no database"},
		{[]string{"--database-url", "postgres://db/x", "--sync", "full"}, "--sync is SQLite's"},
		{[]string{"--database-url", "postgres://db/x", "--database-schema", "hr"}, ""},
	}
	for _, tt := range tests {
		_, err := load(append([]string{"--dev"}, tt.args...), noEnv)
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%q: %v, want %q", tt.args, err, tt.err)
		}
	}
}

func TestDatabaseURLFromEnv(t *testing.T) {
	env := map[string]string{"HOOKRELAY_DATABASE_URL": "postgres://hr:pw@db/hookrelay", "HOOKRELAY_DATABASE_SCHEMA": "relay"}
	c, err := load([]string{"--dev"}, func(k string) string { return env[k] })
	if err != nil || c.DatabaseURL != env["HOOKRELAY_DATABASE_URL"] || c.DatabaseSchema != "relay" {
		t.Fatalf("from the environment: %+v, %v", c, err)
	}
}
