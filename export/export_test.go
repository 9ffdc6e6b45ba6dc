package export_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"concord/consensus"
	"concord/export"
	"concord/models"
)

// fixture builds a hand-made analysis and report: four members with
// non-Latin names, five questions of every kind (one without responses;
// stable numbers 1, 2, 3, 4 and 6, question 5 having been deleted),
// positions whose texts carry commas, quotes, newlines and formula
// injection payloads, a choice answer with another acceptable option, the
// conditions of two acceptances (a stray one on a text answer and one on a
// withdrawal, which are not exported), a withdrawal in the history and,
// under national approval, a draft and its approval.
func fixture(t *testing.T) *export.Pack {
	t.Helper()
	q := func(id uint, key, kind, text string, points, options []string) models.Question {
		qq := models.Question{ID: id, Key: key, Kind: kind, Text: text, Number: map[uint]int{10: 1, 11: 2, 12: 3, 13: 4, 14: 6}[id]}
		qq.SetPoints(points)
		qq.SetChoices(options)
		return qq
	}
	five := []string{"Much less", "Less", "Same", "More", "=Much more"}
	seven := []string{"1", "2", "3", "4", "5", "6", "7"}
	questions := []models.Question{
		q(10, "stance", models.KindScale, `How assertive, "overall", should we be?`, five, nil),
		q(11, "flank", models.KindScale, "=1+1", seven, nil),
		q(12, "act", models.KindChoice, "What of the Act?", nil, []string{"Keep", "Suspend", "-Void"}),
		q(13, "notes", models.KindText, "Anything else?\nAnything at all?", nil, nil),
		q(14, "unanswered", models.KindScale, "Nobody answered this", []string{"a", "b", "c"}, nil),
	}
	members := []models.Member{ // roster order (by name), not by code
		{ID: 1, Code: "EST", Name: "Estonia"},
		{ID: 2, Code: "TUR", Name: "Türkiye"},
		{ID: 3, Code: "BGR", Name: "България"},
		{ID: 4, Code: "GRC", Name: "Ελλάδα"},
	}
	at := time.Date(2026, 3, 1, 14, 30, 0, 0, time.FixedZone("CET", 3600))
	rev := func(id uint, m models.Member, qq models.Question, seq int, r models.Revision) models.RevisionRecord {
		r.ID, r.MemberID, r.QuestionID, r.Seq, r.Round = id, m.ID, qq.ID, seq, 1
		r.SubmittedAt, r.Source, r.SubmittedBy = at, models.SourceForm, 7
		return models.RevisionRecord{Revision: r, MemberCode: m.Code, MemberName: m.Name, QuestionKey: qq.Key,
			SubmitterName: "Anna Facilitator", SubmitterUser: "anna"}
	}
	est, tur, bgr, grc := members[0], members[1], members[2], members[3]
	stance, flank, act, notes := questions[0], questions[1], questions[2], questions[3]
	current := []models.RevisionRecord{
		rev(5, tur, stance, 2, models.Revision{Preferred: 2, AcceptMin: 1, AcceptMax: 3, Importance: "red line", Rationale: "-2 is our floor",
			Conditions: "-only if suspended, not terminated", State: models.StateApproved}),
		rev(2, est, flank, 1, models.Revision{Preferred: 6, AcceptMin: 5, AcceptMax: 7, Importance: "high", Rationale: "=cmd|' /C calc'!A0"}),
		rev(3, est, stance, 1, models.Revision{Preferred: 5, AcceptMin: 4, AcceptMax: 5, Importance: "high",
			Rationale: "Line one, with a comma\nLine \"two\""}),
		rev(6, bgr, act, 1, models.Revision{Choice: 3, Rationale: "@SUM(A1:A9)", Conditions: "Provided it is suspended,\n\"not\" voided"}),
		rev(7, grc, notes, 1, models.Revision{Answer: "+Ελληνικά κείμενο", Conditions: "stray"}),
		rev(8, bgr, flank, 1, models.Revision{Preferred: 2, AcceptMin: 2, AcceptMax: 2, Importance: "medium", Rationale: "\tTabbed"}),
		// TUR prefers Keep and could accept -Void.
		rev(9, tur, act, 1, models.Revision{Choice: 1, AcceptOptions: "1 3"}),
	}
	history := []models.RevisionRecord{
		rev(1, tur, stance, 1, models.Revision{Preferred: 3, AcceptMin: 3, AcceptMax: 3, Importance: "low", State: models.StateDraft}),
		current[1], current[2], current[0], current[3], current[4], current[5], current[6],
		// GRC answered stance, then withdrew the answer.
		rev(10, grc, stance, 1, models.Revision{Preferred: 4, AcceptMin: 4, AcceptMax: 4, Importance: "low", Rationale: "first"}),
		rev(11, grc, stance, 2, models.Revision{Withdrawn: true, Conditions: "stale"}),
	}
	history[3].Source = models.SourceImport
	a := &models.Analysis{
		Consultation:  &models.Consultation{ID: 1, Key: "review-2026", Round: 1},
		Round:         1,
		Questionnaire: &models.Questionnaire{Questions: questions},
		Members:       members,
		Positions:     current,
	}
	// The report is written by hand (the export only copies it): a quorum
	// of 2, so the three questions with two responses are quorate.
	rep := &consensus.Report{
		MembersTotal: 4,
		Quorum:       2,
		Questions: []consensus.QuestionReport{
			{Number: 1, Key: "stance", Section: "Posture", Text: stance.Text, Kind: consensus.KindScale, Points: five,
				Coverage:       consensus.Coverage{Responses: 2, MembersTotal: 4, CoveragePct: 50, Missing: []string{"GRC", "BGR"}},
				Classification: consensus.Consensus, BestPoint: 3, Accepting: 2, NotAccepting: []string{}, Holdouts: []string{}, Quorate: true,
				Scale: &consensus.ScaleStats{K: 5, Counts: []int{0, 1, 0, 0, 1}, Median: 3.5, Mean: 3.5, IQR: 1.5,
					Cns: 0.123456, AgreementPct: 100.0 / 3, Outliers: []string{}, CommonGround: &consensus.Range{Lo: 3, Hi: 3}}},
			// EST accepts 5-7 and BGR only 2: the best point 5 (nearest the
			// median 4 among the points accepted by one) leaves BGR out, a
			// holdout since max(1, ⌊2/10⌋) = 1.
			{Number: 2, Key: "flank", Section: "Posture, east", Text: flank.Text, Kind: consensus.KindScale, Points: seven,
				Coverage:       consensus.Coverage{Responses: 2, MembersTotal: 4, CoveragePct: 50, Missing: []string{"TUR", "GRC"}},
				Classification: consensus.NearConsensus, BestPoint: 5, Accepting: 1, NotAccepting: []string{"BGR"}, Holdouts: []string{"BGR"}, Quorate: true,
				Scale: &consensus.ScaleStats{K: 7, Counts: []int{0, 1, 0, 0, 0, 1, 0}, Median: 4, Mean: 4, IQR: 2,
					Cns: 0.000049999, AgreementPct: 0, Outliers: []string{"EST", "BGR"},
					Blocking: &consensus.Blocking{Members: []string{"EST", "BGR"}, Point: 4}}},
			// BGR chose -Void (3); TUR chose Keep (1) and accepts -Void: option
			// 3 is common ground.
			{Number: 3, Key: "act", Section: "Treaties", Text: act.Text, Kind: consensus.KindChoice, Options: []string{"Keep", "Suspend", "-Void"},
				Coverage:       consensus.Coverage{Responses: 2, MembersTotal: 4, CoveragePct: 50, Missing: []string{"EST", "GRC"}},
				Classification: consensus.Consensus, BestPoint: 3, Accepting: 2, NotAccepting: []string{}, Holdouts: []string{}, Quorate: true,
				Choice: &consensus.ChoiceStats{CommonGround: []int{3}, Options: []consensus.OptionCount{
					{Option: "Keep", Count: 1, Share: 0.5, Members: []string{"TUR"}, Accepting: 1},
					{Option: "Suspend", Members: []string{}},
					{Option: "-Void", Count: 1, Share: 0.5, Members: []string{"BGR"}, Accepting: 2}}}},
			{Number: 4, Key: "notes", Section: "=Other", Text: notes.Text, Kind: consensus.KindText,
				Coverage:  consensus.Coverage{Responses: 1, MembersTotal: 4, CoveragePct: 25, Missing: []string{"BGR", "EST", "TUR"}},
				TextStats: &consensus.TextStats{}},
			{Number: 6, Key: "unanswered", Section: "Posture", Text: "Nobody answered this", Kind: consensus.KindScale, Points: []string{"a", "b", "c"},
				Coverage:       consensus.Coverage{Responses: 0, MembersTotal: 4, CoveragePct: 0, Missing: []string{"BGR", "EST", "GRC", "TUR"}},
				Classification: consensus.Insufficient,
				Scale:          &consensus.ScaleStats{K: 3, Counts: []int{0, 0, 0}, Outliers: []string{}}},
		},
		Ranking: []string{"flank", "stance", "act", "unanswered"},
		Members: []consensus.MemberProfile{
			{Code: "EST", Name: "Estonia", Answered: 2, ScaleAnswered: 2, MeanDistance: 0.291666, OutlierCount: 1, BlockingCount: 1, Bloc: 2,
				Positions: []consensus.MemberPosition{{QuestionKey: "stance", Preferred: 5}, {QuestionKey: "flank", Preferred: 6}}},
			{Code: "TUR", Name: "Türkiye", Answered: 2, ScaleAnswered: 1, MeanDistance: 0.375, Bloc: 1,
				Positions: []consensus.MemberPosition{{QuestionKey: "stance", Preferred: 2}}},
			{Code: "BGR", Name: "България", Answered: 2, ScaleAnswered: 1, MeanDistance: 1.0 / 3, OutlierCount: 1, BlockingCount: 1, HoldoutCount: 1, Bloc: 1,
				Positions: []consensus.MemberPosition{{QuestionKey: "flank", Preferred: 2}}},
			{Code: "GRC", Name: "Ελλάδα", Answered: 1},
		},
	}
	return &export.Pack{Analysis: a, Report: rep, History: history}
}

