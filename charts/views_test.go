package charts

import (
	"math"
	"slices"
	"strings"
	"testing"

	"concord/consensus"
)

// allianceReport is a small consultation: six members (ISL silent), a
// blocked scale question, a unanimous one, a choice and a text question.
func allianceReport(t *testing.T) (*consensus.Report, []consensus.Position) {
	t.Helper()
	in := consensus.Input{
		Members: []consensus.Member{{Code: "EST", Name: "Estonia"}, {Code: "POL", Name: "Poland"}, {Code: "USA", Name: "United States"},
			{Code: "HUN", Name: "Hungary"}, {Code: "SVK", Name: "Slovakia"}, {Code: "ISL", Name: "Iceland"}},
		Questions: []consensus.Question{
			{Key: "council", Section: "Dialogue", Text: "Should the Council be revived?", Kind: consensus.KindScale, Points: fiveLabels},
			{Key: "stance", Section: "Posture", Text: "How assertive should the stance be?", Kind: consensus.KindScale,
				Points: []string{"Much softer", "Softer", "Unchanged", "Firmer", "Much firmer"}},
			{Key: "act", Section: "Treaties", Text: "What of the Founding Act?", Kind: consensus.KindChoice,
				Options: []string{"Keep it", "Suspend it", "Void it"}},
			{Key: "notes", Section: "Other", Text: "Anything else?", Kind: consensus.KindText},
		},
	}
	add := func(p consensus.Position) { in.Positions = append(in.Positions, p) }
	add(consensus.Position{MemberCode: "EST", QuestionKey: "council", Preferred: 1, AcceptMin: 1, AcceptMax: 2,
		Importance: consensus.ImportanceRedLine, Rationale: "No talks until the troops withdraw."})
	add(consensus.Position{MemberCode: "POL", QuestionKey: "council", Preferred: 1, AcceptMin: 1, AcceptMax: 2})
	add(consensus.Position{MemberCode: "USA", QuestionKey: "council", Preferred: 2, AcceptMin: 1, AcceptMax: 3, Rationale: "A hotline is enough."})
	add(consensus.Position{MemberCode: "HUN", QuestionKey: "council", Preferred: 5, AcceptMin: 4, AcceptMax: 5,
		Importance: consensus.ImportanceHigh, Rationale: "Dialogue <now> & \"always\"."})
	add(consensus.Position{MemberCode: "SVK", QuestionKey: "council", Preferred: 4, AcceptMin: 3, AcceptMax: 5})
	for _, c := range []string{"EST", "POL", "USA", "HUN", "SVK"} {
		add(consensus.Position{MemberCode: c, QuestionKey: "stance", Preferred: 3, AcceptMin: 2, AcceptMax: 4})
	}
	add(consensus.Position{MemberCode: "EST", QuestionKey: "act", Option: "Void it", Rationale: "Void it now."})
	add(consensus.Position{MemberCode: "POL", QuestionKey: "act", Option: "Void it"})
	add(consensus.Position{MemberCode: "USA", QuestionKey: "act", Option: "Keep it", Rationale: "Keep the door open."})
	add(consensus.Position{MemberCode: "HUN", QuestionKey: "act", Option: "Keep it"})
	add(consensus.Position{MemberCode: "SVK", QuestionKey: "act", Option: "Keep it"})
	add(consensus.Position{MemberCode: "HUN", QuestionKey: "notes", Answer: "National constraints apply."})
	return consensus.Analyze(in), in.Positions
}

func TestNewOverview(t *testing.T) {
	rep, _ := allianceReport(t)
	o := NewOverview(rep)
	if o.Responding != 5 || o.Total != 6 || len(o.Missing) != 1 || o.Missing[0] != (MemberRef{Code: "ISL", Name: "Iceland"}) {
		t.Errorf("coverage %d/%d missing %v, want 5/6 missing ISL", o.Responding, o.Total, o.Missing)
	}
	if len(o.Ranked) != 3 {
		t.Fatalf("%d ranked questions, want 3", len(o.Ranked))
	}
	var council *RankRow
	for i := range o.Ranked {
		if o.Ranked[i].Rank != i+1 {
			t.Errorf("row %d has rank %d", i, o.Ranked[i].Rank)
		}
		if o.Ranked[i].Key == "council" {
			council = &o.Ranked[i]
		}
	}
	if council == nil || council.Blockers == nil {
		t.Fatalf("council row without blockers: %+v", council)
	}
	if got, want := council.Blockers.Statement(), "consensus minus 2 at point 2: Hotline only"; got != want {
		t.Errorf("statement %q, want %q", got, want)
	}
	if council.CommonGround != "" || council.OutlierCount != 2 || council.RedLineCount != 1 {
		t.Errorf("council row %+v: want no common ground, 2 outliers, 1 red line", council)
	}
	for _, r := range o.Ranked {
		switch r.Key {
		case "stance":
			if r.CommonGround != "points 2–4: Softer – Firmer" || r.Badge.Class != "class-unanimous" {
				t.Errorf("stance row: common ground %q, badge %+v", r.CommonGround, r.Badge)
			}
		case "act":
			if r.Scale || strings.Join(r.Plurality, ",") != "Keep it" || math.Abs(r.PluralitySharePct-60) > 1e-9 {
				t.Errorf("act row: %+v", r)
			}
		}
	}
	if len(o.Texts) != 1 || o.Texts[0].Key != "notes" || o.Texts[0].Answers != 1 {
		t.Errorf("text questions %+v", o.Texts)
	}
	counted := 0
	for _, c := range o.Classes {
		counted += c.Count
	}
	if counted != 3 || o.PolarizedPct != "33%" {
		t.Errorf("class counts sum %d, polarized %q", counted, o.PolarizedPct)
	}
}

