package consensus

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// alliance is a roster of 32 members, alphabetical by code.
var alliance = []string{
	"ALB", "BEL", "BGR", "CAN", "CZE", "DEU", "DNK", "ESP", "EST", "FIN", "FRA", "GBR", "GRC", "HRV", "HUN", "ISL",
	"ITA", "LTU", "LUX", "LVA", "MKD", "MNE", "NLD", "NOR", "POL", "PRT", "ROU", "SVK", "SVN", "SWE", "TUR", "USA",
}

// stance is a scale position: preferred point and acceptable range.
type stance struct{ x, lo, hi int }

// allianceQuestion builds a one-question consultation of the 32-member
// alliance on a 5-point scale. stanceOf gives each member's position; a
// member for whom it returns ok = false does not answer.
func allianceQuestion(stanceOf func(code string) (stance, bool)) Input {
	in := Input{Questions: []Question{{Key: "q", Kind: KindScale, Points: five}}}
	for _, c := range alliance {
		in.Members = append(in.Members, Member{Code: c})
		if s, ok := stanceOf(c); ok {
			in.Positions = append(in.Positions, Position{MemberCode: c, QuestionKey: "q", Preferred: s.x, AcceptMin: s.lo, AcceptMax: s.hi})
		}
	}
	return in
}

// TestAnalyzeDemoCases covers the three readings the report used to get
// wrong on the demo consultation.
func TestAnalyzeDemoCases(t *testing.T) {
	t.Run("13 of 32 do not accept the best point: a split, not holdouts", func(t *testing.T) {
		// The first 19 members prefer 2 and accept 1–3; the last 13 prefer 5
		// and accept 4–5. Acceptance 1, 2, 3: 19; 4, 5: 13. Sorted answers:
		// 19 × 2, 13 × 5 → median (x[15] + x[16])/2 = 2, so the tie among
		// 1, 2, 3 goes to 2. 13 do not accept it > max(1, ⌊32/10⌋) = 3 → no
		// holdouts. Agreement 19/32 = 59% < 75%; lower third 19/32 and upper
		// third 13/32 both >= 1/3 → polarized.
		last13 := alliance[19:]
		r := Analyze(allianceQuestion(func(c string) (stance, bool) {
			if slices.Contains(last13, c) {
				return stance{5, 4, 5}, true
			}
			return stance{2, 1, 3}, true
		}))
		q := &r.Questions[0]
		checkSignal(t, q, 2, 19, last13, []string{})
		if q.Classification != Polarized {
			t.Errorf("classification = %q, want polarized (not near consensus)", q.Classification)
		}
		if want := "No common ground: 19 of 32 accept point 2; 13 do not."; q.Verdict != want {
			t.Errorf("verdict = %q, want %q", q.Verdict, want)
		}
		for _, c := range last13 {
			if m := mustMember(t, r, c); m.BlockingCount != 1 || m.HoldoutCount != 0 || !m.Positions[0].Blocking || m.Positions[0].Holdout {
				t.Errorf("%s: blocking %d holdout %d position %+v, want 1, 0, blocking only", c, m.BlockingCount, m.HoldoutCount, m.Positions[0])
			}
		}
	})

	t.Run("polarized: 24 members far from the median are not outliers", func(t *testing.T) {
		// 12 at 1, 8 at 3, 12 at 5, each accepting only its point. Median
		// (x[15] + x[16])/2 = 3; the 24 at 1 and 5 are 2 = (5−1)/2 from it:
		// 24 candidates, 4·24 is not < 32 → none reported. Acceptance 1:12,
		// 3:8, 5:12; 1 and 5 are both 2 from 3 → the lower point 1.
		r := Analyze(allianceQuestion(func(c string) (stance, bool) {
			i := slices.Index(alliance, c)
			switch {
			case i < 12:
				return stance{1, 1, 1}, true
			case i < 20:
				return stance{3, 3, 3}, true
			}
			return stance{5, 5, 5}, true
		}))
		q := &r.Questions[0]
		checkStrings(t, "outliers", q.Scale.Outliers, []string{})
		if q.Classification != Polarized {
			t.Errorf("classification = %q, want polarized", q.Classification)
		}
		if q.BestPoint != 1 || q.Accepting != 12 || len(q.NotAccepting) != 20 || len(q.Holdouts) != 0 {
			t.Errorf("best %d accepting %d not accepting %d holdouts %v", q.BestPoint, q.Accepting, len(q.NotAccepting), q.Holdouts)
		}
		if want := "No common ground: 12 of 32 accept point 1; 20 do not."; q.Verdict != want {
			t.Errorf("verdict = %q, want %q", q.Verdict, want)
		}
		for _, m := range r.Members {
			if m.OutlierCount != 0 || m.Positions[0].Outlier {
				t.Errorf("%s outlier count %d flag %t, want 0 and false", m.Code, m.OutlierCount, m.Positions[0].Outlier)
			}
		}
	})

	t.Run("high Cns and agreement but two holdouts: near consensus", func(t *testing.T) {
		// 30 at 3 accepting 2–4, HUN at 5 accepting only 5, SVK at 1
		// accepting only 1. Counts 1, 0, 30, 0, 1: mean 3, median 3;
		// Cns = 1 + 2 · (1/32) · log2(1 − 2/4) = 1 − 1/16 = 0.9375 >= 0.75;
		// agreement 30/32 = 93.75% >= 75%. No common ground; 2, 3, 4 each
		// accepted by 30 → 3 (the median). HUN and SVK: 2 <= 3 → holdouts,
		// and near consensus comes before broad agreement. HUN and SVK are
		// 2 from the median: 4·2 < 32 → reported as outliers.
		r := Analyze(allianceQuestion(func(c string) (stance, bool) {
			switch c {
			case "HUN":
				return stance{5, 5, 5}, true
			case "SVK":
				return stance{1, 1, 1}, true
			}
			return stance{3, 2, 4}, true
		}))
		q := &r.Questions[0]
		checkFloat(t, "Cns", q.Scale.Cns, 0.9375)
		checkFloat(t, "agreement", q.Scale.AgreementPct, 93.75)
		checkSignal(t, q, 3, 30, []string{"HUN", "SVK"}, []string{"HUN", "SVK"})
		checkStrings(t, "outliers", q.Scale.Outliers, []string{"HUN", "SVK"})
		if q.Classification != NearConsensus {
			t.Errorf("classification = %q, want near consensus", q.Classification)
		}
		if want := "Near consensus: all but HUN, SVK accept point 3."; q.Verdict != want {
			t.Errorf("verdict = %q, want %q", q.Verdict, want)
		}
		if q.Scale.Blocking == nil || q.Scale.Blocking.Point != 3 || !slices.Equal(q.Scale.Blocking.Members, []string{"HUN", "SVK"}) {
			t.Errorf("blocking = %+v, want point 3, HUN SVK (same as not accepting)", q.Scale.Blocking)
		}
		hun := mustMember(t, r, "HUN")
		want := MemberPosition{QuestionKey: "q", Preferred: 5, Median: 3, Deviation: 0.5, Outlier: true, Blocking: true, Holdout: true}
		if hun.BlockingCount != 1 || hun.HoldoutCount != 1 || hun.OutlierCount != 1 || hun.Positions[0] != want {
			t.Errorf("HUN = %+v", hun)
		}
		if deu := mustMember(t, r, "DEU"); deu.BlockingCount != 0 || deu.HoldoutCount != 0 || deu.Positions[0].Holdout {
			t.Errorf("DEU = %+v", deu)
		}
		if r.ClassCounts[NearConsensus] != 1 || r.Provisional != 0 || !q.Quorate {
			t.Errorf("class counts %v provisional %d quorate %t", r.ClassCounts, r.Provisional, q.Quorate)
		}
	})
}

