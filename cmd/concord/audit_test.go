package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"concord/models"
)

// auditDB is a migrated database with five linked audit entries and one
// not linked yet; it returns the path and the head after entry 5.
func auditDB(t *testing.T) (string, models.AuditHead) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "concord.db")
	store, err := openMigrated(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	record := func(from, to int) {
		for i := from; i <= to; i++ {
			if err := store.Record(ctx, models.AuditEvent{Action: "test.event", Subject: fmt.Sprintf("event %d", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	record(1, 5)
	// The server's linker, started and stopped as serve does: its last
	// pass links everything written before the stop.
	startAuditLinker(ctx, store, slog.New(slog.DiscardHandler))()
	head, err := store.AuditChainHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if head.ID != 5 || head.Pending != 0 {
		t.Fatalf("head after the linker stopped: %+v, want entry 5 and nothing pending", head)
	}
	record(6, 6)
	t.Setenv("CONCORD_DB", "")
	return path, head
}

// tamperDB changes the database file through a connection of its own,
// dropping the append-only triggers first, as someone with access to the
// file could.
func tamperDB(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := gorm.Open(sqlite.Open(path), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	}()
	for _, stmt := range append([]string{"DROP TRIGGER IF EXISTS audit_events_no_update", "DROP TRIGGER IF EXISTS audit_events_no_delete",
		"DROP TRIGGER IF EXISTS audit_links_no_update", "DROP TRIGGER IF EXISTS audit_links_no_delete"}, stmts...) {
		if err := db.Exec(stmt).Error; err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// relinkFrom recomputes the chain from entry first on, as an attacker who
// edited an entry would, with the project's own linker.
func relinkFrom(t *testing.T, path string, first int) {
	t.Helper()
	tamperDB(t, path, fmt.Sprintf("DELETE FROM audit_links WHERE event_id >= %d", first))
	store, err := models.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.LinkAudit(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestAuditVerifyCommand(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, path string)
		expect bool // pass -expect with the head recorded before tampering
		stdout []string
		err    string
	}{
		{name: "intact", stdout: []string{"Verified 5 entries.", "Head: 5:", "Not yet linked: 1 entry.", "The audit chain is intact."}},
		{name: "intact with the recorded head", expect: true,
			stdout: []string{"Verified 5 entries.", "Entry 5 has the expected hash.", "The audit chain is intact."}},
		{name: "edited entry", tamper: func(t *testing.T, path string) {
			tamperDB(t, path, "UPDATE audit_events SET detail = 'nothing happened' WHERE id = 2")
		}, stdout: []string{"Verified 1 entry before the first mismatch.", "Head: 1:", "Not yet linked: 1 entry.",
			"MISMATCH at entry 2: entry 2 does not match its recorded hash"},
			err: "the audit log does not verify: first mismatch at entry 2"},
		{name: "deleted entry", tamper: func(t *testing.T, path string) {
			tamperDB(t, path, "DELETE FROM audit_events WHERE id = 3", "DELETE FROM audit_links WHERE event_id = 3")
		}, stdout: []string{"Verified 2 entries before the first mismatch.", "MISMATCH at entry 4: entry 4 was linked after entry 3, but the entry before it is 2: entry 3 was deleted"},
			err: "first mismatch at entry 4"},
		{name: "edit and full recomputation pass plain verification", tamper: func(t *testing.T, path string) {
			tamperDB(t, path, "UPDATE audit_events SET subject = 'forged' WHERE id = 3")
			relinkFrom(t, path, 3)
		}, stdout: []string{"Verified 6 entries.", "Not yet linked: 0 entries.", "The audit chain is intact."}},
		{name: "edit and full recomputation, caught by -expect", expect: true, tamper: func(t *testing.T, path string) {
			tamperDB(t, path, "UPDATE audit_events SET subject = 'forged' WHERE id = 3")
			relinkFrom(t, path, 3)
		}, stdout: []string{"Verified 4 entries before the first mismatch.", "Not yet linked: 0 entries.",
			"MISMATCH at entry 5: entry 5's hash is", "recorded earlier: the log was changed at or before entry 5"},
			err: "first mismatch at entry 5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path, head := auditDB(t)
			if tc.tamper != nil {
				tc.tamper(t, path)
			}
			args := []string{"audit", "verify", "-db", path}
			if tc.expect {
				args = append(args, "-expect", head.String())
			}
			stdout, _, err := cliRun(t, args...)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("error %v, want %q", err, tc.err)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("output lacks %q:\n%s", want, stdout)
				}
			}
		})
	}

	t.Run("verification writes nothing", func(t *testing.T) {
		path, _ := auditDB(t)
		for range 2 {
			stdout, _, err := cliRun(t, "audit", "verify", "-db", path)
			if err != nil || !strings.Contains(stdout, "Not yet linked: 1 entry.") {
				t.Fatalf("%v:\n%s", err, stdout)
			}
		}
	})

	bad := []struct {
		name, err string
		args      []string
	}{
		{"missing database", "there is no database at", []string{"audit", "verify", "-db", filepath.Join(t.TempDir(), "none.db")}},
		{"malformed -expect", "-expect:", []string{"audit", "verify", "-expect", "5:abc"}},
		{"no sub-command", "usage: concord audit verify", []string{"audit"}},
		{"unknown sub-command", "usage: concord audit verify", []string{"audit", "repair"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := cliRun(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %v, want %q", err, tc.err)
			}
		})
	}
}
