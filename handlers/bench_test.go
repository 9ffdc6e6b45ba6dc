package handlers_test

// Benchmarks of the report pages at two sizes, built once per run: a
// large real consultation (32 members × 50 questions) and a very large one
// (200 members × 500 questions, 100,000 positions, every answer given).
// Each page is measured at both sizes in the same run and the ratio
// (large ÷ small) is reported as the metric "x-small", so the figure does
// not depend on the machine:
//
//	go test -run '^$' -bench ReportPages -benchtime 20x ./handlers/
//
// The target is a ratio of at most 10 for every page.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"testing"
	"time"

	"concord/models"
)

// sizedApp is a running Concord with one consultation "big" of nm members
// × nq questions, every member answering every question, and a signed-in
// facilitator.
type sizedApp struct {
	app  *testApp
	cons *models.Consultation
	cl   *client
	nm   int
	nq   int
}

// sizedQuestion is question i (0-based) of a sized consultation: mostly
// 5-point scale questions, every tenth a choice and every twenty-fifth an
// open question, in sections of ten.
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

// sizedRoster is the default roster of 32 members and, beyond it,
// generated members X001, X002, … up to nm members.
func sizedRoster(tb testing.TB, nm int) []models.Member {
	tb.Helper()
	roster, err := models.DefaultRoster()
	if err != nil {
		tb.Fatal(err)
	}
	for i := len(roster); i < nm; i++ {
		roster = append(roster, models.Member{Code: fmt.Sprintf("X%03d", i-31), Name: fmt.Sprintf("Member %d", i+1), Accession: 2030})
	}
	return roster[:nm]
}

// newSizedApp builds the consultation through the Store: nm members (the
// roster is the whole alliance, so the app has exactly nm members), nq
// questions, and every member's answers in one submission of its own.
// Members fall into three camps with a leaning per question, plus noise,
// so that the questions are classified in every way.
func newSizedApp(tb testing.TB, nm, nq int) *sizedApp {
	tb.Helper()
	ctx := context.Background()
	app := newTestApp(tb)
	if nm > 32 {
		if err := app.store.SeedMembers(ctx, sizedRoster(tb, nm)); err != nil {
			tb.Fatal(err)
		}
	} else if nm < 32 {
		tb.Fatalf("a sized app has at least the 32 members of the default roster, not %d", nm)
	}
	qs := make([]models.QuestionInput, nq)
	for i := range qs {
		qs[i] = sizedQuestion(i)
	}
	cons := app.consultation("big", models.StatusOpen, qs...)
	members, err := app.store.Members(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	author := app.authorID()
	for mi, m := range members {
		camp := mi % 3
		inputs := make([]models.PositionInput, nq)
		for qi := range nq {
			q := qs[qi]
			in := models.PositionInput{QuestionKey: q.Key, Rationale: sizedRationale(mi, qi)}
			switch q.Kind {
			case models.KindScale:
				lean := 1 + (qi*7+camp*(qi%4+1))%5
				p := min(max(lean+(mi*13+qi*5)%3-1, 1), 5)
				in.Preferred, in.AcceptMin, in.AcceptMax, in.Importance = p, max(p-(mi+qi)%2, 1), min(p+(mi*3+qi)%2, 5), "medium"
				if (mi+qi)%61 == 0 {
					in.Importance = "red line"
				}
			case models.KindChoice:
				in.Option = 1 + (camp+qi)%3
			case models.KindText:
				in.Answer, in.Rationale = sizedRationale(mi, qi), ""
			}
			inputs[qi] = in
		}
		if _, err := app.store.SubmitPositions(ctx, models.Submission{ConsultationID: cons.ID, MemberID: m.ID, UserID: author,
			Source: models.SourceForm, OnBehalf: true, Inputs: inputs, IgnoreWindow: true}); err != nil {
			tb.Fatalf("submit positions of %s: %v", m.Code, err)
		}
	}
	cl := app.login(app.facilitator("bench-facilitator"))
	return &sizedApp{app: app, cons: cons, cl: cl, nm: nm, nq: nq}
}

// serve answers one GET through the real router, as the signed-in
// facilitator, and returns the response size; any status but 200 fails.
func (s *sizedApp) serve(tb testing.TB, path string) int {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	s.cl.jar.mu.Lock()
	for name, value := range s.cl.jar.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	s.cl.jar.mu.Unlock()
	rec := httptest.NewRecorder()
	s.app.router.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		tb.Fatalf("GET %s: status %d\n%.800s", path, rec.Code, rec.Body.String())
	}
	return rec.Body.Len()
}

// sizedReportPaths are the report pages benchmarked, at a size: the overview,
// the heatmap, coverage, one question, one member, the map, the glossary
// and report.json.
func sizedReportPaths(s *sizedApp) map[string]string {
	k := "/consultations/" + s.cons.Key
	return map[string]string{
		"overview": k + "/report",
		"heatmap":  k + "/report/heatmap",
		"coverage": k + "/coverage",
		"question": k + "/report/questions/q003",
		"member":   k + "/report/members/EST",
		"map":      k + "/report/map",
		"glossary": k + "/report/glossary",
		"json":     k + "/report.json",
	}
}

var reportPageOrder = []string{"overview", "heatmap", "coverage", "question", "member", "map", "glossary", "json"}

// BenchmarkReportPages renders every report page of the 32 × 50 and the
// 200 × 500 consultation alternately, and reports the time of each and
// their ratio (x-small: the large page's time as a multiple of the small
// one's), with the sizes of both answers in KB.
func BenchmarkReportPages(b *testing.B) {
	small := newSizedApp(b, 32, 50)
	large := newSizedApp(b, 200, 500)
	sp, lp := sizedReportPaths(small), sizedReportPaths(large)
	for _, name := range reportPageOrder {
		b.Run(name, func(b *testing.B) {
			var tSmall, tLarge time.Duration
			var nSmall, nLarge int
			// One view of each first: what a cache holds is in place, as
			// it is for every view after the first.
			small.serve(b, sp[name])
			large.serve(b, lp[name])
			for b.Loop() {
				t0 := time.Now()
				nSmall = small.serve(b, sp[name])
				t1 := time.Now()
				nLarge = large.serve(b, lp[name])
				tSmall += t1.Sub(t0)
				tLarge += time.Since(t1)
			}
			b.ReportMetric(float64(tSmall.Nanoseconds())/float64(b.N), "ns-32x50")
			b.ReportMetric(float64(tLarge.Nanoseconds())/float64(b.N), "ns-200x500")
			b.ReportMetric(float64(tLarge)/float64(tSmall), "x-small")
			b.ReportMetric(float64(nSmall)/1024, "KB-32x50")
			b.ReportMetric(float64(nLarge)/1024, "KB-200x500")
		})
	}
}

// BenchmarkSizedSeed times building the 200 × 500 consultation, to keep
// an eye on what the benchmarks above cost to set up.
func BenchmarkSizedSeed(b *testing.B) {
	for b.Loop() {
		newSizedApp(b, 200, 500)
	}
}