// TestAnalyzeQuorum checks quorate and provisional questions and the wording
// of provisional verdicts.
func TestAnalyzeQuorum(t *testing.T) {
	absent := func(codes ...string) func(string) bool {
		return func(c string) bool { return slices.Contains(codes, c) }
	}
	tests := []struct {
		name        string
		quorum      int
		missing     func(string) bool
		stance      func(string) stance
		quorumWant  int
		quorate     bool
		provisional bool
		class       Classification
		verdict     string
	}{
		{
			// 29 of 32 answer, all at 3 accepting 2–4; default quorum 32.
			name: "consensus below the quorum", missing: absent("DEU", "FRA", "ITA"),
			stance:     func(string) stance { return stance{3, 2, 4} },
			quorumWant: 32, quorate: false, provisional: true, class: Unanimous,
			verdict: "Unanimous among the 29 who answered: all prefer point 3; DEU, FRA, ITA have not answered.",
		},
		{
			name: "consensus on a range below the quorum", missing: absent("DEU", "FRA", "ITA"),
			stance: func(c string) stance {
				if c == "USA" {
					return stance{4, 2, 4}
				}
				return stance{3, 2, 4}
			},
			quorumWant: 32, quorate: false, provisional: true, class: Consensus,
			verdict: "Consensus among the 29 who answered: all accept points 2–4; DEU, FRA, ITA have not answered.",
		},
		{
			name: "the same with a quorum of 29", quorum: 29, missing: absent("DEU", "FRA", "ITA"),
			stance: func(c string) stance {
				if c == "USA" {
					return stance{4, 2, 4}
				}
				return stance{3, 2, 4}
			},
			quorumWant: 29, quorate: true, provisional: false, class: Consensus,
			verdict: "Consensus: every member who answered accepts points 2–4.",
		},
		{
			// 29 answer; HUN, SVK hold out: limit max(1, ⌊29/10⌋) = 2.
			name: "near consensus below the quorum", quorum: 30, missing: absent("DEU", "FRA", "ITA"),
			stance: func(c string) stance {
				switch c {
				case "HUN":
					return stance{5, 5, 5}
				case "SVK":
					return stance{1, 1, 1}
				}
				return stance{3, 2, 4}
			},
			quorumWant: 30, quorate: false, provisional: true, class: NearConsensus,
			verdict: "Near consensus among the 29 who answered: all but HUN, SVK accept point 3; DEU, FRA, ITA have not answered.",
		},
		{
			// 20 answer: 12 at 2 accepting 1–3, 8 at 5 accepting 4–5; median
			// 2 → best point 2 accepted by 12; 12 missing are counted.
			name: "no common ground, many missing", quorum: 0,
			missing: func(c string) bool { return slices.Index(alliance, c) >= 20 },
			stance: func(c string) stance {
				if slices.Index(alliance, c) < 12 {
					return stance{2, 1, 3}
				}
				return stance{5, 4, 5}
			},
			quorumWant: 32, quorate: false, provisional: true, class: Polarized,
			verdict: "No common ground: 12 of the 20 who answered accept point 2; 8 do not; 12 members have not answered.",
		},
		{
			name: "one missing member", quorum: -1, missing: absent("USA"),
			stance:     func(string) stance { return stance{3, 3, 3} },
			quorumWant: 32, quorate: false, provisional: true, class: Unanimous,
			verdict: "Unanimous among the 31 who answered: all prefer point 3; USA has not answered.",
		},
		{
			// one answer: insufficient is never provisional
			name: "insufficient below the quorum", quorum: 40,
			missing:    func(c string) bool { return c != "USA" },
			stance:     func(string) stance { return stance{3, 3, 3} },
			quorumWant: 32, quorate: false, provisional: false, class: Insufficient,
			verdict: "Too few answers to judge (1 of 32).",
		},
		{
			name: "nobody answered", quorum: 1,
			missing:    func(string) bool { return true },
			stance:     func(string) stance { return stance{3, 3, 3} },
			quorumWant: 1, quorate: false, provisional: false, class: Insufficient,
			verdict: "Too few answers to judge (0 of 32).",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := allianceQuestion(func(c string) (stance, bool) {
				return tt.stance(c), !tt.missing(c)
			})
			in.Quorum = tt.quorum
			r := Analyze(in)
			q := &r.Questions[0]
			if r.Quorum != tt.quorumWant || q.Quorate != tt.quorate || q.Provisional != tt.provisional {
				t.Errorf("quorum %d quorate %t provisional %t, want %d, %t, %t", r.Quorum, q.Quorate, q.Provisional, tt.quorumWant, tt.quorate, tt.provisional)
			}
			if want := 0; tt.provisional {
				want = 1
				if r.Provisional != want {
					t.Errorf("report provisional = %d, want %d", r.Provisional, want)
				}
			} else if r.Provisional != want {
				t.Errorf("report provisional = %d, want %d", r.Provisional, want)
			}
			if q.Classification != tt.class {
				t.Errorf("classification = %q, want %q", q.Classification, tt.class)
			}
			if q.Verdict != tt.verdict {
				t.Errorf("verdict = %q\nwant      %q", q.Verdict, tt.verdict)
			}
		})
	}
}

