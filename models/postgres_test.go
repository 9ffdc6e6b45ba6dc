package models_test

import (
	"strings"
	"testing"

	"concord/models"
)

func TestIsPostgresDSN(t *testing.T) {
	for _, tc := range []struct {
		dsn  string
		want bool
	}{
		{"postgres://concord@db/concord", true},
		{"postgresql://concord@db/concord", true},
		{"POSTGRES://concord@db/concord", true},
		{"concord.db", false},
		{"/srv/concord/postgres.db", false},
		{"./postgres://odd-but-a-file", false},
		{"", false},
	} {
		if got := models.IsPostgresDSN(tc.dsn); got != tc.want {
			t.Errorf("IsPostgresDSN(%q) = %v, want %v", tc.dsn, got, tc.want)
		}
	}
}

func TestRedactDSN(t *testing.T) {
	for _, tc := range []struct {
		name, dsn, want string
	}{
		{"sqlite path unchanged", "/srv/concord.db", "/srv/concord.db"},
		{"no password unchanged", "postgres://concord@db.example.org/concord?sslmode=verify-full",
			"postgres://concord@db.example.org/concord?sslmode=verify-full"},
		{"password in the user part", "postgres://concord:s3cret%21@db:5432/concord?sslmode=disable",
			"postgres://concord:xxxxx@db:5432/concord?sslmode=disable"},
		{"password as a parameter", "postgresql://db/concord?user=concord&password=s3cret",
			"postgresql://db/concord?password=xxxxx&user=concord"},
		{"unreadable URL shows the scheme only", "postgres://concord:s3cret@db:port/%zz", "postgres://(unreadable URL)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := models.RedactDSN(tc.dsn)
			if got != tc.want {
				t.Errorf("RedactDSN(%q) = %q, want %q", tc.dsn, got, tc.want)
			}
			if strings.Contains(got, "s3cret") {
				t.Errorf("the password shows in %q", got)
			}
		})
	}
}

// An error opening a PostgreSQL database never shows the password, even
// when the URL holds it.
func TestOpenPostgresErrorHidesPassword(t *testing.T) {
	for _, dsn := range []string{
		// Nothing listens on port 1: the connection is refused.
		"postgres://concord:s3cret-pw@127.0.0.1:1/concord?sslmode=disable&connect_timeout=2",
		// Not a URL pgx can read.
		"postgres://concord:s3cret-pw@127.0.0.1:1/concord?sslmode=bogus",
	} {
		s, err := models.Open(dsn)
		if err == nil {
			s.Close()
			t.Fatalf("Open(%s) succeeded", models.RedactDSN(dsn))
		}
		if strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("the error shows the password: %v", err)
		}
		if !strings.Contains(err.Error(), "xxxxx") && !strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("the error does not say which database: %v", err)
		}
	}
}
