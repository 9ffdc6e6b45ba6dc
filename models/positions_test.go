package models_test

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"concord/models"
)

func question(kind string, list ...string) *models.Question {
	q := &models.Question{Key: "q", Kind: kind}
	switch kind {
	case models.KindScale:
		q.SetPoints(list)
	case models.KindChoice:
		q.SetChoices(list)
	}
	return q
}

func TestPositionInputNormalize(t *testing.T) {
	scaleQ := question(models.KindScale, "a", "b", "c", "d", "e")
	tests := []struct {
		name string
		q    *models.Question
		in   models.PositionInput
		want models.PositionInput
	}{
		{"scale: range and importance default", scaleQ,
			models.PositionInput{Preferred: 3},
			models.PositionInput{Preferred: 3, AcceptMin: 3, AcceptMax: 3, Importance: models.ImportanceMedium}},
		{"scale: given values kept", scaleQ,
			models.PositionInput{Preferred: 3, AcceptMin: 1, AcceptMax: 5, Importance: models.ImportanceRedLine},
			models.PositionInput{Preferred: 3, AcceptMin: 1, AcceptMax: 5, Importance: models.ImportanceRedLine}},
		{"scale: only the missing end defaults", scaleQ,
			models.PositionInput{Preferred: 2, AcceptMax: 4},
			models.PositionInput{Preferred: 2, AcceptMin: 2, AcceptMax: 4, Importance: models.ImportanceMedium}},
		{"scale: nothing preferred stays nothing", scaleQ,
			models.PositionInput{Rationale: "why"},
			models.PositionInput{Rationale: "why", Importance: models.ImportanceMedium}},
		{"choice: the chosen option is acceptable", question(models.KindChoice, "x", "y"),
			models.PositionInput{Option: 2},
			models.PositionInput{Option: 2, AcceptOptions: []int{2}}},
		{"choice: acceptable options sorted, chosen added, repeats dropped", question(models.KindChoice, "x", "y", "z"),
			models.PositionInput{Option: 2, AcceptOptions: []int{3, 1, 3}},
			models.PositionInput{Option: 2, AcceptOptions: []int{1, 2, 3}}},
		{"withdrawal untouched", scaleQ,
			models.PositionInput{Withdrawn: true},
			models.PositionInput{Withdrawn: true}},
		{"text untouched", question(models.KindText),
			models.PositionInput{Answer: "free"},
			models.PositionInput{Answer: "free"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.in.Normalize(tc.q); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Normalize = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestPositionInputEmpty(t *testing.T) {
	tests := []struct {
		name string
		in   models.PositionInput
		want bool
	}{
		{"nothing", models.PositionInput{QuestionKey: "q"}, true},
		{"importance alone", models.PositionInput{QuestionKey: "q", Importance: "high"}, true},
		{"preferred", models.PositionInput{Preferred: 1}, false},
		{"range end", models.PositionInput{AcceptMax: 2}, false},
		{"option", models.PositionInput{Option: 1}, false},
		{"answer", models.PositionInput{Answer: "x"}, false},
		{"rationale", models.PositionInput{Rationale: "x"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.in.Empty(); got != tc.want {
				t.Errorf("Empty = %t, want %t", got, tc.want)
			}
		})
	}
}

func TestCheckPosition(t *testing.T) {
	s, _ := freshStore(t)
	five := question(models.KindScale, "1", "2", "3", "4", "5")
	choice := question(models.KindChoice, "Keep", "Suspend", "Void")
	text := question(models.KindText)
	broken := question(models.KindScale, "only", "two")
	long := strings.Repeat("é", models.MaxRationale+1)
	limit := strings.Repeat("é", models.MaxRationale)
	tests := []struct {
		name string
		q    *models.Question
		in   models.PositionInput
		want map[string]string
	}{
		{"scale valid", five, models.PositionInput{Preferred: 3, AcceptMin: 2, AcceptMax: 5, Importance: "high", Rationale: "ok"}, nil},
		{"scale valid with defaults", five, models.PositionInput{Preferred: 5}, nil},
		{"scale red line", five, models.PositionInput{Preferred: 1, Importance: "red line"}, nil},
		{"scale rationale at the limit", five, models.PositionInput{Preferred: 1, Rationale: limit}, nil},
		{"scale nothing preferred", five, models.PositionInput{Rationale: "why"},
			map[string]string{"preferred": "Choose a preferred point."}},
		// The default range derived from a wrong point adds no second message.
		{"scale preferred above the scale", five, models.PositionInput{Preferred: 6},
			map[string]string{"preferred": "Choose a point between 1 and 5."}},
		{"scale preferred negative", five, models.PositionInput{Preferred: -2, AcceptMin: 1, AcceptMax: 1},
			map[string]string{"preferred": "Choose a point between 1 and 5.",
				"acceptable_min": "The lowest acceptable point must be at or below the preferred point."}},
		{"scale range starts above preferred", five, models.PositionInput{Preferred: 3, AcceptMin: 4, AcceptMax: 5},
			map[string]string{"acceptable_min": "The lowest acceptable point must be at or below the preferred point."}},
		{"scale range ends below preferred", five, models.PositionInput{Preferred: 3, AcceptMin: 1, AcceptMax: 2},
			map[string]string{"acceptable_max": "The highest acceptable point must be at or above the preferred point."}},
		{"scale range but no preferred point", five, models.PositionInput{AcceptMin: 2, AcceptMax: 4},
			map[string]string{"preferred": "Choose a preferred point.",
				"acceptable_min": "The lowest acceptable point must be at or below the preferred point."}},
		{"scale range beyond the scale", five, models.PositionInput{Preferred: 3, AcceptMin: 1, AcceptMax: 9},
			map[string]string{"acceptable_max": "The highest acceptable point must be at most 5."}},
		{"scale unknown importance", five, models.PositionInput{Preferred: 3, Importance: "urgent"},
			map[string]string{"importance": "Choose low, medium, high or red line."}},
		{"scale importance in capitals", five, models.PositionInput{Preferred: 3, Importance: "High"},
			map[string]string{"importance": "Choose low, medium, high or red line."}},
		{"scale rationale too long", five, models.PositionInput{Preferred: 3, Rationale: long},
			map[string]string{"rationale": "The rationale must be at most 4000 characters."}},
		{"scale question misconfigured", broken, models.PositionInput{Preferred: 1},
			map[string]string{"": "This question is misconfigured; tell the facilitator."}},
		{"choice valid", choice, models.PositionInput{Option: 3, Rationale: "because"}, nil},
		{"choice nothing chosen", choice, models.PositionInput{Rationale: "because"},
			map[string]string{"option": "Choose one of the options."}},
		{"choice unknown option", choice, models.PositionInput{Option: 4},
			map[string]string{"option": "Choose one of the options."}},
		{"choice rationale too long", choice, models.PositionInput{Option: 1, Rationale: long},
			map[string]string{"rationale": "The rationale must be at most 4000 characters."}},
		{"text valid", text, models.PositionInput{Answer: limit}, nil},
		{"text empty", text, models.PositionInput{Answer: ""},
			map[string]string{"answer_text": "Write an answer, or leave the question for later."}},
		{"text too long", text, models.PositionInput{Answer: long},
			map[string]string{"answer_text": "The answer must be at most 4000 characters."}},
		{"scale rationale in another encoding", five, models.PositionInput{Preferred: 3, Rationale: "Position de la d\xe9l\xe9gation"},
			map[string]string{"rationale": "The rationale contains characters that are not valid text."}},
		{"scale rationale with a control character", five, models.PositionInput{Preferred: 3, Rationale: "see\x00annex"},
			map[string]string{"rationale": "The rationale contains characters that are not valid text."}},
		{"scale rationale with tabs and line breaks", five, models.PositionInput{Preferred: 3, Rationale: "first\tsecond\r\nthird\n"}, nil},
		{"choice rationale in another encoding", choice, models.PositionInput{Option: 1, Rationale: "\xff\xfe"},
			map[string]string{"rationale": "The rationale contains characters that are not valid text."}},
		{"text answer in another encoding", text, models.PositionInput{Answer: "T\xfcrkiye"},
			map[string]string{"answer_text": "The answer contains characters that are not valid text."}},
		{"text answer with an escape character", text, models.PositionInput{Answer: "\x1b[31mred"},
			map[string]string{"answer_text": "The answer contains characters that are not valid text."}},
		{"unknown kind", &models.Question{Kind: "ranking"}, models.PositionInput{Preferred: 1},
			map[string]string{"": "Unknown question kind."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := s.Check(tc.in.Normalize(tc.q), tc.q)
			if !maps.Equal(got, tc.want) {
				t.Errorf("Check = %q, want %q", got, tc.want)
			}
		})
	}
}

// submitEnv is a store with an open consultation of a five-point scale,
// a choice and a text question, and a delegate of Estonia.
func submitEnv(t *testing.T) (*models.Store, *fixedClock, *models.Consultation, *models.User) {
	t.Helper()
	s, clock := freshStore(t)
	fac := mustUser(t, s, "fran", models.RoleFacilitator, "")
	c := openConsultation(t, s, "review", fac.ID,
		scale("posture", "1", "2", "3", "4", "5"),
		models.QuestionInput{Key: "treaty", Section: "Treaties", Kind: models.KindChoice, Text: "Treaty?", Options: []string{"Keep", "Void"}},
		models.QuestionInput{Key: "notes", Section: "Remarks", Kind: models.KindText, Text: "Notes?"})
	d := mustUser(t, s, "kadri", models.RoleDelegate, "EST")
	return s, clock, c, d
}

func TestSubmitPositionsAllOrNothing(t *testing.T) {
	valid := []models.PositionInput{
		{QuestionKey: "posture", Preferred: 4, Rationale: "firm"},
		{QuestionKey: "treaty", Option: 2},
		{QuestionKey: "notes", Answer: "none", Rationale: "dropped for text"},
	}
	tests := []struct {
		name     string
		inputs   []models.PositionInput
		wantErr  error                        // errors.Is target, or nil
		wantBad  map[string]map[string]string // SubmissionError contents
		wantSave int
	}{
		{name: "all valid", inputs: valid, wantSave: 3},
		{name: "one valid, one invalid", inputs: []models.PositionInput{valid[0], {QuestionKey: "treaty", Option: 3}},
			wantBad: map[string]map[string]string{"treaty": {"option": "Choose one of the options."}}},
		{name: "invalid first, valid after", inputs: []models.PositionInput{{QuestionKey: "posture", Preferred: 9, AcceptMax: 5, AcceptMin: 1}, valid[1], valid[2]},
			wantBad: map[string]map[string]string{"posture": {"preferred": "Choose a point between 1 and 5.",
				"acceptable_max": "The highest acceptable point must be at or above the preferred point."}}},
		{name: "same question twice", inputs: []models.PositionInput{valid[0], valid[0]},
			wantBad: map[string]map[string]string{"posture": {"": "This question is answered twice."}}},
		{name: "unknown question", inputs: []models.PositionInput{valid[0], {QuestionKey: "ghost", Preferred: 1}},
			wantErr: models.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _, c, d := submitEnv(t)
			ctx := context.Background()
			events := countAuditEvents(t, s, models.AuditPosition)
			res, err := s.SubmitPositions(ctx, models.Submission{ConsultationID: c.ID, MemberID: *d.MemberID,
				UserID: d.ID, Source: models.SourceForm, Inputs: tc.inputs})
			var serr *models.SubmissionError
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
			case tc.wantBad != nil:
				if !errors.As(err, &serr) {
					t.Fatalf("err = %v, want a SubmissionError", err)
				}
				if len(serr.Questions) != len(tc.wantBad) {
					t.Errorf("problems %q, want %q", serr.Questions, tc.wantBad)
				}
				for k, want := range tc.wantBad {
					if !maps.Equal(serr.Questions[k], want) {
						t.Errorf("problems of %s: %q, want %q", k, serr.Questions[k], want)
					}
				}
			case err != nil:
				t.Fatal(err)
			}
			if res.Changed != tc.wantSave {
				t.Errorf("Changed = %d, want %d", res.Changed, tc.wantSave)
			}
			if n := countRevisions(t, s, c.ID); n != tc.wantSave {
				t.Errorf("%d revisions stored, want %d", n, tc.wantSave)
			}
			if n := countAuditEvents(t, s, models.AuditPosition) - events; n != tc.wantSave {
				t.Errorf("%d position events recorded, want %d", n, tc.wantSave)
			}
		})
	}
}

func TestSubmitPositionsWindow(t *testing.T) {
	ctx := context.Background()
	in := []models.PositionInput{{QuestionKey: "posture", Preferred: 2}}
	t.Run("closed", func(t *testing.T) {
		s, _, c, d := submitEnv(t)
		if err := s.SetStatus(ctx, c.ID, models.StatusClosed, d.ID); err != nil {
			t.Fatal(err)
		}
		sub := models.Submission{ConsultationID: c.ID, MemberID: *d.MemberID, UserID: d.ID, Source: models.SourceForm, Inputs: in}
		if _, err := s.SubmitPositions(ctx, sub); !errors.Is(err, models.ErrClosed) {
			t.Fatalf("err = %v, want ErrClosed", err)
		}
		if n := countRevisions(t, s, c.ID); n != 0 {
			t.Errorf("%d revisions in a closed consultation", n)
		}
		sub.IgnoreWindow, sub.Source = true, models.SourceImport
		if _, err := s.SubmitPositions(ctx, sub); err != nil {
			t.Fatalf("seeding a closed consultation with the window ignored: %v", err)
		}
		if n := countRevisions(t, s, c.ID); n != 1 {
			t.Errorf("%d revisions after the import, want 1", n)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		s, clock, c, d := submitEnv(t)
		deadline := clock.Now().Add(time.Hour).Format(models.DeadlineLayout)
		if err := s.UpdateConsultation(ctx, c.ID, models.ConsultationInput{Title: c.Title, Deadline: deadline}, d.ID); err != nil {
			t.Fatal(err)
		}
		sub := models.Submission{ConsultationID: c.ID, MemberID: *d.MemberID, UserID: d.ID, Source: models.SourceForm, Inputs: in}
		if _, err := s.SubmitPositions(ctx, sub); err != nil {
			t.Fatalf("before the deadline: %v", err)
		}
		clock.advance(time.Hour)
		sub.Inputs = []models.PositionInput{{QuestionKey: "posture", Preferred: 3}}
		if _, err := s.SubmitPositions(ctx, sub); !errors.Is(err, models.ErrClosed) {
			t.Fatalf("at the deadline: err = %v, want ErrClosed", err)
		}
		if n := countRevisions(t, s, c.ID); n != 1 {
			t.Errorf("%d revisions, want the one before the deadline", n)
		}
	})
	t.Run("unknown consultation", func(t *testing.T) {
		s, _, _, d := submitEnv(t)
		_, err := s.SubmitPositions(ctx, models.Submission{ConsultationID: 999, MemberID: *d.MemberID, UserID: d.ID, Inputs: in})
		if !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
}

func TestSubmitPositionsRevisions(t *testing.T) {
	s, _, c, d := submitEnv(t)
	ctx := context.Background()
	submit := func(in ...models.PositionInput) models.SubmitResult {
		t.Helper()
		res, err := s.SubmitPositions(ctx, models.Submission{ConsultationID: c.ID, MemberID: *d.MemberID,
			UserID: d.ID, Source: models.SourceForm, Inputs: in})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	steps := []struct {
		name          string
		in            []models.PositionInput
		changed, same int
	}{
		{"first answers", []models.PositionInput{{QuestionKey: "posture", Preferred: 2}, {QuestionKey: "notes", Answer: "a"}}, 2, 0},
		{"same again, with the defaults spelt out", []models.PositionInput{
			{QuestionKey: "posture", Preferred: 2, AcceptMin: 2, AcceptMax: 2, Importance: "medium"},
			{QuestionKey: "notes", Answer: "a"}}, 0, 2},
		{"text rationale is ignored", []models.PositionInput{{QuestionKey: "notes", Answer: "a", Rationale: "extra"}}, 0, 1},
		{"a new rationale is a change", []models.PositionInput{{QuestionKey: "posture", Preferred: 2, Rationale: "new"}}, 1, 0},
		{"importance is a change", []models.PositionInput{{QuestionKey: "posture", Preferred: 2, Rationale: "new", Importance: "low"}}, 1, 0},
		{"back to an earlier answer is a change", []models.PositionInput{{QuestionKey: "posture", Preferred: 2}}, 1, 0},
	}
	for _, st := range steps {
		res := submit(st.in...)
		if res.Changed != st.changed || res.Unchanged != st.same {
			t.Errorf("%s: changed %d unchanged %d, want %d and %d", st.name, res.Changed, res.Unchanged, st.changed, st.same)
		}
	}
	revs, err := s.History(ctx, c.ID, *d.MemberID)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int
	for _, r := range revs {
		if r.QuestionKey == "posture" {
			seqs = append(seqs, r.Seq)
		}
		if r.QuestionKey == "notes" && r.Rationale != "" {
			t.Errorf("a text answer kept a rationale: %q", r.Rationale)
		}
		if r.SubmitterUser != "kadri" || r.MemberCode != "EST" || r.Source != models.SourceForm {
			t.Errorf("revision attributed to %q/%q/%q", r.SubmitterUser, r.MemberCode, r.Source)
		}
	}
	if want := []int{1, 2, 3, 4}; !equalInts(seqs, want) {
		t.Errorf("posture sequence %v, want %v", seqs, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCurrentPositionsLatestRevision(t *testing.T) {
	s, _, c, d := submitEnv(t)
	ctx := context.Background()
	lva := mustUser(t, s, "liga", models.RoleDelegate, "LVA")
	save := func(u *models.User, in ...models.PositionInput) {
		t.Helper()
		if _, err := s.SubmitPositions(ctx, models.Submission{ConsultationID: c.ID, MemberID: *u.MemberID,
			UserID: u.ID, Source: models.SourceForm, Inputs: in}); err != nil {
			t.Fatal(err)
		}
	}
	save(d, models.PositionInput{QuestionKey: "posture", Preferred: 1}, models.PositionInput{QuestionKey: "treaty", Option: 1})
	save(lva, models.PositionInput{QuestionKey: "posture", Preferred: 5})
	save(d, models.PositionInput{QuestionKey: "posture", Preferred: 2})
	save(d, models.PositionInput{QuestionKey: "posture", Preferred: 4, AcceptMin: 3, AcceptMax: 5, Rationale: "final"})

	current, err := s.CurrentPositions(ctx, c.ID, c.Round)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		member, question string
		seq, pref, opt   int
	}
	var got []row
	for _, r := range current {
		got = append(got, row{r.MemberCode, r.QuestionKey, r.Seq, r.Preferred, r.Choice})
	}
	want := []row{
		{"EST", "posture", 3, 4, 0},
		{"EST", "treaty", 1, 0, 1},
		{"LVA", "posture", 1, 5, 0},
	}
	if len(got) != len(want) {
		t.Fatalf("current positions %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d: %+v, want %+v", i, got[i], want[i])
		}
	}

	mine, err := s.MemberPositions(ctx, c.ID, c.Round, *d.MemberID)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 2 {
		t.Fatalf("%d positions of EST, want 2", len(mine))
	}
	for _, r := range mine {
		if r.QuestionKey == "posture" && (r.Seq != 3 || r.Rationale != "final" || r.AcceptMax != 5) {
			t.Errorf("EST's current posture %+v", r.Revision)
		}
	}
	counts, err := s.AnsweredCounts(ctx, c.ID, c.Round)
	if err != nil {
		t.Fatal(err)
	}
	if counts[*d.MemberID] != 2 || counts[*lva.MemberID] != 1 || len(counts) != 2 {
		t.Errorf("answered counts %v", counts)
	}
	// Another round has nothing yet.
	if other, err := s.CurrentPositions(ctx, c.ID, c.Round+1); err != nil || len(other) != 0 {
		t.Errorf("round %d: %d positions, err %v", c.Round+1, len(other), err)
	}
}
