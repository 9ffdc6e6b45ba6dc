package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"concord/models"
)

func TestInitCommand(t *testing.T) {
	t.Setenv("CONCORD_DB", "")
	t.Setenv("CONCORD_MEMBERS", "")
	dir := t.TempDir()
	db := filepath.Join(dir, "concord.db")
	roster := filepath.Join(dir, "roster.csv")
	if err := os.WriteFile(roster, []byte("code,name,accession\nAAA,Alpha,2001\nBBB,Beta,2002\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badRoster := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(badRoster, []byte("code,name,accession\nnot a code,Alpha,2001\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	noFacilitator := "No facilitator account exists yet: create one with\n" +
		"  concord user create -db %s -role facilitator -username NAME -password-stdin\n" +
		"or start the server, which prints a one-time link to create it.\n"
	small := filepath.Join(dir, "small.db")
	never := filepath.Join(dir, "never.db")
	tests := []struct {
		name    string
		args    []string
		stdout  string
		err     string
		db      string // the database to look at afterwards
		members int    // its members afterwards; -1: it must not exist
	}{
		{"creates", []string{"init", "-db", db},
			"Created the database " + db + " with 32 members.\n" + strings.ReplaceAll(noFacilitator, "%s", db), "", db, 32},
		{"again: migrates, creates nothing", []string{"init", "-db", db},
			"The database " + db + " exists: its schema is up to date and it has 32 members.\n" + strings.ReplaceAll(noFacilitator, "%s", db), "", db, 32},
		{"with a roster", []string{"init", "-db", small, "-members", roster},
			"Created the database " + small + " with 2 members.\n" + strings.ReplaceAll(noFacilitator, "%s", small), "", small, 2},
		{"a bad roster creates nothing", []string{"init", "-db", never, "-members", badRoster}, "", "roster " + badRoster, never, -1},
		{"stray argument", []string{"init", "-db", never, "now"}, "", "unexpected arguments: [now]", never, -1},
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
			if tc.members < 0 {
				if _, err := os.Stat(tc.db); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s exists (%v), want no database", tc.db, err)
				}
				return
			}
			store, err := models.OpenReadOnly(tc.db)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			members, err := store.Members(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(members) != tc.members {
				t.Errorf("%d members, want %d", len(members), tc.members)
			}
		})
	}
}

// TestInitWithFacilitator: once a facilitator exists, init has nothing to
// suggest.
func TestInitWithFacilitator(t *testing.T) {
	db, _ := cliDB(t)
	stdout, _, err := cliRun(t, "init", "-db", db)
	if err != nil {
		t.Fatal(err)
	}
	if want := "The database " + db + " exists: its schema is up to date and it has 32 members.\n"; stdout != want {
		t.Errorf("printed %q, want %q", stdout, want)
	}
}

// TestCommandsRefuseAMissingDatabase: only init (and serve) create a
// database; every other command names the missing file and creates none.
func TestCommandsRefuseAMissingDatabase(t *testing.T) {
	t.Setenv("CONCORD_DB", "")
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	tests := []struct {
		name string
		args []string
	}{
		{"user create", []string{"user", "create", "-db", missing, "-role", "observer"}},
		{"backup", []string{"backup", "-db", missing, "-out", filepath.Join(dir, "b.db")}},
		{"check", []string{"check", "-db", missing}},
		{"audit verify", []string{"audit", "verify", "-db", missing}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := cliRun(t, tc.args...)
			want := "there is no database at " + missing
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want it to say %q", err, want)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 0 {
				t.Errorf("the folder holds %v, want nothing created", entries)
			}
		})
	}
}