func TestNewQuestionView(t *testing.T) {
	rep, pos := allianceReport(t)
	tests := []struct {
		key             string
		wantOK          bool
		wantStatement   string
		wantHighlighted []string // member codes, in order
		wantRationale   map[string]string
	}{
		{key: "council", wantOK: true,
			wantStatement:   "No common ground — blocked by HUN, SVK (consensus minus 2 at point 2: Hotline only)",
			wantHighlighted: []string{"EST", "SVK", "HUN"},
			wantRationale:   map[string]string{"EST": "No talks until the troops withdraw.", "HUN": "Dialogue <now> & \"always\"."}},
		{key: "stance", wantOK: true},
		{key: "act", wantOK: true, wantHighlighted: []string{"EST"}, wantRationale: map[string]string{"EST": "Void it now."}},
		{key: "notes", wantOK: true},
		{key: "missing", wantOK: false},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			v, ok := NewQuestionView(rep, tc.key, pos)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			if !ok {
				return
			}
			if v.NoCommonGround != tc.wantStatement {
				t.Errorf("statement %q, want %q", v.NoCommonGround, tc.wantStatement)
			}
			var got []string
			for _, h := range v.Highlighted {
				got = append(got, h.Member.Code)
				if want, ok := tc.wantRationale[h.Member.Code]; ok && h.Rationale != want {
					t.Errorf("%s rationale %q, want %q", h.Member.Code, h.Rationale, want)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.wantHighlighted, ",") {
				t.Errorf("highlighted %v, want %v", got, tc.wantHighlighted)
			}
		})
	}

	v, _ := NewQuestionView(rep, "council", pos)
	if v.Prev != nil || v.Next == nil || v.Next.Key != "stance" || v.Number != 1 || v.Count != 4 {
		t.Errorf("navigation: number %d of %d, prev %v, next %v", v.Number, v.Count, v.Prev, v.Next)
	}
	hun := v.Points[4].Members
	if len(hun) != 1 || !hun[0].Outlier || !hun[0].Blocking || hun[0].RedLine {
		t.Errorf("point 5 members %+v, want HUN outlier and blocking", hun)
	}
	if est := v.Points[0].Members[0]; est.Code != "EST" || !est.RedLine || est.Blocking {
		t.Errorf("point 1 first member %+v, want EST with a red line", est)
	}
	if !v.Points[1].Median || !v.Points[1].BlockingPoint || v.Points[0].Median {
		t.Errorf("median and blocking point not on point 2: %+v", v.Points[:2])
	}
	if len(v.Others) != 1 || v.Others[0].Member.Code != "USA" || v.Others[0].Acceptable != "points 1–3" {
		t.Errorf("other rationales %+v, want USA accepting points 1–3", v.Others)
	}
	if v.Missing[0].Code != "ISL" {
		t.Errorf("missing %v", v.Missing)
	}
	if !strings.Contains(string(v.Chart), "<svg") {
		t.Error("no chart")
	}

	notes, _ := NewQuestionView(rep, "notes", pos)
	if len(notes.Answers) != 1 || notes.Answers[0].Position != "National constraints apply." || notes.Chart != "" {
		t.Errorf("text answers %+v", notes.Answers)
	}
}

