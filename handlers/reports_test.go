package handlers_test

import (
	"encoding/json"
	"net/http"
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
			"consensus minus 2", "HUN", "SVK", "at point 2: Point 2 of council",
			"points 2–4: Point 2 of stance – Point 4 of stance", "Plurality: Keep it", "(60%)",
			"Open questions", "1 answer from 32 members",
			"broad-agreement Cns 0.75", "broad-agreement share 75%", "polarized share 33%",
			"at least 33% of members in the lower third of the scale and at least 33% in the upper third"}, nil},
		{"blocked scale question", "/consultations/review/report/questions/council", []string{
			"How far should we go on council?",
			"No common ground — blocked by HUN, SVK (consensus minus 2 at point 2: Point 2 of council)",
			"Median", "Consensus (Cns)", "Members by point",
			ratEST, ratHUN, ratSVK, "outlier", "red line", "blocking",
			"Rationales of the other 1 member", ratUSA}, nil},
		{"unanimous scale question", "/consultations/review/report/questions/stance", []string{
			"Common ground: points 2–4", "unanimous", "No member blocks, stands out or has marked a red line"}, []string{"No common ground"}},
		{"choice question", "/consultations/review/report/questions/act", []string{
			"Members by option", "Keep it", "plurality", "Minority positions", ratAct}, nil},
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
			"Hungary", "questions answered", "outlier position", "blocking position",
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
	if text := textContent(rows[0]); !strings.Contains(text, "consensus minus 2 HUN SVK") || !strings.Contains(text, "None") {
		t.Errorf("first row %q does not name the blockers", text)
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
		{"/consultations/empty/report/questions/council", []string{"No member has answered this question yet.", "0 of 32"}, nil},
		{"/consultations/empty/report/questions/act", []string{"No minority position"}, nil},
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
