package consensus

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"testing"
)

var five = []string{"strongly against", "against", "neutral", "for", "strongly for"}

// smallConsultation is a hand-built consultation: 5 members (roster order
// not alphabetical), 2 scale questions, 1 choice and 1 text question.
//
//	Q1 spending: US 5 [4,5] red line, FR 4 [3,5], DE 3 [2,4], PL 5 [5,5], IT 2 [2,3]
//	Q2 enlarge:  US 1 [1,2], FR 5 [4,5], DE 1, PL 5, IT —
//	Q3 lead:     north / south / east: US east, FR south, DE east, PL east, IT south
//	Q4 ideas:    US "More drones", FR blank, PL "Eastern flank"
func smallConsultation() Input {
	return Input{
		Members: []Member{
			{"US", "United States"}, {"FR", "France"}, {"DE", "Germany"}, {"PL", "Poland"}, {"IT", "Italy"},
		},
		Questions: []Question{
			{Key: "Q1", Section: "Budget", Text: "Raise defence spending", Kind: KindScale, Points: five},
			{Key: "Q2", Section: "Policy", Text: "Enlarge the alliance", Kind: KindScale, Points: five},
			{Key: "Q3", Section: "Policy", Text: "Which flank leads", Kind: KindChoice, Options: []string{"north", "south", "east"}},
			{Key: "Q4", Section: "Ideas", Text: "Suggestions", Kind: KindText},
		},
		Positions: []Position{
			{MemberCode: "US", QuestionKey: "Q1", Preferred: 5, AcceptMin: 4, AcceptMax: 5, Importance: ImportanceRedLine},
			{MemberCode: "FR", QuestionKey: "Q1", Preferred: 4, AcceptMin: 3, AcceptMax: 5},
			{MemberCode: "DE", QuestionKey: "Q1", Preferred: 3, AcceptMin: 2, AcceptMax: 4},
			{MemberCode: "PL", QuestionKey: "Q1", Preferred: 5, AcceptMin: 5, AcceptMax: 5, Importance: ImportanceHigh},
			{MemberCode: "IT", QuestionKey: "Q1", Preferred: 2, AcceptMin: 2, AcceptMax: 3},

			{MemberCode: "US", QuestionKey: "Q2", Preferred: 1, AcceptMin: 1, AcceptMax: 2},
			{MemberCode: "FR", QuestionKey: "Q2", Preferred: 5, AcceptMin: 4, AcceptMax: 5},
			{MemberCode: "DE", QuestionKey: "Q2", Preferred: 1},
			{MemberCode: "PL", QuestionKey: "Q2", Preferred: 5},

			{MemberCode: "US", QuestionKey: "Q3", Option: "east"},
			{MemberCode: "FR", QuestionKey: "Q3", Option: "south"},
			{MemberCode: "DE", QuestionKey: "Q3", Option: "east"},
			{MemberCode: "PL", QuestionKey: "Q3", Option: "east"},
			{MemberCode: "IT", QuestionKey: "Q3", Option: "south"},
			{MemberCode: "IT", QuestionKey: "Q3", Option: "west"}, // not an option: ignored

			{MemberCode: "US", QuestionKey: "Q4", Answer: "More drones"},
			{MemberCode: "FR", QuestionKey: "Q4", Answer: "   "},
			{MemberCode: "PL", QuestionKey: "Q4", Answer: " Eastern flank "},

			{MemberCode: "XX", QuestionKey: "Q1", Preferred: 1}, // unknown member
			{MemberCode: "US", QuestionKey: "Q9", Preferred: 1}, // unknown question
			{MemberCode: "FR", QuestionKey: "Q1", Preferred: 9}, // out of range
		},
		// Previous round: Q1 only, US, FR, DE all at 4.
		Previous: []Position{
			{MemberCode: "US", QuestionKey: "Q1", Preferred: 4},
			{MemberCode: "FR", QuestionKey: "Q1", Preferred: 4},
			{MemberCode: "DE", QuestionKey: "Q1", Preferred: 4},
		},
	}
}

func mustQuestion(t *testing.T, r *Report, key string) *QuestionReport {
	t.Helper()
	q, ok := r.Question(key)
	if !ok {
		t.Fatalf("question %s missing", key)
	}
	return q
}

// checkSignal checks the consensus signal of a question: best point (or
// option number), how many accept it, who does not, and the holdouts.
func checkSignal(t *testing.T, q *QuestionReport, best, accepting int, notAccepting, holdouts []string) {
	t.Helper()
	if q.BestPoint != best || q.Accepting != accepting {
		t.Errorf("%s best point %d accepted by %d, want %d by %d", q.Key, q.BestPoint, q.Accepting, best, accepting)
	}
	if q.NotAccepting == nil || q.Holdouts == nil {
		t.Errorf("%s not accepting %v holdouts %v: want non-nil lists", q.Key, q.NotAccepting, q.Holdouts)
	}
	checkStrings(t, q.Key+" not accepting", q.NotAccepting, notAccepting)
	checkStrings(t, q.Key+" holdouts", q.Holdouts, holdouts)
}

func mustMember(t *testing.T, r *Report, code string) *MemberProfile {
	t.Helper()
	m, ok := r.Member(code)
	if !ok {
		t.Fatalf("member %s missing", code)
	}
	return m
}

