package charts

import (
	"fmt"
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

// withSignal sets, by hand, the consensus signal the report carries for
// the alliance report (best point, who accepts it, holdouts, quorum,
// verdicts, stable numbers), so that the views are tested on known values.
//
// council: points accepted — 1: EST POL USA, 2: EST POL USA, 3: USA SVK,
// 4: SVK HUN, 5: SVK HUN; best point 2 (tie with 1, nearer the median 2),
// accepted by 3 of 5; HUN and SVK do not accept it: 2 > max(1, ⌊5/10⌋) = 1,
// a split without holdouts. Five of six answered: below the quorum of 6.
func withSignal(rep *consensus.Report) *consensus.Report {
	rep.Quorum, rep.Provisional = 6, 3
	set := func(key string, number, best, accepting int, notAccepting, holdouts []string, verdict string) *consensus.QuestionReport {
		q, _ := rep.Question(key)
		q.Number, q.BestPoint, q.Accepting, q.NotAccepting, q.Holdouts, q.Verdict = number, best, accepting, notAccepting, holdouts, verdict
		q.Quorate, q.Provisional = false, q.Classification != "" && q.Classification != consensus.Insufficient
		return q
	}
	council := set("council", 3, 2, 3, []string{"HUN", "SVK"}, nil, "No common ground: 3 of 5 accept point 2; 2 do not.")
	council.Classification = consensus.Divided
	council.Scale.Outliers = nil // two of five: not fewer than a quarter
	set("stance", 5, 3, 5, nil, nil, "Unanimous among the 5 who answered; ISL has not answered.")
	act := set("act", 7, 1, 4, []string{"EST"}, []string{"EST"}, "Near consensus among the 5 who answered: 4 accept option 1; EST does not.")
	act.Classification = consensus.NearConsensus
	act.Choice.CommonGround = nil
	act.Choice.Options[0].Accepting, act.Choice.Options[1].Accepting, act.Choice.Options[2].Accepting = 4, 1, 2
	set("notes", 8, 0, 0, nil, nil, "")
	for i := range rep.Members {
		m := &rep.Members[i]
		for j := range m.Positions {
			p := &m.Positions[j]
			p.Holdout = false
			p.Blocking = p.QuestionKey == "council" && (m.Code == "HUN" || m.Code == "SVK")
			p.Outlier = false
		}
	}
	hun, _ := rep.Member("HUN")
	hun.HoldoutCount = 0
	return rep
}

func TestNewOverview(t *testing.T) {
	rep, _ := allianceReport(t)
	o := NewOverview(withSignal(rep))
	if o.Responding != 5 || o.Total != 6 || len(o.Missing) != 1 || o.Missing[0] != (MemberRef{Code: "ISL", Name: "Iceland"}) {
		t.Errorf("coverage %d/%d missing %v, want 5/6 missing ISL", o.Responding, o.Total, o.Missing)
	}
	if len(o.Ranked) != 3 {
		t.Fatalf("%d ranked questions, want 3", len(o.Ranked))
	}
	rows := map[string]RankRow{}
	for i, r := range o.Ranked {
		if r.Rank != i+1 {
			t.Errorf("row %d has rank %d", i, r.Rank)
		}
		rows[r.Key] = r
	}
	tests := []struct {
		key                     string
		number                  int
		verdict, best, ground   string
		accepting, notAccepting int
		holdouts                []string
		badgeClass              string
		provisional             bool
	}{
		{"council", 3, "No common ground: 3 of 5 accept point 2; 2 do not.", "point 2: Hotline only", "", 3, 2, nil, "class-divided", true},
		{"stance", 5, "Unanimous among the 5 who answered; ISL has not answered.", "point 3: Unchanged", "points 2–4: Softer – Firmer", 5, 0, nil, "class-unanimous", true},
		{"act", 7, "Near consensus among the 5 who answered: 4 accept option 1; EST does not.", "option 1: Keep it", "", 4, 1, []string{"EST"}, "class-near-consensus", true},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			r := rows[tc.key]
			if r.Number != tc.number || r.Verdict != tc.verdict || r.BestPoint != tc.best || r.CommonGround != tc.ground {
				t.Errorf("row Q%d verdict %q best %q ground %q, want Q%d %q %q %q", r.Number, r.Verdict, r.BestPoint, r.CommonGround,
					tc.number, tc.verdict, tc.best, tc.ground)
			}
			var holdouts []string
			for _, h := range r.Holdouts {
				holdouts = append(holdouts, h.Code)
			}
			if r.Accepting != tc.accepting || r.NotAccepting != tc.notAccepting || !slices.Equal(holdouts, tc.holdouts) {
				t.Errorf("accepting %d, not accepting %d, holdouts %v; want %d, %d, %v", r.Accepting, r.NotAccepting, holdouts,
					tc.accepting, tc.notAccepting, tc.holdouts)
			}
			if r.Badge.Class != tc.badgeClass || r.Badge.Provisional != tc.provisional || r.Badge.Title == "" {
				t.Errorf("badge %+v, want %s provisional=%v with an explanation", r.Badge, tc.badgeClass, tc.provisional)
			}
		})
	}
	if r := rows["act"]; r.Scale || strings.Join(r.Plurality, ",") != "Keep it" || math.Abs(r.PluralitySharePct-60) > 1e-9 || r.Holdouts[0].Name != "Estonia" {
		t.Errorf("act row: %+v", r)
	}
	if len(o.Texts) != 1 || o.Texts[0].Key != "notes" || o.Texts[0].Answers != 1 || o.Texts[0].Number != 8 {
		t.Errorf("text questions %+v", o.Texts)
	}
	counted := 0
	for _, c := range o.Classes {
		counted += c.Count
	}
	if counted != 3 || o.PolarizedPct != "33%" {
		t.Errorf("class counts sum %d, polarized %q", counted, o.PolarizedPct)
	}
	if got, want := o.ProvisionalNote(), "3 verdicts are provisional: fewer than the quorum of 6 answered."; got != want {
		t.Errorf("provisional note %q, want %q", got, want)
	}
}

