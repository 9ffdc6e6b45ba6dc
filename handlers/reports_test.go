package handlers_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"concord/consensus"
	"concord/models"
)

// Rationales seeded into the report fixture; each names its member, so a
// test can tell whose words a page shows.
const (
	ratEST = "RATIONALE-EST freeze until the troops withdraw"
	ratUSA = "RATIONALE-USA a hotline is enough"
	ratHUN = `RATIONALE-HUN <script>alert("x")</script> dialogue & "trust"`
	ratSVK = "RATIONALE-SVK talks on conditions"
	ratAct = "RATIONALE-EST-ACT void it now"
	ansHUN = "ANSWER-HUN national constraints apply"
)

// reportFixture is a consultation with a blocked scale question
// (council), a unanimous one (stance), a choice (act) and a text question
// (notes), answered by EST, POL, USA, HUN and SVK; the other 27 members
// are silent.
type reportFixture struct {
	app  *testApp
	cons *models.Consultation
	fac  *client
	obs  *client
}

func newReportFixture(t *testing.T) *reportFixture {
	t.Helper()
	app := newTestApp(t)
	cons := app.consultation("review", models.StatusOpen,
		scaleQ("council", 5), scaleQ("stance", 5), choiceQ("act", "Keep it", "Suspend it", "Void it"), textQ("notes"))
	by := app.authorID()
	app.submitPositions(cons.ID, "EST", by,
		models.PositionInput{QuestionKey: "council", Preferred: 1, AcceptMin: 1, AcceptMax: 2, Importance: models.ImportanceRedLine, Rationale: ratEST},
		models.PositionInput{QuestionKey: "stance", Preferred: 3, AcceptMin: 2, AcceptMax: 4},
		models.PositionInput{QuestionKey: "act", Option: 3, Rationale: ratAct})
	app.submitPositions(cons.ID, "POL", by,
		models.PositionInput{QuestionKey: "council", Preferred: 1, AcceptMin: 1, AcceptMax: 2},
		models.PositionInput{QuestionKey: "stance", Preferred: 3, AcceptMin: 2, AcceptMax: 4},
		models.PositionInput{QuestionKey: "act", Option: 3})
	app.submitPositions(cons.ID, "USA", by,
		models.PositionInput{QuestionKey: "council", Preferred: 2, AcceptMin: 1, AcceptMax: 3, Rationale: ratUSA},
		models.PositionInput{QuestionKey: "stance", Preferred: 3, AcceptMin: 2, AcceptMax: 4},
		models.PositionInput{QuestionKey: "act", Option: 1})
	app.submitPositions(cons.ID, "HUN", by,
		models.PositionInput{QuestionKey: "council", Preferred: 5, AcceptMin: 4, AcceptMax: 5, Importance: "high", Rationale: ratHUN},
		models.PositionInput{QuestionKey: "stance", Preferred: 3, AcceptMin: 2, AcceptMax: 4},
		models.PositionInput{QuestionKey: "act", Option: 1},
		models.PositionInput{QuestionKey: "notes", Answer: ansHUN})
	app.submitPositions(cons.ID, "SVK", by,
		models.PositionInput{QuestionKey: "council", Preferred: 4, AcceptMin: 3, AcceptMax: 5, Rationale: ratSVK},
		models.PositionInput{QuestionKey: "stance", Preferred: 3, AcceptMin: 2, AcceptMax: 4},
		models.PositionInput{QuestionKey: "act", Option: 1})
	return &reportFixture{app: app, cons: cons, fac: app.login(app.facilitator("fiona")), obs: app.login(app.observer("oscar"))}
}

// reportPaths are the HTML report pages of the fixture.
var reportPaths = []string{
	"/consultations/review/report",
	"/consultations/review/report/questions/council",
	"/consultations/review/report/questions/stance",
	"/consultations/review/report/questions/act",
	"/consultations/review/report/questions/notes",
	"/consultations/review/report/heatmap",
	"/consultations/review/report/heatmap?sort=bloc",
	"/consultations/review/report/map",
	"/consultations/review/report/members/HUN",
	"/consultations/review/report/members/ISL",
}

