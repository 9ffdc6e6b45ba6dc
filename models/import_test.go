package models_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"concord/export"
	"concord/models"
)

// dxConsultation imports the valid definition (scale stance 1..3, choice
// act Keep/Suspend, text notes) and opens it.
func dxConsultation(t *testing.T, s *models.Store, by uint) *models.Consultation {
	t.Helper()
	c, err := s.ImportDefinition(context.Background(), validDefinition(), true, by)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func dxParse(t *testing.T, file string) []models.ImportRow {
	t.Helper()
	rows, err := models.ParsePositions(strings.NewReader(file))
	if err != nil {
		t.Fatalf("ParsePositions: %v", err)
	}
	return rows
}

func problemStrings(err error) []string {
	var ierr *models.ImportError
	if !errors.As(err, &ierr) {
		return nil
	}
	var out []string
	for _, p := range ierr.Problems {
		out = append(out, p.String())
	}
	return out
}

func checkProblems(t *testing.T, err error, want []string) {
	t.Helper()
	got := problemStrings(err)
	if got == nil {
		t.Fatalf("err = %v, want an *ImportError", err)
	}
	if len(got) != len(want) {
		t.Fatalf("problems =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d = %q, want it to start with %q", i, got[i], want[i])
		}
	}
}

func TestParsePositions(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		want     []models.ImportRow
		problems []string
	}{
		{"minimal header, other columns ignored, BOM and CRLF",
			"\xEF\xBB\xBFQuestion_Key,member_code,comment\r\nstance,est,ignored\r\n",
			[]models.ImportRow{{Line: 2, MemberCode: "est", QuestionKey: "stance"}}, nil},
		{"multi-line values keep later line numbers right",
			"member_code,question_key,rationale,preferred\nEST,stance,\"one\r\ntwo\",2\nLVA,stance,,3\n",
			[]models.ImportRow{
				{Line: 2, MemberCode: "EST", QuestionKey: "stance", Rationale: "one\ntwo", Preferred: "2"},
				{Line: 4, MemberCode: "LVA", QuestionKey: "stance", Preferred: "3"}}, nil},
		{"the export's injection protection is undone, and only it",
			"member_code,question_key,rationale,answer_text,choice\n" +
				"EST,q,'=SUM(A1),'-5 is too low,'@home\n" +
				"LVA,q,'+1,'quoted',''=literal\n",
			[]models.ImportRow{
				{Line: 2, MemberCode: "EST", QuestionKey: "q", Rationale: "=SUM(A1)", Answer: "-5 is too low", Choice: "@home"},
				{Line: 3, MemberCode: "LVA", QuestionKey: "q", Rationale: "+1", Answer: "'quoted'", Choice: "'=literal"}}, nil},
		{"values are trimmed", "member_code,question_key,preferred,rationale\n EST , stance , 2 ,  why  \n",
			[]models.ImportRow{{Line: 2, MemberCode: "EST", QuestionKey: "stance", Preferred: "2", Rationale: "why"}}, nil},
		{"acceptable options and withdrawn read as text",
			"member_code,question_key,choice,acceptable_options,withdrawn\nEST,act,Keep, 1 2 ,\nLVA,act,,,Yes\n",
			[]models.ImportRow{
				{Line: 2, MemberCode: "EST", QuestionKey: "act", Choice: "Keep", AcceptOptions: "1 2"},
				{Line: 3, MemberCode: "LVA", QuestionKey: "act", Withdrawn: "Yes"}}, nil},
		{"empty file", "", nil, []string{"line 1: The file is empty"}},
		{"header only", "member_code,question_key\n", nil, []string{"line 2: The file has a header but no position lines"}},
		{"no header", "EST,stance,2\n", nil, []string{"line 1: The first line must be a header naming the columns; member_code and question_key are missing"}},
		{"header without question_key", "member_code,preferred\nEST,2\n", nil,
			[]string{"line 1: The first line must be a header naming the columns; question_key is missing"}},
		{"column twice", "member_code,question_key,preferred,preferred\nEST,stance,2,3\n", nil,
			[]string{"line 1, preferred: This column appears twice"}},
		{"lines with the wrong number of fields, each reported",
			"member_code,question_key,rationale\nEST,stance,fine\nLVA,stance,too, many\nPOL,stance\n", nil,
			[]string{"line 3: This line has 4 field(s) but the header has 3", "line 4: This line has 2 field(s) but the header has 3"}},
		{"a file saved in Windows-1252, reported once",
			"member_code,question_key,rationale\nEST,stance,fine\nFRA,stance,La d\xe9l\xe9gation\nITA,stance,perch\xe9\n", nil,
			[]string{"line 3: The file is not UTF-8 text (first seen on this line): save it from the spreadsheet as \u201cCSV UTF-8\u201d"}},
		{"a header in another encoding", "member_code,question_key,r\xe9sum\xe9\nEST,stance,x\n", nil,
			[]string{"line 1: The file is not UTF-8 text"}},
		{"bad quoting", "member_code,question_key,rationale\nEST,stance,\"open\nLVA,stance,x\n", nil,
			[]string{"line 2: The file is not valid CSV here"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := models.ParsePositions(strings.NewReader(tt.file))
			if tt.problems != nil {
				checkProblems(t, err, tt.problems)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rows, tt.want) {
				t.Errorf("rows =\n%+v\nwant\n%+v", rows, tt.want)
			}
		})
	}
}

