// Package testdb gives each test a fresh, empty database of its own, on the
// backend the test run selects.
//
// By default that is a SQLite file in t.TempDir(). When CONCORD_TEST_POSTGRES
// holds the URL of a PostgreSQL server on which we may create databases (as
// `make test` sets it, to the throw-away server scripts/pgtest starts), each
// test gets a new database on that server instead, dropped when the test
// ends. The Store runs its own migration, so the database is empty.
//
//	s, err := models.Open(testdb.DSN(t))
//
// This package must not import concord/models: the models package's own
// tests import it.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for OpenDB
)

// EnvPostgres names the environment variable that selects PostgreSQL: the
// URL of a server and a database to connect to for CREATE DATABASE, for
// example postgres://postgres@/postgres?host=/tmp/concord-pg.x1y2z3.
const EnvPostgres = "CONCORD_TEST_POSTGRES"

// adminTimeout bounds CREATE DATABASE and DROP DATABASE.
const adminTimeout = 30 * time.Second

// Postgres reports whether the tests run against PostgreSQL.
func Postgres() bool {
	return os.Getenv(EnvPostgres) != ""
}

// SkipOnPostgres skips a test that is about SQLite itself (its files,
// VACUUM INTO, integrity_check, a kill -9 on the file) when the tests run
// against PostgreSQL; why says what the test needs, for the skip message.
func SkipOnPostgres(t testing.TB, why string) {
	t.Helper()
	if Postgres() {
		t.Skipf("SQLite only (%s); %s is set", why, EnvPostgres)
	}
}

// isPostgresURL tells a PostgreSQL URL from a SQLite path, as models.Open
// does.
func isPostgresURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// DSN returns where the test's database lives, for models.Open: a SQLite
// path in t.TempDir(), or the URL of a new database on the PostgreSQL
// server named by CONCORD_TEST_POSTGRES. That database is dropped (WITH
// FORCE) when the test ends; a cleanup registered after DSN returns, such
// as closing the store opened on it, runs before the drop.
func DSN(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvPostgres)
	if admin == "" {
		return filepath.Join(t.TempDir(), "concord.db")
	}
	if !isPostgresURL(admin) {
		t.Fatalf("%s must be a postgres:// URL, got %q", EnvPostgres, admin)
	}
	name, err := databaseName(t.Name())
	if err != nil {
		t.Fatal(err)
	}
	if err := adminExec(admin, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create the test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := adminExec(admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop the test database %s: %v", name, err)
		}
	})
	dsn, err := withDatabase(admin, name)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// OpenDB opens a database/sql connection pool of its own on dsn (a path or
// URL from DSN), closed when the test ends: a way to change the database
// behind the Store's back. PostgreSQL URLs use pgx; SQLite paths use the
// "sqlite3" driver, which the test binary has when it imports concord/models.
// Placeholders $1, $2, … in that order work on both.
func OpenDB(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	driver := "sqlite3"
	if isPostgresURL(dsn) {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("open a %s connection: %v", driver, err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.PingContext(context.Background()); err != nil {
		t.Fatalf("open a %s connection: %v", driver, err)
	}
	return db
}

// databaseName makes a database name unique to this test run from the
// test's name: lower-case letters, digits and underscores, within
// PostgreSQL's 63 bytes, ending in random hex.
func databaseName(test string) (string, error) {
	var b strings.Builder
	for _, r := range strings.ToLower(test) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
		if b.Len() >= 36 {
			break
		}
	}
	var random [8]byte
	if _, err := rand.Read(random[:]); err != nil {
		return "", fmt.Errorf("name the test database: %w", err)
	}
	return "t_" + strings.TrimSuffix(b.String(), "_") + "_" + hex.EncodeToString(random[:]), nil
}

// withDatabase returns the admin URL with its database replaced by name.
func withDatabase(admin, name string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", EnvPostgres, err)
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// adminExec runs one statement on a connection of its own to the admin URL.
func adminExec(admin, stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", redact(admin), err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, stmt); err != nil {
		return err
	}
	return nil
}

// redact hides the password of a URL, for messages.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "the server in " + EnvPostgres
	}
	return u.Redacted()
}