func TestReportPagesShowTheAnalysis(t *testing.T) {
	f := newReportFixture(t)
	tests := []struct {
		name   string
		path   string
		want   []string
		absent []string
	}{
		{"overview", "/consultations/review/report", []string{
			"Divergence report", "5 / 32", "members have answered", "Not yet answered (27)", "Iceland",
			"Q1 How far should we go on council?", "Q2 How far should we go on stance?", "Q3 What should become of act?",
			"points 2–4: Point 2 of stance – Point 4 of stance", "Most chosen: Keep it", "(60%)", "glossary",
			"Open questions", "1 answer from 32 members",
			"broad-agreement Cns 0.75", "broad-agreement share 75%", "polarized share 33%",
			"at least 33% of members in the lower third of the scale and at least 33% in the upper third"},
			[]string{"consensus minus", "blocked by"}},
		{"split scale question", "/consultations/review/report/questions/council", []string{
			"How far should we go on council?", "Q1", "Posture",
			"Median", "Consensus score ( Cns )", "Members by point",
			ratEST, "red line", "holdout", ratUSA},
			[]string{"consensus minus", "blocked by", "Question 1 of 4"}},
		{"unanimous scale question", "/consultations/review/report/questions/stance", []string{
			"Common ground: points 2–4", "unanimous", "No holdout, no outlier and no red line"}, []string{"No common ground"}},
		{"choice question", "/consultations/review/report/questions/act", []string{
			"Members by option", "Keep it", "most chosen", "Accepted by", "Holdouts and minority positions", ratAct}, nil},
		{"text question", "/consultations/review/report/questions/notes", []string{
			"Answers (1)", ansHUN, "Not answered (31)"}, nil},
		{"heatmap by member", "/consultations/review/report/heatmap", []string{
			"Each member against the median", "Q1", "council", "Q2", "stance", "Median", "Estonia", "Iceland", "no answer"}, []string{"Bloc 1"}},
		{"heatmap by bloc", "/consultations/review/report/heatmap?sort=bloc", []string{
			"Bloc 1", "Not placed on the map"}, nil},
		{"opinion map", "/consultations/review/report/map", []string{
			"Where members stand relative to each other", "of the differences", "Silhouette",
			"Blocs and what sets them apart", "Coordinates of every member"}, nil},
		{"member", "/consultations/review/report/members/HUN", []string{
			"Hungary", "questions answered", "outlier position", "as a holdout", "not accepting the best point", "Q1 How far should we go on council?",
			"points 4–5", "+0.75", ratHUN, ansHUN, "Most similar", "Least similar", "SVK"}, nil},
		{"member in lower case", "/consultations/review/report/members/hun", []string{"Hungary"}, nil},
		{"silent member", "/consultations/review/report/members/ISL", []string{"Iceland", "No answer", "not placed on the map",
			"ISL shares no answered scale question with another member"}, nil},
	}
	for _, tc := range tests {
		for _, who := range []struct {
			name string
			cl   *client
		}{{"facilitator", f.fac}, {"observer", f.obs}} {
			t.Run(tc.name+"/"+who.name, func(t *testing.T) {
				res := who.cl.get(tc.path)
				wantStatus(t, res, http.StatusOK)
				wantText(t, res, tc.want...)
				for _, a := range tc.absent {
					if strings.Contains(res.text(), a) {
						t.Errorf("page says %q, which it must not", a)
					}
				}
				// Rationales are data: never markup.
				wantNoBody(t, res, `<script>alert`)
				if got := res.Header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("Cache-Control %q, want no-store", got)
				}
			})
		}
	}
}

