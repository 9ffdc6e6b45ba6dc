package main

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"concord/models"
)

// rawExec runs statements on a database file through one plain connection
// with foreign keys off, as a hand-edited or damaged file would have them.
func rawExec(t *testing.T, path string, statements ...string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=off")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, st := range statements {
		if _, err := db.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
}

func revisionCount(t *testing.T, store *models.Store) int {
	t.Helper()
	ctx := context.Background()
	c, err := store.ConsultationByKey(ctx, models.DemoKey)
	if err != nil {
		t.Fatal(err)
	}
	revs, err := store.History(ctx, c.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(revs)
}

// TestBackupCheckRestore follows a backup from the running database to a
// restored one: the copy checks sound and the restored database holds what
// the original held.
func TestBackupCheckRestore(t *testing.T) {
	db, store := cliDB(t) // store stays open, as a running server's would
	dir := t.TempDir()
	backup := filepath.Join(dir, "backup.db")
	restored := filepath.Join(dir, "restored.db")

	stdout, stderr, err := cliRun(t, "backup", "-db", db, "-out", backup)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	info, err := os.Stat(backup)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Backed up " + db + " to " + backup + " (" + byteSize(info.Size()) + ").\nCheck the copy with: concord check -db " + backup + "\n"; stdout != want {
		t.Errorf("backup printed %q, want %q", stdout, want)
	}

	stdout, _, err = cliRun(t, "check", "-db", backup)
	if err != nil {
		t.Fatal(err)
	}
	if want := "The database " + backup + " is sound: integrity check ok, no foreign-key violations.\n" +
		"The audit log's hash chain has its own check: concord audit verify -db " + backup + "\n"; stdout != want {
		t.Errorf("check printed %q, want %q", stdout, want)
	}

	stdout, _, err = cliRun(t, "restore", "-from", backup, "-db", restored)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Restored " + backup + " to " + restored + " (" + byteSize(info.Size()) + "): integrity check ok, no foreign-key violations.\n" +
		"Start the server with -db " + restored + ".\n"; stdout != want {
		t.Errorf("restore printed %q, want %q", stdout, want)
	}
	got, err := os.ReadFile(restored)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("the restored database (%d bytes) differs from the backup (%d bytes)", len(got), len(want))
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "backup.db restored.db" {
		t.Errorf("the folder holds %v, want the backup and the restored database only (no temporary file left)", names)
	}
	r, err := openMigrated(context.Background(), restored)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n, m := revisionCount(t, r), revisionCount(t, store); n != m || n == 0 {
		t.Errorf("the restored database has %d revisions, the original %d", n, m)
	}
	if _, err := r.Authenticate(context.Background(), "no-such-user", "x"); !errors.Is(err, models.ErrBadCredentials) {
		t.Errorf("the restored database does not answer a sign-in: %v", err)
	}
}

func TestBackupRefusals(t *testing.T) {
	db, _ := cliDB(t)
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.db")
	if err := os.WriteFile(existing, []byte("yesterday's backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		err  string
	}{
		{"no -out", []string{"backup", "-db", db}, "name the backup file with -out FILE"},
		{"an existing file", []string{"backup", "-db", db, "-out", existing},
			existing + " exists: a backup never overwrites a file"},
		{"the database itself", []string{"backup", "-db", db, "-out", db}, "-out " + db + " is the database itself"},
		{"no folder", []string{"backup", "-db", db, "-out", filepath.Join(dir, "nowhere", "b.db")}, "no such file or directory"},
		{"stray argument", []string{"backup", "-db", db, "-out", filepath.Join(dir, "b.db"), "now"}, "unexpected arguments: [now]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, _, err := cliRun(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want it to say %q", err, tc.err)
			}
			if stdout != "" {
				t.Errorf("printed %q", stdout)
			}
		})
	}
	if b, err := os.ReadFile(existing); err != nil || string(b) != "yesterday's backup" {
		t.Errorf("the existing file now holds %q (%v)", b, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the folder holds %v, want the existing file only", entries)
	}
}

func TestRestoreRefusals(t *testing.T) {
	db, _ := cliDB(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	if _, _, err := cliRun(t, "backup", "-db", db, "-out", good); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling.db")
	if _, _, err := cliRun(t, "backup", "-db", db, "-out", dangling); err != nil {
		t.Fatal(err)
	}
	rawExec(t, dangling, `INSERT INTO users (id, username, name, role, member_id, password_hash, approver)
		VALUES (900, 'ghost', 'Ghost', 'delegate', 4242, 'x', 0)`)
	withWAL := filepath.Join(dir, "withwal.db")
	if _, _, err := cliRun(t, "backup", "-db", db, "-out", withWAL); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(withWAL+"-wal", []byte("later writes"), 0o600); err != nil {
		t.Fatal(err)
	}
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 300)), 0o600); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "target.db")
	walOnly := filepath.Join(dir, "walonly.db")
	if err := os.WriteFile(walOnly+"-wal", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		stdout string
		err    string
		absent string // a path that must still not exist
	}{
		{"no -from", []string{"restore", "-db", target}, "", "name the backup to restore with -from FILE", target},
		{"no backup there", []string{"restore", "-from", filepath.Join(dir, "missing.db"), "-db", target}, "", "there is no backup at", target},
		{"over the running database", []string{"restore", "-from", good, "-db", db}, "", db + " exists: restore never overwrites a database", ""},
		{"over a database's left-over log", []string{"restore", "-from", good, "-db", walOnly}, "", walOnly + "-wal exists", walOnly},
		{"a backup with a dangling reference", []string{"restore", "-from", dangling, "-db", target},
			"  - foreign key: row 900 of users refers to a row of members that does not exist\n",
			"the backup " + dangling + " failed its check (1 problem(s)); nothing was restored", target},
		{"not a database", []string{"restore", "-from", notDB, "-db", target},
			"  - SQLite cannot read the file: file is not a database\n", "failed its check", target},
		{"a backup written to after it was made", []string{"restore", "-from", withWAL, "-db", target}, "",
			withWAL + "-wal exists beside the backup", target},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, _, err := cliRun(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want it to say %q", err, tc.err)
			}
			if stdout != tc.stdout {
				t.Errorf("printed %q, want %q", stdout, tc.stdout)
			}
			if tc.absent != "" {
				if _, err := os.Stat(tc.absent); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s exists (%v)", tc.absent, err)
				}
			}
		})
	}
	// Nothing was left behind: no temporary copy, no new log file.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := "dangling.db good.db notes.txt walonly.db-wal withwal.db withwal.db-wal"; strings.Join(names, " ") != want {
		t.Errorf("the folder holds %q, want %q", strings.Join(names, " "), want)
	}
}

func TestByteSize(t *testing.T) {
	tests := []struct {
		name string
		n    int64
		want string
	}{
		{"bytes", 812, "812 bytes"},
		{"one kilobyte", 1000, "1.0 kB"},
		{"an empty database", 188416, "188.4 kB"},
		{"megabytes", 4_249_999, "4.2 MB"},
		{"gigabytes", 12_300_000_000, "12.3 GB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := byteSize(tc.n); got != tc.want {
				t.Errorf("byteSize(%d) = %q, want %q", tc.n, got, tc.want)
			}
		})
	}
}
