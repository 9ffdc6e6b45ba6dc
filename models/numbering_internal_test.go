package models

import (
	"context"
	"maps"
	"testing"

	"concord/internal/testdb"
)

// TestMigrateNumbersQuestions checks the backfill of question numbers: a
// database whose questions have no number (0) gets them on migration, in
// questionnaire order (section order, then question order) per
// consultation, after any number already given; numbered questions keep
// theirs and a second migration changes nothing.
func TestMigrateNumbersQuestions(t *testing.T) {
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
	q := func(c *Consultation, key, section string) uint {
		t.Helper()
		created, err := s.CreateQuestion(ctx, c.ID, QuestionInput{Key: key, Section: section, Kind: KindText, Text: key + "?"}, 1)
		if err != nil {
			t.Fatal(err)
		}
		return created.ID
	}
	a, b := mk("alpha"), mk("bravo")
	// alpha: section One holds a1, a2; section Two holds a3. Moving a2 up
	// puts it first, so questionnaire order is a2, a1, a3.
	q(a, "a1", "One")
	a2 := q(a, "a2", "One")
	q(a, "a3", "Two")
	if err := s.MoveQuestion(ctx, a2, true); err != nil {
		t.Fatal(err)
	}
	q(b, "b1", "Only")
	q(b, "b2", "Only")
	q(b, "b3", "Only")

	numbers := func() map[string]int {
		t.Helper()
		var qs []Question
		if err := s.r.WithContext(ctx).Find(&qs).Error; err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, q := range qs {
			out[q.Key] = q.Number
		}
		return out
	}
	unnumber := func(keys ...string) {
		t.Helper()
		if err := s.w.WithContext(ctx).Exec("UPDATE questions SET number = 0 WHERE key IN ?", keys).Error; err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name     string
		unnumber []string
		want     map[string]int
	}{
		{"every question unnumbered", []string{"a1", "a2", "a3", "b1", "b2", "b3"},
			map[string]int{"a2": 1, "a1": 2, "a3": 3, "b1": 1, "b2": 2, "b3": 3}},
		{"some unnumbered: they follow the highest number", []string{"a2", "b1"},
			map[string]int{"a1": 2, "a3": 3, "a2": 4, "b2": 2, "b3": 3, "b1": 4}},
		{"nothing unnumbered: nothing changes", nil,
			map[string]int{"a1": 2, "a3": 3, "a2": 4, "b2": 2, "b3": 3, "b1": 4}},
	}
	for _, st := range steps {
		if len(st.unnumber) > 0 {
			unnumber(st.unnumber...)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := numbers(); !maps.Equal(got, st.want) {
			t.Errorf("%s: numbers %v, want %v", st.name, got, st.want)
		}
	}
}