func TestReportRanking(t *testing.T) {
	f := newReportFixture(t)
	res := f.obs.get("/consultations/review/report")
	wantStatus(t, res, http.StatusOK)
	tables := find(res.html(), func(n *htmlNode) bool { return n.Data == "table" && hasClass(n, "ranking") })
	if len(tables) != 1 {
		t.Fatalf("%d ranking tables, want 1", len(tables))
	}
	rows := find(tables[0], func(n *htmlNode) bool { return n.Data == "tr" && n.Parent.Data == "tbody" })
	want := []struct{ question, class string }{
		{"How far should we go on council?", "polarized"},
		{"What should become of act?", "divided"},
		{"How far should we go on stance?", "unanimous"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d ranked rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		text := textContent(rows[i])
		if !strings.Contains(text, w.question) || !strings.Contains(text, w.class) {
			t.Errorf("row %d %q, want %q classified %s", i+1, text, w.question, w.class)
		}
	}
	if text := textContent(rows[0]); !strings.Contains(text, "Q1") || !strings.Contains(text, "No common ground") {
		t.Errorf("first row %q does not give its number and the missing common ground", text)
	}
	links := find(rows[0], func(n *htmlNode) bool {
		href, _ := attr(n, "href")
		return n.Data == "a" && href == "/consultations/review/report/questions/council"
	})
	if len(links) != 1 {
		t.Errorf("the first row does not link to its question view")
	}
}

func TestReportChartsAreAccessible(t *testing.T) {
	f := newReportFixture(t)
	for _, path := range reportPaths {
		t.Run(path, func(t *testing.T) {
			res := f.obs.get(path)
			wantStatus(t, res, http.StatusOK)
			ids := map[string]string{}
			for _, n := range find(res.html(), func(n *htmlNode) bool { _, ok := attr(n, "id"); return ok }) {
				id, _ := attr(n, "id")
				if prev, dup := ids[id]; dup {
					t.Errorf("id %q used twice (<%s> and <%s>)", id, prev, n.Data)
				}
				ids[id] = n.Data
			}
			for _, svg := range find(res.html(), func(n *htmlNode) bool { return n.Data == "svg" }) {
				if hidden, _ := attr(svg, "aria-hidden"); hidden == "true" {
					continue // decorative swatches beside a text label
				}
				if role, _ := attr(svg, "role"); role != "img" {
					t.Errorf("an <svg> without role=img")
				}
				refs, _ := attr(svg, "aria-labelledby")
				f := strings.Fields(refs)
				if len(f) != 2 || ids[f[0]] != "title" || ids[f[1]] != "desc" {
					t.Errorf("<svg aria-labelledby=%q> does not name its <title> and <desc>", refs)
				}
			}
		})
	}
}

func TestReportNotFound(t *testing.T) {
	f := newReportFixture(t)
	tests := []struct {
		name string
		path string
		want string
	}{
		{"unknown question", "/consultations/review/report/questions/nope", "no question with that key"},
		{"unknown member", "/consultations/review/report/members/XYZ", "no member with that code"},
		{"unknown consultation", "/consultations/nope/report", "could not find"},
		{"unknown consultation, heatmap", "/consultations/nope/report/heatmap", "could not find"},
		{"question of an unknown consultation", "/consultations/nope/report/questions/council", "could not find"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := f.fac.get(tc.path)
			wantStatus(t, res, http.StatusNotFound)
			wantText(t, res, tc.want)
		})
	}
	t.Run("unknown consultation, JSON", func(t *testing.T) {
		res := f.fac.get("/consultations/nope/report.json")
		wantStatus(t, res, http.StatusNotFound)
		var body map[string]string
		if err := json.Unmarshal([]byte(res.Body), &body); err != nil || body["error"] == "" {
			t.Errorf("404 body %q is not a JSON error (%v)", res.Body, err)
		}
		if n := f.app.auditCount(models.AuditExportDownload); n != 0 {
			t.Errorf("%d download events for a report that was not sent, want 0", n)
		}
	})
}

func TestReportForbiddenToDelegates(t *testing.T) {
	f := newReportFixture(t)
	// HUN's own delegate: even the member whose position is in the report
	// sees none of it, and nobody else's.
	del := f.app.login(f.app.delegate("hugo", "HUN"))
	paths := append([]string{"/consultations/review/report.json", "/consultations/nope/report"}, reportPaths...)
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			res := del.get(path)
			wantStatus(t, res, http.StatusForbidden)
			wantNoBody(t, res, "RATIONALE-EST", "RATIONALE-USA", "RATIONALE-SVK", "RATIONALE-EST-ACT", "<svg")
		})
	}
}

func TestReportJSON(t *testing.T) {
	f := newReportFixture(t)
	for i, cl := range []*client{f.fac, f.obs} {
		res := cl.get("/consultations/review/report.json")
		wantStatus(t, res, http.StatusOK)
		// A report download is audited like an export download.
		events := f.app.auditEvents(models.AuditExportDownload)
		if len(events) != i+1 {
			t.Fatalf("%d download events, want %d", len(events), i+1)
		}
		if ev := events[0]; ev.Subject != "consultation review" || ev.Detail != "report.json, round 1" {
			t.Errorf("audit event = %+v, want report.json of review, round 1", ev)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type %q", ct)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", cc)
		}
		var rep consensus.Report
		dec := json.NewDecoder(strings.NewReader(res.Body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rep); err != nil {
			t.Fatalf("decode report: %v", err)
		}
		q, ok := rep.Question("council")
		if !ok || q.Scale == nil || q.Scale.Blocking == nil || strings.Join(q.Scale.Blocking.Members, ",") != "HUN,SVK" {
			t.Fatalf("council in JSON: %+v", q)
		}
		if rep.MembersTotal != 32 || len(rep.Ranking) != 3 || q.Classification != consensus.Polarized {
			t.Errorf("members %d, ranking %v, council %s", rep.MembersTotal, rep.Ranking, q.Classification)
		}
	}
}

