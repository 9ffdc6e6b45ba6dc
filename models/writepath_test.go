package models_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"concord/models"
)

// answeredKeys returns the question keys of a member's current positions.
func answeredKeys(t *testing.T, s *models.Store, c *models.Consultation, memberID uint) map[string]bool {
	t.Helper()
	mine, err := s.MemberPositions(context.Background(), c.ID, c.Round, memberID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range mine {
		out[r.QuestionKey] = true
	}
	return out
}

// TestWithdrawPosition follows one member through answering, withdrawing,
// withdrawing again and answering again, checking every reader that counts
// answers: a withdrawn question is not answered anywhere, and the history
// keeps every revision.
func TestWithdrawPosition(t *testing.T) {
	s, _, c, d := submitEnv(t)
	ctx := context.Background()
	est := *d.MemberID
	submit := func(in ...models.PositionInput) models.SubmitResult {
		t.Helper()
		res, err := s.SubmitPositions(ctx, models.Submission{ConsultationID: c.ID, MemberID: est,
			UserID: d.ID, Source: models.SourceForm, Inputs: in})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// check asserts what the readers say: the answered question keys (EST's
	// current positions, and all current positions since EST is the only
	// one answering), the counts, the progress, the coverage grid and the
	// number of stored revisions.
	check := func(step string, want map[string]bool, revisions int) {
		t.Helper()
		if got := answeredKeys(t, s, c, est); !maps.Equal(got, want) {
			t.Errorf("%s: MemberPositions keys %v, want %v", step, got, want)
		}
		current, err := s.CurrentPositions(ctx, c.ID, c.Round)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, r := range current {
			if r.Withdrawn {
				t.Errorf("%s: CurrentPositions returned a withdrawn revision of %s", step, r.QuestionKey)
			}
			got[r.QuestionKey] = true
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: CurrentPositions keys %v, want %v", step, got, want)
		}
		counts, err := s.AnsweredCounts(ctx, c.ID, c.Round)
		if err != nil {
			t.Fatal(err)
		}
		if counts[est] != len(want) {
			t.Errorf("%s: AnsweredCounts[EST] = %d, want %d", step, counts[est], len(want))
		}
		progress, err := s.MemberProgress(ctx, est, models.StatusOpen)
		if err != nil {
			t.Fatal(err)
		}
		if len(progress) != 1 || progress[0].Answered != len(want) || progress[0].Total != 3 {
			t.Errorf("%s: MemberProgress %+v, want 1 consultation with %d of 3 answered", step, progress, len(want))
		}
		members, err := s.Members(ctx)
		if err != nil {
			t.Fatal(err)
		}
		qn, err := s.Questionnaire(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		grid := models.BuildCoverage(members, qn.Questions, current)
		if grid.Answered != len(want) {
			t.Errorf("%s: coverage counts %d cells answered, want %d", step, grid.Answered, len(want))
		}
		for _, row := range grid.Rows {
			if row.Member.Code != "EST" {
				continue
			}
			for i, q := range qn.Questions {
				if row.Answered[i] != want[q.Key] {
					t.Errorf("%s: coverage cell EST × %s = %t, want %t", step, q.Key, row.Answered[i], want[q.Key])
				}
			}
		}
		if n := countRevisions(t, s, c.ID); n != revisions {
			t.Errorf("%s: %d revisions stored, want %d", step, n, revisions)
		}
	}

	res := submit(models.PositionInput{QuestionKey: "posture", Preferred: 2, Rationale: "firm"},
		models.PositionInput{QuestionKey: "treaty", Option: 1})
	if res.Changed != 2 {
		t.Fatalf("first answers: changed %d, want 2", res.Changed)
	}
	check("answered", map[string]bool{"posture": true, "treaty": true}, 2)

	res = submit(models.PositionInput{QuestionKey: "posture", Withdrawn: true})
	if res.Changed != 1 || res.Unchanged != 0 {
		t.Errorf("withdrawal: changed %d unchanged %d, want 1 and 0", res.Changed, res.Unchanged)
	}
	check("withdrawn", map[string]bool{"treaty": true}, 3)

	res = submit(models.PositionInput{QuestionKey: "posture", Withdrawn: true},
		models.PositionInput{QuestionKey: "notes", Withdrawn: true})
	if res.Changed != 0 || res.Unchanged != 2 {
		t.Errorf("withdrawing nothing: changed %d unchanged %d, want 0 and 2", res.Changed, res.Unchanged)
	}
	check("withdrawn twice, never answered withdrawn", map[string]bool{"treaty": true}, 3)

	res = submit(models.PositionInput{QuestionKey: "posture", Preferred: 2, Rationale: "firm"})
	if res.Changed != 1 {
		t.Errorf("answering again: changed %d, want 1", res.Changed)
	}
	check("answered again", map[string]bool{"posture": true, "treaty": true}, 4)

	revs, err := s.History(ctx, c.ID, est)
	if err != nil {
		t.Fatal(err)
	}
	type step struct {
		seq       int
		preferred int
		withdrawn bool
		rationale string
	}
	var got []step
	for _, r := range revs {
		if r.QuestionKey == "posture" {
			got = append(got, step{r.Seq, r.Preferred, r.Withdrawn, r.Rationale})
		}
	}
	want := []step{{1, 2, false, "firm"}, {2, 0, true, ""}, {3, 2, false, "firm"}}
	if len(got) != len(want) {
		t.Fatalf("posture history %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("posture revision %d: %+v, want %+v", i+1, got[i], want[i])
		}
	}
}

func TestWithdrawWithAnswerRefused(t *testing.T) {
	s, _, c, d := submitEnv(t)
	_, err := s.SubmitPositions(context.Background(), models.Submission{ConsultationID: c.ID, MemberID: *d.MemberID,
		UserID: d.ID, Source: models.SourceForm,
		Inputs: []models.PositionInput{{QuestionKey: "posture", Preferred: 3, Withdrawn: true}}})
	var serr *models.SubmissionError
	if !errors.As(err, &serr) {
		t.Fatalf("err = %v, want a SubmissionError", err)
	}
	want := map[string]string{models.FieldWithdrawn: "Withdraw the answer or give one, not both."}
	if !maps.Equal(serr.Questions["posture"], want) {
		t.Errorf("problems %q, want %q", serr.Questions["posture"], want)
	}
	if n := countRevisions(t, s, c.ID); n != 0 {
		t.Errorf("%d revisions stored, want 0", n)
	}
}

// TestAcceptOptionsStored checks the stored form of the acceptable options
// ("1 3": ascending, the chosen option included) and that they take part in
// deciding whether an answer changed.
func TestAcceptOptionsStored(t *testing.T) {
	s, _ := freshStore(t)
	ctx := context.Background()
	fac := mustUser(t, s, "fran", models.RoleFacilitator, "")
	c := openConsultation(t, s, "opts", fac.ID, models.QuestionInput{Key: "treaty", Section: "Treaties",
		Kind: models.KindChoice, Text: "Treaty?", Options: []string{"Keep", "Suspend", "Void"}})
	d := mustUser(t, s, "kadri", models.RoleDelegate, "EST")
	steps := []struct {
		name      string
		in        models.PositionInput
		changed   int
		stored    string
		accepted  []int
		revisions int
	}{
		{"chosen with another acceptable", models.PositionInput{QuestionKey: "treaty", Option: 3, AcceptOptions: []int{1}}, 1, "1 3", []int{1, 3}, 1},
		{"same set given in another order, with the chosen repeated", models.PositionInput{QuestionKey: "treaty", Option: 3, AcceptOptions: []int{3, 1}}, 0, "1 3", []int{1, 3}, 1},
		{"the chosen alone is a change", models.PositionInput{QuestionKey: "treaty", Option: 3}, 1, "3", []int{3}, 2},
		{"a wider set is a change", models.PositionInput{QuestionKey: "treaty", Option: 3, AcceptOptions: []int{1, 2}}, 1, "1 2 3", []int{1, 2, 3}, 3},
	}
	for _, st := range steps {
		res, err := s.SubmitPositions(ctx, models.Submission{ConsultationID: c.ID, MemberID: *d.MemberID,
			UserID: d.ID, Source: models.SourceForm, Inputs: []models.PositionInput{st.in}})
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if res.Changed != st.changed {
			t.Errorf("%s: changed %d, want %d", st.name, res.Changed, st.changed)
		}
		mine, err := s.MemberPositions(ctx, c.ID, c.Round, *d.MemberID)
		if err != nil {
			t.Fatal(err)
		}
		if len(mine) != 1 {
			t.Fatalf("%s: %d positions, want 1", st.name, len(mine))
		}
		for _, r := range mine {
			if r.AcceptOptions != st.stored {
				t.Errorf("%s: stored %q, want %q", st.name, r.AcceptOptions, st.stored)
			}
			if got := r.AcceptedOptions(); !equalInts(got, st.accepted) {
				t.Errorf("%s: AcceptedOptions %v, want %v", st.name, got, st.accepted)
			}
		}
		if n := countRevisions(t, s, c.ID); n != st.revisions {
			t.Errorf("%s: %d revisions, want %d", st.name, n, st.revisions)
		}
	}
	// An acceptable option outside the question is refused.
	_, err := s.SubmitPositions(ctx, models.Submission{ConsultationID: c.ID, MemberID: *d.MemberID, UserID: d.ID,
		Source: models.SourceForm, Inputs: []models.PositionInput{{QuestionKey: "treaty", Option: 1, AcceptOptions: []int{4}}}})
	var serr *models.SubmissionError
	if !errors.As(err, &serr) {
		t.Fatalf("option 4 of 3: err = %v, want a SubmissionError", err)
	}
	if want := map[string]string{models.FieldAcceptOpts: "Acceptable options are numbered 1 to 3."}; !maps.Equal(serr.Questions["treaty"], want) {
		t.Errorf("option 4 of 3: problems %q, want %q", serr.Questions["treaty"], want)
	}
}

func TestRevisionSameAnswer(t *testing.T) {
	base := models.Revision{Choice: 1, AcceptOptions: "1 3", Rationale: "r"}
	tests := []struct {
		name  string
		other models.Revision
		want  bool
	}{
		{"identical", models.Revision{Choice: 1, AcceptOptions: "1 3", Rationale: "r"}, true},
		{"other acceptable options", models.Revision{Choice: 1, AcceptOptions: "1", Rationale: "r"}, false},
		{"other choice", models.Revision{Choice: 3, AcceptOptions: "1 3", Rationale: "r"}, false},
		{"withdrawn", models.Revision{Choice: 1, AcceptOptions: "1 3", Rationale: "r", Withdrawn: true}, false},
		{"stored before acceptable options: the chosen alone", models.Revision{Choice: 1, Rationale: "r"}, false},
		// Who entered it is not part of the answer.
		{"entered on the member's behalf", models.Revision{Choice: 1, AcceptOptions: "1 3", Rationale: "r", OnBehalf: true}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := base.SameAnswer(&tc.other); got != tc.want {
				t.Errorf("SameAnswer = %t, want %t", got, tc.want)
			}
		})
	}
}

// TestSameAnswerLegacyChoice checks that a choice stored without
// acceptable options (before they were recorded) equals the same choice
// with only its own option listed, so that re-importing an export adds no
// revision.
func TestSameAnswerLegacyChoice(t *testing.T) {
	legacy := models.Revision{Choice: 2}
	tests := []struct {
		name  string
		other models.Revision
		want  bool
	}{
		{"chosen option listed", models.Revision{Choice: 2, AcceptOptions: "2"}, true},
		{"another option listed too", models.Revision{Choice: 2, AcceptOptions: "1 2"}, false},
		{"same legacy form", models.Revision{Choice: 2}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := legacy.SameAnswer(&tc.other); got != tc.want {
				t.Errorf("SameAnswer = %t, want %t", got, tc.want)
			}
		})
	}
}

func TestOptionLists(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []int
		wantErr bool
		format  string
	}{
		{"empty", "", []int{}, false, ""},
		{"stored form", "1 3", []int{1, 3}, false, "1 3"},
		{"unsorted with repeats and commas", "3,1 3", []int{1, 3}, false, "1 3"},
		{"zero", "0 2", nil, true, ""},
		{"word", "1 two", nil, true, ""},
		{"negative", "-1", nil, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := models.ParseOptionListStrict(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %t", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if !equalInts(got, tc.want) {
				t.Errorf("ParseOptionListStrict = %v, want %v", got, tc.want)
			}
			if f := models.FormatOptionList(got); f != tc.format {
				t.Errorf("FormatOptionList = %q, want %q", f, tc.format)
			}
		})
	}
}

