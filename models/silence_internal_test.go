package models

import (
	"context"
	"testing"
	"time"

	"concord/internal/testdb"
)

// TestOneRunningProcedurePerDraftIsStored: beside Circulate's own check, the
// database refuses a second running procedure on one draft, whoever writes
// it; ended procedures do not count.
func TestOneRunningProcedurePerDraftIsStored(t *testing.T) {
	ctx := context.Background()
	s, err := Open(testdb.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	row := func(draft uint, state string) error {
		return s.w.WithContext(ctx).Create(&Procedure{ConsultationID: 1, DraftID: draft, VersionID: 1, Version: 1,
			Hash: "h", Deadline: time.Now().UTC(), State: state, CreatedBy: 1, CreatedAt: time.Now().UTC()}).Error
	}
	for _, st := range []string{ProcedureAdopted, ProcedureCancelled, ProcedureRunning} {
		if err := row(7, st); err != nil {
			t.Fatalf("first %s procedure: %v", st, err)
		}
	}
	if err := row(7, ProcedureRunning); err == nil {
		t.Fatal("a second running procedure on the same draft was stored")
	}
	if err := row(8, ProcedureRunning); err != nil {
		t.Fatalf("a running procedure on another draft: %v", err)
	}
}