func TestReportOfAConsultationWithoutAnswers(t *testing.T) {
	app := newTestApp(t)
	app.consultation("empty", models.StatusDraft, scaleQ("council", 5), choiceQ("act", "Keep", "Void"), textQ("notes"))
	app.consultation("blank", models.StatusDraft)
	fac := app.login(app.facilitator("fiona"))
	tests := []struct {
		path   string
		want   []string
		absent []string
	}{
		{"/consultations/empty/report", []string{"0 / 32", "Not yet answered (32)", "insufficient"}, nil},
		{"/consultations/empty/report/questions/council", []string{"Too few answers to judge (0 of 32)."}, nil},
		{"/consultations/empty/report/questions/act", []string{"No holdout and no minority position"}, nil},
		{"/consultations/empty/report/questions/notes", []string{"No member has answered this question yet."}, nil},
		// A question nobody answered has no median (not a median of 0).
		{"/consultations/empty/report/heatmap", []string{"Q1", "no answer yet"}, []string{"0 / 5"}},
		{"/consultations/empty/report/map", []string{"nothing to place on the map"}, nil},
		{"/consultations/empty/report/members/EST", []string{"Estonia", "No answer"}, nil},
		{"/consultations/blank/report", []string{"There is no scale or choice question to rank yet."}, nil},
		{"/consultations/blank/report/heatmap", []string{"This consultation has no scale question."}, nil},
		{"/consultations/blank/report/members/EST", []string{"Estonia"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			res := fac.get(tc.path)
			wantStatus(t, res, http.StatusOK)
			wantText(t, res, tc.want...)
			for _, a := range tc.absent {
				if strings.Contains(res.text(), a) {
					t.Errorf("page says %q, which it must not", a)
				}
			}
		})
	}
}

func TestReportNavigation(t *testing.T) {
	f := newReportFixture(t)
	tests := []struct {
		path    string
		current string // the sub-navigation entry marked as the current page
	}{
		{"/consultations/review/report", "Overview"},
		{"/consultations/review/report/questions/council", "Overview"},
		{"/consultations/review/report/heatmap", "Heatmap"},
		{"/consultations/review/report/map", "Opinion map"},
		{"/consultations/review/report/members/EST", ""},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			res := f.fac.get(tc.path)
			wantStatus(t, res, http.StatusOK)
			navs := find(res.html(), func(n *htmlNode) bool { return n.Data == "nav" && hasClass(n, "report-nav") })
			if len(navs) != 1 {
				t.Fatalf("%d report sub-navigations, want 1", len(navs))
			}
			var current []string
			for _, a := range find(navs[0], func(n *htmlNode) bool { return n.Data == "a" }) {
				if v, _ := attr(a, "aria-current"); v == "page" {
					current = append(current, textContent(a))
				}
			}
			if strings.Join(current, ",") != tc.current {
				t.Errorf("current entries %q, want %q", current, tc.current)
			}
		})
	}
	// The consultation page leads to the report.
	res := f.obs.get("/consultations/review")
	wantStatus(t, res, http.StatusOK)
	links := find(res.html(), func(n *htmlNode) bool {
		href, _ := attr(n, "href")
		return n.Data == "a" && href == "/consultations/review/report"
	})
	if len(links) == 0 {
		t.Error("the consultation page has no link to the report")
	}
}