// TestAnalyzeChoiceAcceptance checks acceptable options, common ground, best
// option, holdouts and classification of choice questions.
func TestAnalyzeChoiceAcceptance(t *testing.T) {
	type answer struct {
		code   string
		option string
		accept []string
	}
	tests := []struct {
		name      string
		options   []string
		answers   []answer
		accepting []int // per option
		ground    []int
		best      int
		accepted  int
		notAcc    []string
		holdouts  []string
		class     Classification
		verdict   string
	}{
		{
			// Acceptable sets: A {Alpha, Beta}, B {Beta}, C {Beta, Alpha}
			// (Delta unknown, Beta repeated: ignored), D {Gamma, Beta},
			// E {Alpha, Beta} (Beta twice counts once). Accepting: Alpha 3,
			// Beta 5, Gamma 1 → common ground option 2; consensus.
			name:    "common ground through accepted options",
			options: []string{"Alpha", "Beta", "Gamma"},
			answers: []answer{
				{"A", "Alpha", []string{"Beta"}}, {"B", "Beta", nil}, {"C", "Beta", []string{"Alpha", "Delta", "Beta"}},
				{"D", "Gamma", []string{"Beta"}}, {"E", "Alpha", []string{"Beta", "Beta"}},
			},
			accepting: []int{3, 5, 1}, ground: []int{2},
			best: 2, accepted: 5, notAcc: []string{}, holdouts: []string{},
			class:   Consensus,
			verdict: "Consensus: every member who answered accepts option 2 (Beta).",
		},
		{
			// Everybody accepts both: common ground 1 and 2; Alpha chosen by
			// 2 > 1 → best option 1.
			name:    "two options in common",
			options: []string{"Alpha", "Beta"},
			answers: []answer{
				{"A", "Alpha", []string{"Beta"}}, {"B", "Beta", []string{"Alpha"}}, {"C", "Alpha", []string{"Beta"}},
			},
			accepting: []int{3, 3}, ground: []int{1, 2},
			best: 1, accepted: 3, notAcc: []string{}, holdouts: []string{},
			class:   Consensus,
			verdict: "Consensus: every member who answered accepts options 1 (Alpha) and 2 (Beta).",
		},
		{
			// Yes 4, No 1, nothing else accepted: E alone does not accept
			// Yes: 1 <= max(1, 0) and 1 < 4 → holdout → near consensus
			// (before broad agreement: 4/5 = 80% >= 75%).
			name:    "one holdout",
			options: []string{"Yes", "No"},
			answers: []answer{
				{"A", "Yes", nil}, {"B", "Yes", nil}, {"C", "Yes", nil}, {"D", "Yes", nil}, {"E", "No", nil},
			},
			accepting: []int{4, 1}, ground: []int{},
			best: 1, accepted: 4, notAcc: []string{"E"}, holdouts: []string{"E"},
			class:   NearConsensus,
			verdict: "Near consensus: all but E accept option 1 (Yes).",
		},
		{
			// Accepting P: A, B, C = 3; Q: A, B, C = 3; R: D = 1. P and Q tie
			// on acceptance; Q is chosen by 2 > 1 → best option 2. D does not
			// accept it: a holdout.
			name:    "tie on acceptance goes to the more chosen option",
			options: []string{"P", "Q", "R"},
			answers: []answer{
				{"A", "P", []string{"Q"}}, {"B", "Q", []string{"P"}}, {"C", "Q", []string{"P"}}, {"D", "R", nil},
			},
			accepting: []int{3, 3, 1}, ground: []int{},
			best: 2, accepted: 3, notAcc: []string{"D"}, holdouts: []string{"D"},
			class:   NearConsensus,
			verdict: "Near consensus: all but D accept option 2 (Q).",
		},
		{
			// P and Q each chosen and accepted by 2 → the lower number, 1.
			// One against... two against two: no holdouts; share 0.5 → divided.
			name:    "full tie goes to the lower number",
			options: []string{"P", "Q"},
			answers: []answer{
				{"A", "P", nil}, {"B", "Q", nil}, {"C", "P", nil}, {"D", "Q", nil},
			},
			accepting: []int{2, 2}, ground: []int{},
			best: 1, accepted: 2, notAcc: []string{"B", "D"}, holdouts: []string{},
			class:   Divided,
			verdict: "No common ground: 2 of 4 accept option 1 (P); 2 do not.",
		},
		{
			// X chosen by 6 of 8 (75%), Y by 2, nothing else accepted: 2 do
			// not accept X > max(1, 0) → no holdouts → broad agreement.
			name:    "broad agreement",
			options: []string{"X", "Y"},
			answers: []answer{
				{"A", "X", nil}, {"B", "X", nil}, {"C", "X", nil}, {"D", "X", nil},
				{"E", "X", nil}, {"F", "X", nil}, {"G", "Y", nil}, {"H", "Y", nil},
			},
			accepting: []int{6, 2}, ground: []int{},
			best: 1, accepted: 6, notAcc: []string{"G", "H"}, holdouts: []string{},
			class:   BroadAgreement,
			verdict: "No common ground: 6 of 8 accept option 1 (X); 2 do not.",
		},
		{
			name:    "unanimous",
			options: []string{"X", "Y"},
			answers: []answer{{"A", "Y", nil}, {"B", "Y", []string{"X"}}},
			// X accepted by B only; Y by both
			accepting: []int{1, 2}, ground: []int{2},
			best: 2, accepted: 2, notAcc: []string{}, holdouts: []string{},
			class:   Unanimous,
			verdict: "Unanimous: every member who answered chose option 2 (Y).",
		},
		{
			name:      "one response",
			options:   []string{"X", "Y"},
			answers:   []answer{{"A", "X", []string{"Y"}}},
			accepting: []int{1, 1}, ground: []int{1, 2},
			best: 1, accepted: 1, notAcc: []string{}, holdouts: []string{},
			class:   Insufficient,
			verdict: "Too few answers to judge (1 of 1).",
		},
		{
			// one against one: a split, not a holdout
			name:      "two extremes",
			options:   []string{"X", "Y"},
			answers:   []answer{{"A", "X", nil}, {"B", "Y", nil}},
			accepting: []int{1, 1}, ground: []int{},
			best: 1, accepted: 1, notAcc: []string{"B"}, holdouts: []string{},
			class:   Divided,
			verdict: "No common ground: 1 of 2 accepts option 1 (X); 1 does not.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{Questions: []Question{{Key: "c", Kind: KindChoice, Options: tt.options}}}
			for _, a := range tt.answers {
				in.Members = append(in.Members, Member{Code: a.code})
				in.Positions = append(in.Positions, Position{MemberCode: a.code, QuestionKey: "c", Option: a.option, AcceptOptions: a.accept})
			}
			r := Analyze(in)
			q := &r.Questions[0]
			var acc []int
			for _, o := range q.Choice.Options {
				acc = append(acc, o.Accepting)
			}
			if !slices.Equal(acc, tt.accepting) {
				t.Errorf("accepting per option = %v, want %v", acc, tt.accepting)
			}
			if q.Choice.CommonGround == nil || !slices.Equal(q.Choice.CommonGround, tt.ground) {
				t.Errorf("common ground = %v, want %v", q.Choice.CommonGround, tt.ground)
			}
			checkSignal(t, q, tt.best, tt.accepted, tt.notAcc, tt.holdouts)
			if q.Classification != tt.class {
				t.Errorf("classification = %q, want %q", q.Classification, tt.class)
			}
			if q.Verdict != tt.verdict {
				t.Errorf("verdict = %q, want %q", q.Verdict, tt.verdict)
			}
			for _, m := range r.Members {
				wantBlock, wantHold := 0, 0
				if slices.Contains(tt.notAcc, m.Code) {
					wantBlock = 1
				}
				if slices.Contains(tt.holdouts, m.Code) {
					wantHold = 1
				}
				if m.BlockingCount != wantBlock || m.HoldoutCount != wantHold || len(m.Positions) != 0 {
					t.Errorf("%s blocking %d holdout %d positions %d, want %d, %d, 0", m.Code, m.BlockingCount, m.HoldoutCount, len(m.Positions), wantBlock, wantHold)
				}
			}
		})
	}
}