func TestNewHeatmap(t *testing.T) {
	rep, _ := allianceReport(t)
	tests := []struct {
		sort       string
		wantSort   string
		wantGroups int
	}{
		{"member", SortMember, 1},
		{"", SortMember, 1},
		{"<script>", SortMember, 1},
		{"bloc", SortBloc, len(rep.Map.Blocs) + 1}, // + ISL, not placed
	}
	for _, tc := range tests {
		t.Run(tc.sort, func(t *testing.T) {
			h := NewHeatmap(rep, tc.sort)
			if h.Sort != tc.wantSort || len(h.Groups) != tc.wantGroups {
				t.Fatalf("sort %q with %d groups, want %q with %d", h.Sort, len(h.Groups), tc.wantSort, tc.wantGroups)
			}
			if len(h.Columns) != 2 || h.Columns[0].Key != "council" || h.Columns[1].Key != "stance" {
				t.Errorf("columns %+v, want the two scale questions", h.Columns)
			}
			var codes []string
			prevBloc := 0
			for _, g := range h.Groups {
				for _, r := range g.Rows {
					codes = append(codes, r.Member.Code)
					if r.Bloc != g.Bloc && tc.wantSort == SortBloc {
						t.Errorf("%s (bloc %d) in group of bloc %d", r.Member.Code, r.Bloc, g.Bloc)
					}
				}
				if tc.wantSort == SortBloc && g.Bloc != 0 && g.Bloc < prevBloc {
					t.Errorf("bloc %d after bloc %d", g.Bloc, prevBloc)
				}
				prevBloc = g.Bloc
			}
			if len(codes) != 6 {
				t.Errorf("%d rows, want 6", len(codes))
			}
			if tc.wantSort == SortMember && !slices.IsSorted(codes) {
				t.Errorf("rows %v not sorted by code", codes)
			}
			if tc.wantSort == SortBloc {
				last := h.Groups[len(h.Groups)-1]
				if last.Bloc != 0 || last.Rows[0].Member.Code != "ISL" {
					t.Errorf("last group %+v, want ISL not placed", last)
				}
			}
		})
	}
	h := NewHeatmap(rep, SortMember)
	cells := map[string]HeatCell{}
	for _, r := range h.Groups[0].Rows {
		cells[r.Member.Code] = r.Cells[0]
	}
	if c := cells["HUN"]; c.Preferred != 5 || c.CSS != "dev-p3" || !c.Outlier || !c.Blocking {
		t.Errorf("HUN cell %+v, want 5, dev-p3, outlier, blocking", c)
	}
	if c := cells["EST"]; c.CSS != "dev-m1" || !c.RedLine {
		t.Errorf("EST cell %+v, want dev-m1 with a red line", c)
	}
	if c := cells["USA"]; c.CSS != "dev-0" {
		t.Errorf("USA cell %+v, want dev-0 (on the median)", c)
	}
	if c := cells["ISL"]; c.Answered || c.CSS != "dev-none" {
		t.Errorf("ISL cell %+v, want no answer", c)
	}
}

func TestNewMemberView(t *testing.T) {
	rep, pos := allianceReport(t)
	if _, ok := NewMemberView(rep, "XXX", pos); ok {
		t.Fatal("view for an unknown member")
	}
	v, ok := NewMemberView(rep, "HUN", pos)
	if !ok {
		t.Fatal("no view for HUN")
	}
	if len(v.Rows) != 2 || !v.Rows[0].Answered || v.Rows[0].Acceptable != "points 4–5" || v.Rows[0].DeviationText != "+0.75" {
		t.Errorf("rows %+v", v.Rows)
	}
	if !v.Rows[0].Outlier || !v.Rows[0].Blocking || v.Rows[0].Rationale != "Dialogue <now> & \"always\"." {
		t.Errorf("council row %+v", v.Rows[0])
	}
	if v.Rows[1].DeviationText != "0" {
		t.Errorf("stance deviation %q, want 0", v.Rows[1].DeviationText)
	}
	if len(v.Choices) != 1 || v.Choices[0].Option != "Keep it" || !v.Choices[0].WithPlurality {
		t.Errorf("choices %+v", v.Choices)
	}
	if len(v.Texts) != 1 || v.Texts[0].Answer != "National constraints apply." {
		t.Errorf("texts %+v", v.Texts)
	}
	if len(v.Similar) == 0 || v.Similar[0].Member.Code != "SVK" {
		t.Errorf("most similar %+v, want SVK first", v.Similar)
	}
	seen := map[string]bool{}
	for _, p := range append(slices.Clone(v.Similar), v.Dissimilar...) {
		if seen[p.Member.Code] {
			t.Errorf("%s listed twice among peers", p.Member.Code)
		}
		seen[p.Member.Code] = true
	}
	if len(v.Dissimilar) > 0 && v.Dissimilar[0].SimilarityPct > v.Similar[len(v.Similar)-1].SimilarityPct {
		t.Errorf("least similar %+v more similar than most similar %+v", v.Dissimilar[0], v.Similar)
	}
	if v.Prev == nil || v.Prev.Code != "EST" || v.Next == nil || v.Next.Code != "ISL" {
		t.Errorf("prev %v next %v, want EST and ISL", v.Prev, v.Next)
	}

	silent, _ := NewMemberView(rep, "ISL", pos)
	if silent.Rows[0].Answered || silent.BlocLabel != "" || len(silent.Similar) != 0 {
		t.Errorf("silent member view %+v", silent)
	}
}

