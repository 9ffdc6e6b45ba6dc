package export_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"concord/export"
	"concord/models"
)

// twoRounds builds, through the Store, a consultation "rounds" with five
// members (AAA … EEE) in its second round:
//
//	posture (scale 1–5)   round 1: AAA 2 [1-3], BBB 3 [2-4], CCC 4 [3-5], DDD 5 [4-5]
//	                      round 2: AAA 3 [2-4], BBB 2 [1-3], CCC 3 [3-4], DDD 5 [5-5], EEE 4 [3-5]
//	act (choice)          round 1: AAA Keep, BBB Keep (or Suspend), CCC Keep, DDD Suspend (or Keep)
//	                      round 2: the same, and EEE Void (Void only)
//	notes (text)          round 1: AAA; round 2: nobody
//	later (scale 1–3)     round 2 only: AAA 2 [2-3], BBB 2 [1-2]
//	unused (scale 1–3)    never answered
func twoRounds(t *testing.T) (*models.Store, *models.Consultation) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "concord.db")
	store, err := models.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := store.Close(); err != nil {
			t.Error(err)
		}
	})
	store.SetPasswordCost(bcrypt.MinCost)
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var roster []models.Member
	for _, code := range []string{"AAA", "BBB", "CCC", "DDD", "EEE"} {
		roster = append(roster, models.Member{Code: code, Name: "Member " + code})
	}
	if err := store.SeedMembers(ctx, roster); err != nil {
		t.Fatal(err)
	}
	fac, err := store.CreateUser(ctx, models.NewUser{Username: "fac", Name: "Fac", Role: models.RoleFacilitator,
		Password: "a long enough passphrase"})
	if err != nil {
		t.Fatal(err)
	}
	cons, err := store.CreateConsultation(ctx, models.ConsultationInput{Key: "rounds", Title: "Rounds"}, fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	questions := []models.QuestionInput{
		{Key: "posture", Section: "S", Text: "Posture?", Kind: models.KindScale, Labels: []string{"1", "2", "3", "4", "5"}},
		{Key: "act", Section: "S", Text: "The Act?", Kind: models.KindChoice, Options: []string{"Keep", "Suspend", "Void"}},
		{Key: "notes", Section: "S", Text: "Notes?", Kind: models.KindText},
		{Key: "later", Section: "S", Text: "Later?", Kind: models.KindScale, Labels: []string{"a", "b", "c"}},
		{Key: "unused", Section: "S", Text: "Unused?", Kind: models.KindScale, Labels: []string{"a", "b", "c"}},
	}
	for _, q := range questions {
		if _, err := store.CreateQuestion(ctx, cons.ID, q, fac.ID); err != nil {
			t.Fatal(err)
		}
	}
	submit := func(code string, inputs ...models.PositionInput) {
		t.Helper()
		m, err := store.MemberByCode(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.SubmitPositions(ctx, models.Submission{ConsultationID: cons.ID, MemberID: m.ID, UserID: fac.ID,
			Source: models.SourceForm, OnBehalf: true, Inputs: inputs, IgnoreWindow: true}); err != nil {
			t.Fatalf("submit %s: %v", code, err)
		}
	}
	scale := func(key string, p, lo, hi int) models.PositionInput {
		return models.PositionInput{QuestionKey: key, Preferred: p, AcceptMin: lo, AcceptMax: hi, Importance: "medium"}
	}
	choice := func(o int, also ...int) models.PositionInput {
		return models.PositionInput{QuestionKey: "act", Option: o, AcceptOptions: also}
	}
	submit("AAA", scale("posture", 2, 1, 3), choice(1), models.PositionInput{QuestionKey: "notes", Answer: "A note"})
	submit("BBB", scale("posture", 3, 2, 4), choice(1, 2))
	submit("CCC", scale("posture", 4, 3, 5), choice(1))
	submit("DDD", scale("posture", 5, 4, 5), choice(2, 1))

	if err := store.SetStatus(ctx, cons.ID, models.StatusOpen, fac.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := store.OpenNextRound(ctx, cons.ID, nil, fac.ID); err != nil {
		t.Fatalf("open round 2: %v", err)
	}
	submit("AAA", scale("posture", 3, 2, 4), choice(1), scale("later", 2, 2, 3))
	submit("BBB", scale("posture", 2, 1, 3), choice(1, 2), scale("later", 2, 1, 2))
	submit("CCC", scale("posture", 3, 3, 4), choice(1))
	submit("DDD", scale("posture", 5, 5, 5), choice(2, 1))
	submit("EEE", scale("posture", 4, 3, 5), choice(3))

	cons, err = store.ConsultationByID(ctx, cons.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cons.Round != 2 {
		t.Fatalf("consultation in round %d, want 2", cons.Round)
	}
	return store, cons
}

// TestRoundsCSV checks every row of rounds.csv against values computed by
// hand.
//
// posture, round 1: 2 3 4 5 → median 3.5; Q1 = 2 + 0.75·1 = 2.75, Q3 = 4 +
// 0.25·1 = 4.25, IQR 1.5; mean 3.5, Cns = 1 + ½·log2(0.625) + ½·log2(0.875)
// = 0.5646; within one point of 3.5: 3 and 4, 50%. The ranges 1-3, 2-4, 3-5,
// 4-5 have no common point; point 3 is accepted by three (tied with 4, the
// lower wins), DDD alone does not: a holdout (limit max(1, ⌊4/10⌋) = 1),
// near consensus.
//
// posture, round 2: 2 3 3 4 5 → median 3, Q1 3, Q3 4, IQR 1; mean 3.4, Cns =
// 1 + 0.2·log2(0.65) + 0.4·log2(0.9) + 0.2·log2(0.85) + 0.2·log2(0.6) =
// 0.6206; within one point: 4 of 5, 80%. No common ground (DDD accepts only
// 5, BBB at most 3); point 3 is accepted by four, DDD is the holdout. Of the
// four who answered both rounds only DDD kept its point: 25%, not stable.
//
// act: round 1, Keep is acceptable to all (common ground 1), consensus;
// round 2, EEE accepts only Void: no common ground, Keep accepted by four,
// EEE the holdout. The four who answered both kept their option: 100%,
// stable (a choice question has no Cns condition).
//
// notes: a text question, answered in round 1 only; round 2 is the current
// round, so it has its row. later: answered in round 2 only (unanimous on
// 2, common ground 2); no trend, so no unchanged share and not stable.
// unused: never answered, only the current round's row.
func TestRoundsCSV(t *testing.T) {
	store, cons := twoRounds(t)
	pack, err := export.Load(context.Background(), store, cons, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, header, rows := readCSV(t, pack.RoundsTable(), false)
	if !slices.Equal(header, export.RoundColumns) {
		t.Fatalf("header = %v, want %v", header, export.RoundColumns)
	}
	want := [][]string{
		{"rounds", "posture", "1", "4", "3.5000", "1.5000", "0.5646", "50.00", "near consensus", "", "DDD", "", ""},
		{"rounds", "posture", "2", "5", "3.0000", "1.0000", "0.6206", "80.00", "near consensus", "", "DDD", "25.00", "no"},
		{"rounds", "act", "1", "4", "", "", "", "", "consensus", "1", "", "", ""},
		{"rounds", "act", "2", "5", "", "", "", "", "near consensus", "", "EEE", "100.00", "yes"},
		{"rounds", "notes", "1", "1", "", "", "", "", "", "", "", "", ""},
		{"rounds", "notes", "2", "0", "", "", "", "", "", "", "", "", ""},
		{"rounds", "later", "2", "2", "2.0000", "0.0000", "1.0000", "100.00", "unanimous", "2", "", "", "no"},
		{"rounds", "unused", "2", "0", "", "", "", "", "insufficient", "", "", "", "no"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d:\n%v", len(rows), len(want), rows)
	}
	for i := range want {
		t.Run(want[i][1]+"/round "+want[i][2], func(t *testing.T) {
			if !slices.Equal(rows[i], want[i]) {
				t.Errorf("row %d\n got %q\nwant %q", i+1, rows[i], want[i])
			}
		})
	}

	t.Run("the same from the pack of round 1", func(t *testing.T) {
		first, err := export.Load(context.Background(), store, cons, 1)
		if err != nil {
			t.Fatal(err)
		}
		_, _, again := readCSV(t, first.RoundsTable(), false)
		if !slices.EqualFunc(again, rows, slices.Equal) {
			t.Errorf("rounds.csv of the round-1 pack differs:\n%v\nwant\n%v", again, rows)
		}
	})
}

// TestMovementCSV checks movement.csv. The earlier median is 3.5 (round 1
// of posture): AAA 2→3 comes from 1.5 to 0.5 away, toward; BBB 3→2 goes from
// 0.5 to 1.5, away; CCC 4→3 stays 0.5 away on the other side, unchanged;
// DDD keeps 5, unchanged. EEE answered round 2 only and has no row; later
// was not answered in round 1, act is a choice question.
func TestMovementCSV(t *testing.T) {
	store, cons := twoRounds(t)
	pack, err := export.Load(context.Background(), store, cons, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, header, rows := readCSV(t, pack.MovementTable(), false)
	if !slices.Equal(header, export.MovementColumns) {
		t.Fatalf("header = %v, want %v", header, export.MovementColumns)
	}
	want := [][]string{
		{"AAA", "posture", "1", "2", "2", "3", "1", "toward", "1-3", "2-4"},
		{"BBB", "posture", "1", "2", "3", "2", "-1", "away", "2-4", "1-3"},
		{"CCC", "posture", "1", "2", "4", "3", "-1", "unchanged", "3-5", "3-4"},
		{"DDD", "posture", "1", "2", "5", "5", "0", "unchanged", "4-5", "5-5"},
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("rows\n got %q\nwant %q", rows, want)
	}
}

// TestLoadRounds checks that the per-round tables follow the round chosen
// while history covers every round, and that rounds the consultation does
// not have are refused.
func TestLoadRounds(t *testing.T) {
	store, cons := twoRounds(t)
	ctx := context.Background()
	tests := []struct {
		name      string
		round     int
		wantRound int
		positions int // rows of positions.csv
	}{
		{"current round by default", 0, 2, 12},
		{"round 1", 1, 1, 9},
		{"round 2 named", 2, 2, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pack, err := export.Load(ctx, store, cons, tt.round)
			if err != nil {
				t.Fatal(err)
			}
			if pack.Analysis.Round != tt.wantRound || len(pack.Rounds) != 2 {
				t.Fatalf("pack of round %d with %d rounds, want round %d of 2", pack.Analysis.Round, len(pack.Rounds), tt.wantRound)
			}
			_, header, rows := readCSV(t, pack.Positions(), false)
			if len(rows) != tt.positions {
				t.Errorf("%d positions, want %d", len(rows), tt.positions)
			}
			for _, r := range rows {
				if got := byColumn(header, r)["round"]; got != strconv.Itoa(tt.wantRound) {
					t.Errorf("position %v has round %q, want %d", r[:3], got, tt.wantRound)
				}
			}
			_, header, rows = readCSV(t, pack.HistoryTable(), false)
			if len(rows) != 21 {
				t.Errorf("history has %d rows, want the 21 revisions of both rounds", len(rows))
			}
			if n := slices.Index(header, "round"); n != 1 || strings.Count(strings.Join(header, ","), "round") != 1 {
				t.Errorf("history header %v, want round once, second", header)
			}
		})
	}
	for _, round := range []int{-1, 3} {
		_, err := export.Load(ctx, store, cons, round)
		var rerr *export.RoundError
		if !errors.As(err, &rerr) || rerr.Current != 2 {
			t.Errorf("round %d: err = %v, want a RoundError naming round 2 as current", round, err)
		}
	}
}

func TestParseRound(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		current int
		want    int
		msg     string // the error's sentence; empty for no error
	}{
		{"empty is the current round", "", 3, 3, ""},
		{"a past round", "1", 3, 1, ""},
		{"the current round", " 3 ", 3, 3, ""},
		{"beyond the current round", "4", 3, 0, "There is no round 4 in this consultation: its rounds are 1 to 3."},
		{"zero", "0", 1, 0, "There is no round 0 in this consultation: it has only round 1."},
		{"not a number, shortened", "twothousandandtwo", 2, 0, "There is no round twothousanda… in this consultation: its rounds are 1 to 2."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := export.ParseRound(tt.in, tt.current)
			var rerr *export.RoundError
			switch {
			case tt.msg == "" && (err != nil || got != tt.want):
				t.Errorf("ParseRound(%q, %d) = %d, %v; want %d", tt.in, tt.current, got, err, tt.want)
			case tt.msg != "" && !errors.As(err, &rerr):
				t.Errorf("ParseRound(%q, %d) = %d, %v; want a RoundError", tt.in, tt.current, got, err)
			case tt.msg != "" && rerr.Sentence() != tt.msg:
				t.Errorf("sentence = %q, want %q", rerr.Sentence(), tt.msg)
			}
		})
	}
}