func TestProvisionalNote(t *testing.T) {
	tests := []struct {
		name                string
		provisional, quorum int
		want                string
	}{
		{"none", 0, 32, ""},
		{"one", 1, 32, "1 verdict is provisional: fewer than the quorum of 32 answered."},
		{"several", 3, 32, "3 verdicts are provisional: fewer than the quorum of 32 answered."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Overview{Provisional: tc.provisional, Quorum: tc.quorum}).ProvisionalNote(); got != tc.want {
				t.Errorf("%q, want %q", got, tc.want)
			}
		})
	}
}

func TestBadgeFor(t *testing.T) {
	tests := []struct {
		name        string
		q           consensus.QuestionReport
		wantLabel   string
		wantClass   string
		provisional bool
	}{
		{"near consensus", consensus.QuestionReport{Classification: consensus.NearConsensus}, "near consensus", "class-near-consensus", false},
		{"provisional consensus", consensus.QuestionReport{Classification: consensus.Consensus, Provisional: true}, "consensus", "class-consensus", true},
		{"text question", consensus.QuestionReport{Kind: consensus.KindText}, "open question", "class-none", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := BadgeFor(&tc.q)
			if b.Label != tc.wantLabel || b.Class != tc.wantClass || b.Provisional != tc.provisional {
				t.Errorf("badge %+v, want %s %s provisional=%v", b, tc.wantLabel, tc.wantClass, tc.provisional)
			}
			if tc.provisional && !strings.Contains(b.Title, "Provisional") {
				t.Errorf("title %q does not say provisional", b.Title)
			}
		})
	}
}