func TestNewMapView(t *testing.T) {
	rep, _ := allianceReport(t)
	v := NewMapView(rep)
	if len(v.Blocs) != len(rep.Map.Blocs) || len(v.Points) != 5 || len(v.Unplaced) != 1 || v.Unplaced[0].Code != "ISL" {
		t.Fatalf("blocs %d, points %d, unplaced %v", len(v.Blocs), len(v.Points), v.Unplaced)
	}
	for i, b := range rep.Map.Blocs {
		for j, d := range b.Distinctive {
			q, _ := rep.Question(d.QuestionKey)
			got := v.Blocs[i].Distinctive[j]
			k := float64(q.Scale.K - 1)
			if math.Abs(got.BlocPoint-(1+d.BlocMean*k)) > 1e-9 || math.Abs(got.RestPoint-(1+d.RestMean*k)) > 1e-9 {
				t.Errorf("bloc %d question %s: points %v/%v from means %v/%v", b.ID, d.QuestionKey, got.BlocPoint, got.RestPoint, d.BlocMean, d.RestMean)
			}
			if (d.Diff < 0) != (got.Direction == "lower") {
				t.Errorf("direction %q for diff %v", got.Direction, d.Diff)
			}
		}
	}
	if v.Separation == "" || !strings.Contains(string(v.Chart), "<svg") {
		t.Errorf("separation %q, chart %d bytes", v.Separation, len(v.Chart))
	}
}

// TestClassOrderFollowsTheRanking: the summary and its bar list the
// classifications from most agreement to least, the ranking read backwards
// (polarized is the most divided), with insufficient last.
func TestClassOrderFollowsTheRanking(t *testing.T) {
	scale := func(key string) consensus.Question {
		return consensus.Question{Key: key, Kind: consensus.KindScale, Points: fiveLabels}
	}
	at := func(code, key string, x, lo, hi int) consensus.Position {
		return consensus.Position{MemberCode: code, QuestionKey: key, Preferred: x, AcceptMin: lo, AcceptMax: hi}
	}
	rep := consensus.Analyze(consensus.Input{
		Members: []consensus.Member{{Code: "A"}, {Code: "B"}},
		Questions: []consensus.Question{scale("unanimous"), scale("consensus"), scale("broad"), scale("polarized"),
			{Key: "divided", Kind: consensus.KindChoice, Options: []string{"p", "q"}}, scale("insufficient")},
		Positions: []consensus.Position{
			at("A", "unanimous", 3, 3, 3), at("B", "unanimous", 3, 3, 3),
			at("A", "consensus", 2, 2, 3), at("B", "consensus", 3, 2, 3),
			at("A", "broad", 2, 2, 2), at("B", "broad", 3, 3, 3), // Cns 0.81, agreement 100%, no common ground
			at("A", "polarized", 1, 1, 1), at("B", "polarized", 5, 5, 5),
			{MemberCode: "A", QuestionKey: "divided", Option: "p"}, {MemberCode: "B", QuestionKey: "divided", Option: "q"},
			at("A", "insufficient", 3, 3, 3),
		},
	})
	var ranked []string // classifications in ranking order, most divided first
	for _, key := range rep.Ranking {
		q, _ := rep.Question(key)
		if want := strings.Replace(q.Key, "broad", "broad agreement", 1); string(q.Classification) != want {
			t.Fatalf("question %s classified %q: the fixture is wrong", q.Key, q.Classification)
		}
		ranked = append(ranked, string(q.Classification))
	}
	want := slices.Clone(ranked[:len(ranked)-1]) // without insufficient, which stays last
	slices.Reverse(want)
	want = append(want, string(consensus.Insufficient))

	var summary []string
	for _, c := range NewOverview(rep).Classes {
		summary = append(summary, c.Badge.Label)
	}
	if !slices.Equal(summary, want) {
		t.Errorf("summary order %q, want %q", summary, want)
	}
	var bar []string
	for _, e := range parseSVG(t, ClassChart(rep, "cc")) {
		if e.name == "title" && strings.HasSuffix(e.text, ": 1") {
			bar = append(bar, strings.TrimSuffix(e.text, ": 1"))
		}
	}
	if !slices.Equal(bar, want) {
		t.Errorf("bar segments %q, want %q", bar, want)
	}
}
