package models_test

import (
	"context"
	"strings"
	"testing"

	"concord/models"
)

// describeQuestionnaire writes a questionnaire as "Section[key: text] …",
// in order.
func describeQuestionnaire(t *testing.T, s *models.Store, consultationID uint) string {
	t.Helper()
	qn, err := s.Questionnaire(context.Background(), consultationID)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, g := range qn.BySection(true) {
		b.WriteString(g.Section.Title + "[")
		for i, q := range g.Questions {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(q.Key + ": " + q.Text)
		}
		b.WriteString("] ")
	}
	return strings.TrimSpace(b.String())
}

// Store.Questionnaire is cached by questionnaire version: every change of
// a question or a section, made by another store on the same database
// included, is seen at the next call, and what a caller does with its copy
// never reaches the next caller.
func TestQuestionnaireFollowsEveryChange(t *testing.T) {
	ctx := context.Background()
	a, b, _ := twoStores(t)
	fac := mustUser(t, a, "fran", models.RoleFacilitator, "")
	c, err := a.CreateConsultation(ctx, models.ConsultationInput{Key: "cache", Title: "Cache"}, fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	q1 := models.QuestionInput{Key: "q1", Section: "Posture", Kind: models.KindScale, Text: "Q1?", Labels: []string{"a", "b", "c"}}
	q2 := models.QuestionInput{Key: "q2", Section: "Treaties", Kind: models.KindScale, Text: "Q2?", Labels: []string{"a", "b", "c"}}
	first, err := a.CreateQuestion(ctx, c.ID, q1, fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateQuestion(ctx, c.ID, q2, fac.ID); err != nil {
		t.Fatal(err)
	}
	if got, want := describeQuestionnaire(t, a, c.ID), "Posture[q1: Q1?] Treaties[q2: Q2?]"; got != want {
		t.Fatalf("questionnaire %q, want %q", got, want)
	}
	qn, err := a.Questionnaire(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	posture, treaties := qn.Sections[0].ID, qn.Sections[1].ID

	// A caller scribbling on its copy changes nothing for the next.
	qn.Questions[0].Text, qn.Sections[0].Title = "scribbled", "scribbled"
	if got, want := describeQuestionnaire(t, a, c.ID), "Posture[q1: Q1?] Treaties[q2: Q2?]"; got != want {
		t.Fatalf("after a caller changed its copy: %q, want %q", got, want)
	}

	reworded := q1
	reworded.Text = "Reworded Q1?"
	for _, step := range []struct {
		name   string
		change func() error
		want   string
	}{
		{"a question reworded", func() error { return b.UpdateQuestion(ctx, first.ID, reworded, fac.ID) },
			"Posture[q1: Reworded Q1?] Treaties[q2: Q2?]"},
		{"a section renamed", func() error { return b.RenameSection(ctx, posture, "Force posture", fac.ID) },
			"Force posture[q1: Reworded Q1?] Treaties[q2: Q2?]"},
		{"sections swapped", func() error { return b.MoveSection(ctx, treaties, true) },
			"Treaties[q2: Q2?] Force posture[q1: Reworded Q1?]"},
		{"a question added", func() error {
			_, err := b.CreateQuestion(ctx, c.ID, models.QuestionInput{Key: "q3", Section: "Treaties", Kind: models.KindText, Text: "Q3?"}, fac.ID)
			return err
		}, "Treaties[q2: Q2?, q3: Q3?] Force posture[q1: Reworded Q1?]"},
	} {
		describeQuestionnaire(t, a, c.ID) // cached before the change
		if err := step.change(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if got := describeQuestionnaire(t, a, c.ID); got != step.want {
			t.Errorf("after %s, the other store reads %q, want %q", step.name, got, step.want)
		}
	}
}