// readCSV writes a table and reads it back with encoding/csv.
func readCSV(t *testing.T, tbl export.Table, bom bool) (raw string, header []string, rows [][]string) {
	t.Helper()
	var buf bytes.Buffer
	if err := export.WriteCSV(&buf, tbl, bom); err != nil {
		t.Fatalf("WriteCSV(%s): %v", tbl.Name, err)
	}
	raw = buf.String()
	body := raw
	if bom {
		if !strings.HasPrefix(body, export.BOM) {
			t.Fatalf("%s does not start with a BOM", tbl.Name)
		}
		body = strings.TrimPrefix(body, export.BOM)
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("read back %s: %v", tbl.Name, err)
	}
	if len(recs) == 0 {
		t.Fatalf("%s is empty", tbl.Name)
	}
	return raw, recs[0], recs[1:]
}

// byColumn maps a row's cells by header name.
func byColumn(header, row []string) map[string]string {
	m := make(map[string]string, len(header))
	for i, h := range header {
		m[h] = row[i]
	}
	return m
}

func checkRow(t *testing.T, file string, header, row []string, want map[string]string) {
	t.Helper()
	got := byColumn(header, row)
	for col, w := range want {
		if got[col] != w {
			t.Errorf("%s row %v: %s = %q, want %q", file, row[:2], col, got[col], w)
		}
	}
}

