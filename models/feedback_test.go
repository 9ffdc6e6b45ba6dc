package models_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"concord/consensus"
	"concord/models"
)

// feedbackFixture: round 1 of a consultation with a 5-point scale question
// and a choice question answered by six members, then round 2 open.
//
//	q1 (scale): EST 2 [1–3], LVA 3 [2–4], POL 3 [2–4], DEU 4 [3–5], FRA 4 [3–4], ITA 5 [3–5]
//	  counts 0 1 2 2 1; median of 2 3 3 4 4 5 = (3+4)/2 = 3.5;
//	  common ground: max lo 3 … min hi 3 = [3, 3]
//	ch (choice x, y, z): EST x (+y), LVA y, POL y (+z)
//	  counts 1 2 0; accepted by all: y (option 2)
func feedbackFixture(t *testing.T) (*models.Store, *models.Consultation, *models.User) {
	t.Helper()
	s, _ := freshStore(t)
	fac := mustUser(t, s, "fac", models.RoleFacilitator, "")
	c := openConsultation(t, s, "c", fac.ID, scale("q1", "a", "b", "c", "d", "e"),
		models.QuestionInput{Key: "ch", Section: "Posture", Kind: models.KindChoice, Text: "Which?", Options: []string{"x", "y", "z"}},
		models.QuestionInput{Key: "notes", Section: "Posture", Kind: models.KindText, Text: "Notes?"})
	pos := func(pref, lo, hi int, why string) models.PositionInput {
		return models.PositionInput{QuestionKey: "q1", Preferred: pref, AcceptMin: lo, AcceptMax: hi, Rationale: why}
	}
	submit(t, s, c, "EST", fac.ID, pos(2, 1, 3, "Deterrence first."),
		models.PositionInput{QuestionKey: "ch", Option: 1, AcceptOptions: []int{2}, Rationale: "Keep what works."},
		models.PositionInput{QuestionKey: "notes", Answer: "Attributed text."})
	submit(t, s, c, "LVA", fac.ID, pos(3, 2, 4, "Balance."), models.PositionInput{QuestionKey: "ch", Option: 2})
	submit(t, s, c, "POL", fac.ID, pos(3, 2, 4, ""), models.PositionInput{QuestionKey: "ch", Option: 2, AcceptOptions: []int{3}})
	submit(t, s, c, "DEU", fac.ID, pos(4, 3, 5, "As the summit agreed."))
	submit(t, s, c, "FRA", fac.ID, pos(4, 3, 4, "Autonomy matters."))
	submit(t, s, c, "ITA", fac.ID, pos(5, 3, 5, "   "))
	c, err := s.OpenNextRound(context.Background(), c.ID, nil, fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	return s, c, fac
}

func TestPreviousRoundFeedbackRoundOne(t *testing.T) {
	s, _ := freshStore(t)
	fac := mustUser(t, s, "fac", models.RoleFacilitator, "")
	c := openConsultation(t, s, "c", fac.ID, scale("q1", "a", "b", "c"))
	f, err := s.PreviousRoundFeedback(context.Background(), c, mustMember(t, s, "EST").ID)
	if err != nil || f != nil {
		t.Errorf("round 1 feedback %+v, %v; want none", f, err)
	}
	r, err := s.ReviewRationales(context.Background(), c)
	if err != nil || r != nil {
		t.Errorf("round 1 rationales %+v, %v; want none", r, err)
	}
}

func TestPreviousRoundFeedback(t *testing.T) {
	ctx := context.Background()
	s, c, fac := feedbackFixture(t)
	est, lva := mustMember(t, s, "EST"), mustMember(t, s, "LVA")
	// A round-2 save changes nothing of round 1's feedback.
	submit(t, s, c, "EST", fac.ID, models.PositionInput{QuestionKey: "q1", Preferred: 3})

	review, err := s.ReviewRationales(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	var attributed []string
	revOf := map[string]uint{}
	for _, r := range review {
		attributed = append(attributed, r.QuestionKey+"/"+r.MemberCode)
		revOf[r.MemberCode+"/"+r.QuestionKey] = r.RevisionID
		if r.Hidden {
			t.Errorf("%s/%s hidden before anyone hid it", r.QuestionKey, r.MemberCode)
		}
	}
	// Question order, then member code; empty and blank rationales and
	// text questions left out.
	if want := []string{"q1/DEU", "q1/EST", "q1/FRA", "q1/LVA", "ch/EST"}; !slices.Equal(attributed, want) {
		t.Fatalf("rationales to review %v, want %v", attributed, want)
	}

	type want struct {
		responses  int
		counts     []int
		median     float64
		ground     *consensus.Range
		options    []int
		own        int // preferred point or option; 0 = none
		rationales []string
	}
	check := func(t *testing.T, memberID uint, shown bool, wants map[string]want) {
		t.Helper()
		f, err := s.PreviousRoundFeedback(ctx, c, memberID)
		if err != nil {
			t.Fatal(err)
		}
		if f.Round != 1 || f.Rationales != shown {
			t.Errorf("feedback of round %d, rationales %t; want round 1, %t", f.Round, f.Rationales, shown)
		}
		if len(f.Questions) != len(wants) {
			t.Fatalf("%d questions, want %d (text questions left out)", len(f.Questions), len(wants))
		}
		for key, w := range wants {
			var q *models.QuestionFeedback
			for i := range f.Questions {
				if f.Questions[i].Key == key {
					q = &f.Questions[i]
				}
			}
			if q == nil || f.Question(q.QuestionID) != q {
				t.Fatalf("no feedback on %s", key)
			}
			if q.Responses != w.responses || !slices.Equal(q.Counts, w.counts) || q.Median != w.median {
				t.Errorf("%s: responses %d counts %v median %v, want %d %v %v", key, q.Responses, q.Counts, q.Median, w.responses, w.counts, w.median)
			}
			if (q.CommonGround == nil) != (w.ground == nil) || (w.ground != nil && *q.CommonGround != *w.ground) {
				t.Errorf("%s: common ground %v, want %v", key, q.CommonGround, w.ground)
			}
			if !slices.Equal(q.CommonOptions, w.options) {
				t.Errorf("%s: common options %v, want %v", key, q.CommonOptions, w.options)
			}
			own := 0
			if q.Own != nil {
				own = q.Own.Preferred + q.Own.Choice
				if q.Own.Round != 1 {
					t.Errorf("%s: own answer from round %d", key, q.Own.Round)
				}
			}
			if own != w.own {
				t.Errorf("%s: own answer %d, want %d", key, own, w.own)
			}
			if !slices.Equal(q.Rationales, w.rationales) {
				t.Errorf("%s: rationales %q, want %q", key, q.Rationales, w.rationales)
			}
		}
	}
	ground := &consensus.Range{Lo: 3, Hi: 3}
	t.Run("rationales not shown", func(t *testing.T) {
		check(t, est.ID, false, map[string]want{
			"q1": {6, []int{0, 1, 2, 2, 1}, 3.5, ground, nil, 2, nil},
			"ch": {3, []int{1, 2, 0}, 0, nil, []int{2}, 1, nil},
		})
	})
	if err := s.SetShowPreviousRationales(ctx, c.ID, true, fac.ID); err != nil {
		t.Fatal(err)
	}
	c, err = s.ConsultationByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("rationales shown, sorted by text, for another member", func(t *testing.T) {
		check(t, lva.ID, true, map[string]want{
			"q1": {6, []int{0, 1, 2, 2, 1}, 3.5, ground, nil, 3,
				[]string{"As the summit agreed.", "Autonomy matters.", "Balance.", "Deterrence first."}},
			"ch": {3, []int{1, 2, 0}, 0, nil, []int{2}, 2, []string{"Keep what works."}},
		})
	})
	if err := s.HideRationale(ctx, c.ID, revOf["FRA/q1"], fac.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.HideRationale(ctx, c.ID, revOf["FRA/q1"], fac.ID); err != nil {
		t.Fatalf("hiding twice: %v", err)
	}
	t.Run("a hidden rationale left out", func(t *testing.T) {
		check(t, lva.ID, true, map[string]want{
			"q1": {6, []int{0, 1, 2, 2, 1}, 3.5, ground, nil, 3,
				[]string{"As the summit agreed.", "Balance.", "Deterrence first."}},
			"ch": {3, []int{1, 2, 0}, 0, nil, []int{2}, 2, []string{"Keep what works."}},
		})
		review, err := s.ReviewRationales(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range review {
			if r.Hidden != (r.MemberCode == "FRA") {
				t.Errorf("%s/%s hidden %t", r.QuestionKey, r.MemberCode, r.Hidden)
			}
		}
	})
	if err := s.ShowRationale(ctx, c.ID, revOf["FRA/q1"], fac.ID); err != nil {
		t.Fatal(err)
	}
	t.Run("shown again", func(t *testing.T) {
		f, err := s.PreviousRoundFeedback(ctx, c, lva.ID)
		if err != nil {
			t.Fatal(err)
		}
		if q := f.Questions[0]; len(q.Rationales) != 4 {
			t.Errorf("q1 rationales %q, want 4", q.Rationales)
		}
	})
	if got := countAuditEvents(t, s, models.AuditRationaleHidden) + countAuditEvents(t, s, models.AuditRationaleVisible); got != 2 {
		t.Errorf("%d hide/show audit events, want 2 (hiding twice is one step)", got)
	}
	if got := countAuditEvents(t, s, models.AuditFeedbackSetting); got != 1 {
		t.Errorf("%d feedback setting audit events, want 1", got)
	}

	// A revision of another consultation cannot be hidden through this one.
	other := openConsultation(t, s, "other", fac.ID, scale("q1", "a", "b", "c"))
	if err := s.HideRationale(ctx, other.ID, revOf["EST/q1"], fac.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("hiding through another consultation: err = %v, want ErrNotFound", err)
	}

	// A new round hides the rationales again until a facilitator shows them.
	c, err = s.OpenNextRound(ctx, c.ID, nil, fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.ShowPreviousRationales {
		t.Error("rationales still shown in round 3")
	}
	f, err := s.PreviousRoundFeedback(ctx, c, est.ID)
	if err != nil {
		t.Fatal(err)
	}
	if q := f.Question(f.Questions[0].QuestionID); f.Round != 2 || q.Responses != 1 || q.Own == nil || q.Own.Preferred != 3 {
		t.Errorf("round 3 feedback: round %d, q1 %+v; want round 2 with EST's answer 3 only", f.Round, q)
	}
}
