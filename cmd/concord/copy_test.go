package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"concord/models"
)

// TestCopyCommand copies the demo database, beside a store holding it open
// as a running server would, into a new SQLite file: the command reports
// every table, the copy passes the integrity and audit checks, and a second
// copy into it is refused without changing it.
func TestCopyCommand(t *testing.T) {
	src, store := cliDB(t)
	revisions := revisionCount(t, store)
	if _, err := store.LinkAudit(t.Context()); err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(t.TempDir(), "copy.db")

	stdout, stderr, err := cliRun(t, "copy", "-from", src, "-to", to)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if want := "Copied " + src + " to " + to + ": "; !strings.HasPrefix(stdout, want) {
		t.Errorf("copy printed %q, want it to start with %q", stdout, want)
	}
	// Columns as wide as the longest name (questionnaire_versions) and
	// the longest count (424 rows, the audit log).
	for _, line := range []string{
		"\n  members                32 rows   members of the roster\n",
		"\n  consultations          1 row     consultations\n",
		"\n  round_records          2 rows    rounds\n",
		"\n  procedures             1 row     silence procedures\n",
		"\nRebuilt by the target from those rows:\n",
		"\n  questionnaire_versions 1 row     questionnaire versions\n",
		"\nEvery table holds as many rows as in " + src + ". Start the server with -db " + to + ".\n",
	} {
		if !strings.Contains(stdout, line) {
			t.Errorf("copy printed\n%s\nwant it to hold %q", stdout, line)
		}
	}

	copied, err := openExisting(t.Context(), to)
	if err != nil {
		t.Fatal(err)
	}
	if n := revisionCount(t, copied); n != revisions {
		t.Errorf("%d revisions in the copy, want %d", n, revisions)
	}
	if err := copied.Close(); err != nil {
		t.Fatal(err)
	}
	stdout, _, err = cliRun(t, "audit", "verify", "-db", to)
	if err != nil || !strings.Contains(stdout, "\nNot yet linked: 0 entries.\nThe audit chain is intact.\n") {
		t.Errorf("audit verify on the copy: %v\n%s", err, stdout)
	}
	if _, _, err := cliRun(t, "check", "-db", to); err != nil {
		t.Errorf("check on the copy: %v", err)
	}

	before, err := os.ReadFile(to)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = cliRun(t, "copy", "-from", src, "-to", to)
	want := "the target database already holds data: 32 rows in members, "
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("second copy: %v; want %q…", err, want)
	}
	after, err := os.ReadFile(to)
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Error("the refused copy changed the target file")
	}
}

// TestCopyCommandRefusals: what the command refuses, and that it creates
// nothing when it does.
func TestCopyCommandRefusals(t *testing.T) {
	src, _ := cliDB(t)
	tests := []struct {
		name string
		args func(dir string) []string
		want string
	}{
		{"no flags", func(string) []string { return nil }, "name both databases: concord copy -from DB -to DB"},
		{"no target", func(string) []string { return []string{"-from", src} }, "name both databases: concord copy -from DB -to DB"},
		{"missing source", func(dir string) []string {
			return []string{"-from", filepath.Join(dir, "missing.db"), "-to", filepath.Join(dir, "copy.db")}
		}, "there is no database at DIR/missing.db: give its path with -db (or CONCORD_DB) (-from)"},
		{"same path", func(string) []string { return []string{"-from", src, "-to", src} },
			"-from and -to are the same database (" + src + "): copy into a new one"},
		{"same file by another path", func(string) []string {
			return []string{"-from", src, "-to", filepath.Join(filepath.Dir(src), ".", filepath.Base(src))}
		}, "-from and -to are the same database (" + src + "): copy into a new one"},
		{"same PostgreSQL database", func(string) []string {
			return []string{"-from", "postgres://concord:s3cret@db.example.org/concord", "-to", "postgres://concord:s3cret@db.example.org/concord"}
		}, "-from and -to are the same database (postgres://concord:xxxxx@db.example.org/concord): copy into a new one"},
		{"an argument", func(dir string) []string { return []string{"-from", src, "-to", filepath.Join(dir, "c.db"), "extra"} },
			"unexpected arguments: [extra]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			_, _, err := cliRun(t, append([]string{"copy"}, tc.args(dir)...)...)
			want := strings.ReplaceAll(tc.want, "DIR", dir)
			if err == nil || err.Error() != want {
				t.Errorf("err = %v, want %q", err, want)
			}
			if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
				t.Errorf("the folder holds %v (%v), want nothing created", entries, err)
			}
		})
	}
}

// TestCopyCommandRemovesAFailedCopy: a copy that fails half-way (here on a
// damaged source, whose account names a member that does not exist)
// leaves no target file behind.
func TestCopyCommandRemovesAFailedCopy(t *testing.T) {
	src, _ := cliDB(t)
	rawExec(t, src, "INSERT INTO users (username, name, role, member_id, password_hash, approver, created_at) "+
		"VALUES ('ghost', 'Ghost', 'delegate', 999, 'x', 0, '2026-03-02 09:00:00+00:00')")
	dir := t.TempDir()
	to := filepath.Join(dir, "copy.db")
	_, _, err := cliRun(t, "copy", "-from", src, "-to", to)
	if err == nil || !strings.Contains(err.Error(), "write users: ") {
		t.Fatalf("copy of a damaged database: %v; want it to fail writing users", err)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("the folder holds %v (%v), want the unfinished copy removed", entries, err)
	}
}

func TestCopyHelp(t *testing.T) {
	stdout, stderr, err := cliRun(t, "copy", "-h")
	if err != nil {
		t.Fatal(err)
	}
	if want := "usage: concord copy -from DB -to DB\n"; !strings.HasPrefix(stdout+stderr, want) {
		t.Errorf("printed %q, want it to start with %q", stdout+stderr, want)
	}
}

func TestShownDB(t *testing.T) {
	tests := []struct{ name, dsn, want string }{
		{"SQLite path", "data/concord.db", "data/concord.db"},
		{"URL without password", "postgres://concord@db.example.org/concord?sslmode=verify-full",
			"postgres://concord@db.example.org/concord?sslmode=verify-full"},
		{"password in the user part", "postgresql://concord:s3cret@db.example.org:5432/concord",
			"postgresql://concord:xxxxx@db.example.org:5432/concord"},
		{"password parameter", "postgres://db.example.org/concord?user=concord&password=s3cret",
			"postgres://db.example.org/concord?password=xxxxx&user=concord"},
		{"unreadable URL", "postgres://concord:s3cret@db.example.org:port/%zz", "postgres://(unreadable URL)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := models.RedactDSN(tc.dsn); got != tc.want {
				t.Errorf("models.RedactDSN(%q) = %q, want %q", tc.dsn, got, tc.want)
			}
		})
	}
}

// TestCopyTableWords: the report of a copy says in words what every table
// it writes or rebuilds holds.
func TestCopyTableWords(t *testing.T) {
	copied, derived, err := models.CopyTableNames()
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range append(copied, derived...) {
		if tableWords[table] == "" {
			t.Errorf("the table %s has no words in tableWords", table)
		}
	}
}