func TestEscape(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain", "Keep it", "Keep it"},
		{"equals", "=1+1", "'=1+1"},
		{"plus", "+SUM(A1)", "'+SUM(A1)"},
		{"minus", "-2 is our floor", "'-2 is our floor"},
		{"at", "@SUM(A1)", "'@SUM(A1)"},
		{"tab", "\tx", "'\tx"},
		{"carriage return", "\rx", "'\rx"},
		{"equals later is harmless", "a=1", "a=1"},
		{"leading space is not a trigger", " =1", " =1"},
		{"apostrophe alone", "'quoted'", "'quoted'"},
		{"apostrophe before a trigger is kept by a second one", "'=1", "''=1"},
		{"non-Latin", "Türkiye", "Türkiye"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := export.Escape(tt.in); got != tt.want {
				t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCellString(t *testing.T) {
	tests := []struct {
		name string
		cell export.Cell
		want string
		num  bool
	}{
		{"empty", export.Empty, "", false},
		{"empty text is empty", export.Text(""), "", false},
		{"integer", export.Int(7), "7", true},
		{"negative integer is not escaped", export.Int(-3), "-3", true},
		{"decimal with 4 places", export.Decimal(2.5, 4), "2.5000", true},
		{"decimal rounds", export.Decimal(2.0/3, 4), "0.6667", true},
		{"negative decimal stays a number", export.Decimal(-0.5, 4), "-0.5000", true},
		{"negative zero loses its sign", export.Decimal(-0.00001, 4), "0.0000", true},
		{"percentage with 2 places", export.Decimal(100.0/3, 2), "33.33", true},
		{"text that looks negative is escaped", export.Text("-0.5"), "'-0.5", false},
		{"text is escaped", export.Text("=A1"), "'=A1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cell.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if got := tt.cell.IsNumber(); got != tt.num {
				t.Errorf("IsNumber() = %t, want %t", got, tt.num)
			}
		})
	}
}

func TestQuestionsCSV(t *testing.T) {
	p := fixture(t)
	_, header, rows := readCSV(t, p.Questions(), false)
	wantHeader := append(slices.Clone(export.QuestionColumns), "n_1", "n_2", "n_3", "n_4", "n_5", "n_6", "n_7",
		"best_point", "accepting", "not_accepting", "holdouts", "quorate", "question_number")
	if !slices.Equal(header, wantHeader) {
		t.Fatalf("header = %v, want %v", header, wantHeader)
	}
	var order []string
	for _, r := range rows {
		order = append(order, r[1])
	}
	if want := []string{"flank", "stance", "act", "unanswered", "notes"}; !slices.Equal(order, want) {
		t.Fatalf("question order = %v, want %v (ranking, then unranked in questionnaire order)", order, want)
	}
	tests := []struct {
		name string
		row  int
		want map[string]string
	}{
		// blocking_members is the not-accepting list, not the report's older
		// Blocking list.
		{"scale without common ground, one holdout", 0, map[string]string{
			"consultation": "review-2026", "question_key": "flank", "section": "Posture, east", "question_text": "'=1+1",
			"kind": "scale", "scale_points": "7", "responses": "2", "members_total": "4", "coverage_pct": "50.00",
			"missing_members": "GRC TUR", "median": "4.0000", "mean": "4.0000", "iqr": "2.0000", "consensus_cns": "0.0000",
			"agreement_pct": "0.00", "classification": "near consensus", "common_ground": "", "blocking_members": "BGR",
			"outliers": "BGR EST", "n_1": "0", "n_2": "1", "n_6": "1", "n_7": "0",
			"best_point": "5", "accepting": "1", "not_accepting": "BGR", "holdouts": "BGR", "quorate": "yes", "question_number": "2"}},
		{"scale with a single common point", 1, map[string]string{
			"question_key": "stance", "question_text": `How assertive, "overall", should we be?`, "scale_points": "5",
			"missing_members": "BGR GRC", "median": "3.5000", "mean": "3.5000", "iqr": "1.5000", "consensus_cns": "0.1235",
			"agreement_pct": "33.33", "classification": "consensus", "common_ground": "3", "blocking_members": "",
			"outliers": "", "n_2": "1", "n_5": "1", "n_6": "", "n_7": "",
			"best_point": "3", "accepting": "2", "not_accepting": "", "holdouts": "", "quorate": "yes", "question_number": "1"}},
		{"choice: common ground by option number, scale metrics empty", 2, map[string]string{
			"kind": "choice", "scale_points": "", "responses": "2", "coverage_pct": "50.00", "median": "", "mean": "",
			"iqr": "", "consensus_cns": "", "agreement_pct": "", "classification": "consensus", "common_ground": "3",
			"blocking_members": "", "outliers": "", "n_1": "", "n_7": "",
			"best_point": "3", "accepting": "2", "not_accepting": "", "holdouts": "", "quorate": "yes", "question_number": "3"}},
		{"scale without responses has no metrics and no best point", 3, map[string]string{
			"kind": "scale", "scale_points": "3", "responses": "0", "coverage_pct": "0.00",
			"missing_members": "BGR EST GRC TUR", "median": "", "mean": "", "consensus_cns": "", "agreement_pct": "",
			"classification": "insufficient", "n_1": "0", "n_3": "0", "n_4": "",
			"best_point": "", "accepting": "0", "not_accepting": "", "holdouts": "", "quorate": "no", "question_number": "6"}},
		{"text question is not classified and has no consensus signal", 4, map[string]string{
			"kind": "text", "section": "'=Other", "question_text": "Anything else?\nAnything at all?",
			"classification": "", "median": "", "n_1": "",
			"best_point": "", "accepting": "", "not_accepting": "", "holdouts": "", "quorate": "", "question_number": "4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRow(t, "questions.csv", header, rows[tt.row], tt.want)
		})
	}
}

func TestQuestionsCommonGroundRange(t *testing.T) {
	p := fixture(t)
	p.Report.Questions[0].Scale.CommonGround = &consensus.Range{Lo: 2, Hi: 4}
	_, header, rows := readCSV(t, p.Questions(), false)
	checkRow(t, "questions.csv", header, rows[1], map[string]string{"question_key": "stance", "common_ground": "2-4", "blocking_members": ""})
}

// TestQuestionsNoCommonGround covers the rows without common ground: the
// not-accepting members are listed, alphabetically, in both not_accepting
// and blocking_members, for a scale and for a choice question; more of
// them than the holdout limit leaves holdouts empty.
func TestQuestionsNoCommonGround(t *testing.T) {
	p := fixture(t)
	act := &p.Report.Questions[2]
	act.Choice.CommonGround = []int{}
	act.Classification, act.BestPoint, act.Accepting = consensus.Divided, 1, 1
	act.NotAccepting, act.Holdouts = []string{"TUR", "BGR"}, []string{}
	stance := &p.Report.Questions[0]
	stance.Scale.CommonGround = nil
	stance.NotAccepting, stance.Holdouts, stance.Quorate = []string{"TUR", "EST"}, []string{}, false
	_, header, rows := readCSV(t, p.Questions(), false)
	checkRow(t, "questions.csv", header, rows[1], map[string]string{"question_key": "stance", "common_ground": "",
		"blocking_members": "EST TUR", "not_accepting": "EST TUR", "holdouts": "", "quorate": "no"})
	checkRow(t, "questions.csv", header, rows[2], map[string]string{"question_key": "act", "classification": "divided",
		"common_ground": "", "blocking_members": "BGR TUR", "not_accepting": "BGR TUR", "best_point": "1", "accepting": "1"})
}

// TestQuestionsNumberFromQuestionnaire: without a number in the report,
// question_number comes from the questionnaire.
func TestQuestionsNumberFromQuestionnaire(t *testing.T) {
	p := fixture(t)
	for i := range p.Report.Questions {
		p.Report.Questions[i].Number = 0
	}
	_, header, rows := readCSV(t, p.Questions(), false)
	want := map[string]string{"flank": "2", "stance": "1", "act": "3", "unanswered": "6", "notes": "4"}
	for _, r := range rows {
		got := byColumn(header, r)
		if got["question_number"] != want[got["question_key"]] {
			t.Errorf("%s: question_number %q, want %q", got["question_key"], got["question_number"], want[got["question_key"]])
		}
	}
}

// TestQuestionsChoiceCommonGroundList checks that several accepted options
// are listed ascending, space-separated.
func TestQuestionsChoiceCommonGroundList(t *testing.T) {
	p := fixture(t)
	p.Report.Questions[2].Choice.CommonGround = []int{3, 1}
	_, header, rows := readCSV(t, p.Questions(), false)
	checkRow(t, "questions.csv", header, rows[2], map[string]string{"question_key": "act", "common_ground": "1 3", "blocking_members": ""})
}

func TestQuestionsWithoutScale(t *testing.T) {
	p := fixture(t)
	p.Report.Questions = p.Report.Questions[2:4]
	p.Report.Ranking = []string{"act"}
	_, header, rows := readCSV(t, p.Questions(), false)
	if want := append(slices.Clone(export.QuestionColumns), export.QuestionTailColumns...); !slices.Equal(header, want) {
		t.Errorf("header without scale questions = %v, want no n_ columns: %v", header, want)
	}
	if len(rows) != 2 {
		t.Errorf("rows = %d, want 2", len(rows))
	}
}

func TestPositionsCSV(t *testing.T) {
	p := fixture(t)
	_, header, rows := readCSV(t, p.Positions(), false)
	if !slices.Equal(header, export.PositionColumns) {
		t.Fatalf("header = %v, want %v", header, export.PositionColumns)
	}
	// Columns are appended, never reordered.
	if tail := header[len(header)-2:]; !slices.Equal(tail, []string{"round", "conditions"}) {
		t.Errorf("last columns of positions.csv = %v, want round, conditions", tail)
	}
	var order []string
	for _, r := range rows {
		order = append(order, r[0]+"/"+r[2])
	}
	want := []string{"BGR/flank", "BGR/act", "EST/stance", "EST/flank", "GRC/notes", "TUR/stance", "TUR/act"}
	if !slices.Equal(order, want) {
		t.Fatalf("rows = %v, want %v (by member code, then questionnaire order)", order, want)
	}
	tests := []struct {
		name string
		row  int
		want map[string]string
	}{
		{"scale with tab payload and Cyrillic name", 0, map[string]string{
			"member_code": "BGR", "member_name": "България", "question_key": "flank", "preferred": "2", "preferred_label": "2",
			"acceptable_min": "2", "acceptable_max": "2", "importance": "medium", "choice": "", "answer_text": "",
			"rationale": "'\tTabbed", "revision": "1", "submitted_by": "anna", "submitted_at": "2026-03-01T13:30:00Z",
			"acceptable_options": "", "question_number": "2", "round": "1", "conditions": ""}},
		// Stored before acceptable options were recorded: the chosen one.
		{"choice by option text with payloads", 1, map[string]string{
			"preferred": "", "preferred_label": "", "acceptable_min": "", "importance": "", "choice": "'-Void",
			"rationale": "'@SUM(A1:A9)", "acceptable_options": "3", "question_number": "3",
			"conditions": "Provided it is suspended,\n\"not\" voided"}},
		{"rationale with comma, quotes and newline; escaped label", 2, map[string]string{
			"preferred": "5", "preferred_label": "'=Much more", "acceptable_min": "4", "acceptable_max": "5",
			"rationale": "Line one, with a comma\nLine \"two\""}},
		{"formula payload in rationale", 3, map[string]string{"rationale": "'=cmd|' /C calc'!A0"}},
		{"text answer in Greek with payload", 4, map[string]string{
			"member_name": "Ελλάδα", "answer_text": "'+Ελληνικά κείμενο", "rationale": "", "preferred": "", "importance": "",
			"conditions": ""}},
		{"Turkish name, second revision", 5, map[string]string{
			"member_name": "Türkiye", "preferred_label": "Less", "importance": "red line", "rationale": "'-2 is our floor",
			"revision": "2", "acceptable_options": "", "question_number": "1",
			"conditions": "'-only if suspended, not terminated"}},
		{"choice with another acceptable option", 6, map[string]string{
			"question_key": "act", "choice": "Keep", "acceptable_options": "1 3", "question_number": "3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRow(t, "positions.csv", header, rows[tt.row], tt.want)
		})
	}
}

func TestMatrixCSV(t *testing.T) {
	p := fixture(t)
	_, header, rows := readCSV(t, p.Matrix(), false)
	if want := []string{"member_code", "member_name", "stance", "flank", "unanswered"}; !slices.Equal(header, want) {
		t.Fatalf("header = %v, want %v", header, want)
	}
	want := [][]string{
		{"BGR", "България", "", "2", ""},
		{"EST", "Estonia", "5", "6", ""},
		{"GRC", "Ελλάδα", "", "", ""},
		{"TUR", "Türkiye", "2", "", ""},
		{"median", "", "3.5000", "4.0000", ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows = %v, want %v", rows, want)
	}
	for i := range want {
		if !slices.Equal(rows[i], want[i]) {
			t.Errorf("row %d = %q, want %q", i, rows[i], want[i])
		}
	}
}

func TestMembersCSV(t *testing.T) {
	p := fixture(t)
	_, header, rows := readCSV(t, p.Members(), false)
	if !slices.Equal(header, export.MemberColumns) {
		t.Fatalf("header = %v, want %v", header, export.MemberColumns)
	}
	want := [][]string{
		{"BGR", "България", "2", "0.3333", "1", "1", "1", "1"},
		{"EST", "Estonia", "2", "0.2917", "1", "1", "2", "0"},
		{"GRC", "Ελλάδα", "1", "", "0", "0", "", "0"},
		{"TUR", "Türkiye", "2", "0.3750", "0", "0", "1", "0"},
	}
	for i := range want {
		if !slices.Equal(rows[i], want[i]) {
			t.Errorf("row %d = %q, want %q", i, rows[i], want[i])
		}
	}
}

func TestHistoryCSV(t *testing.T) {
	p := fixture(t)
	_, header, rows := readCSV(t, p.HistoryTable(), false)
	if !slices.Equal(header, export.HistoryColumns) {
		t.Fatalf("header = %v, want %v", header, export.HistoryColumns)
	}
	if len(rows) != 10 {
		t.Fatalf("rows = %d, want 10", len(rows))
	}
	checkRow(t, "history.csv", header, rows[0], map[string]string{
		"revision_id": "1", "round": "1", "member_code": "TUR", "question_key": "stance", "revision": "1",
		"preferred": "3", "acceptable_min": "3", "acceptable_max": "3", "importance": "low", "choice": "",
		"answer_text": "", "rationale": "", "source": "form", "submitted_by": "anna", "submitted_at": "2026-03-01T13:30:00Z",
		"acceptable_options": "", "withdrawn": "", "conditions": "", "state": "draft"})
	checkRow(t, "history.csv", header, rows[3], map[string]string{
		"revision_id": "5", "revision": "2", "preferred": "2", "source": "import", "rationale": "'-2 is our floor",
		"conditions": "'-only if suspended, not terminated", "state": "approved"})
	checkRow(t, "history.csv", header, rows[4], map[string]string{"revision_id": "6", "choice": "'-Void", "preferred": "",
		"acceptable_options": "3", "withdrawn": "", "conditions": "Provided it is suspended,\n\"not\" voided", "state": ""})
	checkRow(t, "history.csv", header, rows[5], map[string]string{"revision_id": "7", "answer_text": "'+Ελληνικά κείμενο",
		"conditions": ""})
	checkRow(t, "history.csv", header, rows[7], map[string]string{"revision_id": "9", "choice": "Keep", "acceptable_options": "1 3"})
	checkRow(t, "history.csv", header, rows[8], map[string]string{"revision_id": "10", "member_code": "GRC",
		"preferred": "4", "rationale": "first", "withdrawn": ""})
	// A withdrawal has no answer values, only who withdrew and when.
	checkRow(t, "history.csv", header, rows[9], map[string]string{"revision_id": "11", "member_code": "GRC",
		"question_key": "stance", "revision": "2", "preferred": "", "acceptable_min": "", "acceptable_max": "",
		"importance": "", "choice": "", "answer_text": "", "rationale": "", "acceptable_options": "",
		"withdrawn": "yes", "submitted_by": "anna", "conditions": "", "state": ""})
	// Columns are appended, never reordered.
	if tail := header[len(header)-3:]; !slices.Equal(tail, []string{"withdrawn", "conditions", "state"}) {
		t.Errorf("last columns of history.csv = %v, want withdrawn, conditions, state", tail)
	}
}

func TestCSVFormat(t *testing.T) {
	p := fixture(t)
	tests := []struct {
		name    string
		bom     bool
		present []string
		absent  []string
	}{
		{"quotes fields with commas, quotes and newlines; CRLF line ends", false,
			[]string{"\"Line one, with a comma\r\nLine \"\"two\"\"\"", "\r\n", "member_code,member_name,question_key"},
			[]string{export.BOM}},
		{"BOM on request", true, []string{export.BOM + "member_code,"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, _, _ := readCSV(t, p.Positions(), tt.bom)
			for _, s := range tt.present {
				if !strings.Contains(raw, s) {
					t.Errorf("output lacks %q:\n%s", s, raw)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(raw, s) {
					t.Errorf("output contains %q", s)
				}
			}
			if strings.Contains(strings.ReplaceAll(raw, "\r\n", ""), "\n") {
				t.Error("a line ends with a bare LF")
			}
		})
	}
}

func TestZIP(t *testing.T) {
	p := fixture(t)
	var buf bytes.Buffer
	if err := export.WriteZIP(&buf, p.Key(), p.Tables(), true, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, f := range zr.File {
		names = append(names, f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := export.WriteCSV(&want, p.Tables()[i], true); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s differs from the CSV download", f.Name)
		}
	}
	want := []string{"review-2026-questions.csv", "review-2026-positions.csv", "review-2026-matrix.csv",
		"review-2026-members.csv", "review-2026-history.csv", "review-2026-rounds.csv", "review-2026-movement.csv", "review-2026-silence.csv"}
	if !slices.Equal(names, want) {
		t.Errorf("archive holds %v, want %v", names, want)
	}
}

func TestXLSX(t *testing.T) {
	p := fixture(t)
	var buf bytes.Buffer
	if err := export.WriteXLSX(&buf, p.Tables()); err != nil {
		t.Fatal(err)
	}
	archive := slices.Clone(buf.Bytes())
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, want := f.GetSheetList(), []string{"questions", "positions", "matrix", "members", "history", "rounds", "movement", "silence"}; !slices.Equal(got, want) {
		t.Fatalf("sheets = %v, want %v", got, want)
	}
	if got := f.GetActiveSheetIndex(); got != 0 {
		t.Errorf("active sheet = %d, want the first", got)
	}
	checkSheetParts(t, archive, 8)
	for _, sheet := range f.GetSheetList() {
		panes, err := f.GetPanes(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("%s: header row not frozen: %+v", sheet, panes)
		}
		id, err := f.GetCellStyle(sheet, "A1")
		if err != nil {
			t.Fatal(err)
		}
		style, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		if style.Font == nil || !style.Font.Bold {
			t.Errorf("%s: header is not bold", sheet)
		}
	}
	const (
		number = "number"
		text   = "text"
		empty  = "empty"
	)
	tests := []struct {
		name, sheet, cell string
		kind              string
		raw               string
	}{
		{"header", "questions", "A1", text, "consultation"},
		{"question key", "questions", "B2", text, "flank"},
		{"formula in question text stays text", "questions", "D2", text, "'=1+1"},
		{"scale points is a number", "questions", "F2", number, "7"},
		{"median is a number, shown with 4 decimals by its format", "questions", "K3", number, "3.5"},
		{"cns is rounded to 4 decimals", "questions", "N3", number, "0.1235"},
		{"agreement pct is rounded to 2 decimals", "questions", "O3", number, "33.33"},
		{"not applicable is empty", "questions", "K4", empty, ""},
		{"count is a number", "questions", "U2", number, "1"},
		{"Cyrillic name", "positions", "B2", text, "България"},
		{"payload in rationale", "positions", "K5", text, "'=cmd|' /C calc'!A0"},
		{"negative-looking text stays text", "positions", "K7", text, "'-2 is our floor"},
		{"preferred is a number", "positions", "D7", number, "2"},
		{"matrix median", "matrix", "C6", number, "3.5"},
		{"member distance", "members", "D3", number, "0.2917"},
		{"history id", "history", "A2", number, "1"},
		{"best point is a number", "questions", "AA2", number, "5"},
		{"not accepting is text", "questions", "AC2", text, "BGR"},
		{"quorate is text", "questions", "AE2", text, "yes"},
		{"question number is a number", "questions", "AF2", number, "2"},
		{"acceptable options are text", "positions", "O3", text, "3"},
		{"question number of a position", "positions", "P3", number, "3"},
		{"holdout count is a number", "members", "H2", number, "1"},
		{"withdrawn", "history", "Q11", text, "yes"},
		{"round of a position is a number", "positions", "Q2", number, "1"},
		{"conditions of a position are protected text", "positions", "R7", text, "'-only if suspended, not terminated"},
		{"no conditions on a text answer", "positions", "R6", empty, ""},
		{"conditions in the history", "history", "R5", text, "'-only if suspended, not terminated"},
		{"state of a draft", "history", "S2", text, "draft"},
		{"no state without approval", "history", "S6", empty, ""},
		{"round of a question is a number", "rounds", "C2", number, "1"},
		{"median of a round is a number", "rounds", "E2", number, "3.5"},
		{"common ground of a round is text", "rounds", "J2", text, "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ, err := f.GetCellType(tt.sheet, tt.cell)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := f.GetCellValue(tt.sheet, tt.cell, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			switch tt.kind {
			case number:
				if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
					t.Errorf("type = %v, want a number", typ)
				}
			case text:
				if typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
					t.Errorf("type = %v, want a string", typ)
				}
			}
			if raw != tt.raw {
				t.Errorf("value = %q, want %q", raw, tt.raw)
			}
			if formula, err := f.GetCellFormula(tt.sheet, tt.cell); err != nil || formula != "" {
				t.Errorf("formula = %q, %v; want none", formula, err)
			}
		})
	}
	// The workbook stores the rounded number; its number format shows the
	// decimals of the CSV file.
	for cell, want := range map[string]string{"K2": "4.0000", "K3": "3.5000", "O3": "33.33"} {
		if shown, err := f.GetCellValue("questions", cell); err != nil || shown != want {
			t.Errorf("questions %s shown as %q (%v), want %s through its number format", cell, shown, err, want)
		}
	}
}