// TestReportGlossary: the glossary explains every term, is linked from the
// report's navigation, and is for staff only, like the report.
func TestReportGlossary(t *testing.T) {
	f := newReportFixture(t)
	for _, cl := range []*client{f.fac, f.obs} {
		res := cl.get("/consultations/review/report/glossary")
		wantStatus(t, res, http.StatusOK)
		wantText(t, res, "Glossary", "Common ground", "Best point", "Accepting", "Holdouts", "Outliers", "Red line",
			"near consensus", "broad agreement", "polarized", "divided", "insufficient", "unanimous",
			"Quorum", "in this consultation 32 of 32", "Provisional", "Consensus score (Cns)", "Agreement (%)",
			"Interquartile range (IQR)", "Blocs", "Opinion map", "members close together answered alike")
	}
	res := f.fac.get("/consultations/review/report")
	links := find(res.html(), func(n *htmlNode) bool {
		href, _ := attr(n, "href")
		return n.Data == "a" && href == "/consultations/review/report/glossary" && hasClass(n.Parent, "report-nav")
	})
	if len(links) != 1 {
		t.Errorf("%d glossary links in the report navigation, want 1", len(links))
	}
	del := f.app.login(f.app.delegate("hugo", "HUN"))
	wantStatus(t, del.get("/consultations/review/report/glossary"), http.StatusForbidden)
}

// TestReportPlainWords: the consensus score is named in words with its
// abbreviation explained on hover; the opinion map explains its axes and
// keeps the silhouette in a details element.
func TestReportPlainWords(t *testing.T) {
	f := newReportFixture(t)
	for _, path := range []string{"/consultations/review/report", "/consultations/review/report/questions/council"} {
		res := f.obs.get(path)
		abbrs := find(res.html(), func(n *htmlNode) bool {
			title, _ := attr(n, "title")
			return n.Data == "abbr" && textContent(n) == "Cns" && strings.Contains(title, "1 when every member prefers the same point")
		})
		if len(abbrs) == 0 {
			t.Errorf("%s: no <abbr> explaining Cns", path)
		}
	}
	res := f.obs.get("/consultations/review/report/map")
	wantText(t, res, "Members close together answered alike")
	details := find(res.html(), func(n *htmlNode) bool { return n.Data == "details" && strings.Contains(textContent(n), "Silhouette") })
	if len(details) != 1 {
		t.Errorf("%d details elements hold the silhouette, want 1", len(details))
	}
}

// TestQuestionPageHeading: the question's words are the page heading and
// its stable number the kicker; the pager and the heatmap use the same
// number.
func TestQuestionPageHeading(t *testing.T) {
	f := newReportFixture(t)
	res := f.fac.get("/consultations/review/report/questions/stance")
	wantStatus(t, res, http.StatusOK)
	h1 := find(res.html(), func(n *htmlNode) bool { return n.Data == "h1" })
	if len(h1) != 1 || textContent(h1[0]) != "How far should we go on stance?" {
		t.Fatalf("h1 %v, want the question text", h1)
	}
	kicker := find(res.html(), func(n *htmlNode) bool { return n.Data == "strong" && hasClass(n, "kicker-number") })
	if len(kicker) != 1 || textContent(kicker[0]) != "Q2" {
		t.Errorf("kicker %v, want Q2", kicker)
	}
	wantText(t, res, "Previous question Q1 How far should we go on council?", "Next question → Q3 What should become of act?")
	heat := f.fac.get("/consultations/review/report/heatmap")
	wantText(t, heat, "Q1 How far should we go on council?", "Q2 How far should we go on stance?")
}

// TestReportVerdictLine: each ranked question's page and the overview
// show the report's own verdict sentence, and no wording of their own.
func TestReportVerdictLine(t *testing.T) {
	f := newReportFixture(t)
	var rep consensus.Report
	if err := json.Unmarshal([]byte(f.fac.get("/consultations/review/report.json").Body), &rep); err != nil {
		t.Fatal(err)
	}
	overview := f.fac.get("/consultations/review/report")
	for _, key := range rep.Ranking {
		q, _ := rep.Question(key)
		t.Run(key, func(t *testing.T) {
			if q.Verdict == "" {
				t.Fatal("the analysis gives no verdict sentence")
			}
			res := f.fac.get("/consultations/review/report/questions/" + key)
			lines := find(res.html(), func(n *htmlNode) bool { return n.Data == "p" && hasClass(n, "verdict-line") })
			if len(lines) != 1 || textContent(lines[0]) != q.Verdict {
				t.Errorf("verdict lines %d, want one reading %q", len(lines), q.Verdict)
			}
			wantText(t, overview, q.Verdict)
		})
	}
}