func TestImportPositions(t *testing.T) {
	s := dxStore(t)
	ctx := context.Background()
	fac := dxFacilitator(t, s, "fac")
	c := dxConsultation(t, s, fac.ID)
	file := "member_code,question_key,preferred,acceptable_min,acceptable_max,importance,choice,answer_text,rationale\n" +
		"EST,stance,3,2,3,High,,,\"We hold, firmly.\"\n" +
		"est,act,,,,,  suspend ,,'=not a formula\n" +
		"EST,notes,,,,,,Все хорошо,\n" +
		"TUR,stance,1,,,,,,Türkiye görüşü\n" +
		"LVA,stance,,,,,,,\n"
	res, err := s.ImportPositions(ctx, c.ID, dxParse(t, file), fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := (models.ImportResult{Rows: 4, Skipped: 1, Members: 2, Changed: 4}); res != want {
		t.Errorf("result = %+v, want %+v", res, want)
	}
	current, err := s.CurrentPositions(ctx, c.ID, c.Round)
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		member, question     string
		pref, lo, hi, choice int
		importance, answer   string
		rationale, source    string
		by                   uint
	}
	var list []got
	for _, r := range current {
		list = append(list, got{r.MemberCode, r.QuestionKey, r.Preferred, r.AcceptMin, r.AcceptMax, r.Choice,
			r.Importance, r.Answer, r.Rationale, r.Source, r.SubmittedBy})
	}
	want := []got{
		{"EST", "stance", 3, 2, 3, 0, "high", "", "We hold, firmly.", "import", fac.ID},
		{"EST", "act", 0, 0, 0, 2, "", "", "=not a formula", "import", fac.ID},
		{"EST", "notes", 0, 0, 0, 0, "", "Все хорошо", "", "import", fac.ID},
		{"TUR", "stance", 1, 1, 1, 0, "medium", "", "Türkiye görüşü", "import", fac.ID},
	}
	if !slices.Equal(list, want) {
		t.Errorf("current positions =\n%+v\nwant\n%+v", list, want)
	}
	// The same file again changes nothing.
	res, err = s.ImportPositions(ctx, c.ID, dxParse(t, file), fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed != 0 || res.Unchanged != 4 {
		t.Errorf("second import = %+v, want 4 unchanged", res)
	}
	events, err := s.Audit(ctx, models.AuditFilter{Action: models.AuditPositionsImport})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].Username != "fac" {
		t.Errorf("import audit events = %+v, want 2 by fac", events)
	}
}