func checkFloat(t *testing.T, what string, got, want float64) {
	t.Helper()
	if !near(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func checkStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func TestAnalyzeEndToEnd(t *testing.T) {
	r := Analyze(smallConsultation())
	if r.MembersTotal != 5 || len(r.Questions) != 4 {
		t.Fatalf("members %d questions %d", r.MembersTotal, len(r.Questions))
	}
	if r.Thresholds != DefaultThresholds() {
		t.Errorf("thresholds = %+v, want defaults", r.Thresholds)
	}

	// Q1: sorted 2,3,4,5,5 → median 4, mean 19/5 = 3.8, Q1 = x[1] = 3, Q3 = x[3] = 5.
	q1 := mustQuestion(t, r, "Q1")
	s := q1.Scale
	if !slices.Equal(s.Counts, []int{0, 1, 1, 1, 2}) {
		t.Errorf("Q1 counts = %v", s.Counts)
	}
	checkStrings(t, "Q1 by point 5", s.ByPoint[4], []string{"PL", "US"})
	checkFloat(t, "Q1 median", s.Median, 4)
	checkFloat(t, "Q1 mean", s.Mean, 3.8)
	checkFloat(t, "Q1 Q1", s.Q1, 3)
	checkFloat(t, "Q1 Q3", s.Q3, 5)
	checkFloat(t, "Q1 IQR", s.IQR, 2)
	// μ = 3.8: 1 + .2·(log2 .55 + log2 .8 + log2 .95) + .4·log2 .7
	//        = 1 + .2·(−0.8624964762 − 0.3219280949 − 0.0740005814) + .4·(−0.5145731728)
	//        = 1 − 0.2516850305 − 0.2058292691
	checkFloat(t, "Q1 Cns", s.Cns, 0.5424857003518558)
	// |x − 4| <= 1 for 3, 4, 5, 5: 4/5
	checkFloat(t, "Q1 agreement", s.AgreementPct, 80)
	// IT at 2 is (5−1)/2 = 2 away from 4, the only candidate: 4·1 < 5 → reported
	checkStrings(t, "Q1 outliers", s.Outliers, []string{"IT"})
	// max Lo = 5 (PL) > min Hi = 3 (IT): no common ground
	if s.CommonGround != nil {
		t.Errorf("Q1 common ground = %v, want nil", s.CommonGround)
	}
	// acceptance: 2: DE IT; 3: FR DE IT; 4: US FR DE; 5: US FR PL → 3, 4, 5
	// tie at 3 members, 4 is the median → point 4, IT and PL do not accept it
	if s.Blocking == nil || s.Blocking.Point != 4 {
		t.Fatalf("Q1 blocking = %+v, want point 4", s.Blocking)
	}
	checkStrings(t, "Q1 blocking members", s.Blocking.Members, []string{"IT", "PL"})
	// best point 4, accepted by 3; 2 not accepting > max(1, ⌊5/10⌋) = 1 → no holdouts
	checkSignal(t, q1, 4, 3, []string{"IT", "PL"}, []string{})
	if q1.Number != 1 || !q1.Quorate || q1.Provisional {
		t.Errorf("Q1 number %d quorate %t provisional %t, want 1, true, false", q1.Number, q1.Quorate, q1.Provisional)
	}
	if want := "No common ground: 3 of 5 accept point 4; 2 do not."; q1.Verdict != want {
		t.Errorf("Q1 verdict = %q, want %q", q1.Verdict, want)
	}
	if want := []RedLine{{Member: "US", Preferred: 5, Side: "above"}}; !reflect.DeepEqual(s.RedLines, want) {
		t.Errorf("Q1 red lines = %+v, want %+v", s.RedLines, want)
	}
	// Cns 0.54 < 0.75; low third 1/5 < 1/3 → divided
	if q1.Classification != Divided {
		t.Errorf("Q1 class = %q, want divided", q1.Classification)
	}
	// Previous: 4,4,4 → Cns 1, median 4.
	if q1.Trend == nil {
		t.Fatal("Q1 trend missing")
	}
	if q1.Trend.PreviousResponses != 3 {
		t.Errorf("Q1 previous responses = %d, want 3", q1.Trend.PreviousResponses)
	}
	checkFloat(t, "Q1 previous Cns", q1.Trend.PreviousCns, 1)
	checkFloat(t, "Q1 Cns delta", q1.Trend.CnsDelta, 0.5424857003518558-1)
	checkFloat(t, "Q1 median delta", q1.Trend.MedianDelta, 0)

	// Q2: 1,1,5,5 (IT missing) → median 3, Cns 0, polarized.
	q2 := mustQuestion(t, r, "Q2")
	s = q2.Scale
	if q2.Coverage.Responses != 4 || q2.Coverage.MembersTotal != 5 {
		t.Errorf("Q2 coverage = %+v", q2.Coverage)
	}
	checkFloat(t, "Q2 coverage pct", q2.Coverage.CoveragePct, 80)
	checkStrings(t, "Q2 missing", q2.Coverage.Missing, []string{"IT"})
	checkFloat(t, "Q2 median", s.Median, 3)
	checkFloat(t, "Q2 Cns", s.Cns, 0)
	checkFloat(t, "Q2 agreement", s.AgreementPct, 0)
	if !slices.Equal(s.Modes, []int{1, 5}) {
		t.Errorf("Q2 modes = %v", s.Modes)
	}
	// all four are 2 = (5−1)/2 from the median 3: 4·4 is not < 4 → a split,
	// no outliers reported
	checkStrings(t, "Q2 outliers", s.Outliers, []string{})
	// acceptance: 1: US DE; 2: US; 4: FR; 5: FR PL → 1 and 5 tie at 2 and
	// are both 2 from the median → lower point 1; FR and PL do not accept it
	if s.Blocking == nil || s.Blocking.Point != 1 {
		t.Fatalf("Q2 blocking = %+v, want point 1", s.Blocking)
	}
	checkStrings(t, "Q2 blocking members", s.Blocking.Members, []string{"FR", "PL"})
	checkSignal(t, q2, 1, 2, []string{"FR", "PL"}, []string{})
	if q2.Classification != Polarized {
		t.Errorf("Q2 class = %q, want polarized", q2.Classification)
	}
	// 4 responses < quorum 5 (the roster): provisional
	if q2.Quorate || !q2.Provisional {
		t.Errorf("Q2 quorate %t provisional %t, want false, true", q2.Quorate, q2.Provisional)
	}
	if want := "No common ground: 2 of the 4 who answered accept point 1; 2 do not; IT has not answered."; q2.Verdict != want {
		t.Errorf("Q2 verdict = %q, want %q", q2.Verdict, want)
	}
	if q2.Trend != nil {
		t.Errorf("Q2 trend = %+v, want nil (no previous response)", q2.Trend)
	}

	// Q3: north 0, south 2 (FR IT), east 3 (DE PL US) → plurality east 3/5.
	q3 := mustQuestion(t, r, "Q3")
	c := q3.Choice
	if c == nil || len(c.Options) != 3 {
		t.Fatalf("Q3 choice = %+v", c)
	}
	if c.Options[0].Count != 0 || c.Options[1].Count != 2 || c.Options[2].Count != 3 {
		t.Errorf("Q3 counts = %+v", c.Options)
	}
	checkFloat(t, "Q3 south share", c.Options[1].Share, 0.4)
	checkStrings(t, "Q3 east members", c.Options[2].Members, []string{"DE", "PL", "US"})
	checkStrings(t, "Q3 plurality", c.Plurality, []string{"east"})
	checkFloat(t, "Q3 plurality share", c.PluralityShare, 0.6)
	if q3.Classification != Divided || q3.Trend != nil {
		t.Errorf("Q3 class = %q trend %v, want divided and no trend", q3.Classification, q3.Trend)
	}
	// without accepted options, accepting = chosen: east (option 3) by 3
	checkSignal(t, q3, 3, 3, []string{"FR", "IT"}, []string{})
	if !slices.Equal(c.CommonGround, []int{}) || c.CommonGround == nil {
		t.Errorf("Q3 common ground = %v, want empty", c.CommonGround)
	}
	if want := "No common ground: 3 of 5 accept option 3 (east); 2 do not."; q3.Verdict != want {
		t.Errorf("Q3 verdict = %q, want %q", q3.Verdict, want)
	}

	// Q4: blank answer ignored, roster order, trimmed.
	q4 := mustQuestion(t, r, "Q4")
	want4 := []TextAnswer{{"US", "More drones"}, {"PL", "Eastern flank"}}
	if q4.TextStats == nil || !reflect.DeepEqual(q4.TextStats.Answers, want4) || q4.Classification != "" {
		t.Errorf("Q4 = %+v %q", q4.TextStats, q4.Classification)
	}
	checkStrings(t, "Q4 missing", q4.Coverage.Missing, []string{"DE", "FR", "IT"})
	if q4.Verdict != "" || q4.Provisional || q4.Quorate || q4.Number != 4 {
		t.Errorf("Q4 verdict %q provisional %t quorate %t number %d", q4.Verdict, q4.Provisional, q4.Quorate, q4.Number)
	}
	if r.Quorum != 5 || r.Provisional != 1 {
		t.Errorf("quorum %d provisional %d, want 5 and 1 (Q2)", r.Quorum, r.Provisional)
	}

	// Ranking: polarized Q2, then divided by score: Q1 (Cns 0.54) < Q3 (0.6).
	checkStrings(t, "ranking", r.Ranking, []string{"Q2", "Q1", "Q3"})
	wantCounts := map[Classification]int{Polarized: 1, Divided: 2, BroadAgreement: 0, NearConsensus: 0, Consensus: 0, Unanimous: 0, Insufficient: 0}
	if !reflect.DeepEqual(r.ClassCounts, wantCounts) {
		t.Errorf("class counts = %v, want %v", r.ClassCounts, wantCounts)
	}

	// Profiles. Deviations (x − median)/4:
	//   US: Q1 (5−4)/4 = .25, Q2 (1−3)/4 = −.5 → mean distance .375
	//   FR: Q1 0, Q2 .5 → .25;  PL: .25, .5 → .375;  IT: Q1 −.5 → .5
	// Outliers are reported on Q1 only (IT). Not accepting the best point:
	// Q1 IT, PL; Q2 FR, PL; Q3 FR, IT. No holdouts anywhere.
	type prof struct {
		answered, scale, outliers, blocking int
		dist                                float64
	}
	wantProf := map[string]prof{
		"US": {4, 2, 0, 0, 0.375},
		"FR": {3, 2, 0, 2, 0.25},
		"DE": {3, 2, 0, 0, 0.375},
		"PL": {4, 2, 0, 2, 0.375},
		"IT": {2, 1, 1, 2, 0.5},
	}
	for code, w := range wantProf {
		m := mustMember(t, r, code)
		if m.HoldoutCount != 0 {
			t.Errorf("profile %s holdout count = %d, want 0", code, m.HoldoutCount)
		}
		got := prof{m.Answered, m.ScaleAnswered, m.OutlierCount, m.BlockingCount, m.MeanDistance}
		if got.answered != w.answered || got.scale != w.scale || got.outliers != w.outliers ||
			got.blocking != w.blocking || !near(got.dist, w.dist) {
			t.Errorf("profile %s = %+v, want %+v", code, got, w)
		}
	}
	pl := mustMember(t, r, "PL")
	wantPL := []MemberPosition{
		{QuestionKey: "Q1", Preferred: 5, Median: 4, Deviation: 0.25, Blocking: true},
		{QuestionKey: "Q2", Preferred: 5, Median: 3, Deviation: 0.5, Blocking: true},
	}
	if !reflect.DeepEqual(pl.Positions, wantPL) {
		t.Errorf("PL positions = %+v, want %+v", pl.Positions, wantPL)
	}
	if us := mustMember(t, r, "US"); !us.Positions[0].RedLine || us.Positions[1].RedLine {
		t.Errorf("US red line flags = %+v", us.Positions)
	}
	var names []string
	for _, m := range r.Members {
		names = append(names, m.Code)
	}
	checkStrings(t, "profile order", names, []string{"US", "FR", "DE", "PL", "IT"})

	// Similarity on scaled values Q1: US 1, FR .75, DE .5, PL 1, IT .25;
	// Q2: US 0, FR 1, DE 0, PL 1.
	wantSim := []PairSimilarity{
		{"DE", "FR", 2, 0.375}, // 1 − (.25 + 1)/2
		{"DE", "IT", 1, 0.75},  // 1 − .25
		{"DE", "PL", 2, 0.25},  // 1 − (.5 + 1)/2
		{"DE", "US", 2, 0.75},  // 1 − (.5 + 0)/2
		{"FR", "IT", 1, 0.5},   // 1 − .5
		{"FR", "PL", 2, 0.875}, // 1 − (.25 + 0)/2
		{"FR", "US", 2, 0.375}, // 1 − (.25 + 1)/2
		{"IT", "PL", 1, 0.25},  // 1 − .75
		{"IT", "US", 1, 0.25},  // 1 − .75
		{"PL", "US", 2, 0.5},   // 1 − (0 + 1)/2
	}
	if len(r.Similarity) != len(wantSim) {
		t.Fatalf("similarity has %d pairs, want %d", len(r.Similarity), len(wantSim))
	}
	for i, w := range wantSim {
		g := r.Similarity[i]
		if g.A != w.A || g.B != w.B || g.Common != w.Common || !near(g.Similarity, w.Similarity) {
			t.Errorf("similarity[%d] = %+v, want %+v", i, g, w)
		}
	}

	// Opinion map. Rows (Q1, Q2) scaled, IT's Q2 imputed with (0+1+0+1)/4 = .5:
	// US (1,0) FR (.75,1) DE (.5,0) PL (1,1) IT (.25,.5); means (.7, .5).
	// XᵀX of the centred matrix = [[.425, .125], [.125, 1]], trace 1.425,
	// det .409375, λ = (1.425 ± √.393125)/2 = 1.0259984051, 0.3990015949
	// → explained 0.7199988808, 0.2800011192.
	m := r.Map
	checkFloat(t, "explained PC1", m.Explained[0], 0.7199988807716571)
	checkFloat(t, "explained PC2", m.Explained[1], 0.2800011192283429)
	if len(m.Points) != 5 || m.Points[0].Member != "US" || m.Points[4].Member != "IT" {
		t.Errorf("map points = %+v", m.Points)
	}
	// The loading of Q2 dominates PC1 and is positive: PL and FR (Q2 = 1)
	// are right of US and DE (Q2 = 0).
	x := map[string]float64{}
	for _, p := range m.Points {
		x[p.Member] = p.X
	}
	if !(x["PL"] > x["US"] && x["FR"] > x["DE"]) {
		t.Errorf("PC1 orientation: %v", x)
	}
	checkBlocs(t, r)
	if again := Analyze(smallConsultation()); !reflect.DeepEqual(again.Map, r.Map) {
		t.Errorf("blocs not deterministic:\n%+v\n%+v", again.Map, r.Map)
	}
}

// checkBlocs checks the consistency of blocs, map points and profiles.
func checkBlocs(t *testing.T, r *Report) {
	t.Helper()
	seen := map[string]int{}
	for i, b := range r.Map.Blocs {
		if b.ID != i+1 {
			t.Errorf("bloc %d has ID %d", i, b.ID)
		}
		if !slices.IsSorted(b.Members) || len(b.Members) == 0 {
			t.Errorf("bloc %d members %v", b.ID, b.Members)
		}
		for _, c := range b.Members {
			seen[c] = b.ID
		}
		if len(b.Distinctive) > 3 {
			t.Errorf("bloc %d has %d distinctive questions", b.ID, len(b.Distinctive))
		}
	}
	for _, p := range r.Map.Points {
		if seen[p.Member] != p.Bloc || p.Bloc < 1 {
			t.Errorf("point %+v not in bloc %d", p, seen[p.Member])
		}
		if m, _ := r.Member(p.Member); m.Bloc != p.Bloc {
			t.Errorf("profile bloc %d != point bloc %d", m.Bloc, p.Bloc)
		}
	}
	if len(seen) != len(r.Map.Points) {
		t.Errorf("%d members in blocs, %d points", len(seen), len(r.Map.Points))
	}
	// Blocs are numbered by ascending centroid X.
	prev := math.Inf(-1)
	for _, b := range r.Map.Blocs {
		sum := 0.0
		for _, p := range r.Map.Points {
			if p.Bloc == b.ID {
				sum += p.X
			}
		}
		cx := sum / float64(len(b.Members))
		if cx < prev-tol {
			t.Errorf("bloc %d centroid X %v < previous %v", b.ID, cx, prev)
		}
		prev = cx
	}
}

func TestAnalyzeCleaning(t *testing.T) {
	in := Input{
		Members: []Member{{"B", "Bee"}, {"A", "Ay"}, {"B", "duplicate"}},
		Questions: []Question{
			{Key: "S", Kind: KindScale, Points: five},
			{Key: "S", Kind: KindText}, // duplicate key: ignored
			{Key: "U", Kind: "poll"},   // unknown kind
		},
		Positions: []Position{
			{MemberCode: "A", QuestionKey: "S", Preferred: 1},
			{MemberCode: "A", QuestionKey: "S", Preferred: 2, AcceptMax: 4}, // last valid one wins
			{MemberCode: "A", QuestionKey: "S", Preferred: 0},               // out of range: ignored
			{MemberCode: "B", QuestionKey: "S", Preferred: 6},               // out of range: ignored
			{MemberCode: "B", QuestionKey: "U", Answer: "x"},
			{MemberCode: "C", QuestionKey: "S", Preferred: 3},
		},
	}
	r := Analyze(in)
	if r.MembersTotal != 2 || len(r.Members) != 2 || r.Members[1].Name != "Ay" {
		t.Fatalf("members = %+v", r.Members)
	}
	if len(r.Questions) != 2 {
		t.Fatalf("questions = %d, want 2", len(r.Questions))
	}
	s := mustQuestion(t, r, "S")
	if !slices.Equal(s.Scale.Counts, []int{0, 1, 0, 0, 0}) {
		t.Errorf("counts = %v, want only A at 2", s.Scale.Counts)
	}
	if s.Scale.CommonGround == nil || *s.Scale.CommonGround != (Range{2, 4}) {
		t.Errorf("common ground = %v, want [2,4]", s.Scale.CommonGround)
	}
	checkStrings(t, "missing", s.Coverage.Missing, []string{"B"})
	if s.Classification != Insufficient || s.Scale.Blocking != nil {
		t.Errorf("class %q blocking %v", s.Classification, s.Scale.Blocking)
	}
	u := mustQuestion(t, r, "U")
	if u.Coverage.Responses != 0 || u.Classification != "" || u.Scale != nil || u.Choice != nil || u.TextStats != nil {
		t.Errorf("unknown kind = %+v", u)
	}
	checkStrings(t, "ranking", r.Ranking, []string{"S"})
	if r.Map.Points[0].Member != "A" || r.Map.Blocs[0].ID != 1 || r.Map.Silhouette != 0 {
		t.Errorf("map = %+v", r.Map)
	}
}

func TestAnalyzeThresholds(t *testing.T) {
	in := smallConsultation()
	in.Thresholds = Thresholds{BroadCns: 0.5, BroadAgreementPct: 60, PolarizedShare: 0.6}
	r := Analyze(in)
	if r.Thresholds != in.Thresholds {
		t.Errorf("thresholds = %+v", r.Thresholds)
	}
	// Q1: Cns 0.54 >= 0.5, agreement 80 >= 60 → broad agreement.
	// Q2: shares .5 < .6 → divided. Q3: plurality .6 >= .6 → broad agreement.
	for key, want := range map[string]Classification{"Q1": BroadAgreement, "Q2": Divided, "Q3": BroadAgreement} {
		if got := mustQuestion(t, r, key).Classification; got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	// divided Q2 first; broad: Q1 (0.54) before Q3 (0.6)
	checkStrings(t, "ranking", r.Ranking, []string{"Q2", "Q1", "Q3"})

	in.Thresholds = Thresholds{BroadCns: math.NaN(), BroadAgreementPct: math.Inf(1), PolarizedShare: 0.5}
	r = Analyze(in)
	want := Thresholds{BroadCns: 0.75, BroadAgreementPct: 75, PolarizedShare: 0.5}
	if r.Thresholds != want {
		t.Errorf("sanitised thresholds = %+v, want %+v", r.Thresholds, want)
	}
}

func TestAnalyzeNoTrendWithoutPrevious(t *testing.T) {
	in := smallConsultation()
	in.Previous = nil
	r := Analyze(in)
	for _, q := range r.Questions {
		if q.Trend != nil {
			t.Errorf("%s has a trend without a previous round", q.Key)
		}
	}
}

// TestAnalyzeScaleSizes runs whole questions on the smallest (3) and the
// largest (11) scale through Analyze, with hand-computed results.
func TestAnalyzeScaleSizes(t *testing.T) {
	labels := func(k int) []string {
		out := make([]string, k)
		for i := range out {
			out[i] = string(rune('a' + i))
		}
		return out
	}
	type answer struct {
		code       string
		x, lo, hi  int
		importance Importance
	}
	tests := []struct {
		name         string
		k            int
		answers      []answer
		median       float64
		cns          float64
		agree        float64
		outliers     []string
		ground       *Range
		blocking     *Blocking
		redLines     []RedLine
		class        Classification
		best         int
		accepting    int
		notAccepting []string
		holdouts     []string
		verdict      string
	}{
		{
			// 1 | 3: median 2, Cns 0; both within one point of 2 (100%) and
			// both half the scale away, but 2 candidates are not fewer than
			// a quarter of 2: no outliers. Acceptance 1:1, 3:1 → the lower
			// point 1; B does not accept it, and one against one is a split,
			// not a holdout.
			name: "3 points, split at the extremes", k: 3,
			answers: []answer{{"A", 1, 1, 1, ImportanceRedLine}, {"B", 3, 3, 3, ""}},
			median:  2, cns: 0, agree: 100, outliers: []string{},
			blocking: &Blocking{Members: []string{"B"}, Point: 1},
			redLines: []RedLine{{Member: "A", Preferred: 1, Side: "below"}},
			class:    Polarized,
			best:     1, accepting: 1, notAccepting: []string{"B"}, holdouts: []string{},
			verdict: "No common ground: 1 of 2 accepts point 1; 1 does not.",
		},
		{
			// 1,2,2,2,3: Cns 1 − ⅖ = 0.6; ranges meet at 2. A and E are half
			// the scale from 2, but 2 of 5 is not fewer than a quarter.
			name: "3 points, realistic", k: 3,
			answers: []answer{{"A", 1, 1, 2, ""}, {"B", 2, 1, 3, ""}, {"C", 2, 2, 2, ""}, {"D", 2, 2, 3, ""}, {"E", 3, 2, 3, ImportanceRedLine}},
			median:  2, cns: 0.6, agree: 100, outliers: []string{},
			ground:   &Range{2, 2},
			redLines: []RedLine{{Member: "E", Preferred: 3, Side: "above"}},
			class:    Consensus,
			best:     2, accepting: 5, notAccepting: []string{}, holdouts: []string{},
			verdict: "Consensus: every member who answered accepts point 2.",
		},
		{
			// acceptance 2:1, 3:1; 3 is the median → best point 3
			name: "3 points, one response", k: 3,
			answers: []answer{{"A", 3, 2, 3, ""}},
			median:  3, cns: 1, agree: 100, outliers: []string{},
			ground: &Range{2, 3},
			class:  Insufficient,
			best:   3, accepting: 1, notAccepting: []string{}, holdouts: []string{},
			verdict: "Too few answers to judge (1 of 1).",
		},
		{
			// 1 | 11: median 6, Cns 0, agreement 0. Acceptance 1–3 and 9–11;
			// 3 and 9 are both 3 from 6 → 3; B does not accept it.
			name: "11 points, split at the extremes", k: 11,
			answers: []answer{{"A", 1, 1, 3, ""}, {"B", 11, 9, 11, ""}},
			median:  6, cns: 0, agree: 0, outliers: []string{},
			blocking: &Blocking{Members: []string{"B"}, Point: 3},
			class:    Polarized,
			best:     3, accepting: 1, notAccepting: []string{"B"}, holdouts: []string{},
			verdict: "No common ground: 1 of 2 accepts point 3; 1 does not.",
		},
		{
			// 5,5,6,6,6,7,10: Cns 0.8062 (see TestCns), agreement 6/7; G's
			// range 8–11 misses the others' 6 → no common ground; point 6 is
			// accepted by six, G alone does not: 1 <= max(1, ⌊7/10⌋) → a
			// holdout, so near consensus although Cns and agreement would
			// make it broad agreement. 10 is 4 < 5 from 6: no outlier.
			name: "11 points, near consensus", k: 11,
			answers: []answer{{"A", 5, 4, 6, ""}, {"B", 5, 5, 7, ""}, {"C", 6, 5, 6, ""}, {"D", 6, 6, 8, ""},
				{"E", 6, 6, 6, ""}, {"F", 7, 6, 9, ""}, {"G", 10, 8, 11, ImportanceRedLine}},
			median: 6, cns: 0.8061878370948167, agree: 600.0 / 7, outliers: []string{},
			blocking: &Blocking{Members: []string{"G"}, Point: 6},
			redLines: []RedLine{{Member: "G", Preferred: 10, Side: "above"}},
			class:    NearConsensus,
			best:     6, accepting: 6, notAccepting: []string{"G"}, holdouts: []string{"G"},
			verdict: "Near consensus: all but G accept point 6.",
		},
		{
			// The same preferred points, each accepting only its own point:
			// 6 is accepted by C, D, E; four do not (> 1) → no holdouts;
			// Cns 0.8062 >= 0.75 and agreement 85.7% >= 75% → broad agreement.
			name: "11 points, broad agreement", k: 11,
			answers: []answer{{"A", 5, 5, 5, ""}, {"B", 5, 5, 5, ""}, {"C", 6, 6, 6, ""}, {"D", 6, 6, 6, ""},
				{"E", 6, 6, 6, ""}, {"F", 7, 7, 7, ""}, {"G", 10, 10, 10, ""}},
			median: 6, cns: 0.8061878370948167, agree: 600.0 / 7, outliers: []string{},
			blocking: &Blocking{Members: []string{"A", "B", "F", "G"}, Point: 6},
			class:    BroadAgreement,
			best:     6, accepting: 3, notAccepting: []string{"A", "B", "F", "G"}, holdouts: []string{},
			verdict: "No common ground: 3 of 7 accept point 6; 4 do not.",
		},
		{
			name: "11 points, all identical", k: 11,
			answers: []answer{{"A", 7, 7, 7, ""}, {"B", 7, 5, 9, ""}, {"C", 7, 6, 7, ""}},
			median:  7, cns: 1, agree: 100, outliers: []string{},
			ground: &Range{7, 7},
			class:  Unanimous,
			best:   7, accepting: 3, notAccepting: []string{}, holdouts: []string{},
			verdict: "Unanimous: every member who answered prefers point 7.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{Questions: []Question{{Key: "s", Kind: KindScale, Points: labels(tt.k)}}}
			for _, a := range tt.answers {
				in.Members = append(in.Members, Member{Code: a.code})
				in.Positions = append(in.Positions, Position{MemberCode: a.code, QuestionKey: "s", Preferred: a.x,
					AcceptMin: a.lo, AcceptMax: a.hi, Importance: a.importance})
			}
			q := Analyze(in).Questions[0]
			s := q.Scale
			if s.K != tt.k || len(s.Counts) != tt.k {
				t.Fatalf("k = %d with %d counts, want %d", s.K, len(s.Counts), tt.k)
			}
			checkFloat(t, "median", s.Median, tt.median)
			checkFloat(t, "Cns", s.Cns, tt.cns)
			checkFloat(t, "agreement", s.AgreementPct, tt.agree)
			checkStrings(t, "outliers", s.Outliers, tt.outliers)
			if !reflect.DeepEqual(s.CommonGround, tt.ground) {
				t.Errorf("common ground = %v, want %v", s.CommonGround, tt.ground)
			}
			if !reflect.DeepEqual(s.Blocking, tt.blocking) {
				t.Errorf("blocking = %+v, want %+v", s.Blocking, tt.blocking)
			}
			if want := tt.redLines; want == nil {
				if len(s.RedLines) != 0 {
					t.Errorf("red lines = %+v, want none", s.RedLines)
				}
			} else if !reflect.DeepEqual(s.RedLines, want) {
				t.Errorf("red lines = %+v, want %+v", s.RedLines, want)
			}
			if q.Classification != tt.class {
				t.Errorf("classification = %q, want %q", q.Classification, tt.class)
			}
			checkSignal(t, &q, tt.best, tt.accepting, tt.notAccepting, tt.holdouts)
			if q.Verdict != tt.verdict {
				t.Errorf("verdict = %q, want %q", q.Verdict, tt.verdict)
			}
		})
	}
}

func TestAnalyzeTrend(t *testing.T) {
	at := func(code string, x int) Position { return Position{MemberCode: code, QuestionKey: "s", Preferred: x} }
	tests := []struct {
		name      string
		current   []Position
		previous  []Position
		wantTrend bool
		cnsDelta  float64
		medDelta  float64
	}{
		{"no previous round", []Position{at("A", 2), at("B", 4)}, nil, false, 0, 0},
		{"nobody answered the previous round", []Position{at("A", 2), at("B", 4)}, []Position{}, false, 0, 0},
		// Deltas against an empty round would be measured from Cns 0 and
		// median 0: no trend instead.
		{"nobody answered this round", nil, []Position{at("A", 2), at("B", 4)}, false, 0, 0},
		// now 3,3 (Cns 1, median 3); before 2,4: μ = 3, |x − μ|/4 = ¼ →
		// 1 + log2(¾) = 0.5849625007 → Cns delta 0.4150374993, median delta 0
		{"both rounds answered", []Position{at("A", 3), at("B", 3)}, []Position{at("A", 2), at("B", 4)}, true, 0.4150374992788438, 0},
		// now 5 (median 5); before 1, 2 (median 1.5, Cns 1 + log2(7/8) = 0.8073549221)
		{"one answer now", []Position{at("A", 5)}, []Position{at("A", 1), at("B", 2)}, true, 1 - 0.8073549220576041, 3.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Analyze(Input{
				Members:   []Member{{"A", ""}, {"B", ""}},
				Questions: []Question{{Key: "s", Kind: KindScale, Points: five}},
				Positions: tt.current,
				Previous:  tt.previous,
			})
			tr := r.Questions[0].Trend
			if (tr != nil) != tt.wantTrend {
				t.Fatalf("trend = %+v, want present: %t", tr, tt.wantTrend)
			}
			if tr != nil {
				checkFloat(t, "Cns delta", tr.CnsDelta, tt.cnsDelta)
				checkFloat(t, "median delta", tr.MedianDelta, tt.medDelta)
			}
		})
	}
}

func TestAnalyzeRankingTies(t *testing.T) {
	// Three questions with identical answers → same class and Cns: kept in
	// question order; the unanimous and insufficient ones come last.
	in := Input{
		Members: []Member{{"A", ""}, {"B", ""}},
		Questions: []Question{
			{Key: "none", Kind: KindScale, Points: five},
			{Key: "same", Kind: KindScale, Points: five},
			{Key: "x", Kind: KindScale, Points: five},
			{Key: "y", Kind: KindScale, Points: five},
			{Key: "c", Kind: KindChoice, Options: []string{"p", "q"}},
		},
		Positions: []Position{
			{MemberCode: "A", QuestionKey: "same", Preferred: 3},
			{MemberCode: "B", QuestionKey: "same", Preferred: 3},
			{MemberCode: "A", QuestionKey: "x", Preferred: 1},
			{MemberCode: "B", QuestionKey: "x", Preferred: 5},
			{MemberCode: "A", QuestionKey: "y", Preferred: 5},
			{MemberCode: "B", QuestionKey: "y", Preferred: 1},
			{MemberCode: "A", QuestionKey: "c", Option: "p"},
			{MemberCode: "B", QuestionKey: "c", Option: "q"},
		},
	}
	r := Analyze(in)
	// x, y polarized (Cns 0, question order), c divided, same unanimous, none
	// insufficient. (One against one is a split, not a holdout: x, y and c
	// are not near consensus.)
	checkStrings(t, "ranking", r.Ranking, []string{"x", "y", "c", "same", "none"})
}

// TestAnalyzeJSONOddInputs checks that odd inputs give reports that encode
// as JSON (no NaN or Inf) and do not panic.
func TestAnalyzeJSONOddInputs(t *testing.T) {
	same := Input{Members: []Member{{"A", ""}, {"B", ""}, {"C", ""}, {"D", ""}}, Questions: []Question{{Key: "s", Kind: KindScale, Points: five}}}
	for _, m := range same.Members {
		same.Positions = append(same.Positions, Position{MemberCode: m.Code, QuestionKey: "s", Preferred: 4})
	}
	tests := []struct {
		name string
		in   Input
	}{
		{"empty", Input{}},
		{"members only", Input{Members: []Member{{"A", "a"}}}},
		{"questions only", Input{Questions: []Question{{Key: "s", Kind: KindScale, Points: five}, {Key: "c", Kind: KindChoice}}}},
		{"no points and one point", Input{
			Members:   []Member{{"A", ""}, {"B", ""}, {"C", ""}},
			Questions: []Question{{Key: "z", Kind: KindScale}, {Key: "o", Kind: KindScale, Points: []string{"only"}}},
			Positions: []Position{
				{MemberCode: "A", QuestionKey: "z", Preferred: 1},
				{MemberCode: "A", QuestionKey: "o", Preferred: 1},
				{MemberCode: "B", QuestionKey: "o", Preferred: 1},
				{MemberCode: "C", QuestionKey: "o", Preferred: 1},
			},
			Previous: []Position{},
		}},
		{"zero variance", same},
		{"one member", Input{
			Members:   []Member{{"A", ""}},
			Questions: []Question{{Key: "s", Kind: KindScale, Points: five}},
			Positions: []Position{{MemberCode: "A", QuestionKey: "s", Preferred: 2}},
			Previous:  []Position{{MemberCode: "A", QuestionKey: "s", Preferred: 3}},
		}},
		{"NaN thresholds", Input{Thresholds: Thresholds{BroadCns: math.NaN()}}},
		{"small", smallConsultation()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Analyze(tt.in)
			if _, err := json.Marshal(r); err != nil {
				t.Fatalf("json.Marshal: %v", err)
			}
			checkBlocs(t, r)
		})
	}
	r := Analyze(same)
	if len(r.Map.Blocs) != 1 || len(r.Map.Blocs[0].Members) != 4 || r.Map.Silhouette != 0 || r.Map.Explained != [2]float64{} {
		t.Errorf("zero variance map = %+v", r.Map)
	}
	if q := r.Questions[0]; q.Classification != Unanimous || q.Scale.CommonGround == nil {
		t.Errorf("zero variance question = %q %v", q.Classification, q.Scale.CommonGround)
	}
}

