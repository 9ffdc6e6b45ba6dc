package models_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"concord/internal/testdb"
	"concord/models"
)

// dxStore opens a fresh migrated database with the default roster.
func dxStore(t *testing.T) *models.Store {
	t.Helper()
	ctx := context.Background()
	s, err := models.Open(testdb.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.SetPasswordCost(bcrypt.MinCost)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	roster, err := models.DefaultRoster()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SeedMembers(ctx, roster); err != nil {
		t.Fatal(err)
	}
	return s
}

// dxFacilitator creates a facilitator account.
func dxFacilitator(t *testing.T, s *models.Store, username string) *models.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), models.NewUser{Username: username, Name: "Facilitator " + username,
		Role: models.RoleFacilitator, Password: "a long unusual passphrase 42"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// dxCounts counts the rows a failed import must not have created.
func dxCounts(t *testing.T, s *models.Store) (consultations, questions, revisions int) {
	t.Helper()
	ctx := context.Background()
	list, err := s.Consultations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		qn, err := s.Questionnaire(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		questions += len(qn.Questions) + len(qn.Sections)
		h, err := s.History(ctx, c.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		revisions += len(h)
	}
	return len(list), questions, revisions
}

func validDefinition() *models.Definition {
	return &models.Definition{Key: "review-2027", Title: "Review 2027", Description: "Where do we stand?",
		Questions: []models.DefinitionQuestion{
			{Key: "stance", Section: "Posture", Text: "How assertive?", Kind: "scale",
				Points: []string{"Less", "Same", "More"}, StatusQuo: 2},
			{Key: "act", Section: "Treaties", Text: "What of the Act?", Help: "The 1997 Act.", Kind: "choice",
				Options: []string{"Keep", "Suspend"}},
			{Key: "notes", Section: "Posture", Text: "Anything else?", Kind: "text"},
		}}
}

func TestDefinitionRoundTrip(t *testing.T) {
	s := dxStore(t)
	ctx := context.Background()
	fac := dxFacilitator(t, s, "fac")
	def := validDefinition()
	c, err := s.ImportDefinition(ctx, def, false, fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != models.StatusDraft || c.Key != "review-2027" || c.Title != "Review 2027" {
		t.Errorf("created %+v, want a draft with the file's key and title", c)
	}
	got, err := s.ExportDefinition(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Questions come back grouped by section, in order of first appearance.
	want := validDefinition()
	want.Questions = []models.DefinitionQuestion{want.Questions[0], want.Questions[2], want.Questions[1]}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("exported\n%+v\nwant\n%+v", got, want)
	}
	// The JSON form parses back to the same definition.
	data, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := models.ParseDefinition(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(parsed, got) {
		t.Errorf("parsed %+v, want %+v", parsed, got)
	}
	// Imported again under another key, opened at once.
	parsed.Key = "review-2027-copy"
	c2, err := s.ImportDefinition(ctx, parsed, true, fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Status != models.StatusOpen {
		t.Errorf("status = %s, want open", c2.Status)
	}
	stored, err := s.ConsultationByKey(ctx, "review-2027-copy")
	if err != nil || stored.Status != models.StatusOpen {
		t.Errorf("stored consultation = %+v, %v; want it open", stored, err)
	}
}

func TestImportDefinitionProblems(t *testing.T) {
	type change func(d *models.Definition)
	q := func(i int, f func(q *models.DefinitionQuestion)) change {
		return func(d *models.Definition) { f(&d.Questions[i]) }
	}
	tests := []struct {
		name   string
		change []change
		want   []string // "path: part of the message"
	}{
		{"unknown kind", []change{q(0, func(q *models.DefinitionQuestion) { q.Kind = "slider" })},
			[]string{"questions[0].kind: Choose scale, choice or text"}},
		{"duplicate question key", []change{q(2, func(q *models.DefinitionQuestion) { q.Key = "stance" })},
			[]string{"questions[2].key: questions[0] already uses the key"}},
		{"too few points", []change{q(0, func(q *models.DefinitionQuestion) { q.Points = []string{"Yes", "No"}; q.StatusQuo = 0 })},
			[]string{"questions[0].points: A scale needs 3 to 11 points"}},
		{"too many points", []change{q(0, func(q *models.DefinitionQuestion) {
			q.Points = strings.Split("a b c d e f g h i j k l", " ")
		})}, []string{"questions[0].points: A scale needs 3 to 11 points"}},
		{"blank point label", []change{q(0, func(q *models.DefinitionQuestion) { q.Points = []string{"Less", " ", "More"} })},
			[]string{"questions[0].points: Point 2 has no label"}},
		{"missing text", []change{q(1, func(q *models.DefinitionQuestion) { q.Text = "  " })},
			[]string{"questions[1].text: This field is required"}},
		{"bad consultation key", []change{func(d *models.Definition) { d.Key = "Review 2027" }},
			[]string{"key: Use lower-case letters"}},
		{"bad question key", []change{q(1, func(q *models.DefinitionQuestion) { q.Key = "The_Act" })},
			[]string{"questions[1].key: Use lower-case letters"}},
		{"missing title", []change{func(d *models.Definition) { d.Title = "" }},
			[]string{"title: This field is required"}},
		{"status quo outside the scale", []change{q(0, func(q *models.DefinitionQuestion) { q.StatusQuo = 4 })},
			[]string{"questions[0].status_quo: The status quo must be one of the scale's points"}},
		{"negative status quo", []change{q(0, func(q *models.DefinitionQuestion) { q.StatusQuo = -1 })},
			[]string{"questions[0].status_quo: The status quo must be one of the scale's points"}},
		{"choice with one option", []change{q(1, func(q *models.DefinitionQuestion) { q.Options = []string{"Keep"} })},
			[]string{"questions[1].options: A choice needs 2 to 20 options"}},
		{"duplicate options", []change{q(1, func(q *models.DefinitionQuestion) { q.Options = []string{"Keep", "keep"} })},
			[]string{"questions[1].options: Each option must be different"}},
		{"options on a scale question", []change{q(0, func(q *models.DefinitionQuestion) { q.Options = []string{"x", "y"} })},
			[]string{"questions[0].options: Only choice questions have options"}},
		{"points on a text question", []change{q(2, func(q *models.DefinitionQuestion) { q.Points = []string{"x", "y", "z"} })},
			[]string{"questions[2].points: Only scale questions have points"}},
		{"control character in a title", []change{func(d *models.Definition) { d.Title = "Review\x1b2027" }},
			[]string{"title: Contains characters that are not valid text."}},
		{"control character in a question's text", []change{q(2, func(q *models.DefinitionQuestion) { q.Text = "Anything\x00else?" })},
			[]string{"questions[2].text: Contains characters that are not valid text."}},
		{"control character in a point's label", []change{q(0, func(q *models.DefinitionQuestion) { q.Points[1] = "Sa\x07me" })},
			[]string{"questions[0].points: A point's label contains characters that are not valid text."}},
		{"control character in an option", []change{q(1, func(q *models.DefinitionQuestion) { q.Options[0] = "Ke\x0bep" })},
			[]string{"questions[1].options: An option contains characters that are not valid text."}},
		{"no questions", []change{func(d *models.Definition) { d.Questions = nil }},
			[]string{"questions: Give at least one question"}},
		{"consultation key already used", []change{func(d *models.Definition) { d.Key = "taken" }},
			[]string{"key: Another consultation already uses this key"}},
		{"every problem at once, in file order", []change{
			func(d *models.Definition) { d.Title = "" },
			q(0, func(q *models.DefinitionQuestion) { q.Text = ""; q.StatusQuo = 9 }),
			q(1, func(q *models.DefinitionQuestion) { q.Kind = "poll" }),
			q(2, func(q *models.DefinitionQuestion) { q.Key = "act"; q.Section = "" }),
		}, []string{
			"title: This field is required",
			"questions[0].text: This field is required",
			"questions[0].status_quo: The status quo must be one of",
			"questions[1].kind: Choose scale, choice or text",
			"questions[2].key: questions[1] already uses the key",
			"questions[2].section: This field is required",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := dxStore(t)
			ctx := context.Background()
			fac := dxFacilitator(t, s, "fac")
			if _, err := s.CreateConsultation(ctx, models.ConsultationInput{Key: "taken", Title: "Taken"}, fac.ID); err != nil {
				t.Fatal(err)
			}
			c0, q0, _ := dxCounts(t, s)
			def := validDefinition()
			for _, ch := range tt.change {
				ch(def)
			}
			_, err := s.ImportDefinition(ctx, def, true, fac.ID)
			var derr *models.DefinitionError
			if !errors.As(err, &derr) {
				t.Fatalf("err = %v, want a *DefinitionError", err)
			}
			if len(derr.Problems) != len(tt.want) {
				t.Errorf("problems = %v, want %d: %v", derr.Problems, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if i >= len(derr.Problems) {
					break
				}
				if got := derr.Problems[i].String(); !strings.HasPrefix(got, w) {
					t.Errorf("problem %d = %q, want it to start with %q", i, got, w)
				}
			}
			if c1, q1, _ := dxCounts(t, s); c1 != c0 || q1 != q0 {
				t.Errorf("consultations %d→%d, questions+sections %d→%d: something was created", c0, c1, q0, q1)
			}
		})
	}
}

func TestParseDefinition(t *testing.T) {
	tests := []struct {
		name string
		json string
		want []string // problems, "path: part of the message"
	}{
		{"valid", `{"key":"k","title":"T","description":"","questions":[{"key":"q","section":"S","text":"Q?","kind":"text"}]}`, nil},
		{"byte-order mark is accepted", "\xEF\xBB\xBF" + `{"key":"k","title":"T","questions":[]}`, nil},
		{"syntax error with line and column", "{\n  \"key\": \"k\",\n  \"title\" \"T\"\n}",
			[]string{"The file is not valid JSON: invalid character '\"' after object key (line 3, column 11)"}},
		{"empty file", "", []string{"The file is not valid JSON"}},
		{"not an object", `["key"]`, []string{"The file must hold one JSON object"}},
		{"unknown and mistyped fields, every one", `{"key":"k","titel":"T","questions":[
			{"key":"q","section":"S","text":"Q?","kind":"scale","points":["a","b","c"],"status_quo":"2"},
			{"key":"r","section":"S","text":"R?","kind":"choice","option":["x","y"]},
			"oops"]}`,
			[]string{"titel: Unknown field",
				"questions[0].status_quo: Must be a whole number",
				"questions[1].option: Unknown field",
				"questions[2]: Must be an object"}},
		{"questions not a list", `{"key":"k","title":"T","questions":{"key":"q"}}`,
			[]string{"questions: Must be a list of questions"}},
		{"invalid UTF-8 in a label", "{\"key\":\"k\",\"title\":\"T\",\"questions\":[{\"key\":\"q\",\"section\":\"S\",\"text\":\"Q\",\"kind\":\"scale\",\"points\":[\"a\",\"b\xc3\",\"c\"]}]}",
			[]string{"questions[0].points[1]: Contains bytes that are not UTF-8"}},
		{"a lone surrogate in the title", `{"key":"k","title":"T \ud83d","questions":[]}`,
			[]string{"title: Contains bytes that are not UTF-8 text, or a \\u escape of a lone surrogate"}},
		{"points not a list of texts", `{"key":"k","title":"T","questions":[{"key":"q","section":"S","text":"Q","kind":"scale","points":[1,2,3]}]}`,
			[]string{"questions[0].points: Must be a list of texts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def, err := models.ParseDefinition([]byte(tt.json))
			if tt.want == nil {
				if err != nil || def == nil {
					t.Fatalf("ParseDefinition = %v, %v; want a definition", def, err)
				}
				return
			}
			var derr *models.DefinitionError
			if !errors.As(err, &derr) {
				t.Fatalf("err = %v, want a *DefinitionError", err)
			}
			if len(derr.Problems) != len(tt.want) {
				t.Fatalf("problems = %q, want %q", derr.Problems, tt.want)
			}
			for i, w := range tt.want {
				if got := derr.Problems[i].String(); !strings.HasPrefix(got, w) {
					t.Errorf("problem %d = %q, want it to start with %q", i, got, w)
				}
			}
		})
	}
}
