package testdb

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestDSN gives a subtest a database and checks, on whichever backend the
// run selects, that it is fresh and empty while the subtest runs, and gone
// once the subtest's cleanups have run.
func TestDSN(t *testing.T) {
	if Postgres() {
		testPostgresDSN(t)
		return
	}
	var first, second string
	t.Run("sqlite", func(t *testing.T) {
		first, second = DSN(t), DSN(t)
		if first == second {
			t.Fatalf("two calls gave the same database %s", first)
		}
		for _, p := range []string{first, second} {
			if isPostgresURL(p) || !filepath.IsAbs(p) {
				t.Errorf("DSN = %q, want an absolute SQLite path", p)
			}
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Errorf("%s exists already (%v); want a fresh path", p, err)
			}
			if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
				t.Errorf("the folder of %s is not writable: %v", p, err)
			}
		}
	})
	for _, p := range []string{first, second} {
		if _, err := os.Stat(filepath.Dir(p)); !os.IsNotExist(err) {
			t.Errorf("the folder of %s is still there after the test (%v)", p, err)
		}
	}
}

func testPostgresDSN(t *testing.T) {
	ctx := context.Background()
	admin := os.Getenv(EnvPostgres)
	var names []string
	var lingering *pgx.Conn
	t.Run("postgres", func(t *testing.T) {
		for range 2 {
			dsn := DSN(t)
			if !isPostgresURL(dsn) {
				t.Fatalf("DSN = %q, want a postgres:// URL", dsn)
			}
			db := OpenDB(t, dsn)
			var name string
			var tables int
			if err := db.QueryRowContext(ctx, "SELECT current_database()").Scan(&name); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRowContext(ctx,
				"SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')").Scan(&tables); err != nil {
				t.Fatal(err)
			}
			if tables != 0 {
				t.Errorf("database %s has %d tables, want none", name, tables)
			}
			if _, err := db.ExecContext(ctx, "CREATE TABLE probe (id integer PRIMARY KEY)"); err != nil {
				t.Errorf("create a table in %s: %v", name, err)
			}
			names = append(names, name)
		}
		if names[0] == names[1] {
			t.Fatalf("two calls gave the same database %s", names[0])
		}
		// A connection still open when the test ends must not stop the drop.
		var err error
		if lingering, err = pgx.Connect(ctx, mustWithDatabase(t, admin, names[0])); err != nil {
			t.Fatal(err)
		}
	})
	if lingering != nil {
		defer lingering.Close(ctx)
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, name := range names {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("database %s is still there after the test", name)
		}
	}
}

func mustWithDatabase(t *testing.T, admin, name string) string {
	t.Helper()
	dsn, err := withDatabase(admin, name)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

func TestDatabaseName(t *testing.T) {
	cases := []struct {
		name   string
		test   string
		prefix string
	}{
		{"plain", "TestLogin", "t_testlogin_"},
		{"subtest with spaces", "TestLogin/bad password", "t_testlogin_bad_password_"},
		{"runs of other characters become one underscore", "TestX/a--b__c#01", "t_testx_a_b_c_01_"},
		{"long names are cut", "TestAVeryLongNameThatGoesOnAndOnAndOnForever", "t_testaverylongnamethatgoesonandonando_"},
		{"leading punctuation dropped", "/é/x", "t_x_"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := databaseName(tc.test)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got, tc.prefix) || !regexp.MustCompile(`_[0-9a-f]{16}$`).MatchString(got) ||
				len(got) != len(tc.prefix)+16 {
				t.Errorf("databaseName(%q) = %q, want %s and 16 hex digits", tc.test, got, tc.prefix)
			}
			again, _ := databaseName(tc.test)
			if again == got {
				t.Errorf("databaseName(%q) gave %s twice", tc.test, got)
			}
		})
	}
}

func TestWithDatabase(t *testing.T) {
	cases := []struct {
		name, admin, want string
	}{
		{"unix socket", "postgres://postgres@/postgres?host=/tmp/concord-pg.ab12", "postgres://postgres@/t_x?host=/tmp/concord-pg.ab12"},
		{"host and port", "postgresql://app:secret@127.0.0.1:5433/postgres?sslmode=disable",
			"postgresql://app:secret@127.0.0.1:5433/t_x?sslmode=disable"},
		{"no database", "postgres://app@db.example", "postgres://app@db.example/t_x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := withDatabase(tc.admin, "t_x")
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("withDatabase(%q) = %q, want %q", tc.admin, got, tc.want)
			}
		})
	}
}
