package consensus

import (
	"testing"
)

func TestDirection(t *testing.T) {
	tests := []struct {
		name          string
		before, after int
		median        float64
		want          string
	}{
		{"closer from below", 1, 2, 3, MovedToward},
		{"closer from above", 4, 3, 2.5, MovedToward},
		{"onto the median", 5, 3, 3, MovedToward},
		{"further away", 3, 4, 3, MovedAway},
		{"from the median outwards", 2, 1, 2, MovedAway},
		{"the same point", 2, 2, 2.5, MovedUnchanged},
		{"the mirror point across the median", 2, 4, 3, MovedUnchanged},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Direction(tc.before, tc.after, tc.median); got != tc.want {
				t.Errorf("Direction(%d, %d, %v) = %q, want %q", tc.before, tc.after, tc.median, got, tc.want)
			}
		})
	}
}

func TestIsStable(t *testing.T) {
	tests := []struct {
		name      string
		kind      Kind
		both      int
		unchanged float64
		cnsDelta  float64
		want      bool
	}{
		{"nobody answered both rounds", KindScale, 0, 100, 0, false},
		{"80 % kept, Cns moved 0.049", KindScale, 5, 80, 0.049, true},
		{"80 % kept, Cns fell 0.049", KindScale, 5, 80, -0.049, true},
		{"80 % kept, Cns moved exactly 0.05", KindScale, 5, 80, 0.05, false},
		{"79.99 % kept", KindScale, 5, 79.99, 0, false},
		{"choice: 80 % kept, whatever the Cns", KindChoice, 5, 80, 0.9, true},
		{"choice: 60 % kept", KindChoice, 5, 60, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsStable(tc.kind, tc.both, tc.unchanged, tc.cnsDelta); got != tc.want {
				t.Errorf("IsStable = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestConvergenceOf(t *testing.T) {
	for _, tc := range []struct {
		delta float64
		want  string
	}{{0.05, Converging}, {0.2, Converging}, {0.049, Steady}, {0, Steady}, {-0.049, Steady}, {-0.05, Diverging}} {
		if got := ConvergenceOf(tc.delta); got != tc.want {
			t.Errorf("ConvergenceOf(%v) = %q, want %q", tc.delta, got, tc.want)
		}
	}
}

// twoRounds: six members on a 5-point scale and a choice of X, Y, Z.
//
//	round 1  scale A1 B2 C3 D3 E4 F5 (median 3)   choice A:X B:Y C:Y
//	round 2  scale A2 B2 C3 D3 E3 G4 (median 3)   choice A:Y B:Y C:Y
//
// F answered only round 1, G only round 2.
func twoRounds() Input {
	members := []Member{{"A", "Alpha"}, {"B", "Beta"}, {"C", "Gamma"}, {"D", "Delta"}, {"E", "Epsilon"}, {"F", "Phi"}, {"G", "Eta"}}
	questions := []Question{
		{Key: "s", Kind: KindScale, Points: []string{"1", "2", "3", "4", "5"}},
		{Key: "c", Kind: KindChoice, Options: []string{"X", "Y", "Z"}},
	}
	scale := func(code string, p int) Position { return Position{MemberCode: code, QuestionKey: "s", Preferred: p} }
	choice := func(code, o string) Position { return Position{MemberCode: code, QuestionKey: "c", Option: o} }
	return Input{
		Members: members, Questions: questions,
		Previous: []Position{scale("A", 1), scale("B", 2), scale("C", 3), scale("D", 3), scale("E", 4), scale("F", 5),
			choice("A", "X"), choice("B", "Y"), choice("C", "Y")},
		Positions: []Position{scale("A", 2), scale("B", 2), scale("C", 3), scale("D", 3), scale("E", 3), scale("G", 4),
			choice("A", "Y"), choice("B", "Y"), choice("C", "Y")},
	}
}

func TestTrendScale(t *testing.T) {
	r := Analyze(twoRounds())
	q := mustQuestion(t, r, "s")
	tr := q.Trend
	if tr == nil {
		t.Fatal("no trend")
	}
	// Five members answered both rounds (A–E); B, C and D kept their point.
	if tr.Both != 5 || tr.Unchanged != 3 {
		t.Errorf("both %d, unchanged %d; want 5 and 3", tr.Both, tr.Unchanged)
	}
	checkFloat(t, "unchanged_pct", tr.UnchangedPct, 60)
	if tr.Stable {
		t.Error("stable with 60 % unchanged")
	}
	// Type 7 quartiles, h = (n − 1)·p = 1.25 and 3.75 for six answers.
	// Round 1: 1 2 3 3 4 5 → median 3, Q1 = x1 + .25·(x2 − x1) = 2.25,
	// Q3 = x3 + .75·(x4 − x3) = 3.75, IQR 1.5. Round 2: 2 2 3 3 3 4 →
	// median 3, Q1 = 2.25, Q3 = 3 + .75·(3 − 3) = 3, IQR 0.75.
	checkFloat(t, "previous median", tr.PreviousMedian, 3)
	checkFloat(t, "median delta", tr.MedianDelta, 0)
	checkFloat(t, "previous IQR", tr.PreviousIQR, 1.5)
	checkFloat(t, "IQR delta", tr.IQRDelta, -0.75)
	checkFloat(t, "Cns delta", tr.CnsDelta, Cns([]int{0, 2, 3, 1, 0})-Cns([]int{1, 1, 2, 1, 1}))
	if tr.CnsDelta <= StableMaxCnsDelta || tr.Convergence != Converging {
		t.Errorf("Cns delta %.3f, convergence %q; want converging", tr.CnsDelta, tr.Convergence)
	}
	want := []Movement{
		{Member: "A", Before: 1, After: 2, Shift: 1, Direction: MovedToward, AcceptBefore: Range{1, 1}, AcceptAfter: Range{2, 2}},
		{Member: "B", Before: 2, After: 2, Shift: 0, Direction: MovedUnchanged, AcceptBefore: Range{2, 2}, AcceptAfter: Range{2, 2}},
		{Member: "C", Before: 3, After: 3, Shift: 0, Direction: MovedUnchanged, AcceptBefore: Range{3, 3}, AcceptAfter: Range{3, 3}},
		{Member: "D", Before: 3, After: 3, Shift: 0, Direction: MovedUnchanged, AcceptBefore: Range{3, 3}, AcceptAfter: Range{3, 3}},
		{Member: "E", Before: 4, After: 3, Shift: -1, Direction: MovedToward, AcceptBefore: Range{4, 4}, AcceptAfter: Range{3, 3}},
	}
	if len(tr.Movement) != len(want) {
		t.Fatalf("movement %+v, want %+v", tr.Movement, want)
	}
	for i := range want {
		if tr.Movement[i] != want[i] {
			t.Errorf("movement[%d] = %+v, want %+v", i, tr.Movement[i], want[i])
		}
	}
	// A moved one point of a 4-point-wide scale: mean shift 1/4.
	a := mustMember(t, r, "A")
	if m := a.Movement; m == nil || m.Questions != 1 || m.Changed != 1 || m.Toward != 1 || m.Away != 0 {
		t.Errorf("A's movement %+v", a.Movement)
	} else {
		checkFloat(t, "A's mean shift", m.MeanShift, 0.25)
	}
	// F and G answered one round only: no movement.
	for _, code := range []string{"F", "G"} {
		if m := mustMember(t, r, code).Movement; m == nil || m.Questions != 0 || m.MeanShift != 0 {
			t.Errorf("%s's movement %+v, want none", code, m)
		}
	}
	if r.AllStable {
		t.Error("all stable, though s changed")
	}
	// Over the blocs, the five answers given in both rounds: A and E moved
	// toward the median, B, C and D kept their distance.
	var toward, away, unchanged, members int
	for _, b := range r.Map.Blocs {
		if b.Movement == nil {
			t.Fatalf("bloc %d has no movement", b.ID)
		}
		toward, away, unchanged, members = toward+b.Movement.Toward, away+b.Movement.Away, unchanged+b.Movement.Unchanged, members+b.Movement.Members
	}
	if toward != 2 || away != 0 || unchanged != 3 || members != 5 {
		t.Errorf("blocs: %d toward, %d away, %d unchanged, %d members; want 2, 0, 3, 5", toward, away, unchanged, members)
	}
}

func TestTrendChoice(t *testing.T) {
	r := Analyze(twoRounds())
	tr := mustQuestion(t, r, "c").Trend
	if tr == nil {
		t.Fatal("no trend")
	}
	// A changed from X to Y; B and C kept Y: 2 of 3 unchanged.
	if tr.Both != 3 || tr.Unchanged != 2 || tr.Stable {
		t.Errorf("both %d, unchanged %d, stable %v; want 3, 2, false", tr.Both, tr.Unchanged, tr.Stable)
	}
	checkFloat(t, "unchanged_pct", tr.UnchangedPct, 200.0/3)
	// Plurality share 2/3 → 1: converging. Round 1 was near consensus (Y
	// accepted by B and C, A the one holdout); round 2 is unanimous.
	checkFloat(t, "previous plurality share", tr.PreviousPluralityShare, 2.0/3)
	if tr.Convergence != Converging || tr.PreviousClassification != NearConsensus || !tr.ClassificationChanged {
		t.Errorf("convergence %q, previous class %q, changed %v", tr.Convergence, tr.PreviousClassification, tr.ClassificationChanged)
	}
	if len(tr.Movement) != 0 {
		t.Errorf("movement on a choice question: %+v", tr.Movement)
	}
	// No option was acceptable to all in round 1; Y is now.
	if len(tr.PreviousCommonOptions) != 0 || !tr.CommonGroundChanged {
		t.Errorf("previous common options %v, changed %v", tr.PreviousCommonOptions, tr.CommonGroundChanged)
	}
}

func TestTrendStableAndAllStable(t *testing.T) {
	in := twoRounds()
	in.Previous = in.Positions // the same answers in both rounds
	r := Analyze(in)
	for _, key := range []string{"s", "c"} {
		tr := mustQuestion(t, r, key).Trend
		if tr == nil || !tr.Stable || tr.UnchangedPct != 100 || tr.Convergence != Steady || tr.CommonGroundChanged {
			t.Errorf("%s: trend %+v, want stable and steady", key, tr)
		}
	}
	if !r.AllStable {
		t.Error("not all stable, though nothing changed")
	}
}

func TestNoTrendWithoutPreviousRound(t *testing.T) {
	in := twoRounds()
	in.Previous = nil
	r := Analyze(in)
	for _, q := range r.Questions {
		if q.Trend != nil {
			t.Errorf("%s has a trend without a previous round", q.Key)
		}
	}
	if r.AllStable || mustMember(t, r, "A").Movement != nil {
		t.Error("stability or movement without a previous round")
	}
}