func TestOnBehalfRecorded(t *testing.T) {
	s, _, c, d := submitEnv(t)
	ctx := context.Background()
	fac := mustUser(t, s, "hanna", models.RoleFacilitator, "")
	subs := []models.Submission{
		{ConsultationID: c.ID, MemberID: *d.MemberID, UserID: d.ID, Source: models.SourceForm,
			Inputs: []models.PositionInput{{QuestionKey: "posture", Preferred: 2}}},
		{ConsultationID: c.ID, MemberID: *d.MemberID, UserID: fac.ID, Source: models.SourceForm, OnBehalf: true,
			Inputs: []models.PositionInput{{QuestionKey: "posture", Preferred: 3}}},
	}
	for _, sub := range subs {
		if _, err := s.SubmitPositions(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	revs, err := s.History(ctx, c.ID, *d.MemberID)
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != 2 {
		t.Fatalf("%d revisions, want 2", len(revs))
	}
	if revs[0].OnBehalf || revs[0].SubmitterUser != "kadri" {
		t.Errorf("the delegate's own revision: on behalf %t by %q", revs[0].OnBehalf, revs[0].SubmitterUser)
	}
	if !revs[1].OnBehalf || revs[1].SubmitterUser != "hanna" {
		t.Errorf("the facilitator's revision: on behalf %t by %q, want true by hanna", revs[1].OnBehalf, revs[1].SubmitterUser)
	}
}

// TestQuestionNumbers checks that a question gets the next number when it
// is created and keeps it whatever happens to the others.
func TestQuestionNumbers(t *testing.T) {
	s, _ := freshStore(t)
	ctx := context.Background()
	fac := mustUser(t, s, "fran", models.RoleFacilitator, "")
	c, err := s.CreateConsultation(ctx, models.ConsultationInput{Key: "nums", Title: "Numbers"}, fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]uint{}
	create := func(in models.QuestionInput) {
		t.Helper()
		q, err := s.CreateQuestion(ctx, c.ID, in, fac.ID)
		if err != nil {
			t.Fatal(err)
		}
		ids[in.Key] = q.ID
	}
	numbers := func() map[string]int {
		t.Helper()
		qn, err := s.Questionnaire(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, q := range qn.Questions {
			out[q.Key] = q.Number
		}
		return out
	}
	create(scale("a", "1", "2", "3"))
	create(scale("b", "1", "2", "3"))
	other := scale("c", "1", "2", "3")
	other.Section = "Another section"
	create(other)
	if got, want := numbers(), map[string]int{"a": 1, "b": 2, "c": 3}; !maps.Equal(got, want) {
		t.Errorf("created: %v, want %v", got, want)
	}
	if err := s.MoveQuestion(ctx, ids["b"], true); err != nil {
		t.Fatal(err)
	}
	if got, want := numbers(), map[string]int{"a": 1, "b": 2, "c": 3}; !maps.Equal(got, want) {
		t.Errorf("after moving b up: %v, want %v", got, want)
	}
	if err := s.DeleteQuestion(ctx, ids["a"], fac.ID); err != nil {
		t.Fatal(err)
	}
	create(scale("d", "1", "2", "3"))
	if got, want := numbers(), map[string]int{"b": 2, "c": 3, "d": 4}; !maps.Equal(got, want) {
		t.Errorf("after deleting a and adding d: %v, want %v", got, want)
	}
	// The number of a deleted last question is not given again: a brief
	// that cited Q4 must never find another question under that number.
	if err := s.DeleteQuestion(ctx, ids["d"], fac.ID); err != nil {
		t.Fatal(err)
	}
	create(scale("e", "1", "2", "3"))
	if got, want := numbers(), map[string]int{"b": 2, "c": 3, "e": 5}; !maps.Equal(got, want) {
		t.Errorf("after deleting d and adding e: %v, want %v", got, want)
	}
}

func TestEffectiveQuorum(t *testing.T) {
	tests := []struct {
		name           string
		quorum, roster int
		want           int
	}{
		{"default: every member", 0, 32, 32},
		{"lower number", 29, 32, 29},
		{"one", 1, 32, 1},
		{"the whole roster", 32, 32, 32},
		{"roster shrank below the quorum", 30, 28, 28},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := models.Consultation{Quorum: tc.quorum}
			if got := c.EffectiveQuorum(tc.roster); got != tc.want {
				t.Errorf("EffectiveQuorum(%d) = %d, want %d", tc.roster, got, tc.want)
			}
		})
	}
}

// TestConsultationQuorumValidation checks the quorum rule of the
// consultation form against the roster of 32, alone and beside another
// invalid field.
func TestConsultationQuorumValidation(t *testing.T) {
	tests := []struct {
		name       string
		in         models.ConsultationInput
		wantFields []string
		wantQuorum int
	}{
		{"empty: every member", models.ConsultationInput{Key: "a", Title: "A"}, nil, 0},
		{"zero: every member", models.ConsultationInput{Key: "a", Title: "A", Quorum: "0"}, nil, 0},
		{"one", models.ConsultationInput{Key: "a", Title: "A", Quorum: "1"}, nil, 1},
		{"roster size, spaces trimmed", models.ConsultationInput{Key: "a", Title: "A", Quorum: " 32 "}, nil, 32},
		{"above the roster", models.ConsultationInput{Key: "a", Title: "A", Quorum: "33"}, []string{"quorum"}, 0},
		{"fraction", models.ConsultationInput{Key: "a", Title: "A", Quorum: "2.5"}, []string{"quorum"}, 0},
		{"with a missing title", models.ConsultationInput{Key: "a", Quorum: "-1"}, []string{"quorum", "title"}, 0},
		{"marking of 41 characters", models.ConsultationInput{Key: "a", Title: "A", Marking: strings.Repeat("x", 41)}, []string{"marking"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := freshStore(t)
			c, err := s.CreateConsultation(context.Background(), tc.in, 1)
			if tc.wantFields == nil {
				if err != nil {
					t.Fatal(err)
				}
				if c.Quorum != tc.wantQuorum {
					t.Errorf("quorum %d, want %d", c.Quorum, tc.wantQuorum)
				}
				return
			}
			var verr *models.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("err = %v, want a ValidationError", err)
			}
			got := slices.Sorted(maps.Keys(verr.Fields))
			if !slices.Equal(got, tc.wantFields) {
				t.Errorf("fields %v, want %v", got, tc.wantFields)
			}
		})
	}
}

