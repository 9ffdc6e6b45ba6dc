package models

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// BenchmarkImport100k imports 100,000 positions (200 members × 500 scale
// questions, rationales of about 100 characters) into an empty round, all
// or nothing, and reports the ratio to a baseline measured in the same
// run: the same number of plain rows written in one transaction, in
// batches, into a table of the same database file (the least such an
// import can cost).
//
//	go test -run '^$' -bench Import100k -benchtime 1x ./models/
func BenchmarkImport100k(b *testing.B) {
	const members, questions = 200, 500
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		s, err := Open(filepath.Join(b.TempDir(), "import.db"))
		if err != nil {
			b.Fatal(err)
		}
		s.SetPasswordCost(bcrypt.MinCost)
		if err := s.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		roster := make([]Member, members)
		for i := range roster {
			roster[i] = Member{Code: fmt.Sprintf("M%03d", i), Name: fmt.Sprintf("Member %d", i)}
		}
		if err := s.SeedMembers(ctx, roster); err != nil {
			b.Fatal(err)
		}
		fac, err := s.CreateUser(ctx, NewUser{Username: "fran", Name: "Fran", Role: RoleFacilitator, Password: "amber lantern over quiet fjords"})
		if err != nil {
			b.Fatal(err)
		}
		c, err := s.CreateConsultation(ctx, ConsultationInput{Key: "large", Title: "Large"}, fac.ID)
		if err != nil {
			b.Fatal(err)
		}
		qs := make([]QuestionInput, questions)
		for i := range qs {
			qs[i] = QuestionInput{Key: fmt.Sprintf("q%03d", i), Section: fmt.Sprintf("Section %d", i/50), Kind: KindScale,
				Text: "Where?", Labels: []string{"1", "2", "3", "4", "5"}}
		}
		for _, q := range qs {
			if _, err := s.CreateQuestion(ctx, c.ID, q, fac.ID); err != nil {
				b.Fatal(err)
			}
		}
		rationale := strings.Repeat("A reason of ours. ", 6)[:100]
		rows := make([]ImportRow, 0, members*questions)
		line := 2
		for _, m := range roster {
			for i, q := range qs {
				p := 1 + (i+len(rows))%5
				rows = append(rows, ImportRow{Line: line, MemberCode: m.Code, QuestionKey: q.Key, Preferred: fmt.Sprint(p),
					AcceptMin: fmt.Sprint(max(1, p-1)), AcceptMax: fmt.Sprint(min(5, p+1)), Importance: ImportanceMedium, Rationale: rationale})
				line++
			}
		}
		b.StartTimer()
		t0 := time.Now()
		res, err := s.ImportPositions(ctx, c.ID, rows, fac.ID)
		took := time.Since(t0)
		b.StopTimer()
		if err != nil || res.Changed != members*questions {
			b.Fatalf("import: %+v, %v", res, err)
		}
		t1 := time.Now()
		if err := plainRows(ctx, s, members*questions, rationale); err != nil {
			b.Fatal(err)
		}
		base := time.Since(t1)
		b.ReportMetric(took.Seconds(), "import-s")
		b.ReportMetric(took.Seconds()/base.Seconds(), "x-plain-rows")
		s.Close()
		b.StartTimer()
	}
}

// plainRows writes n rows of a text in one transaction, in batches.
func plainRows(ctx context.Context, s *Store, n int, text string) error {
	if err := s.w.WithContext(ctx).AutoMigrate(&baselineRow{}); err != nil {
		return err
	}
	rows := make([]baselineRow, n)
	for i := range rows {
		rows[i] = baselineRow{Value: text, At: time.Now()}
	}
	return s.w.WithContext(ctx).CreateInBatches(rows, 500).Error
}