// TestAnalyzeScaleEdgeCases covers no responses, one response, all
// identical and two extremes on a whole question.
func TestAnalyzeScaleEdgeCases(t *testing.T) {
	tests := []struct {
		name      string
		stances   map[string]stance
		class     Classification
		best      int
		accepting int
		notAcc    []string
		verdict   string
	}{
		{"no responses", map[string]stance{}, Insufficient, 0, 0, []string{},
			"Too few answers to judge (0 of 3)."},
		{"one response", map[string]stance{"B": {4, 3, 5}}, Insufficient, 4, 1, []string{},
			"Too few answers to judge (1 of 3)."},
		{"all identical", map[string]stance{"A": {2, 2, 2}, "B": {2, 1, 2}, "C": {2, 2, 4}}, Unanimous, 2, 3, []string{},
			"Unanimous: every member who answered prefers point 2."},
		// 1 | 5 | 5: median 5; acceptance 1:1, 5:2 → 5; A alone does not
		// accept it (1 <= 1 and 1 < 2) → a holdout
		{"two extremes, one holdout", map[string]stance{"A": {1, 1, 1}, "B": {5, 5, 5}, "C": {5, 5, 5}}, NearConsensus, 5, 2, []string{"A"},
			"Near consensus: all but A accept point 5."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{Members: []Member{{"A", ""}, {"B", ""}, {"C", ""}}, Questions: []Question{{Key: "s", Kind: KindScale, Points: five}}}
			for _, c := range []string{"A", "B", "C"} {
				if s, ok := tt.stances[c]; ok {
					in.Positions = append(in.Positions, Position{MemberCode: c, QuestionKey: "s", Preferred: s.x, AcceptMin: s.lo, AcceptMax: s.hi})
				}
			}
			in.Quorum = len(tt.stances) // never provisional here
			q := &Analyze(in).Questions[0]
			if q.Classification != tt.class {
				t.Errorf("classification = %q, want %q", q.Classification, tt.class)
			}
			holdouts := Holdouts(tt.notAcc, len(tt.stances))
			checkSignal(t, q, tt.best, tt.accepting, tt.notAcc, holdouts)
			if q.Verdict != tt.verdict {
				t.Errorf("verdict = %q, want %q", q.Verdict, tt.verdict)
			}
		})
	}
}