// checkSheetParts checks the archive of a workbook of n sheets: every part
// once, each sheet's part a whole worksheet, and only the first sheet's tab
// selected (two selected tabs would open the workbook with its sheets
// grouped, so that typing in one would change the others).
func checkSheetParts(t *testing.T, archive []byte, n int) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, file := range zr.File {
		if seen[file.Name] {
			t.Errorf("part %s written twice", file.Name)
		}
		seen[file.Name] = true
	}
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("xl/worksheets/sheet%d.xml", i)
		rc, err := zr.Open(name)
		if err != nil {
			t.Fatalf("part %s: %v", name, err)
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(body, []byte("<sheetData>")) || !bytes.HasSuffix(body, []byte("</worksheet>")) {
			t.Errorf("part %s is not a whole worksheet", name)
		}
		if selected := bytes.Contains(body, []byte(`tabSelected="true"`)); selected != (i == 1) {
			t.Errorf("sheet %d: tab selected %t, want %t", i, selected, i == 1)
		}
	}
	if len(zr.File) != len(seen) || seen[fmt.Sprintf("xl/worksheets/sheet%d.xml", n+1)] {
		t.Errorf("archive holds %d parts, some more than once or an extra sheet", len(zr.File))
	}
}

// TestNewAnalyses checks that New computes the report from the analysis
// input, so that callers never compute metrics themselves.
func TestNewAnalyses(t *testing.T) {
	a := &models.Analysis{
		Consultation: &models.Consultation{Key: "k"},
		Input: consensus.Input{
			Members:   []consensus.Member{{Code: "AAA", Name: "A"}, {Code: "BBB", Name: "B"}},
			Questions: []consensus.Question{{Key: "q", Kind: consensus.KindScale, Points: []string{"1", "2", "3"}}},
			Positions: []consensus.Position{{MemberCode: "AAA", QuestionKey: "q", Preferred: 3}, {MemberCode: "BBB", QuestionKey: "q", Preferred: 3}},
		},
	}
	p := export.New(a, nil)
	qr, ok := p.Report.Question("q")
	if !ok || qr.Scale == nil || qr.Scale.Median != 3 || qr.Classification != consensus.Unanimous {
		t.Fatalf("report = %+v, want the analysis of the input", qr)
	}
}

