package export_test

// Benchmarks of the export pack at two sizes, built once per run through
// the Store: 32 members × 50 questions and 200 members × 500 questions
// (100,000 positions, every answer given, rationales of about a hundred
// characters). Each file is written at both sizes in the same run; the
// metric x-small is the large file's time as a multiple of the small
// one's (the positions are 62.5 times as many):
//
//	go test -run '^$' -bench Export -benchtime 3x ./export/
//
// TestSizedDatabase builds the large database in a file, for measuring
// the peak memory of the export command:
//
//	CONCORD_SIZED_DB=/tmp/sized.db go test -run TestSizedDatabase ./export/
//	go build -o /tmp/concord ./cmd/concord
//	/usr/bin/time -v /tmp/concord export -db /tmp/sized.db -consultation big -format xlsx -out /tmp/sized-out

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"concord/export"
	"concord/models"
)

// sizedQuestion is question i (0-based) of a sized consultation: mostly
// 5-point scale questions, every tenth a choice and every twenty-fifth an
// open question, in sections of ten (as the handlers' benchmarks build it).
func sizedQuestion(i int) models.QuestionInput {
	key := fmt.Sprintf("q%03d", i+1)
	section := fmt.Sprintf("Section %d", i/10+1)
	switch {
	case i%25 == 24:
		return models.QuestionInput{Key: key, Section: section, Kind: models.KindText, Text: "Remarks on topic " + key + "?"}
	case i%10 == 9:
		return models.QuestionInput{Key: key, Section: section, Kind: models.KindChoice, Text: "Which way on topic " + key + "?",
			Options: []string{"Keep it", "Amend it", "Void it"}}
	}
	return models.QuestionInput{Key: key, Section: section, Kind: models.KindScale, Text: "How far should we go on topic " + key + "?",
		Labels: []string{"Not at all", "A little", "Halfway", "Mostly", "All the way"}}
}

// sizedRationale is a rationale of about a hundred characters.
func sizedRationale(m, q int) string {
	return fmt.Sprintf("Member %d on question %d: our position follows from the national strategy and from the last summit.", m, q)
}