func TestAnalyzeQuestionNumbers(t *testing.T) {
	in := Input{
		Questions: []Question{
			{Key: "a", Kind: KindText},
			{Key: "b", Number: 7, Kind: KindScale, Points: five},
			{Key: "a", Number: 9, Kind: KindText}, // duplicate key: ignored
			{Key: "c", Kind: KindChoice, Options: []string{"x"}},
		},
	}
	r := Analyze(in)
	var got []int
	for _, q := range r.Questions {
		got = append(got, q.Number)
	}
	// a: position 1; b: its own number 7; c: input position 4
	if want := []int{1, 7, 4}; !slices.Equal(got, want) {
		t.Errorf("numbers = %v, want %v", got, want)
	}
}

// TestAnalyzeRankingWithNearConsensus checks that near consensus ranks
// between broad agreement and consensus.
func TestAnalyzeRankingWithNearConsensus(t *testing.T) {
	in := Input{Questions: []Question{
		{Key: "consensus", Kind: KindScale, Points: five},
		{Key: "near", Kind: KindScale, Points: five},
		{Key: "broad", Kind: KindScale, Points: five},
		{Key: "polarized", Kind: KindScale, Points: five},
		{Key: "divided", Kind: KindScale, Points: five},
	}}
	// Seven members A..G. Each row: preferred points; every range is the
	// preferred point alone except in "consensus".
	rows := map[string][]int{
		// all accept 2–4 (see below)
		"consensus": {3, 3, 2, 4, 3, 3, 3},
		// G alone excludes 3: holdout
		"near": {3, 3, 3, 3, 3, 3, 5},
		// 3 by four, 2 by two, 4 by one: three do not accept 3 (> 1) → no
		// holdouts; all within one point of the median 3 (100%);
		// μ = 20/7, Cns = 1 + (2/7)·log2(1 − (6/7)/4) + (4/7)·log2(1 − (1/7)/4)
		// + (1/7)·log2(1 − (8/7)/4) = 0.8012652695 >= 0.75 → broad agreement
		"broad": {3, 3, 3, 3, 2, 2, 4},
		// 1,1,1,3,5,5,5: thirds 3/7 each → polarized
		"polarized": {1, 1, 1, 3, 5, 5, 5},
		// 1,2,3,3,3,4,5: agreement 5/7 < 75%; thirds 2/7 < 1/3 → divided
		"divided": {1, 2, 3, 3, 3, 4, 5},
	}
	codes := []string{"A", "B", "C", "D", "E", "F", "G"}
	for _, c := range codes {
		in.Members = append(in.Members, Member{Code: c})
	}
	for _, q := range in.Questions {
		for i, x := range rows[q.Key] {
			p := Position{MemberCode: codes[i], QuestionKey: q.Key, Preferred: x}
			if q.Key == "consensus" {
				p.AcceptMin, p.AcceptMax = 2, 4
			}
			in.Positions = append(in.Positions, p)
		}
	}
	r := Analyze(in)
	wantClass := map[string]Classification{
		"consensus": Consensus, "near": NearConsensus, "broad": BroadAgreement, "polarized": Polarized, "divided": Divided,
	}
	for _, q := range r.Questions {
		if q.Classification != wantClass[q.Key] {
			t.Errorf("%s classified %q, want %q", q.Key, q.Classification, wantClass[q.Key])
		}
	}
	checkFloat(t, "broad Cns", mustQuestion(t, r, "broad").Scale.Cns, 0.8012652694875146)
	checkSignal(t, mustQuestion(t, r, "near"), 3, 6, []string{"G"}, []string{"G"})
	checkStrings(t, "ranking", r.Ranking, []string{"polarized", "divided", "broad", "near", "consensus"})
	want := map[Classification]int{Polarized: 1, Divided: 1, BroadAgreement: 1, NearConsensus: 1, Consensus: 1, Unanimous: 0, Insufficient: 0}
	if !reflect.DeepEqual(r.ClassCounts, want) {
		t.Errorf("class counts = %v, want %v", r.ClassCounts, want)
	}
}

