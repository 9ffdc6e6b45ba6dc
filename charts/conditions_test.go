package charts

import (
	"slices"
	"testing"

	"concord/consensus"
)

// TestQuestionViewConditions: the conditions of each member's acceptance
// are carried into its voice, and the conditions of the members who accept
// the best point (or option) are listed beside the verdict, by member code.
func TestQuestionViewConditions(t *testing.T) {
	members := []consensus.Member{{Code: "EST", Name: "Estonia"}, {Code: "HUN", Name: "Hungary"},
		{Code: "POL", Name: "Poland"}, {Code: "SVK", Name: "Slovakia"}, {Code: "USA", Name: "United States"}}
	scale := consensus.Question{Key: "council", Text: "Revive the Council?", Kind: consensus.KindScale,
		Points: []string{"No", "Hotline", "Talks", "Council", "Full"}}
	choice := consensus.Question{Key: "act", Text: "What of the Founding Act?", Kind: consensus.KindChoice,
		Options: []string{"Keep it", "Suspend it", "Void it"}}
	sp := func(code string, pref, lo, hi int, rationale, conditions string) consensus.Position {
		return consensus.Position{MemberCode: code, QuestionKey: "council", Preferred: pref, AcceptMin: lo, AcceptMax: hi,
			Importance: consensus.ImportanceMedium, Rationale: rationale, Conditions: conditions}
	}
	cp := func(code, option string, also []string, conditions string) consensus.Position {
		return consensus.Position{MemberCode: code, QuestionKey: "act", Option: option, AcceptOptions: also, Conditions: conditions}
	}
	tests := []struct {
		name      string
		question  consensus.Question
		positions []consensus.Position
		// wantBest is the best point or option, as computed by hand.
		wantBest int
		// wantConditions: "CODE: text" beside the verdict, in order.
		wantConditions []string
		// wantVoices: the conditions of each listed voice (highlighted or
		// other), by member code; a member absent is not listed.
		wantVoices map[string]string
	}{
		{
			// Accepted — 2: EST USA; 3: EST POL SVK USA; 4: SVK USA; 5: HUN.
			// Best point 3, accepted by 4 of 5; HUN does not accept it (a
			// holdout, as 1 ≤ max(1, ⌊5/10⌋)), so its conditions are not
			// listed beside the verdict, only in its voice. USA's conditions
			// are blank: nothing is listed.
			name:     "scale: the conditions of those accepting point 3",
			question: scale,
			positions: []consensus.Position{
				sp("EST", 2, 2, 3, "", "Provided the Act is suspended, not terminated."),
				sp("POL", 3, 3, 3, "Talks, nothing more.", ""),
				sp("USA", 3, 2, 4, "", "   "),
				sp("HUN", 5, 5, 5, "", "Only with sanctions relief."),
				sp("SVK", 3, 3, 4, "", "If the Council meets yearly."),
			},
			wantBest: 3,
			wantConditions: []string{"EST: Provided the Act is suspended, not terminated.",
				"SVK: If the Council meets yearly."},
			wantVoices: map[string]string{"HUN": "Only with sanctions relief.", "EST": "Provided the Act is suspended, not terminated.",
				"POL": "", "SVK": "If the Council meets yearly."},
		},
		{
			// Accepted — Keep it: HUN POL USA (3); Suspend it: POL SVK (2);
			// Void it: EST (1). Best option 1; EST and SVK do not accept it.
			name:     "choice: the conditions of those accepting option 1",
			question: choice,
			positions: []consensus.Position{
				cp("EST", "Void it", nil, "Provided it is replaced."),
				cp("POL", "Suspend it", []string{"Keep it"}, "Only for a year."),
				cp("USA", "Keep it", nil, "While talks continue."),
				cp("HUN", "Keep it", nil, ""),
				cp("SVK", "Suspend it", nil, "If all agree."),
			},
			wantBest:       1,
			wantConditions: []string{"POL: Only for a year.", "USA: While talks continue."},
			wantVoices: map[string]string{"EST": "Provided it is replaced.", "POL": "Only for a year.",
				"USA": "While talks continue.", "SVK": "If all agree."},
		},
		{
			// Everyone accepts point 3 (the common ground), nobody attaches
			// conditions: the list is empty and no voice is listed.
			name:     "scale without conditions",
			question: scale,
			positions: []consensus.Position{
				sp("EST", 3, 3, 3, "", ""),
				sp("POL", 3, 2, 4, "", ""),
			},
			wantBest:   3,
			wantVoices: map[string]string{},
		},
		{
			name:       "no responses: no best point, no conditions",
			question:   scale,
			wantVoices: map[string]string{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := consensus.Analyze(consensus.Input{Members: members, Questions: []consensus.Question{tc.question},
				Positions: tc.positions})
			v, ok := NewQuestionView(rep, tc.question.Key, tc.positions, 0)
			if !ok {
				t.Fatal("no view")
			}
			if v.Q.BestPoint != tc.wantBest {
				t.Fatalf("best point %d, want %d (the hand computation is wrong)", v.Q.BestPoint, tc.wantBest)
			}
			var got []string
			for _, c := range v.Conditions {
				got = append(got, c.Member.Code+": "+c.Text)
				if c.Member.Name == "" {
					t.Errorf("%s has no name", c.Member.Code)
				}
			}
			if !slices.Equal(got, tc.wantConditions) {
				t.Errorf("conditions beside the verdict %q, want %q", got, tc.wantConditions)
			}
			voices := map[string]string{}
			for _, voice := range slices.Concat(v.Highlighted, v.Others) {
				voices[voice.Member.Code] = voice.Conditions
			}
			if len(voices) != len(tc.wantVoices) {
				t.Errorf("voices %q, want %q", voices, tc.wantVoices)
			}
			for code, want := range tc.wantVoices {
				if got, ok := voices[code]; !ok || got != want {
					t.Errorf("voice of %s: conditions %q (listed %v), want %q", code, got, ok, want)
				}
			}
		})
	}
}
