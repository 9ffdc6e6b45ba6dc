package charts

import (
	"slices"
	"strings"
	"testing"

	"concord/consensus"
)

func TestSignedFigures(t *testing.T) {
	floats := []struct {
		name     string
		v        float64
		decimals int
		want     string
	}{
		{"positive", 0.19, 2, "+0.19"},
		{"negative, true minus", -2, 2, "−2.00"},
		{"zero has no sign", 0, 1, "0.0"},
		{"rounds to zero: no sign", -0.004, 2, "0.00"},
		{"half a point", 0.5, 1, "+0.5"},
		{"whole percentage points", -12.6, 0, "−13"},
	}
	for _, tc := range floats {
		t.Run(tc.name, func(t *testing.T) {
			if got := signedFloat(tc.v, tc.decimals); got != tc.want {
				t.Errorf("signedFloat(%v, %d) = %q, want %q", tc.v, tc.decimals, got, tc.want)
			}
		})
	}
	ints := []struct {
		n    int
		want string
	}{{2, "+2"}, {-1, "−1"}, {0, "0"}}
	for _, tc := range ints {
		if got := signedInt(tc.n); got != tc.want {
			t.Errorf("signedInt(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

// trendQuestion is a 5-point scale question in its second round, with the
// figures of the handler tests' council question: previous median 2,
// five members answering both rounds, three of them moving.
func trendQuestion() *consensus.QuestionReport {
	return &consensus.QuestionReport{
		Key: "council", Kind: consensus.KindScale, Text: "Revive the Council?",
		Points:         []string{"Frozen", "Hotline", "Talks", "Negotiations", "Full"},
		Classification: consensus.NearConsensus,
		Coverage:       consensus.Coverage{Responses: 5, MembersTotal: 6},
		Scale:          &consensus.ScaleStats{K: 5, Median: 2, IQR: 1, Cns: 0.46},
		Trend: &consensus.Trend{
			PreviousResponses: 5, PreviousMedian: 2, PreviousIQR: 3, PreviousCns: 0.27,
			MedianDelta: 0, IQRDelta: -2, CnsDelta: 0.19,
			PreviousClassification: consensus.Polarized, ClassificationChanged: true,
			PreviousCommonGround: &consensus.Range{Lo: 2, Hi: 3}, CommonGroundChanged: true,
			Both: 5, Unchanged: 2, UnchangedPct: 40, Stable: false, Convergence: consensus.Converging,
			// Alphabetical, as the analysis gives them.
			Movement: []consensus.Movement{
				{Member: "EST", Before: 1, After: 1, Shift: 0, Direction: consensus.MovedUnchanged, AcceptBefore: consensus.Range{Lo: 1, Hi: 2}, AcceptAfter: consensus.Range{Lo: 1, Hi: 2}},
				{Member: "HUN", Before: 5, After: 5, Shift: 0, Direction: consensus.MovedUnchanged, AcceptBefore: consensus.Range{Lo: 4, Hi: 5}, AcceptAfter: consensus.Range{Lo: 4, Hi: 5}},
				{Member: "POL", Before: 1, After: 2, Shift: 1, Direction: consensus.MovedToward, AcceptBefore: consensus.Range{Lo: 1, Hi: 2}, AcceptAfter: consensus.Range{Lo: 1, Hi: 3}},
				{Member: "SVK", Before: 4, After: 2, Shift: -2, Direction: consensus.MovedToward, AcceptBefore: consensus.Range{Lo: 3, Hi: 5}, AcceptAfter: consensus.Range{Lo: 2, Hi: 4}},
				{Member: "USA", Before: 2, After: 3, Shift: 1, Direction: consensus.MovedAway, AcceptBefore: consensus.Range{Lo: 1, Hi: 3}, AcceptAfter: consensus.Range{Lo: 2, Hi: 4}},
			},
		},
	}
}

var trendNames = map[string]string{"EST": "Estonia", "HUN": "Hungary", "POL": "Poland", "SVK": "Slovakia", "USA": "United States"}

func TestNewTrendViewScale(t *testing.T) {
	v := NewTrendView(trendQuestion(), trendNames)
	if v == nil {
		t.Fatal("no trend view for a question with a trend")
	}
	wantChanges := []Change{
		{Label: "Median", Before: "2", After: "2", Delta: "0.0"},
		{Label: "Interquartile range", Abbr: "IQR", AbbrTitle: GlossIQR, Before: "3", After: "1", Delta: "−2.00"},
		{Label: "Consensus score", Abbr: "Cns", AbbrTitle: GlossCns, Before: "0.27", After: "0.46", Delta: "+0.19"},
	}
	if !slices.Equal(v.Changes, wantChanges) {
		t.Errorf("changes\n got %+v\nwant %+v", v.Changes, wantChanges)
	}
	checks := []struct {
		name, got, want string
	}{
		{"class before", v.ClassBefore.Label, "polarized"},
		{"class after", v.ClassAfter.Label, "near consensus"},
		{"ground before", v.GroundBefore, "points 2–3: Hotline – Talks"},
		{"ground after", v.GroundAfter, ""},
		{"unchanged", v.UnchangedPct, "40%"},
		{"stable text", v.StableText, "Not yet stable: only 2 of the 5 members who answered both rounds (40%) kept their preferred point (stability needs 80%), " +
			"and the consensus score moved by 0.19 (stability needs less than 0.05)."},
		{"convergence", v.ConvergenceText, "Converging: the consensus score rose by 0.05 or more; the members came closer together."},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !v.Scale || !v.ClassChanged || !v.GroundChanged || v.Stable || v.Both != 5 || v.Unchanged != 2 || v.Moved != 3 {
		t.Errorf("flags and counts: %+v", v)
	}
	// Largest shift first, then by code.
	var order []string
	for _, m := range v.Movement {
		order = append(order, m.Member.Code)
	}
	if want := []string{"SVK", "POL", "USA", "EST", "HUN"}; !slices.Equal(order, want) {
		t.Errorf("movement order %q, want %q", order, want)
	}
	svk := v.Movement[0]
	want := MoveRow{Member: MemberRef{"SVK", "Slovakia"}, Before: 4, After: 2, Shift: -2, BeforeLabel: "Negotiations", AfterLabel: "Hotline",
		ShiftText: "−2", Direction: "toward", Glyph: "→←", AcceptBefore: "points 3–5", AcceptAfter: "points 2–4"}
	if svk != want {
		t.Errorf("SVK row\n got %+v\nwant %+v", svk, want)
	}
	if usa := v.Movement[2]; usa.Direction != "away" || usa.Glyph != "←→" || usa.ShiftText != "+1" {
		t.Errorf("USA row %+v", usa)
	}
	if est := v.Movement[3]; est.Direction != "unchanged" || est.Glyph != "=" || est.ShiftText != "0" {
		t.Errorf("EST row %+v", est)
	}
	// The chart draws the three members who moved, and only them.
	chart := string(v.Chart)
	for _, want := range []string{`role="img"`, `aria-labelledby="movement-council-title movement-council-desc"`,
		"How 3 members moved since the previous round", "SVK from 4 to 2 (toward)", "USA from 2 to 3 (away)", "previous median"} {
		if !strings.Contains(chart, want) {
			t.Errorf("movement chart lacks %q", want)
		}
	}
	if strings.Contains(chart, ">EST<") || strings.Contains(chart, ">HUN<") {
		t.Error("the movement chart draws members who did not move")
	}
}

func TestNewTrendViewChoice(t *testing.T) {
	q := &consensus.QuestionReport{
		Key: "act", Kind: consensus.KindChoice, Options: []string{"Keep it", "Suspend it", "Void it"},
		Classification: consensus.BroadAgreement,
		Choice:         &consensus.ChoiceStats{PluralityShare: 0.8, CommonGround: []int{1}},
		Trend: &consensus.Trend{PreviousResponses: 5, PreviousPluralityShare: 0.6, PreviousClassification: consensus.Divided,
			ClassificationChanged: true, CommonGroundChanged: true, Both: 5, Unchanged: 4, UnchangedPct: 80, Stable: true,
			Convergence: consensus.Converging, Movement: []consensus.Movement{}},
	}
	v := NewTrendView(q, nil)
	want := []Change{{Label: "Share of the most chosen option", Before: "60%", After: "80%", Delta: "+20 points"}}
	if !slices.Equal(v.Changes, want) {
		t.Errorf("changes %+v, want %+v", v.Changes, want)
	}
	if v.Scale || v.GroundBefore != "" || v.GroundAfter != "option 1: Keep it" || len(v.Movement) != 0 || v.Chart != "" {
		t.Errorf("choice view: %+v", v)
	}
	if want := "Stable: 4 of the 5 members who answered both rounds (80%) kept their option."; v.StableText != want {
		t.Errorf("stable text %q, want %q", v.StableText, want)
	}
	if want := "Converging: the share of the most chosen option rose by 0.05 or more; the members came closer together."; v.ConvergenceText != want {
		t.Errorf("convergence %q, want %q", v.ConvergenceText, want)
	}
}

func TestNewTrendViewWithoutTrend(t *testing.T) {
	q := trendQuestion()
	q.Trend = nil
	if v := NewTrendView(q, trendNames); v != nil {
		t.Errorf("trend view %+v for a question without a trend", v)
	}
}

func TestStableText(t *testing.T) {
	scale := &consensus.QuestionReport{Kind: consensus.KindScale}
	tests := []struct {
		name string
		t    consensus.Trend
		want string
	}{
		{"stable", consensus.Trend{Both: 10, Unchanged: 9, UnchangedPct: 90, CnsDelta: -0.02, Stable: true},
			"Stable: 9 of the 10 members who answered both rounds (90%) kept their preferred point, and the consensus score moved by 0.02, less than 0.05."},
		{"kept, but Cns moved", consensus.Trend{Both: 5, Unchanged: 4, UnchangedPct: 80, CnsDelta: -0.08},
			"Not yet stable: the consensus score moved by 0.08 (stability needs less than 0.05)."},
		{"too many changed", consensus.Trend{Both: 4, Unchanged: 1, UnchangedPct: 25, CnsDelta: 0.01},
			"Not yet stable: only 1 of the 4 members who answered both rounds (25%) kept their preferred point (stability needs 80%)."},
		{"one member", consensus.Trend{Both: 1, Unchanged: 0, UnchangedPct: 0},
			"Not yet stable: only 0 of the 1 member who answered both rounds (0%) kept its preferred point (stability needs 80%)."},
		{"nobody in both rounds", consensus.Trend{}, "Not stable: no member answered both rounds."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := stableText(scale, &tc.t); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// roundsReport is a hand-built report in its second round: five ranked
// questions (one converging, one diverging, one steady, one unanswered in
// a round, one insufficient) and members who moved by different amounts.
func roundsReport() *consensus.Report {
	trend := func(conv string, stable bool) *consensus.Trend {
		return &consensus.Trend{Convergence: conv, Stable: stable, Both: 3}
	}
	r := &consensus.Report{
		Questions: []consensus.QuestionReport{
			{Number: 1, Key: "a", Text: "A?", Kind: consensus.KindScale, Classification: consensus.Divided, Scale: &consensus.ScaleStats{K: 5}, Trend: trend(consensus.Diverging, false)},
			{Number: 2, Key: "b", Text: "B?", Kind: consensus.KindScale, Classification: consensus.Consensus, Scale: &consensus.ScaleStats{K: 5}, Trend: trend(consensus.Converging, false)},
			{Number: 3, Key: "c", Text: "C?", Kind: consensus.KindChoice, Classification: consensus.Unanimous, Choice: &consensus.ChoiceStats{}, Trend: trend(consensus.Steady, true)},
			{Number: 4, Key: "d", Text: "D?", Kind: consensus.KindScale, Classification: consensus.Consensus, Scale: &consensus.ScaleStats{K: 5}},
			{Number: 5, Key: "e", Text: "E?", Kind: consensus.KindScale, Classification: consensus.Insufficient, Scale: &consensus.ScaleStats{K: 5}},
			{Number: 6, Key: "f", Text: "F?", Kind: consensus.KindText},
		},
		// Most divided first, as the analysis ranks them.
		Ranking: []string{"a", "e", "d", "b", "c"},
	}
	mv := func(q, changed, toward, away int, shift float64) *consensus.MemberMovement {
		return &consensus.MemberMovement{Questions: q, Changed: changed, Toward: toward, Away: away, MeanShift: shift}
	}
	r.Members = []consensus.MemberProfile{
		{Code: "USA", Name: "United States", Movement: mv(3, 1, 1, 0, 0.25)},
		{Code: "EST", Name: "Estonia", Movement: mv(3, 0, 0, 0, 0)},
		{Code: "POL", Name: "Poland", Movement: mv(3, 1, 0, 1, 0.25)},
		{Code: "SVK", Name: "Slovakia", Movement: mv(3, 2, 2, 0, 0.5)},
		{Code: "ISL", Name: "Iceland", Movement: mv(0, 0, 0, 0, 0)},
	}
	return r
}

func TestNewSinceView(t *testing.T) {
	v := NewSinceView(roundsReport())
	if v == nil {
		t.Fatal("no summary for a report with a previous round")
	}
	keys := func(refs []QuestionRef) string {
		var out []string
		for _, q := range refs {
			out = append(out, q.Key)
		}
		return strings.Join(out, ",")
	}
	lists := []struct{ name, got, want string }{
		{"converging", keys(v.Converging), "b"},
		{"diverging", keys(v.Diverging), "a"},
		{"steady", keys(v.Steady), "c"},
		// By question number, not by rank.
		{"not compared", keys(v.NotCompared), "d,e"},
	}
	for _, l := range lists {
		if l.got != l.want {
			t.Errorf("%s: %q, want %q", l.name, l.got, l.want)
		}
	}
	// Ranked and not insufficient: a, d, b, c; only c is stable.
	if v.Stable != 1 || v.NotStable != 3 || v.AllStable {
		t.Errorf("stable %d, not stable %d, all %v; want 1, 3, false", v.Stable, v.NotStable, v.AllStable)
	}
	var movers []string
	for _, m := range v.Movers {
		movers = append(movers, m.Member.Code)
	}
	// SVK moved most; POL and USA tie and go by code; EST and ISL did not move.
	if want := []string{"SVK", "POL", "USA"}; !slices.Equal(movers, want) {
		t.Errorf("movers %q, want %q", movers, want)
	}
	if want := (Mover{Member: MemberRef{"SVK", "Slovakia"}, Questions: 3, Changed: 2, Toward: 2, MeanShiftPct: 50}); v.Movers[0] != want {
		t.Errorf("first mover %+v, want %+v", v.Movers[0], want)
	}
	if got := Movers(roundsReport(), 2); len(got) != 2 || got[1].Member.Code != "POL" {
		t.Errorf("Movers limited to 2: %+v", got)
	}

	all := roundsReport()
	all.AllStable = true
	if v := NewSinceView(all); !v.AllStable {
		t.Error("the report's stop rule is not carried")
	}
	first := &consensus.Report{Members: []consensus.MemberProfile{{Code: "EST"}}, Questions: []consensus.QuestionReport{{Key: "a"}}}
	if v := NewSinceView(first); v != nil || HasPreviousRound(first) {
		t.Errorf("a first-round report has a summary: %+v", v)
	}
}

func TestRankTrend(t *testing.T) {
	tests := []struct {
		name string
		q    consensus.QuestionReport
		want *RankTrend
	}{
		{"scale, converging", consensus.QuestionReport{Scale: &consensus.ScaleStats{}, Trend: &consensus.Trend{CnsDelta: 0.19, Convergence: consensus.Converging}},
			&RankTrend{Delta: "+0.19", Glyph: "↑", Convergence: "converging"}},
		{"scale, diverging", consensus.QuestionReport{Scale: &consensus.ScaleStats{}, Trend: &consensus.Trend{CnsDelta: -0.3, Convergence: consensus.Diverging}},
			&RankTrend{Delta: "−0.30", Glyph: "↓", Convergence: "diverging"}},
		{"choice, steady and stable", consensus.QuestionReport{Choice: &consensus.ChoiceStats{}, Trend: &consensus.Trend{Convergence: consensus.Steady, Stable: true}},
			&RankTrend{Glyph: "→", Convergence: "steady", Stable: true}},
		{"no trend", consensus.QuestionReport{Scale: &consensus.ScaleStats{}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rankTrend(&tc.q)
			if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestMemberAndBlocMovement(t *testing.T) {
	if got := memberMove(nil); got != nil {
		t.Errorf("member movement %+v without a previous round", got)
	}
	m := memberMove(&consensus.MemberMovement{Questions: 5, Changed: 3, Toward: 2, Away: 1, MeanShift: 0.15})
	if want := (MemberMoveView{Questions: 5, Changed: 3, Toward: 2, Away: 1, Kept: 2, MeanShiftPct: 15}); *m != want {
		t.Errorf("member movement %+v, want %+v", *m, want)
	}
	if got := blocMove(nil); got != nil {
		t.Errorf("bloc movement %+v without a previous round", got)
	}
	b := blocMove(&consensus.BlocMovement{Members: 4, Toward: 2, Away: 1, Unchanged: 5, MeanShift: 0.125})
	if want := (BlocMoveView{Members: 4, Toward: 2, Away: 1, Unchanged: 5, MeanShiftPct: 12.5}); *b != want {
		t.Errorf("bloc movement %+v, want %+v", *b, want)
	}
}

func TestMovementChartWithoutMoves(t *testing.T) {
	q := trendQuestion()
	rows := []MoveRow{{Member: MemberRef{"EST", "Estonia"}, Before: 1, After: 1, Direction: "unchanged"}}
	if got := MovementChart(q, rows, "m"); got != "" {
		t.Errorf("a chart when nobody moved: %s", got)
	}
	q.Trend = nil
	if got := MovementChart(q, []MoveRow{{Before: 1, After: 2, Shift: 1}}, "m"); got != "" {
		t.Errorf("a chart without a trend: %s", got)
	}
}

func TestGlossaryHasTheRoundTerms(t *testing.T) {
	terms := Glossary(consensus.DefaultThresholds(), 0, 32)
	anchors := map[string]string{}
	for _, tm := range terms {
		anchors[tm.Anchor] = tm.Meaning
	}
	for _, a := range []string{"trend", "movement", "toward-away", "unchanged-pct", "stable", "converging"} {
		if anchors[a] == "" {
			t.Errorf("the glossary has no %q", a)
		}
	}
	if want := "at least 80% of the members who answered both rounds kept their answer and its consensus score moved by less than 0.05"; !strings.Contains(anchors["stable"], want) {
		t.Errorf("stable: %q lacks %q", anchors["stable"], want)
	}
}