func TestMissingPhrase(t *testing.T) {
	tests := []struct {
		name    string
		missing []string
		want    string
	}{
		{"none", nil, ""},
		{"one", []string{"DEU"}, "DEU has not answered"},
		{"three", []string{"DEU", "FRA", "ITA"}, "DEU, FRA, ITA have not answered"},
		{"five, the most named", []string{"A", "B", "C", "D", "E"}, "A, B, C, D, E have not answered"},
		{"six are counted", []string{"A", "B", "C", "D", "E", "F"}, "6 members have not answered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MissingPhrase(tt.missing); got != tt.want {
				t.Errorf("MissingPhrase(%q) = %q, want %q", tt.missing, got, tt.want)
			}
		})
	}
}

// verdictCase builds a question report for VerdictLine by hand.
func verdictCase(kind Kind, class Classification, ground, provisional bool) QuestionReport {
	q := QuestionReport{
		Key: "q", Kind: kind, Classification: class, Provisional: provisional,
		Options:      []string{"Stay", "Leave", "Wait"},
		Coverage:     Coverage{Responses: 32, MembersTotal: 32, Missing: []string{}},
		NotAccepting: []string{}, Holdouts: []string{},
	}
	if provisional {
		q.Coverage = Coverage{Responses: 29, MembersTotal: 32, Missing: []string{"DEU", "FRA", "ITA"}}
	}
	n := q.Coverage.Responses
	switch {
	case class == Insufficient && ground:
		q.Coverage = Coverage{Responses: 1, MembersTotal: 32}
		q.BestPoint, q.Accepting = 2, 1
	case class == Insufficient:
		q.Coverage = Coverage{Responses: 0, MembersTotal: 32}
	case ground:
		q.BestPoint, q.Accepting = 2, n
	case class == NearConsensus:
		q.BestPoint, q.Accepting = 2, n-2
		q.NotAccepting = []string{"HUN", "SVK"}
		q.Holdouts = []string{"HUN", "SVK"}
	default:
		q.BestPoint, q.Accepting = 2, n-13
		q.NotAccepting = slices.Clone(alliance[:13])
	}
	if kind == KindScale {
		q.Scale = &ScaleStats{}
		if ground {
			q.Scale.CommonGround = &Range{2, 4}
			if class == Unanimous || class == Insufficient {
				q.Scale.CommonGround = &Range{2, 2}
			}
		}
	} else {
		q.Choice = &ChoiceStats{CommonGround: []int{}}
		if ground {
			q.Choice.CommonGround = []int{2, 3}
			if class == Unanimous || class == Insufficient {
				q.Choice.CommonGround = []int{2}
			}
		}
	}
	return q
}