func TestImportPositionsProblems(t *testing.T) {
	const header = "member_code,question_key,preferred,acceptable_min,acceptable_max,importance,choice,answer_text,rationale,acceptable_options,withdrawn\n"
	tests := []struct {
		name  string
		lines string
		want  []string
	}{
		{"unknown member", "XXX,stance,2,,,,,,,,\n", []string{`line 2, member_code: No member has the code "XXX"`}},
		{"missing member", ",stance,2,,,,,,,,\n", []string{"line 2, member_code: Give the member's code"}},
		{"unknown question", "EST,stance-2,2,,,,,,,,\n", []string{`line 2, question_key: This consultation has no question with the key "stance-2"`}},
		{"unknown member and question on one line", "XXX,nope,2,,,,,,,,\n", []string{
			"line 2, member_code: No member has the code", "line 2, question_key: This consultation has no question"}},
		{"member and question twice", "EST,stance,2,,,,,,,,\nLVA,stance,2,,,,,,,,\nest,stance,3,,,,,,,,\n",
			[]string{"line 4: EST already has a line for question stance (line 2)"}},
		{"preferred not a number", "EST,stance,two,,,,,,,,\n", []string{`line 2, preferred: Write a whole number from 1 to 3, not "two"`}},
		// Only the given value is reported, not the range derived from it.
		{"preferred outside the scale", "EST,stance,4,,,,,,,,\n", []string{"line 2, preferred: Choose a point between 1 and 3"}},
		{"range not around the preferred point", "EST,stance,2,3,3,,,,,,\n", []string{
			"line 2, acceptable_min: The lowest acceptable point must be at or below the preferred point"}},
		{"range without a preferred point", "EST,stance,,1,3,,,,,,\n", []string{"line 2, preferred: Choose a preferred point",
			"line 2, acceptable_min: The lowest acceptable point must be at or below the preferred point"}},
		{"unknown importance", "EST,stance,2,,,vital,,,,,\n", []string{"line 2, importance: Choose low, medium, high or red line"}},
		{"unknown option", "EST,act,,,,,Abolish,,,,\n", []string{`line 2, choice: No option of question act reads "Abolish". The options are: Keep; Suspend`}},
		{"value for another kind", "EST,act,2,,,,Keep,,,,\n", []string{"line 2, preferred: Question act is a choice question; leave preferred empty"}},
		{"rationale on a text question", "EST,notes,,,,,,An answer,Because,,\n", []string{"line 2, rationale: Question notes is a text question"}},
		{"rationale too long", "EST,stance,2,,,,,," + strings.Repeat("x", models.MaxRationale+1) + ",,\n",
			[]string{"line 2, rationale: The rationale must be at most 4000 characters"}},
		{"rationale with a control character", "EST,stance,2,,,,,,see\x07annex,,\n",
			[]string{"line 2, rationale: The rationale contains characters that are not valid text."}},
		{"only a rationale on a choice question", "EST,act,,,,,,,Just thinking,,\n", []string{"line 2, choice: Choose one of the options"}},
		{"acceptable options not numbers", "EST,act,,,,,Keep,,,one two,\n",
			[]string{`line 2, acceptable_options: Write the numbers of the acceptable options, from 1 to 2, separated by spaces (such as "1 3"), not "one two"`}},
		{"acceptable option beyond the options", "EST,act,,,,,Keep,,,1 3,\n",
			[]string{`line 2, acceptable_options: Write the numbers of the acceptable options, from 1 to 2`}},
		{"acceptable option zero", "EST,act,,,,,Keep,,,0,\n",
			[]string{`line 2, acceptable_options: Write the numbers of the acceptable options`}},
		{"acceptable options on a scale question", "EST,stance,2,,,,,,,1,\n",
			[]string{"line 2, acceptable_options: Question stance is a scale question; leave acceptable_options empty"}},
		{"acceptable options without a choice", "EST,act,,,,,,,,2,\n", []string{"line 2, choice: Choose one of the options"}},
		{"withdrawn with an answer", "EST,stance,2,,,,,,,,yes\n",
			[]string{"line 2, withdrawn: A line that withdraws the answer gives no answer"}},
		{"withdrawn with a rationale only", "EST,act,,,,,,,why,,yes\n",
			[]string{"line 2, withdrawn: A line that withdraws the answer gives no answer"}},
		{"withdrawn neither yes nor empty", "EST,stance,,,,,,,,,no\n",
			[]string{`line 2, withdrawn: Write yes to withdraw the answer, or leave withdrawn empty; not "no"`}},
		{"every bad line reported, good ones too are not written",
			"EST,stance,2,,,,,,fine,,\nXXX,stance,2,,,,,,,,\nLVA,stance,9,,,,,,,,\nLVA,act,,,,,Keep,,,,\nPOL,notes,,,,,,,,,\nPOL,act,,,,,Nope,,,,\n",
			[]string{"line 3, member_code", "line 4, preferred", "line 7, choice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := dxStore(t)
			ctx := context.Background()
			fac := dxFacilitator(t, s, "fac")
			c := dxConsultation(t, s, fac.ID)
			_, err := s.ImportPositions(ctx, c.ID, dxParse(t, header+tt.lines), fac.ID)
			checkProblems(t, err, tt.want)
			if _, _, n := dxCounts(t, s); n != 0 {
				t.Errorf("%d revision(s) written, want none", n)
			}
		})
	}
}