// seedSized builds, in the database file at path, a roster of nm members
// (the 32 allies, then X001, X002, …), an open consultation "big" of nq
// questions and every member's answer to every question, one submission
// per member. It returns the open store.
func seedSized(tb testing.TB, path string, nm, nq int) (*models.Store, *models.Consultation) {
	tb.Helper()
	ctx := context.Background()
	store, err := models.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	store.SetPasswordCost(bcrypt.MinCost)
	if err := store.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	roster, err := models.DefaultRoster()
	if err != nil {
		tb.Fatal(err)
	}
	for i := len(roster); i < nm; i++ {
		roster = append(roster, models.Member{Code: fmt.Sprintf("X%03d", i-31), Name: fmt.Sprintf("Member %d", i+1), Accession: 2030})
	}
	if err := store.SeedMembers(ctx, roster[:nm]); err != nil {
		tb.Fatal(err)
	}
	author, err := store.CreateUser(ctx, models.NewUser{Username: "author", Name: "Author", Role: models.RoleFacilitator,
		Password: "amber lantern over quiet fjords"})
	if err != nil {
		tb.Fatal(err)
	}
	cons, err := store.CreateConsultation(ctx, models.ConsultationInput{Key: "big", Title: "A very large consultation"}, author.ID)
	if err != nil {
		tb.Fatal(err)
	}
	qs := make([]models.QuestionInput, nq)
	for i := range qs {
		qs[i] = sizedQuestion(i)
		if _, err := store.CreateQuestion(ctx, cons.ID, qs[i], author.ID); err != nil {
			tb.Fatal(err)
		}
	}
	if err := store.SetStatus(ctx, cons.ID, models.StatusOpen, author.ID); err != nil {
		tb.Fatal(err)
	}
	members, err := store.Members(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	for mi, m := range members {
		camp := mi % 3
		inputs := make([]models.PositionInput, nq)
		for qi, q := range qs {
			in := models.PositionInput{QuestionKey: q.Key, Rationale: sizedRationale(mi, qi)}
			switch q.Kind {
			case models.KindScale:
				lean := 1 + (qi*7+camp*(qi%4+1))%5
				p := min(max(lean+(mi*13+qi*5)%3-1, 1), 5)
				in.Preferred, in.AcceptMin, in.AcceptMax, in.Importance = p, max(p-(mi+qi)%2, 1), min(p+(mi*3+qi)%2, 5), "medium"
			case models.KindChoice:
				in.Option = 1 + (camp+qi)%3
			case models.KindText:
				in.Answer, in.Rationale = sizedRationale(mi, qi), ""
			}
			inputs[qi] = in
		}
		if _, err := store.SubmitPositions(ctx, models.Submission{ConsultationID: cons.ID, MemberID: m.ID, UserID: author.ID,
			Source: models.SourceForm, OnBehalf: true, Inputs: inputs, IgnoreWindow: true}); err != nil {
			tb.Fatalf("submit positions of %s: %v", m.Code, err)
		}
	}
	cons, err = store.ConsultationByID(ctx, cons.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return store, cons
}

// TestSizedDatabase builds the 200 × 500 database at the path named by
// CONCORD_SIZED_DB (refusing an existing file), for measuring the export
// command; without the variable it is skipped.
func TestSizedDatabase(t *testing.T) {
	path := os.Getenv("CONCORD_SIZED_DB")
	if path == "" {
		t.Skip("set CONCORD_SIZED_DB to the file to build")
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatalf("%s exists; give a new file", path)
	}
	start := time.Now()
	seedSized(t, path, 200, 500)
	t.Logf("built %s in %s", path, time.Since(start).Round(time.Millisecond))
}

// sizedPack is a consultation's store and consultation, for loading its
// pack in each iteration as the export command does.
type sizedPack struct {
	store *models.Store
	cons  *models.Consultation
}

func newSizedPack(b *testing.B, nm, nq int) sizedPack {
	store, cons := seedSized(b, filepath.Join(b.TempDir(), "sized.db"), nm, nq)
	return sizedPack{store, cons}
}

// write loads the pack and writes one format of it to nowhere.
func (s sizedPack) write(b *testing.B, format string) {
	p, err := export.Load(context.Background(), s.store, s.cons, 0)
	if err != nil {
		b.Fatal(err)
	}
	switch format {
	case "xlsx":
		err = export.WriteXLSX(io.Discard, p.Tables())
	case "zip":
		err = export.WriteZIP(io.Discard, s.cons.Key, p.Tables(), false, time.Unix(0, 0))
	default:
		for _, t := range p.Tables() {
			if err = export.WriteCSV(io.Discard, t, false); err != nil {
				break
			}
		}
	}
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkExport loads the pack and writes it as CSV files, a ZIP and a
// workbook, at 32 × 50 and 200 × 500 alternately, reporting the time of
// each and their ratio (x-small).
func BenchmarkExport(b *testing.B) {
	small := newSizedPack(b, 32, 50)
	large := newSizedPack(b, 200, 500)
	for _, format := range []string{"csv", "zip", "xlsx"} {
		b.Run(format, func(b *testing.B) {
			var tSmall, tLarge time.Duration
			for b.Loop() {
				t0 := time.Now()
				small.write(b, format)
				t1 := time.Now()
				large.write(b, format)
				tSmall += t1.Sub(t0)
				tLarge += time.Since(t1)
			}
			b.ReportMetric(float64(tSmall.Nanoseconds())/float64(b.N), "ns-32x50")
			b.ReportMetric(float64(tLarge.Nanoseconds())/float64(b.N), "ns-200x500")
			b.ReportMetric(float64(tLarge)/float64(tSmall), "x-small")
		})
	}
}
