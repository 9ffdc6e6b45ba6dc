package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"concord/models"
)

// submit saves answers of a member through the form path and fails the
// test on an error.
func submit(t *testing.T, s *models.Store, c *models.Consultation, member string, by uint, inputs ...models.PositionInput) models.SubmitResult {
	t.Helper()
	res, err := s.SubmitPositions(context.Background(), models.Submission{ConsultationID: c.ID,
		MemberID: mustMember(t, s, member).ID, UserID: by, Source: models.SourceForm, Inputs: inputs})
	if err != nil {
		t.Fatalf("submit for %s: %v", member, err)
	}
	return res
}

// preferredOf returns the preferred point of each member's current position
// on a question in a round, by member code.
func preferredOf(t *testing.T, s *models.Store, c *models.Consultation, round int, key string) map[string]int {
	t.Helper()
	cur, err := s.CurrentPositions(context.Background(), c.ID, round)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range cur {
		if r.QuestionKey == key {
			out[r.MemberCode] = r.Preferred
		}
	}
	return out
}

func TestOpenNextRound(t *testing.T) {
	ctx := context.Background()
	tomorrow := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	past := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) // the test clock
	tests := []struct {
		name     string
		status   string // the consultation's status before
		deadline *time.Time
		wantErr  string // "conflict", "deadline" or ""
	}{
		{"open, with a deadline", models.StatusOpen, &tomorrow, ""},
		{"open, without a deadline", models.StatusOpen, nil, ""},
		{"closed consultation reopens in the new round", models.StatusClosed, &tomorrow, ""},
		{"draft refused", models.StatusDraft, &tomorrow, "conflict"},
		{"deadline in the past refused", models.StatusOpen, &past, "deadline"},
		{"deadline now refused", models.StatusOpen, &now, "deadline"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := freshStore(t)
			fac := mustUser(t, s, "fac", models.RoleFacilitator, "")
			c := openConsultation(t, s, "c", fac.ID, scale("q1", "a", "b", "c"))
			old := time.Date(2026, 3, 10, 17, 0, 0, 0, time.UTC)
			if err := s.UpdateConsultation(ctx, c.ID, models.ConsultationInput{Title: c.Title, Deadline: "2026-03-10T17:00"}, fac.ID); err != nil {
				t.Fatal(err)
			}
			switch tc.status {
			case models.StatusClosed:
				if err := s.SetStatus(ctx, c.ID, models.StatusClosed, fac.ID); err != nil {
					t.Fatal(err)
				}
			case models.StatusDraft:
				d, err := s.CreateConsultation(ctx, models.ConsultationInput{Key: "d", Title: "Draft"}, fac.ID)
				if err != nil {
					t.Fatal(err)
				}
				c = d
			}
			before := countAuditEvents(t, s, models.AuditRoundOpened)
			got, err := s.OpenNextRound(ctx, c.ID, tc.deadline, fac.ID)
			switch tc.wantErr {
			case "conflict":
				var conflict *models.ConflictError
				if !errors.As(err, &conflict) || !strings.Contains(conflict.Message, "draft") {
					t.Fatalf("err = %v, want a conflict explaining the draft", err)
				}
			case "deadline":
				var verr *models.ValidationError
				if !errors.As(err, &verr) || verr.Fields["deadline"] == "" {
					t.Fatalf("err = %v, want a message on the deadline", err)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
			}
			reloaded, rerr := s.ConsultationByID(ctx, c.ID)
			if rerr != nil {
				t.Fatal(rerr)
			}
			rounds, rerr := s.Rounds(ctx, c.ID)
			if rerr != nil {
				t.Fatal(rerr)
			}
			if tc.wantErr != "" {
				if reloaded.Round != 1 || len(rounds) != 1 || rounds[0].ClosedAt != nil {
					t.Errorf("refused, yet round %d with %d round(s) recorded", reloaded.Round, len(rounds))
				}
				if n := countAuditEvents(t, s, models.AuditRoundOpened); n != before {
					t.Errorf("%d round audit events, want %d", n, before)
				}
				return
			}
			if got.Round != 2 || reloaded.Round != 2 || reloaded.Status != models.StatusOpen {
				t.Errorf("round %d (returned %d), status %s; want round 2, open", reloaded.Round, got.Round, reloaded.Status)
			}
			if !sameTime(reloaded.Deadline, tc.deadline) {
				t.Errorf("deadline %v, want %v", reloaded.Deadline, tc.deadline)
			}
			if len(rounds) != 2 {
				t.Fatalf("%d rounds recorded, want 2", len(rounds))
			}
			r1, r2 := rounds[0], rounds[1]
			if r1.Number != 1 || r1.ClosedAt == nil || !r1.ClosedAt.Equal(now) || !sameTime(r1.Deadline, &old) {
				t.Errorf("round 1 = %+v, want closed now with the old deadline %v", r1, old)
			}
			if r2.Number != 2 || r2.ClosedAt != nil || !r2.OpenedAt.Equal(now) || !sameTime(r2.Deadline, tc.deadline) ||
				r2.OpenedBy == nil || *r2.OpenedBy != fac.ID {
				t.Errorf("round 2 = %+v, want open since now, opened by %d, deadline %v", r2, fac.ID, tc.deadline)
			}
			if n := countAuditEvents(t, s, models.AuditRoundOpened); n != before+1 {
				t.Errorf("%d round audit events, want %d", n, before+1)
			}
		})
	}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// TestNextRoundFreezesPreviousPositions: once round 2 is open, a save lands