// TestVerdictLine covers the template of every (classification × common
// ground found or not), for scale and choice questions, quorate and
// provisional.
func TestVerdictLine(t *testing.T) {
	const missing = "; DEU, FRA, ITA have not answered."
	tests := []struct {
		class       Classification
		ground      bool
		scale       string // quorate scale question
		choice      string // quorate choice question
		provisional string // provisional scale question
	}{
		{Insufficient, true, "Too few answers to judge (1 of 32).", "Too few answers to judge (1 of 32).", "Too few answers to judge (1 of 32)."},
		{Insufficient, false, "Too few answers to judge (0 of 32).", "Too few answers to judge (0 of 32).", "Too few answers to judge (0 of 32)."},
		{Unanimous, true,
			"Unanimous: every member who answered prefers point 2.",
			"Unanimous: every member who answered chose option 2 (Leave).",
			"Unanimous among the 29 who answered: all prefer point 2" + missing},
		{Unanimous, false,
			"Unanimous: every member who answered prefers point 2.",
			"Unanimous: every member who answered chose option 2 (Leave).",
			"Unanimous among the 29 who answered: all prefer point 2" + missing},
		{Consensus, true,
			"Consensus: every member who answered accepts points 2–4.",
			"Consensus: every member who answered accepts options 2 (Leave) and 3 (Wait).",
			"Consensus among the 29 who answered: all accept points 2–4" + missing},
		{Consensus, false,
			"Consensus: every member who answered accepts point 2.",
			"Consensus: every member who answered accepts option 2 (Leave).",
			"Consensus among the 29 who answered: all accept point 2" + missing},
		{NearConsensus, false,
			"Near consensus: all but HUN, SVK accept point 2.",
			"Near consensus: all but HUN, SVK accept option 2 (Leave).",
			"Near consensus among the 29 who answered: all but HUN, SVK accept point 2" + missing},
		{NearConsensus, true,
			"Near consensus: every member who answered accepts points 2–4.",
			"Near consensus: every member who answered accepts options 2 (Leave) and 3 (Wait).",
			"Near consensus among the 29 who answered: all accept points 2–4" + missing},
		{BroadAgreement, false,
			"No common ground: 19 of 32 accept point 2; 13 do not.",
			"No common ground: 19 of 32 accept option 2 (Leave); 13 do not.",
			"No common ground: 16 of the 29 who answered accept point 2; 13 do not" + missing},
		{BroadAgreement, true,
			"Broad agreement: every member who answered accepts points 2–4.",
			"Broad agreement: every member who answered accepts options 2 (Leave) and 3 (Wait).",
			"Broad agreement among the 29 who answered: all accept points 2–4" + missing},
		{Polarized, false,
			"No common ground: 19 of 32 accept point 2; 13 do not.",
			"No common ground: 19 of 32 accept option 2 (Leave); 13 do not.",
			"No common ground: 16 of the 29 who answered accept point 2; 13 do not" + missing},
		{Polarized, true,
			"Polarized, though every member who answered accepts points 2–4.",
			"Polarized, though every member who answered accepts options 2 (Leave) and 3 (Wait).",
			"Polarized among the 29 who answered, though all accept points 2–4" + missing},
		{Divided, false,
			"No common ground: 19 of 32 accept point 2; 13 do not.",
			"No common ground: 19 of 32 accept option 2 (Leave); 13 do not.",
			"No common ground: 16 of the 29 who answered accept point 2; 13 do not" + missing},
		{Divided, true,
			"Divided, though every member who answered accepts points 2–4.",
			"Divided, though every member who answered accepts options 2 (Leave) and 3 (Wait).",
			"Divided among the 29 who answered, though all accept points 2–4" + missing},
	}
	if len(tests) != 2*len(allClasses()) || len(verdictTemplates) != len(tests) {
		t.Fatalf("%d cases and %d templates for %d combinations", len(tests), len(verdictTemplates), 2*len(allClasses()))
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s, common ground %t", tt.class, tt.ground), func(t *testing.T) {
			s := verdictCase(KindScale, tt.class, tt.ground, false)
			if got := VerdictLine(&s); got != tt.scale {
				t.Errorf("scale:\n got %q\nwant %q", got, tt.scale)
			}
			c := verdictCase(KindChoice, tt.class, tt.ground, false)
			if got := VerdictLine(&c); got != tt.choice {
				t.Errorf("choice:\n got %q\nwant %q", got, tt.choice)
			}
			p := verdictCase(KindScale, tt.class, tt.ground, tt.class != Insufficient)
			if got := VerdictLine(&p); got != tt.provisional {
				t.Errorf("provisional:\n got %q\nwant %q", got, tt.provisional)
			}
		})
	}
	text := QuestionReport{Kind: KindText, TextStats: &TextStats{}, Classification: ""}
	if got := VerdictLine(&text); got != "" {
		t.Errorf("text question verdict = %q, want empty", got)
	}
	if got := VerdictLine(nil); got != "" {
		t.Errorf("nil verdict = %q, want empty", got)
	}
}