func TestAnalyzeJSONTags(t *testing.T) {
	b, err := json.Marshal(Analyze(smallConsultation()))
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(b, &generic); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"thresholds", "members_total", "quorum", "provisional", "questions", "ranking", "class_counts", "members", "similarity", "opinion_map"} {
		if _, ok := generic[key]; !ok {
			t.Errorf("JSON key %q missing", key)
		}
	}
	for _, qi := range generic["questions"].([]any) {
		q := qi.(map[string]any)
		for _, key := range []string{"number", "best_point", "accepting", "quorate", "provisional", "verdict"} {
			if _, ok := q[key]; !ok {
				t.Errorf("question JSON key %q missing", key)
			}
		}
		// lists are [] (never null), also for text questions
		for _, key := range []string{"not_accepting", "holdouts"} {
			if _, ok := q[key].([]any); !ok {
				t.Errorf("question %v JSON %q = %v, want a list", q["key"], key, q[key])
			}
		}
	}
	q := generic["questions"].([]any)[0].(map[string]any)
	scale := q["scale"].(map[string]any)
	for _, key := range []string{"agreement_pct", "common_ground", "by_point", "red_lines", "iqr"} {
		if _, ok := scale[key]; !ok {
			t.Errorf("scale JSON key %q missing", key)
		}
	}
	assertSnake(t, reflect.TypeOf(Report{}), map[reflect.Type]bool{})
	assertSnake(t, reflect.TypeOf(Input{}), map[reflect.Type]bool{})
}