// in round 2 and round 1's current positions stay as they were; a question
// added in round 2 has no round-1 positions.
func TestNextRoundFreezesPreviousPositions(t *testing.T) {
	ctx := context.Background()
	s, _ := freshStore(t)
	fac := mustUser(t, s, "fac", models.RoleFacilitator, "")
	c := openConsultation(t, s, "c", fac.ID, scale("q1", "a", "b", "c", "d", "e"))
	submit(t, s, c, "EST", fac.ID, models.PositionInput{QuestionKey: "q1", Preferred: 2})
	submit(t, s, c, "LVA", fac.ID, models.PositionInput{QuestionKey: "q1", Preferred: 5})
	c, err := s.OpenNextRound(ctx, c.ID, nil, fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateQuestion(ctx, c.ID, scale("q2", "a", "b", "c"), fac.ID); err != nil {
		t.Fatalf("adding a question in round 2: %v", err)
	}
	submit(t, s, c, "EST", fac.ID, models.PositionInput{QuestionKey: "q1", Preferred: 4},
		models.PositionInput{QuestionKey: "q2", Preferred: 1})

	tests := []struct {
		name  string
		round int
		key   string
		want  map[string]int
	}{
		{"round 1 as it was", 1, "q1", map[string]int{"EST": 2, "LVA": 5}},
		{"round 2 holds the new save only", 2, "q1", map[string]int{"EST": 4}},
		{"the new question answered in round 2", 2, "q2", map[string]int{"EST": 1}},
		{"the new question has no round-1 positions", 1, "q2", map[string]int{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := preferredOf(t, s, c, tc.round, tc.key)
			if len(got) != len(tc.want) {
				t.Fatalf("positions %v, want %v", got, tc.want)
			}
			for m, p := range tc.want {
				if got[m] != p {
					t.Errorf("%s: %d, want %d", m, got[m], p)
				}
			}
		})
	}
	hist, err := s.History(ctx, c.ID, mustMember(t, s, "EST").ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range hist {
		if r.SubmittedAt.IsZero() || (r.QuestionKey == "q2" && r.Round != 2) {
			t.Errorf("revision %+v", r.Revision)
		}
	}
}

// TestKeepPreviousAnswer: Keep copies the member's answer of the previous
// round (values, rationale, conditions) into the current round; it is
// refused in round 1, without a previous answer, and beside another value.
func TestKeepPreviousAnswer(t *testing.T) {
	ctx := context.Background()
	s, _ := freshStore(t)
	fac := mustUser(t, s, "fac", models.RoleFacilitator, "")
	c := openConsultation(t, s, "c", fac.ID, scale("q1", "a", "b", "c", "d", "e"), scale("q2", "a", "b", "c"),
		models.QuestionInput{Key: "ch", Section: "Posture", Kind: models.KindChoice, Text: "Which?", Options: []string{"x", "y", "z"}})
	est := mustMember(t, s, "EST")
	keep := func(key string) models.PositionInput { return models.PositionInput{QuestionKey: key, Keep: true} }

	_, err := s.SubmitPositions(ctx, models.Submission{ConsultationID: c.ID, MemberID: est.ID, UserID: fac.ID,
		Source: models.SourceForm, Inputs: []models.PositionInput{keep("q1")}})
	var se *models.SubmissionError
	if !errors.As(err, &se) || !strings.Contains(se.Questions["q1"][models.FieldKeep], "first round") {
		t.Fatalf("keep in round 1: err = %v, want a message on keep", err)
	}

	submit(t, s, c, "EST", fac.ID,
		models.PositionInput{QuestionKey: "q1", Preferred: 2, AcceptMin: 1, AcceptMax: 3, Importance: models.ImportanceHigh,
			Rationale: "Because.", Conditions: "Provided the Act is suspended, not terminated."},
		models.PositionInput{QuestionKey: "ch", Option: 1, AcceptOptions: []int{3}})
	c, err = s.OpenNextRound(ctx, c.ID, nil, fac.ID)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		inputs    []models.PositionInput
		problems  map[string]string // question key → field with a message
		changed   int
		unchanged int
	}{
		{"no previous answer", []models.PositionInput{keep("q2")}, map[string]string{"q2": models.FieldKeep}, 0, 0},
		{"keep and a value", []models.PositionInput{{QuestionKey: "q1", Keep: true, Preferred: 3}}, map[string]string{"q1": models.FieldKeep}, 0, 0},
		{"keep and withdraw", []models.PositionInput{{QuestionKey: "q1", Keep: true, Withdrawn: true}}, map[string]string{"q1": models.FieldKeep}, 0, 0},
		{"keep copies the answers", []models.PositionInput{keep("q1"), keep("ch")}, nil, 2, 0},
		{"keeping again changes nothing", []models.PositionInput{keep("q1")}, nil, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := s.SubmitPositions(ctx, models.Submission{ConsultationID: c.ID, MemberID: est.ID, UserID: fac.ID,
				Source: models.SourceAPI, Inputs: tc.inputs})
			if tc.problems != nil {
				var se *models.SubmissionError
				if !errors.As(err, &se) {
					t.Fatalf("err = %v, want a SubmissionError", err)
				}
				for key, field := range tc.problems {
					if se.Questions[key][field] == "" {
						t.Errorf("no message on %s of %s: %v", field, key, se.Questions)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Changed != tc.changed || res.Unchanged != tc.unchanged {
				t.Errorf("changed %d unchanged %d, want %d %d", res.Changed, res.Unchanged, tc.changed, tc.unchanged)
			}
		})
	}
	round2, err := s.MemberPositions(ctx, c.ID, 2, est.ID)
	if err != nil {
		t.Fatal(err)
	}
	round1, err := s.MemberPositions(ctx, c.ID, 1, est.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(round2) != 2 {
		t.Fatalf("%d round-2 positions, want 2", len(round2))
	}
	for qid, kept := range round2 {
		was := round1[qid]
		if !kept.SameAnswer(&was.Revision) || kept.Round != 2 || kept.Source != models.SourceAPI || kept.Seq != 1 {
			t.Errorf("kept %+v, want a round-2 API copy of %+v", kept.Revision, was.Revision)
		}
	}
}