// verdictAgrees reports why a question's verdict contradicts its
// classification or its numbers, or "" when it agrees.
func verdictAgrees(q *QuestionReport) string {
	v := q.Verdict
	if q.Scale == nil && q.Choice == nil {
		if v != "" {
			return "text question with a verdict"
		}
		return ""
	}
	for _, bad := range []string{"blocked by", "consensus minus", "{", "}"} {
		if strings.Contains(strings.ToLower(v), bad) {
			return "contains " + bad
		}
	}
	ground := q.Scale != nil && q.Scale.CommonGround != nil || q.Choice != nil && len(q.Choice.CommonGround) > 0
	point := fmt.Sprintf("point %d", q.BestPoint)
	if q.Choice != nil {
		point = fmt.Sprintf("option %d (%s)", q.BestPoint, q.Options[q.BestPoint-min(q.BestPoint, 1)])
	}
	n, m := q.Coverage.Responses, len(q.NotAccepting)
	accept, donot := "accept", "do not"
	if q.Accepting == 1 {
		accept = "accepts"
	}
	if m == 1 {
		donot = "does not"
	}
	var prefix string
	switch q.Classification {
	case Insufficient:
		prefix = fmt.Sprintf("Too few answers to judge (%d of %d).", n, q.Coverage.MembersTotal)
	case Unanimous:
		prefix = "Unanimous"
	case Consensus:
		prefix = "Consensus"
	case NearConsensus:
		prefix = "Near consensus"
		if !ground && !strings.Contains(v, "all but "+strings.Join(q.Holdouts, ", ")+" accept "+point) {
			return "near consensus without naming the holdouts"
		}
	case BroadAgreement, Polarized, Divided:
		if ground {
			prefix = strings.ToUpper(string(q.Classification[:1])) + string(q.Classification[1:])
			break
		}
		prefix = fmt.Sprintf("No common ground: %d of %d %s %s; %d %s", q.Accepting, n, accept, point, m, donot)
		if q.Provisional {
			prefix = fmt.Sprintf("No common ground: %d of the %d who answered %s %s; %d %s", q.Accepting, n, accept, point, m, donot)
		}
	default:
		return "unknown classification"
	}
	if !strings.HasPrefix(v, prefix) {
		return fmt.Sprintf("does not start with %q", prefix)
	}
	if q.Classification != Consensus && q.Classification != Unanimous && !ground && strings.Contains(v, "every member who answered accepts") {
		return "claims acceptance by all without common ground"
	}
	if q.Provisional != (strings.Contains(v, "have not answered") || strings.Contains(v, "has not answered")) {
		return "provisional and the missing members disagree"
	}
	if q.Provisional && !strings.Contains(v, fmt.Sprintf("the %d who answered", n)) {
		return "provisional without the number who answered"
	}
	return ""
}

// TestVerdictNeverContradictsClass checks every template combination and
// every question of generated consultations: a verdict starts with its
// class's statement, states the numbers of the best point, names holdouts,
// and speaks of the missing members exactly when provisional.
func TestVerdictNeverContradictsClass(t *testing.T) {
	for _, kind := range []Kind{KindScale, KindChoice} {
		for _, class := range allClasses() {
			for _, ground := range []bool{true, false} {
				for _, prov := range []bool{false, true} {
					if prov && class == Insufficient {
						continue
					}
					q := verdictCase(kind, class, ground, prov)
					q.Verdict = VerdictLine(&q)
					if why := verdictAgrees(&q); why != "" {
						t.Errorf("%s %s ground %t provisional %t: %q %s", kind, class, ground, prov, q.Verdict, why)
					}
				}
			}
		}
	}
	for _, quorum := range []int{0, 24, 31} {
		in := synthetic(32, 50, true)
		// make some choice questions with accepted options
		in.Questions = append(in.Questions, Question{Key: "C1", Kind: KindChoice, Options: []string{"a", "b", "c"}})
		for i, m := range in.Members {
			if i%7 == 3 {
				continue
			}
			p := Position{MemberCode: m.Code, QuestionKey: "C1", Option: []string{"a", "b", "c"}[i%3]}
			if i%2 == 0 {
				p.AcceptOptions = []string{"b"}
			}
			in.Positions = append(in.Positions, p)
		}
		in.Quorum = quorum
		r := Analyze(in)
		classes := map[Classification]int{}
		for i := range r.Questions {
			q := &r.Questions[i]
			classes[q.Classification]++
			if why := verdictAgrees(q); why != "" {
				t.Errorf("quorum %d, %s (%s): %q %s", quorum, q.Key, q.Classification, q.Verdict, why)
			}
			if q.Holdouts == nil || q.NotAccepting == nil {
				t.Errorf("%s: nil lists", q.Key)
			}
		}
		if len(classes) < 3 {
			t.Errorf("quorum %d: only classes %v: the check saw too little variety", quorum, classes)
		}
	}
}