// TestReportHoldouts: with one member of five not accepting the best point
// (at most max(1, ⌊5/10⌋) = 1), the question is near consensus and the
// holdout is named, linked to its member page; the verdict is provisional
// below the quorum (the whole roster of 32).
func TestReportHoldouts(t *testing.T) {
	app := newTestApp(t)
	cons := app.consultation("near", models.StatusOpen, scaleQ("council", 5))
	// Point 3 is accepted by EST, POL, USA and HUN; SVK accepts only 5.
	for _, p := range []struct {
		code         string
		pref, lo, hi int
	}{{"EST", 2, 2, 3}, {"POL", 2, 2, 3}, {"USA", 3, 2, 3}, {"HUN", 3, 3, 3}, {"SVK", 5, 5, 5}} {
		app.submitPositions(cons.ID, p.code, app.authorID(),
			models.PositionInput{QuestionKey: "council", Preferred: p.pref, AcceptMin: p.lo, AcceptMax: p.hi})
	}
	fac := app.login(app.facilitator("fiona"))
	var rep consensus.Report
	if err := json.Unmarshal([]byte(fac.get("/consultations/near/report.json").Body), &rep); err != nil {
		t.Fatal(err)
	}
	if q, _ := rep.Question("council"); !slices.Equal(q.Holdouts, []string{"SVK"}) {
		t.Fatalf("holdouts %v, want SVK", q.Holdouts)
	}
	for _, path := range []string{"/consultations/near/report", "/consultations/near/report/questions/council"} {
		res := fac.get(path)
		wantText(t, res, "near consensus", "provisional")
		links := find(res.html(), func(n *htmlNode) bool {
			href, _ := attr(n, "href")
			return n.Data == "a" && hasClass(n, "is-holdout") && href == "/consultations/near/report/members/SVK"
		})
		if len(links) == 0 {
			t.Errorf("%s: the holdout SVK is not linked to its member page", path)
		}
	}
	wantText(t, fac.get("/consultations/near/report"), "1 verdict is provisional: fewer than the quorum of 32 answered.")
}

// TestCoverageGaps: a missing answer is the loud cell, with a word for
// screen readers; each row links to the member's report page; the
// facilitator gets the members still missing answers, one per line.
func TestCoverageGaps(t *testing.T) {
	f := newReportFixture(t)
	// 32 members × 4 questions; answers: EST, POL, USA and SVK 3 each, HUN 4.
	const cells, answered = 128, 16
	for _, who := range []struct {
		name         string
		cl           *client
		wantReminder bool
	}{{"facilitator", f.fac, true}, {"observer", f.obs, false}} {
		t.Run(who.name, func(t *testing.T) {
			res := who.cl.get("/consultations/review/coverage")
			wantStatus(t, res, http.StatusOK)
			doc := res.html()
			missing := find(doc, func(n *htmlNode) bool { return n.Data == "td" && hasClass(n, "cell") && hasClass(n, "no") })
			yes := find(doc, func(n *htmlNode) bool { return n.Data == "td" && hasClass(n, "cell") && hasClass(n, "yes") })
			if len(missing) != cells-answered || len(yes) != answered {
				t.Fatalf("%d missing and %d answered cells, want %d and %d", len(missing), len(yes), cells-answered, answered)
			}
			if got := textContent(missing[0]); !strings.Contains(got, "missing") {
				t.Errorf("a missing cell reads %q, want the word missing", got)
			}
			links := find(doc, func(n *htmlNode) bool {
				href, _ := attr(n, "href")
				return n.Data == "a" && href == "/consultations/review/report/members/HUN"
			})
			if len(links) != 1 {
				t.Errorf("%d links to HUN's page, want 1", len(links))
			}
			wantText(t, res, "Q1 council", "Q4 notes")
			areas := find(doc, func(n *htmlNode) bool { return n.Data == "textarea" && hasClass(n, "reminder-list") })
			if !who.wantReminder {
				if len(areas) != 0 {
					t.Errorf("an observer sees the reminder list")
				}
				return
			}
			if len(areas) != 1 {
				t.Fatalf("%d reminder lists, want 1", len(areas))
			}
			if _, ro := attr(areas[0], "readonly"); !ro {
				t.Error("the reminder list is not read-only")
			}
			var raw string
			if areas[0].FirstChild != nil {
				raw = areas[0].FirstChild.Data
			}
			lines := strings.Split(strings.TrimSpace(raw), "\n")
			if len(lines) != 31 || !slices.Contains(lines, "EST Estonia") || !slices.Contains(lines, "ISL Iceland") || slices.Contains(lines, "HUN Hungary") {
				t.Errorf("reminder lines %q: want the 31 members other than HUN, as CODE Name", lines)
			}
			wantText(t, res, "Still missing answers (31)")
		})
	}
}

