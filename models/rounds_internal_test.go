package models

import (
	"context"
	"testing"

	"concord/internal/testdb"
)

// TestMigrateRecordsRounds checks the backfill of rounds: a consultation
// made before rounds were recorded gets rows for rounds 1 to its current
// one (the earlier ones closed), one with rows keeps them, and a second
// migration changes nothing.
func TestMigrateRecordsRounds(t *testing.T) {
	s := openTestStore(t, testdb.DSN(t))
	ctx := context.Background()
	mk := func(key string) *Consultation {
		t.Helper()
		c, err := s.CreateConsultation(ctx, ConsultationInput{Key: key, Title: key}, 1)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	old1, old3, recorded := mk("old-one"), mk("old-three"), mk("recorded")
	for _, c := range []*Consultation{old1, old3} {
		if err := s.w.Exec("DELETE FROM round_records WHERE consultation_id = ?", c.ID).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := s.w.Exec("UPDATE consultations SET round = 3 WHERE id = ?", old3.ID).Error; err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		c      *Consultation
		closed []bool // per round, first to last
		by     []bool // per round: OpenedBy recorded
	}{
		{"round 1 backfilled", old1, []bool{false}, []bool{false}},
		{"rounds 1 to 3 backfilled, earlier ones closed", old3, []bool{true, true, false}, []bool{false, false, false}},
		{"recorded at creation, untouched", recorded, []bool{false}, []bool{true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rounds, err := s.Rounds(ctx, tc.c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(rounds) != len(tc.closed) {
				t.Fatalf("%d rounds, want %d", len(rounds), len(tc.closed))
			}
			for i, r := range rounds {
				if r.Number != i+1 || (r.ClosedAt != nil) != tc.closed[i] || (r.OpenedBy != nil) != tc.by[i] {
					t.Errorf("round %d = %+v, want number %d closed %t opened by recorded %t", i, r, i+1, tc.closed[i], tc.by[i])
				}
			}
		})
	}
}
