package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"concord/models"
)

// TestConditionsChecked: conditions go with scale and choice answers, as
// text of at most MaxConditions characters.
func TestConditionsChecked(t *testing.T) {
	s, _ := freshStore(t)
	tests := []struct {
		name string
		q    *models.Question
		in   models.PositionInput
		want string // message on conditions; "" = valid
	}{
		{"scale with conditions", question(models.KindScale, "a", "b", "c"),
			models.PositionInput{Preferred: 2, Conditions: "Provided the Act is suspended, not terminated."}, ""},
		{"choice with conditions", question(models.KindChoice, "x", "y"), models.PositionInput{Option: 1, Conditions: "If all agree."}, ""},
		{"at the limit", question(models.KindScale, "a", "b", "c"),
			models.PositionInput{Preferred: 2, Conditions: strings.Repeat("é", models.MaxConditions)}, ""},
		{"too long", question(models.KindScale, "a", "b", "c"),
			models.PositionInput{Preferred: 2, Conditions: strings.Repeat("x", models.MaxConditions+1)}, "The conditions must be at most 2000 characters."},
		{"control character", question(models.KindChoice, "x", "y"),
			models.PositionInput{Option: 1, Conditions: "see\x07annex"}, "The conditions contain characters that are not valid text."},
		{"text question", question(models.KindText), models.PositionInput{Answer: "x", Conditions: "If."},
			"A text question takes no conditions: put everything in the answer."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msgs := s.Check(tc.in.Normalize(tc.q), tc.q)
			if got := msgs[models.FieldConditions]; got != tc.want {
				t.Errorf("message %q, want %q (all: %v)", got, tc.want, msgs)
			}
			if tc.want == "" && msgs != nil {
				t.Errorf("messages %v, want none", msgs)
			}
		})
	}
}

// TestConditionsStoredAndCompared: conditions are stored, make a new
// revision when they change, and reach the analysis input.
func TestConditionsStoredAndCompared(t *testing.T) {
	ctx := context.Background()
	s, _ := freshStore(t)
	fac := mustUser(t, s, "fac", models.RoleFacilitator, "")
	c := openConsultation(t, s, "c", fac.ID, scale("q1", "a", "b", "c", "d", "e"))
	tests := []struct {
		name       string
		conditions string
		changed    int
	}{
		{"first answer", "Provided the Act is suspended.", 1},
		{"same again", "Provided the Act is suspended.", 0},
		{"conditions alone changed", "Provided the Act is suspended, not terminated.", 1},
		{"conditions dropped", "", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := submit(t, s, c, "EST", fac.ID, models.PositionInput{QuestionKey: "q1", Preferred: 4, Conditions: tc.conditions})
			if res.Changed != tc.changed {
				t.Errorf("changed %d, want %d", res.Changed, tc.changed)
			}
			a, err := s.LoadAnalysis(ctx, c, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Input.Positions) != 1 || a.Input.Positions[0].Conditions != tc.conditions {
				t.Errorf("analysis input %+v, want conditions %q", a.Input.Positions, tc.conditions)
			}
		})
	}
}

func TestImportConditions(t *testing.T) {
	ctx := context.Background()
	s := dxStore(t)
	fac := dxFacilitator(t, s, "fac")
	c := dxConsultation(t, s, fac.ID)
	const header = "member_code,question_key,preferred,choice,answer_text,conditions\n"
	_, err := s.ImportPositions(ctx, c.ID, dxParse(t, header+"EST,notes,,,An answer,If.\n"), fac.ID)
	checkProblems(t, err, []string{"line 2, conditions: Question notes is a text question; leave conditions empty"})

	_, err = s.ImportPositions(ctx, c.ID, dxParse(t, header+"EST,stance,2,,,\"Provided, firmly,\nthat…\"\nLVA,act,,Keep,,If all agree.\n"), fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := s.CurrentPositions(ctx, c.ID, c.Round)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range cur {
		got[r.MemberCode+"/"+r.QuestionKey] = r.Conditions
	}
	want := map[string]string{"EST/stance": "Provided, firmly,\nthat…", "LVA/act": "If all agree."}
	if len(got) != len(want) || got["EST/stance"] != want["EST/stance"] || got["LVA/act"] != want["LVA/act"] {
		t.Errorf("conditions %q, want %q", got, want)
	}
	// A file without the conditions column keeps each member's conditions;
	// an empty cell of the column clears them.
	steps := []struct {
		name, file, want string
	}{
		{"no conditions column", "member_code,question_key,preferred\nEST,stance,3\n", "Provided, firmly,\nthat…"},
		{"empty conditions cell", header + "EST,stance,3,,,\n", ""},
	}
	for _, st := range steps {
		if _, err := s.ImportPositions(ctx, c.ID, dxParse(t, st.file), fac.ID); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		cur, err := s.MemberPositions(ctx, c.ID, c.Round, mustMember(t, s, "EST").ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range cur {
			if r.QuestionKey == "stance" && (r.Conditions != st.want || r.Preferred != 3) {
				t.Errorf("%s: preferred %d, conditions %q; want 3, %q", st.name, r.Preferred, r.Conditions, st.want)
			}
		}
	}
	var ierr *models.ImportError
	if _, err := s.ImportPositions(ctx, c.ID, dxParse(t, header+"EST,stance,,,,Only conditions.\n"), fac.ID); !errors.As(err, &ierr) {
		t.Errorf("conditions without a preferred point: err = %v, want the preferred point asked for", err)
	}
}