func TestImportPositionsWindow(t *testing.T) {
	file := "member_code,question_key,preferred\nEST,stance,2\n"
	tests := []struct {
		name    string
		prepare func(t *testing.T, s *models.Store, c *models.Consultation, by uint)
		ok      bool
	}{
		{"open", func(*testing.T, *models.Store, *models.Consultation, uint) {}, true},
		{"closed", func(t *testing.T, s *models.Store, c *models.Consultation, by uint) {
			if err := s.SetStatus(context.Background(), c.ID, models.StatusClosed, by); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"deadline passed", func(t *testing.T, s *models.Store, c *models.Consultation, by uint) {
			err := s.UpdateConsultation(context.Background(), c.ID, models.ConsultationInput{Title: c.Title,
				Description: c.Description, Deadline: "2026-01-01T12:00"}, by)
			if err != nil {
				t.Fatal(err)
			}
			s.SetClock(func() time.Time { return time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC) })
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := dxStore(t)
			ctx := context.Background()
			fac := dxFacilitator(t, s, "fac")
			c := dxConsultation(t, s, fac.ID)
			tt.prepare(t, s, c, fac.ID)
			_, err := s.ImportPositions(ctx, c.ID, dxParse(t, file), fac.ID)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var conflict *models.ConflictError
			if !errors.As(err, &conflict) || !strings.Contains(conflict.Message, "draft or open") {
				t.Fatalf("err = %v, want a conflict explaining the window", err)
			}
			if _, _, n := dxCounts(t, s); n != 0 {
				t.Errorf("%d revision(s) written, want none", n)
			}
		})
	}
	t.Run("draft", func(t *testing.T) {
		s := dxStore(t)
		fac := dxFacilitator(t, s, "fac")
		c, err := s.ImportDefinition(context.Background(), validDefinition(), false, fac.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ImportPositions(context.Background(), c.ID, dxParse(t, file), fac.ID); err != nil {
			t.Fatalf("import into a draft: %v", err)
		}
	})
}

// exportPositions writes positions.csv of a consultation's current round.
func exportPositions(t *testing.T, s *models.Store, key string) []byte {
	t.Helper()
	ctx := context.Background()
	c, err := s.ConsultationByKey(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.LoadAnalysis(ctx, c, c.Round)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := export.WriteCSV(&buf, export.New(a, nil).Positions(), false); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPositionsRoundTrip exports positions.csv, imports it into a fresh
// copy of the consultation and exports again: every column but revision,
// submitted_by and submitted_at must be the same.
func TestPositionsRoundTrip(t *testing.T) {
	s := dxStore(t)
	ctx := context.Background()
	if _, err := s.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	fac := dxFacilitator(t, s, "fac")
	demo, err := s.ConsultationByKey(ctx, models.DemoKey)
	if err != nil {
		t.Fatal(err)
	}
	// Positions whose texts need protection or quoting.
	tricky := map[string][]models.PositionInput{
		"EST": {{QuestionKey: "stance", Preferred: 4, AcceptMin: 3, AcceptMax: 5, Importance: "red line", Rationale: "=HYPERLINK(\"http://x\")",
			Conditions: "-1 point at most,\nprovided \"the Act\" is suspended"},
			{QuestionKey: "notes", Answer: "-5% is \"too\" low,\nsurely"}},
		"TUR": {{QuestionKey: "stance", Preferred: 2, Rationale: "'=already quoted"},
			{QuestionKey: "founding-act", Option: 1, AcceptOptions: []int{3}, Rationale: "@Türkiye", Conditions: "=SUM(1)"}},
		"GRC": {{QuestionKey: "notes", Answer: "+Ελληνικά"}},
		"BGR": {{QuestionKey: "stance", Preferred: 3, Rationale: "-\tБългария, \"ja\""}},
	}
	for code, inputs := range tricky {
		m, err := s.MemberByCode(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SubmitPositions(ctx, models.Submission{ConsultationID: demo.ID, MemberID: m.ID, UserID: fac.ID,
			Source: models.SourceForm, Inputs: inputs}); err != nil {
			t.Fatalf("%s: %v", code, err)
		}
	}
	before := exportPositions(t, s, models.DemoKey)

	def, err := s.ExportDefinition(ctx, demo.ID)
	if err != nil {
		t.Fatal(err)
	}
	def.Key = "round-trip-copy"
	cp, err := s.ImportDefinition(ctx, def, true, fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := models.ParsePositions(bytes.NewReader(before))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.ImportPositions(ctx, cp.ID, rows, fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != len(rows) || res.Changed != len(rows) {
		t.Errorf("result = %+v, want all %d rows written", res, len(rows))
	}
	after := exportPositions(t, s, "round-trip-copy")

	read := func(b []byte) [][]string {
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	a, b := read(before), read(after)
	if len(a) != len(b) || len(a) < 200 {
		t.Fatalf("%d rows before, %d after; want the same (and the demo's ~200)", len(a), len(b))
	}
	header := a[0]
	// The import writes into the copy's current round (1), whatever round
	// the file came from (the demo's round 2).
	skip := map[string]bool{"revision": true, "submitted_by": true, "submitted_at": true, "round": true}
	for i := range a {
		for j, col := range header {
			if skip[col] {
				continue
			}
			if a[i][j] != b[i][j] {
				t.Errorf("row %d, %s: %q before, %q after", i, col, a[i][j], b[i][j])
			}
		}
	}
	// The tricky texts survived exactly.
	current, err := s.CurrentPositions(ctx, cp.ID, cp.Round)
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]bool{}
	for _, r := range current {
		texts[r.Rationale] = true
		texts[r.Answer] = true
		texts[r.Conditions] = true
	}
	for _, w := range []string{"=HYPERLINK(\"http://x\")", "-5% is \"too\" low,\nsurely", "'=already quoted", "@Türkiye", "+Ελληνικά",
		"-1 point at most,\nprovided \"the Act\" is suspended", "=SUM(1)",
		"Can accept suspension provided the Act is suspended, not terminated."} { // the demo's, in round 2
		if !texts[w] {
			t.Errorf("%q did not survive the round trip", w)
		}
	}
	// So did the acceptable options, and the new columns are there.
	for _, col := range []string{"acceptable_options", "question_number", "conditions"} {
		if !slices.Contains(header, col) {
			t.Errorf("positions.csv has no %s column", col)
		}
	}
	for _, r := range current {
		if r.MemberCode == "TUR" && r.QuestionKey == "founding-act" && r.AcceptOptions != "1 3" {
			t.Errorf("TUR's acceptable options after the round trip: %q, want \"1 3\"", r.AcceptOptions)
		}
	}
	// Importing the export into the consultation it came from changes
	// nothing.
	res, err = s.ImportPositions(ctx, demo.ID, rows, fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed != 0 || res.Unchanged != len(rows) {
		t.Errorf("re-import into the source = %+v, want all %d rows unchanged", res, len(rows))
	}
}

// TestImportAcceptOptionsAndWithdrawal imports acceptable options and
// withdrawals: options are stored with the chosen one, a withdrawal appends
// a withdrawn revision (withdrawing nothing changes nothing), and every
// imported revision is marked as entered on the member's behalf.
func TestImportAcceptOptionsAndWithdrawal(t *testing.T) {
	s := dxStore(t)
	ctx := context.Background()
	fac := dxFacilitator(t, s, "fac")
	c := dxConsultation(t, s, fac.ID)
	first := "member_code,question_key,preferred,choice,acceptable_options\n" +
		"EST,stance,2,,\n" +
		"EST,act,,Keep,2\n" +
		"LVA,act,,Suspend,\n"
	res, err := s.ImportPositions(ctx, c.ID, dxParse(t, first), fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := (models.ImportResult{Rows: 3, Members: 2, Changed: 3}); res != want {
		t.Errorf("first import = %+v, want %+v", res, want)
	}
	second := "member_code,question_key,withdrawn\n" +
		"EST,stance,yes\n" +
		"LVA,stance,YES\n" + // LVA never answered stance: nothing to withdraw
		"LVA,act,\n" // empty: left as it is
	res, err = s.ImportPositions(ctx, c.ID, dxParse(t, second), fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := (models.ImportResult{Rows: 2, Skipped: 1, Members: 2, Changed: 1, Unchanged: 1}); res != want {
		t.Errorf("second import = %+v, want %+v", res, want)
	}
	current, err := s.CurrentPositions(ctx, c.ID, c.Round)
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		member, question string
		choice           int
		options          string
	}
	var list []got
	for _, r := range current {
		list = append(list, got{r.MemberCode, r.QuestionKey, r.Choice, r.AcceptOptions})
	}
	want := []got{{"EST", "act", 1, "1 2"}, {"LVA", "act", 2, "2"}}
	if !slices.Equal(list, want) {
		t.Errorf("current positions = %+v, want %+v", list, want)
	}
	history, err := s.History(ctx, c.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(history) != 4 {
		t.Fatalf("%d revisions, want 4", len(history))
	}
	for _, r := range history {
		if !r.OnBehalf || r.Source != models.SourceImport {
			t.Errorf("revision %d of %s/%s: on behalf %t, source %s; want an import on the member's behalf",
				r.ID, r.MemberCode, r.QuestionKey, r.OnBehalf, r.Source)
		}
	}
	if last := history[3]; !last.Withdrawn || last.MemberCode != "EST" || last.QuestionKey != "stance" {
		t.Errorf("last revision %+v, want EST's withdrawal of stance", last.Revision)
	}
}