// TestPrintedReport: the report's print styles keep tables inside the page,
// and every printed page carries the consultation's title and the page
// number in its margin boxes, from a stylesheet of this origin.
func TestPrintedReport(t *testing.T) {
	f := newReportFixture(t)
	res := f.obs.get("/consultations/review/report")
	links := find(res.html(), func(n *htmlNode) bool {
		href, _ := attr(n, "href")
		media, _ := attr(n, "media")
		return n.Data == "link" && href == "/consultations/review/report/print.css" && media == "print"
	})
	if len(links) != 1 {
		t.Fatalf("%d print stylesheets linked, want 1", len(links))
	}
	css := f.obs.get("/consultations/review/report/print.css")
	wantStatus(t, css, http.StatusOK)
	if ct := css.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("Content-Type %q", ct)
	}
	for _, want := range []string{"@page", `@top-left { content: "Consultation review"`, `counter(page)`, `counter(pages)`} {
		if !strings.Contains(css.Body, want) {
			t.Errorf("print.css lacks %q:\n%s", want, css.Body)
		}
	}
	if strings.Contains(css.Body, "@top-right") {
		t.Errorf("a marking is printed although the consultation has none:\n%s", css.Body)
	}
	del := f.app.login(f.app.delegate("hugo", "HUN"))
	wantStatus(t, del.get("/consultations/review/report/print.css"), http.StatusForbidden)

	static := f.obs.get(assetPath(t, res, "report.css"))
	for _, want := range []string{"@media print", "table-layout: fixed", "overflow-wrap: anywhere"} {
		if !strings.Contains(static.Body, want) {
			t.Errorf("report.css lacks %q", want)
		}
	}
}

// assetPath returns the content-hashed URL of a stylesheet linked by a page.
func assetPath(t *testing.T, page *response, name string) string {
	t.Helper()
	for _, n := range find(page.html(), func(n *htmlNode) bool { return n.Data == "link" }) {
		if href, _ := attr(n, "href"); strings.HasPrefix(href, "/static/") && strings.Contains(href, strings.TrimSuffix(name, ".css")) {
			return href
		}
	}
	t.Fatalf("no link to %s", name)
	return ""
}

// TestSharedDistributionSmallCounts: a delegate sees a question's
// anonymised distribution only when at least MinOthersForDistribution
// members other than its own answered it.
func TestSharedDistributionSmallCounts(t *testing.T) {
	others := []string{"DEU", "FRA", "ITA", "NLD", "POL", "LVA"}
	tests := []struct {
		name       string
		others     int  // members other than EST who answered
		estAnswers bool // EST answered too
		wantShown  bool
	}{
		{"four others and the viewer", 4, true, false},
		{"five others and the viewer", 5, true, true},
		{"four others, the viewer silent", 4, false, false},
		{"five others, the viewer silent", 5, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := newTestApp(t)
			cons := app.consultation("review", models.StatusOpen, scaleQ("posture", 5), textQ("notes"))
			est := app.delegate("kadri", "EST")
			if tc.estAnswers {
				app.submitPositions(cons.ID, "EST", est.ID, models.PositionInput{QuestionKey: "posture", Preferred: 4})
			} else {
				app.submitPositions(cons.ID, "EST", est.ID, models.PositionInput{QuestionKey: "notes", Answer: "later"})
			}
			for _, code := range others[:tc.others] {
				app.submitPositions(cons.ID, code, app.authorID(), models.PositionInput{QuestionKey: "posture", Preferred: 2})
			}
			if err := app.store.SetShareDistribution(t.Context(), cons.ID, true, app.authorID()); err != nil {
				t.Fatal(err)
			}
			app.setStatus(cons.ID, models.StatusClosed)
			page := app.login(est).get("/consultations/review/positions/EST")
			wantStatus(t, page, http.StatusOK)
			figures := find(page.html(), func(n *htmlNode) bool { return n.Data == "figure" && hasClass(n, "shared") })
			if len(figures) != 1 {
				t.Fatalf("%d distribution figures, want 1", len(figures))
			}
			text := textContent(figures[0])
			withheld := strings.Contains(text, "Too few answers to show without revealing positions.")
			counts := strings.Contains(text, "2 — Point 2 of posture")
			if withheld == tc.wantShown || counts != tc.wantShown {
				t.Errorf("figure %q: shown %v, want %v", text, counts, tc.wantShown)
			}
		})
	}
}
