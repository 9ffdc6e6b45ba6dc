package models

import (
	"context"
	"testing"

	"concord/internal/testdb"
)

// TestMigrateDropsSaveIndexes checks that Migrate drops the indexes that
// earlier versions made and every save paid for (the audit log's by
// account and by member, the revisions' by consultation, round, member and
// question), and keeps the others.
func TestMigrateDropsSaveIndexes(t *testing.T) {
	s := openTestStore(t, testdb.DSN(t))
	m := s.w.Migrator()
	for _, stmt := range []string{
		`CREATE INDEX idx_audit_events_user_id ON audit_events (user_id)`,
		`CREATE INDEX idx_audit_events_member_id ON audit_events (member_id)`,
		`CREATE INDEX idx_rev_current ON revisions (consultation_id, round, member_id, question_id)`,
	} {
		if err := s.w.Exec(stmt).Error; err != nil {
			t.Fatal(err)
		}
	}
	if !m.HasIndex(&AuditEvent{}, "idx_audit_events_user_id") {
		t.Fatal("the old index was not made")
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	for index, want := range map[string]bool{
		"idx_audit_events_user_id": false, "idx_audit_events_member_id": false,
		"idx_audit_events_at": true, "idx_audit_events_action": true,
	} {
		if got := m.HasIndex(&AuditEvent{}, index); got != want {
			t.Errorf("index %s present: %t, want %t", index, got, want)
		}
	}
	for index, want := range map[string]bool{"idx_rev_current": false, "idx_rev_consultation": true, "idx_rev_seq": true} {
		if got := m.HasIndex(&Revision{}, index); got != want {
			t.Errorf("index %s present: %t, want %t", index, got, want)
		}
	}
}