// TestCheckPositions: the Store's validation without a write gives the
// same verdicts SubmitPositions gives, for every channel's inputs.
func TestCheckPositions(t *testing.T) {
	s, _, c, _ := submitEnv(t)
	qn, err := s.Questionnaire(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		inputs  []models.PositionInput
		wantBad map[string]map[string]string // nil: valid
		wantErr error
	}{
		{"valid answers", []models.PositionInput{{QuestionKey: "posture", Preferred: 3}, {QuestionKey: "treaty", Option: 1, AcceptOptions: []int{2}}}, nil, nil},
		{"preferred beyond the scale", []models.PositionInput{{QuestionKey: "posture", Preferred: 9}},
			map[string]map[string]string{"posture": {models.FieldPreferred: "Choose a point between 1 and 5."}}, nil},
		{"acceptable option zero", []models.PositionInput{{QuestionKey: "treaty", Option: 1, AcceptOptions: []int{0}}},
			map[string]map[string]string{"treaty": {models.FieldAcceptOpts: "Acceptable options are numbered 1 to 2."}}, nil},
		{"acceptable option beyond the options", []models.PositionInput{{QuestionKey: "treaty", Option: 1, AcceptOptions: []int{3}}},
			map[string]map[string]string{"treaty": {models.FieldAcceptOpts: "Acceptable options are numbered 1 to 2."}}, nil},
		{"withdrawal with an importance", []models.PositionInput{{QuestionKey: "posture", Importance: "high", Withdrawn: true}},
			map[string]map[string]string{"posture": {models.FieldWithdrawn: "Withdraw the answer or give one, not both."}}, nil},
		{"answered twice", []models.PositionInput{{QuestionKey: "notes", Answer: "a"}, {QuestionKey: "notes", Answer: "b"}},
			map[string]map[string]string{"notes": {"": "This question is answered twice."}}, nil},
		{"unknown question", []models.PositionInput{{QuestionKey: "nope", Answer: "a"}}, nil, models.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.CheckPositions(qn.Questions, tc.inputs)
			var serr *models.SubmissionError
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("err = %v, want %v", err, tc.wantErr)
				}
			case tc.wantBad == nil:
				if err != nil {
					t.Errorf("err = %v, want none", err)
				}
			case !errors.As(err, &serr):
				t.Errorf("err = %v, want a SubmissionError", err)
			default:
				if !maps.EqualFunc(serr.Questions, tc.wantBad, maps.Equal) {
					t.Errorf("problems %q, want %q", serr.Questions, tc.wantBad)
				}
			}
		})
	}
	if n := countRevisions(t, s, c.ID); n != 0 {
		t.Errorf("%d revisions stored by checks, want 0", n)
	}
}