// TestNegativeNumbers checks that a negative number takes the numeric
// path in both formats, while text that looks like one is protected.
func TestNegativeNumbers(t *testing.T) {
	tbl := export.Table{Name: "signs.csv", Header: []string{"number", "text", "integer"},
		Rows: [][]export.Cell{{export.Decimal(-0.5, 4), export.Text("-0.5"), export.Int(-2)}}}
	_, _, rows := readCSV(t, tbl, false)
	if want := []string{"-0.5000", "'-0.5", "-2"}; !slices.Equal(rows[0], want) {
		t.Errorf("CSV row = %q, want %q", rows[0], want)
	}
	var buf bytes.Buffer
	if err := export.WriteXLSX(&buf, []export.Table{tbl}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tests := []struct {
		cell   string
		raw    string
		number bool
	}{
		{"A2", "-0.5", true},
		{"B2", "'-0.5", false},
		{"C2", "-2", true},
	}
	for _, tt := range tests {
		t.Run(tt.cell, func(t *testing.T) {
			typ, err := f.GetCellType("signs", tt.cell)
			if err != nil {
				t.Fatal(err)
			}
			if isNumber := typ == excelize.CellTypeUnset || typ == excelize.CellTypeNumber; isNumber != tt.number {
				t.Errorf("type = %v, want number: %t", typ, tt.number)
			}
			raw, err := f.GetCellValue("signs", tt.cell, excelize.Options{RawCellValue: true})
			if err != nil || raw != tt.raw {
				t.Errorf("value = %q (%v), want %q", raw, err, tt.raw)
			}
		})
	}
}