// assertSnake checks that every exported struct field reachable from typ
// has a snake_case JSON tag.
func assertSnake(t *testing.T, typ reflect.Type, seen map[reflect.Type]bool) {
	t.Helper()
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Array || typ.Kind() == reflect.Map {
		typ = typ.Elem()
	}
	if typ.Kind() != reflect.Struct || seen[typ] {
		return
	}
	seen[typ] = true
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, _, _ := cutComma(tag)
		if name == "" {
			t.Errorf("%s.%s has no JSON tag", typ.Name(), f.Name)
		}
		for _, r := range name {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
				t.Errorf("%s.%s JSON tag %q is not snake_case", typ.Name(), f.Name, name)
				break
			}
		}
		assertSnake(t, f.Type, seen)
	}
}

func cutComma(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == ',' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func TestAnalyzeDeterministicSynthetic(t *testing.T) {
	in := synthetic(32, 50, true)
	a, b := Analyze(in), Analyze(in)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("Analyze is not deterministic")
	}
	checkBlocs(t, a)
	if len(a.Map.Blocs) < 2 {
		t.Errorf("synthetic data with 3 camps gave %d blocs", len(a.Map.Blocs))
	}
	if _, err := json.Marshal(a); err != nil {
		t.Fatal(err)
	}
}

func TestAnalyzeDoesNotModifyInput(t *testing.T) {
	in := smallConsultation()
	before := smallConsultation()
	r := Analyze(in)
	r.Questions[0].Points[0] = "changed"
	if !reflect.DeepEqual(in, before) {
		t.Error("Analyze or its report modified the input")
	}
}
