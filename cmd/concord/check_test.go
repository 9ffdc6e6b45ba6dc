package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckCommand(t *testing.T) {
	db, _ := cliDB(t)
	dir := t.TempDir()
	// Each damaged database is a backup of the demo, then damaged.
	damaged := func(name string, statements ...string) string {
		path := filepath.Join(dir, name)
		if _, _, err := cliRun(t, "backup", "-db", db, "-out", path); err != nil {
			t.Fatal(err)
		}
		rawExec(t, path, statements...)
		return path
	}
	dangling := damaged("dangling.db",
		`INSERT INTO users (id, username, name, role, member_id, password_hash, approver) VALUES (900, 'ghost', 'Ghost', 'delegate', 4242, 'x', 0)`,
		`INSERT INTO users (id, username, name, role, member_id, password_hash, approver) VALUES (901, 'spook', 'Spook', 'delegate', 4343, 'x', 0)`)
	// The index of member codes, said to hold names: none of the 32
	// members' rows is where the index is said to keep it.
	badIndex := damaged("index.db", `PRAGMA writable_schema = ON`,
		`UPDATE sqlite_master SET sql = replace(replace(sql, char(96), char(34)), '("code")', '("name")') WHERE name = 'idx_members_code'`)
	indexProblems := "The database " + badIndex + " has 32 problems:\n"
	for id := 1; id <= 32; id++ {
		indexProblems += fmt.Sprintf("  - integrity check: row %d missing from index idx_members_code\n", id)
	}
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 300)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		stdout string
		err    string
	}{
		{"sound, beside the running server", []string{"check", "-db", db},
			"The database " + db + " is sound: integrity check ok, no foreign-key violations.\n" +
				"The audit log's hash chain has its own check: concord audit verify -db " + db + "\n", ""},
		{"two dangling references", []string{"check", "-db", dangling},
			"The database " + dangling + " has 2 problems:\n" +
				"  - foreign key: row 900 of users refers to a row of members that does not exist\n" +
				"  - foreign key: row 901 of users refers to a row of members that does not exist\n",
			"the database " + dangling + " failed its check: 2 problems"},
		{"an index that disagrees with its table", []string{"check", "-db", badIndex}, indexProblems,
			"failed its check: 32 problems"},
		{"not a database", []string{"check", "-db", notDB},
			"The database " + notDB + " has 1 problem:\n  - SQLite cannot read the file: file is not a database\n",
			"failed its check: 1 problem"},
		{"stray argument", []string{"check", "-db", db, "now"}, "", "unexpected arguments: [now]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := cliRun(t, tc.args...)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("err = %v\n%s", err, stderr)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("err = %v, want it to say %q", err, tc.err)
			}
			if stdout != tc.stdout {
				t.Errorf("printed %q, want %q", stdout, tc.stdout)
			}
		})
	}
}