func TestNewQuestionView(t *testing.T) {
	rep, pos := allianceReport(t)
	withSignal(rep)
	tests := []struct {
		key             string
		wantOK          bool
		wantNumber      int
		wantVerdict     string
		wantBest        string
		wantHoldouts    []string
		wantSplit       bool
		wantHighlighted []string // member codes, in order
		wantRationale   map[string]string
	}{
		{key: "council", wantOK: true, wantNumber: 3, wantVerdict: "No common ground: 3 of 5 accept point 2; 2 do not.",
			wantBest: "point 2: Hotline only", wantSplit: true,
			wantHighlighted: []string{"EST"}, // the red line; HUN and SVK are a split, not holdouts
			wantRationale:   map[string]string{"EST": "No talks until the troops withdraw."}},
		{key: "stance", wantOK: true, wantNumber: 5, wantVerdict: "Unanimous among the 5 who answered; ISL has not answered.", wantBest: "point 3: Unchanged"},
		{key: "act", wantOK: true, wantNumber: 7, wantVerdict: "Near consensus among the 5 who answered: 4 accept option 1; EST does not.",
			wantBest: "option 1: Keep it", wantHoldouts: []string{"EST"}, wantHighlighted: []string{"EST"}, wantRationale: map[string]string{"EST": "Void it now."}},
		{key: "notes", wantOK: true, wantNumber: 8},
		{key: "missing", wantOK: false},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			v, ok := NewQuestionView(rep, tc.key, pos, 0)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			if !ok {
				return
			}
			if v.Number != tc.wantNumber || v.Verdict != tc.wantVerdict || v.BestPoint != tc.wantBest || v.Split != tc.wantSplit {
				t.Errorf("Q%d verdict %q best %q split %v, want Q%d %q %q %v", v.Number, v.Verdict, v.BestPoint, v.Split,
					tc.wantNumber, tc.wantVerdict, tc.wantBest, tc.wantSplit)
			}
			var holdouts []string
			for _, h := range v.Holdouts {
				holdouts = append(holdouts, h.Code)
			}
			if !slices.Equal(holdouts, tc.wantHoldouts) {
				t.Errorf("holdouts %v, want %v", holdouts, tc.wantHoldouts)
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

	v, _ := NewQuestionView(rep, "council", pos, 1)
	if v.Prev != nil || v.Next == nil || v.Next.Key != "stance" || v.Next.Number != 5 || v.Count != 4 {
		t.Errorf("navigation: number %d of %d, prev %v, next %v", v.Number, v.Count, v.Prev, v.Next)
	}
	if v.NotAccepting != 2 || len(v.Holdouts) != 0 {
		t.Errorf("not accepting %d, holdouts %v; want 2 and none", v.NotAccepting, v.Holdouts)
	}
	if hun := v.Points[4].Members; len(hun) != 1 || hun[0].Holdout || hun[0].Outlier {
		t.Errorf("point 5 members %+v, want HUN unflagged (a split, no outliers)", hun)
	}
	if est := v.Points[0].Members[0]; est.Code != "EST" || !est.RedLine || est.Holdout {
		t.Errorf("point 1 first member %+v, want EST with a red line", est)
	}
	if !v.Points[1].Median || !v.Points[1].Best || v.Points[0].Best || !v.Points[0].StatusQuo || v.StatusQuo != 1 {
		t.Errorf("median and best point on point 2, status quo on point 1: %+v", v.Points[:2])
	}
	if !strings.Contains(string(v.Chart), `class="status-quo"`) {
		t.Error("the chart does not mark the status quo")
	}
	var others []string
	for _, o := range v.Others {
		others = append(others, o.Member.Code)
	}
	if !slices.Equal(others, []string{"USA", "HUN"}) || v.Others[0].Acceptable != "points 1–3" {
		t.Errorf("other rationales %+v, want USA (accepting points 1–3) and HUN", v.Others)
	}
	if v.Missing[0].Code != "ISL" {
		t.Errorf("missing %v", v.Missing)
	}
	var cns *Stat
	for i := range v.Stats {
		if v.Stats[i].Abbr == "Cns" {
			cns = &v.Stats[i]
		}
	}
	if cns == nil || cns.Label != "Consensus score" || cns.AbbrTitle != GlossCns {
		t.Errorf("Cns stat %+v, want \"Consensus score\" explained by GlossCns", cns)
	}

	act, _ := NewQuestionView(rep, "act", pos, 2) // a status quo on a choice question is ignored
	if act.StatusQuo != 0 {
		t.Errorf("choice question with status quo %d", act.StatusQuo)
	}
	wantOptions := []struct {
		count, accepting int
		best, plurality  bool
	}{{3, 4, true, true}, {0, 1, false, false}, {2, 2, false, false}}
	for i, w := range wantOptions {
		o := act.Options[i]
		if o.Number != i+1 || o.Count != w.count || o.Accepting != w.accepting || o.Best != w.best || o.Plurality != w.plurality || o.InCommonGround {
			t.Errorf("option %d %+v, want %+v", i+1, o, w)
		}
	}

	notes, _ := NewQuestionView(rep, "notes", pos, 0)
	if len(notes.Answers) != 1 || notes.Answers[0].Position != "National constraints apply." || notes.Chart != "" {
		t.Errorf("text answers %+v", notes.Answers)
	}
}

// TestChoiceCommonGround: the options every respondent accepts are named
// and marked, by number and text.
func TestChoiceCommonGround(t *testing.T) {
	rep, pos := allianceReport(t)
	withSignal(rep)
	act, _ := rep.Question("act")
	act.Classification, act.Holdouts, act.NotAccepting, act.Accepting = consensus.Consensus, nil, nil, 5
	act.Choice.CommonGround = []int{1, 3}
	v, _ := NewQuestionView(rep, "act", pos, 0)
	if v.CommonGround != "option 1: Keep it; option 3: Void it" {
		t.Errorf("common ground %q", v.CommonGround)
	}
	if !v.Options[0].InCommonGround || v.Options[1].InCommonGround || !v.Options[2].InCommonGround {
		t.Errorf("options in the common ground: %+v", v.Options)
	}
	if row := NewOverview(rep).Ranked; !slices.ContainsFunc(row, func(r RankRow) bool { return r.Key == "act" && r.CommonGround == v.CommonGround }) {
		t.Errorf("overview does not name the common ground options: %+v", row)
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
	if h := NewHeatmap(withSignal(rep), SortMember); h.Columns[0].Number != 3 || h.Columns[1].Number != 5 {
		t.Errorf("columns numbered %d, %d; want Q3, Q5", h.Columns[0].Number, h.Columns[1].Number)
	}
	hun, _ := rep.Member("HUN")
	hun.Positions[0].Holdout = true // by hand: HUN the only one not accepting
	h := NewHeatmap(rep, SortMember)
	cells := map[string]HeatCell{}
	for _, r := range h.Groups[0].Rows {
		cells[r.Member.Code] = r.Cells[0]
	}
	if c := cells["HUN"]; c.Preferred != 5 || c.CSS != "dev-p3" || !c.Holdout || !c.NotAccepting || !strings.Contains(c.Title, "on Q3 council") {
		t.Errorf("HUN cell %+v, want 5, dev-p3, holdout, on Q3", c)
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
	withSignal(rep)
	v, ok := NewMemberView(rep, "HUN", pos)
	if !ok {
		t.Fatal("no view for HUN")
	}
	if len(v.Rows) != 2 || !v.Rows[0].Answered || v.Rows[0].Acceptable != "points 4–5" || v.Rows[0].DeviationText != "+0.75" {
		t.Errorf("rows %+v", v.Rows)
	}
	if v.Rows[0].Number != 3 || v.Rows[1].Number != 5 || v.Choices[0].Number != 7 || v.Texts[0].Number != 8 {
		t.Errorf("numbers %d %d %d %d, want Q3 Q5 Q7 Q8", v.Rows[0].Number, v.Rows[1].Number, v.Choices[0].Number, v.Texts[0].Number)
	}
	if v.Rows[0].Holdout || !v.Rows[0].NotAccepting || v.Rows[0].Rationale != "Dialogue <now> & \"always\"." {
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
			if want := map[string]int{"council": 1, "stance": 2}[d.QuestionKey]; got.Number != want {
				t.Errorf("bloc %d question %s numbered Q%d, want Q%d", b.ID, d.QuestionKey, got.Number, want)
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
// (polarized is the most divided), with insufficient last. The report is
// built by hand in the ranking order documented by the consensus package:
// polarized, divided, broad agreement, near consensus, consensus,
// unanimous, then insufficient.
func TestClassOrderFollowsTheRanking(t *testing.T) {
	ranking := []consensus.Classification{consensus.Polarized, consensus.Divided, consensus.BroadAgreement,
		consensus.NearConsensus, consensus.Consensus, consensus.Unanimous, consensus.Insufficient}
	rep := &consensus.Report{MembersTotal: 2, ClassCounts: map[consensus.Classification]int{}}
	for i, c := range ranking {
		key := fmt.Sprintf("q%d", i+1)
		rep.Questions = append(rep.Questions, consensus.QuestionReport{Key: key, Kind: consensus.KindScale, Classification: c})
		rep.Ranking = append(rep.Ranking, key)
		rep.ClassCounts[c]++
	}
	var want []string
	for i := len(ranking) - 2; i >= 0; i-- { // without insufficient, which stays last
		want = append(want, string(ranking[i]))
	}
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

// TestGlossaryExplainsEveryTerm: the glossary explains each term the
// report pages use, and each classification.
func TestGlossaryExplainsEveryTerm(t *testing.T) {
	terms := Glossary(consensus.DefaultThresholds(), 30, 32)
	byAnchor := map[string]Term{}
	for _, term := range terms {
		if term.Meaning == "" {
			t.Errorf("%s has no explanation", term.Term)
		}
		if _, dup := byAnchor[term.Anchor]; dup {
			t.Errorf("anchor %s twice", term.Anchor)
		}
		byAnchor[term.Anchor] = term
	}
	for _, a := range []string{"common-ground", "best-point", "accepting", "not-accepting", "holdouts", "outliers", "red-line",
		"quorum", "provisional", "cns", "agreement", "iqr", "blocs", "opinion-map",
		"class-unanimous", "class-consensus", "class-near-consensus", "class-broad-agreement", "class-polarized", "class-divided", "class-insufficient"} {
		if _, ok := byAnchor[a]; !ok {
			t.Errorf("no glossary entry %s", a)
		}
	}
	if q := byAnchor["quorum"].Meaning; !strings.Contains(q, "30 of 32") {
		t.Errorf("quorum entry %q does not give this consultation's quorum", q)
	}
	if b := byAnchor["class-broad-agreement"].Meaning; !strings.Contains(b, "0.75") || !strings.Contains(b, "75%") {
		t.Errorf("broad agreement entry %q does not give the thresholds", b)
	}
	if m := byAnchor["opinion-map"].Meaning; !strings.Contains(m, "members close together answered alike") {
		t.Errorf("opinion map entry %q", m)
	}
}
