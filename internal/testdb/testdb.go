// Package testdb gives each test a database of its own, on the backend the
// test run selects: a SQLite file in the test's temporary folder, or, when
// the environment variable CONCORD_TEST_POSTGRES holds the URL of a
// PostgreSQL server's administrative database (for example
// postgres://postgres@/postgres?host=/tmp/pg), a new database on that
// server, dropped when the test ends.
package testdb

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// envAdmin names the variable holding the PostgreSQL admin URL.
const envAdmin = "CONCORD_TEST_POSTGRES"

// created numbers the databases this process creates.
var created atomic.Uint64

// Postgres reports whether the tests run against PostgreSQL.
func Postgres() bool { return os.Getenv(envAdmin) != "" }

// SkipOnPostgres skips the test when it runs against PostgreSQL, saying why.
func SkipOnPostgres(t testing.TB, why string) {
	t.Helper()
	if Postgres() {
		t.Skip("not on PostgreSQL: " + why)
	}
}

// DSN returns the address of a new, empty database for the test: a SQLite
// file path in t.TempDir(), or a PostgreSQL URL (see the package comment).
// A PostgreSQL database is dropped when the test ends, after the cleanups
// registered later (closing the stores opened on it) have run.
func DSN(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(envAdmin)
	if admin == "" {
		return filepath.Join(t.TempDir(), "concord.db")
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("%s is not a URL: %v", envAdmin, err)
	}
	var salt [4]byte
	if _, err := rand.Read(salt[:]); err != nil {
		t.Fatalf("name a test database: %v", err)
	}
	name := fmt.Sprintf("t_%d_%d_%s", os.Getpid(), created.Add(1), hex.EncodeToString(salt[:]))
	if err := exec(admin, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if err := exec(admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// exec runs one statement on the admin database, through a connection of
// its own.
func exec(admin, stmt string) error {
	db, err := gorm.Open(postgres.Open(admin), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return fmt.Errorf("connect to %s: %w", envAdmin, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("connect to %s: %w", envAdmin, err)
	}
	defer sqlDB.Close()
	if err := db.Exec(stmt).Error; err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	return nil
}
