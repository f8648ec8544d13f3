package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

var migrationNameCases = []struct {
	in   string
	want int
}{
	{"0001_init.sql", 1},
	{"0042_add_index.sql", 42},
	{"12345_big.sql", 12345},
	{"001_short.sql", 0},
	{"0001.sql", 0},
	{"0001_.sql", 0},
	{"0001_init.txt", 0},
	{"000a_init.sql", 0},
	{"0000_zero.sql", 0},
	{"+001_sign.sql", 0},
	{"99999999999999999999_overflow.sql", 0},
}

func TestParseMigrationName(t *testing.T) {
	for _, tt := range migrationNameCases {
		got, err := parseMigrationName(tt.in)
		if (err == nil) != (tt.want > 0) || got != tt.want {
			t.Errorf("parseMigrationName(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseMigrationName(f *testing.F) {
	for _, tt := range migrationNameCases {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, name string) {
		v, err := parseMigrationName(name)
		if err == nil && (v <= 0 || !strings.HasSuffix(name, ".sql")) {
			t.Fatalf("parseMigrationName(%q) accepted version %d", name, v)
		}
	})
}

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name    string
		fsys    fstest.MapFS
		want    []int
		wantErr bool
	}{
		{"embedded", nil, nil, false},
		{"sorted by version", fstest.MapFS{
			"migrations/0002_b.sql": file("B"), "migrations/0001_a.sql": file("A"),
		}, []int{1, 2}, false},
		{"gap", fstest.MapFS{"migrations/0001_a.sql": file("A"), "migrations/0003_c.sql": file("C")}, nil, true},
		{"repeat", fstest.MapFS{"migrations/0001_a.sql": file("A"), "migrations/0001_b.sql": file("B")}, nil, true},
		{"bad name", fstest.MapFS{"migrations/init.sql": file("A")}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ms []migration
			var err error
			if tt.fsys == nil {
				ms, err = loadMigrations(migrationFiles)
			} else {
				ms, err = loadMigrations(tt.fsys)
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("loadMigrations error = %v, wantErr %v", err, tt.wantErr)
			}
			for i, v := range tt.want {
				if ms[i].version != v {
					t.Errorf("migration %d has version %d, want %d", i, ms[i].version, v)
				}
			}
			if tt.fsys == nil && len(ms) == 0 {
				t.Error("no embedded migrations")
			}
		})
	}
}

// TestMigrateIdempotent applies the embedded migrations, then again, and
// checks the second run does nothing; a database ahead of the program is
// refused.
func TestMigrateIdempotent(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := migrate(ctx, db, ms); err != nil || n != len(ms) {
		t.Fatalf("first migrate = %d, %v; want %d", n, err, len(ms))
	}
	if n, err := migrate(ctx, db, ms); err != nil || n != 0 {
		t.Fatalf("second migrate = %d, %v; want 0", n, err)
	}
	if n, err := migrate(ctx, db, ms[:len(ms)-1]); err == nil {
		t.Fatalf("migrate with fewer known migrations = %d, nil; want an error", n)
	}
}
