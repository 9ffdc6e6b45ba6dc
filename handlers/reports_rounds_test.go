package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"concord/consensus"
	"concord/models"
)

// setRound opens rounds until the consultation is in round n, as a
// facilitator does. Positions submitted afterwards belong to round n.
func (a *testApp) setRound(cons *models.Consultation, n int) {
	a.t.Helper()
	for cons.Round < n {
		c, err := a.store.OpenNextRound(context.Background(), cons.ID, nil, a.authorID())
		if err != nil {
			a.t.Fatalf("open round %d of %s: %v", cons.Round+1, cons.Key, err)
		}
		*cons = *c
	}
}

// newTwoRoundFixture is the report fixture (round 1) followed by a second
// round in which every member answers again:
//
//	council (5 points), round 1 → round 2, previous median 2 (1 1 2 4 5):
//	  EST 1 → 1  unchanged   accepts 1–2 → 1–2
//	  POL 1 → 2  toward (+1) accepts 1–2 → 1–3
//	  USA 2 → 3  away (+1)   accepts 1–3 → 2–4
//	  HUN 5 → 5  unchanged   accepts 4–5 → 4–5
//	  SVK 4 → 2  toward (−2) accepts 3–5 → 2–4
//	  unchanged 2 of 5 = 40%: not stable; median 2 → 2 (Δ 0.0).
//	stance: everyone keeps 3 (100% unchanged, ΔCns 0): stable.
//	act: everyone keeps their option (100%): stable.
//
// So one of the three ranked questions is not yet stable. Over the two
// scale questions answered in both rounds, SVK's mean shift is
// (2/4 + 0)/2 = 25%, POL's and USA's (1/4 + 0)/2 = 12.5%; EST and HUN did
// not move.
func newTwoRoundFixture(t *testing.T) *reportFixture {
	t.Helper()
	f := newReportFixture(t)
	f.app.setRound(f.cons, 2)
	by := f.app.authorID()
	stance := models.PositionInput{QuestionKey: "stance", Preferred: 3, AcceptMin: 2, AcceptMax: 4}
	f.app.submitPositions(f.cons.ID, "EST", by,
		models.PositionInput{QuestionKey: "council", Preferred: 1, AcceptMin: 1, AcceptMax: 2, Importance: models.ImportanceRedLine, Rationale: ratEST},
		stance, models.PositionInput{QuestionKey: "act", Option: 3, Rationale: ratAct})
	f.app.submitPositions(f.cons.ID, "POL", by,
		models.PositionInput{QuestionKey: "council", Preferred: 2, AcceptMin: 1, AcceptMax: 3},
		stance, models.PositionInput{QuestionKey: "act", Option: 3})
	f.app.submitPositions(f.cons.ID, "USA", by,
		models.PositionInput{QuestionKey: "council", Preferred: 3, AcceptMin: 2, AcceptMax: 4, Rationale: ratUSA},
		stance, models.PositionInput{QuestionKey: "act", Option: 1})
	f.app.submitPositions(f.cons.ID, "HUN", by,
		models.PositionInput{QuestionKey: "council", Preferred: 5, AcceptMin: 4, AcceptMax: 5, Importance: "high", Rationale: ratHUN},
		stance, models.PositionInput{QuestionKey: "act", Option: 1})
	f.app.submitPositions(f.cons.ID, "SVK", by,
		models.PositionInput{QuestionKey: "council", Preferred: 2, AcceptMin: 2, AcceptMax: 4, Rationale: ratSVK},
		stance, models.PositionInput{QuestionKey: "act", Option: 1})
	return f
}

// hrefs returns the targets of the page's links whose path starts with
// prefix.
func hrefs(r *response, prefix string) []string {
	var out []string
	for _, a := range find(r.html(), func(n *htmlNode) bool { return n.Data == "a" }) {
		if h, ok := attr(a, "href"); ok && strings.HasPrefix(h, prefix) {
			out = append(out, h)
		}
	}
	return out
}

// roundSelector returns the entries of the page's round selector and the
// one marked as the page shown ("" when there is no selector).
func roundSelector(t *testing.T, r *response) (entries []string, current string) {
	t.Helper()
	navs := find(r.html(), func(n *htmlNode) bool { return n.Data == "nav" && hasClass(n, "round-nav") })
	if len(navs) == 0 {
		return nil, ""
	}
	for _, a := range find(navs[0], func(n *htmlNode) bool { return n.Data == "a" }) {
		text := strings.Join(strings.Fields(textContent(a)), " ")
		entries = append(entries, text)
		if v, _ := attr(a, "aria-current"); v == "page" {
			current = text
		}
	}
	return entries, current
}

func TestReportRoundSelector(t *testing.T) {
	f := newReportFixture(t)
	t.Run("one round: no selector", func(t *testing.T) {
		res := f.fac.get("/consultations/review/report")
		wantStatus(t, res, http.StatusOK)
		if entries, _ := roundSelector(t, res); entries != nil {
			t.Errorf("round selector %q on a consultation in its first round", entries)
		}
		wantText(t, res, "Round 1")
	})
	f = newTwoRoundFixture(t)
	tests := []struct {
		name, path, current string
		// links: every report link of the page must carry this suffix
		// ("" = none carries ?round=).
		keep string
	}{
		{"overview, default round", "/consultations/review/report", "Round 2 (current)", ""},
		{"overview, round 1", "/consultations/review/report?round=1", "Round 1", "?round=1"},
		{"overview, round 2 named", "/consultations/review/report?round=2", "Round 2 (current)", "?round=2"},
		{"question, round 1", "/consultations/review/report/questions/council?round=1", "Round 1", "?round=1"},
		{"heatmap, round 1", "/consultations/review/report/heatmap?round=1", "Round 1", "?round=1"},
		{"map, round 1", "/consultations/review/report/map?round=1", "Round 1", "?round=1"},
		{"member, round 1", "/consultations/review/report/members/SVK?round=1", "Round 1", "?round=1"},
		{"glossary, round 1", "/consultations/review/report/glossary?round=1", "Round 1", "?round=1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := f.obs.get(tc.path)
			wantStatus(t, res, http.StatusOK)
			entries, current := roundSelector(t, res)
			if want := []string{"Round 1", "Round 2 (current)"}; !slices.Equal(entries, want) {
				t.Errorf("round selector %q, want %q", entries, want)
			}
			if current != tc.current {
				t.Errorf("selected round %q, want %q", current, tc.current)
			}
			links := hrefs(res, "/consultations/review/report/")
			if len(links) == 0 {
				t.Fatal("no links between report pages")
			}
			for _, h := range links {
				path, query, _ := strings.Cut(h, "?")
				if strings.HasSuffix(path, "print.css") || isSelectorLink(res, h) {
					continue
				}
				query, _, _ = strings.Cut(query, "#")
				got := ""
				for _, kv := range strings.Split(query, "&") {
					if strings.HasPrefix(kv, "round=") {
						got = "?" + kv
					}
				}
				if got != tc.keep {
					t.Errorf("link %q carries %q, want %q", h, got, tc.keep)
				}
			}
		})
	}
	t.Run("selector keeps the other parameters", func(t *testing.T) {
		res := f.obs.get("/consultations/review/report/heatmap?sort=bloc&round=2")
		wantStatus(t, res, http.StatusOK)
		if !slices.Contains(hrefs(res, "/consultations/review/report/heatmap"), "/consultations/review/report/heatmap?round=1&sort=bloc") {
			t.Errorf("no link to round 1 sorted by bloc among %q", hrefs(res, "/consultations/review/report/heatmap"))
		}
		if !slices.Contains(hrefs(res, "/consultations/review/report/heatmap"), "/consultations/review/report/heatmap?sort=member&round=2") {
			t.Errorf("the sort links lose the round: %q", hrefs(res, "/consultations/review/report/heatmap"))
		}
	})
	for _, bad := range []string{"3", "0", "-1", "two", ""} {
		t.Run("unknown round "+bad, func(t *testing.T) {
			res := f.fac.get("/consultations/review/report/questions/council?round=" + bad)
			wantStatus(t, res, http.StatusNotFound)
			wantText(t, res, "This consultation has rounds 1 to 2", "round selector")
			res = f.fac.get("/consultations/review/report.json?round=" + bad)
			wantStatus(t, res, http.StatusNotFound)
			var body map[string]string
			if err := json.Unmarshal([]byte(res.Body), &body); err != nil || !strings.Contains(body["error"], "rounds 1 to 2") {
				t.Errorf("404 body %q (%v)", res.Body, err)
			}
		})
	}
}

// isSelectorLink tells whether href is one of the round selector's links
// (which name their round even when the page shows the default one).
func isSelectorLink(r *response, href string) bool {
	navs := find(r.html(), func(n *htmlNode) bool { return n.Data == "nav" && hasClass(n, "round-nav") })
	for _, nav := range navs {
		for _, a := range find(nav, func(n *htmlNode) bool { return n.Data == "a" }) {
			if h, _ := attr(a, "href"); h == href {
				return true
			}
		}
	}
	return false
}

func TestReportTrendBetweenRounds(t *testing.T) {
	f := newTwoRoundFixture(t)
	tests := []struct {
		name   string
		path   string
		want   []string
		absent []string
	}{
		{"question in round 2", "/consultations/review/report/questions/council", []string{
			"Since round 1", "Round 1", "Round 2", "Median", "0.0", "Unchanged", "2 of 5 who answered both rounds", "40%",
			"not yet stable", "only 2 of the 5 members who answered both rounds (40%) kept their preferred point (stability needs 80%)",
			"Movement of the members", "3 of 5 changed their preferred point",
			"points 1–2 → points 1–3", "points 3–5 → points 2–4"}, nil},
		{"stable question", "/consultations/review/report/questions/stance", []string{
			"Since round 1", "Stable: 5 of the 5 members who answered both rounds (100%) kept their preferred point, and the consensus score moved by 0.00, less than 0.05.",
			"Steady"}, []string{"not yet stable"}},
		{"choice question", "/consultations/review/report/questions/act", []string{
			"Since round 1", "Share of the most chosen option", "60%", "Stable: 5 of the 5 members who answered both rounds (100%) kept their option."},
			[]string{"Movement of the members"}},
		{"text question has no trend", "/consultations/review/report/questions/notes", nil, []string{"Since round 1"}},
		{"question in round 1", "/consultations/review/report/questions/council?round=1", []string{"Round 1 of 2 (an earlier round)"},
			[]string{"Since round", "Movement of the members"}},
		{"overview in round 2", "/consultations/review/report", []string{
			"Since round 1", "1 question is not yet stable; 2 are stable.", "Converging", "Diverging", "Steady",
			"Members who moved most", "Slovakia", "25%", "1 of 2", "stable"},
			[]string{"Every question is stable"}},
		{"overview in round 1", "/consultations/review/report?round=1", nil, []string{"Since round", "Members who moved most"}},
		{"member in round 2", "/consultations/review/report/members/SVK", []string{
			"SVK answered 2 scale questions in both rounds and changed its preferred point on 1", "1 toward", "0 away", "1 at the same distance",
			"Mean shift 25% of the scale", "4 → 2", "(−2)"}, nil},
		{"member in round 1", "/consultations/review/report/members/SVK?round=1", nil, []string{"Since round", "4 → 2"}},
		{"map in round 2", "/consultations/review/report/map", []string{"Since round 1", "2 answers toward", "1 away", "5 kept their distance", "mean shift 12% of the scale · 4 members answered both rounds"}, nil},
		{"glossary", "/consultations/review/report/glossary", []string{"Trend", "Movement", "Toward, away, unchanged", "Unchanged (%)",
			"at least 80% of the members who answered both rounds kept their answer and its consensus score moved by less than 0.05", "Converging, diverging, steady"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := f.fac.get(tc.path)
			wantStatus(t, res, http.StatusOK)
			wantText(t, res, tc.want...)
			for _, a := range tc.absent {
				if strings.Contains(res.text(), a) {
					t.Errorf("page says %q, which it must not", a)
				}
			}
		})
	}

	t.Run("movement table, largest shift first", func(t *testing.T) {
		res := f.fac.get("/consultations/review/report/questions/council")
		tables := find(res.html(), func(n *htmlNode) bool { return n.Data == "table" && hasClass(n, "movement") })
		if len(tables) != 1 {
			t.Fatalf("%d movement tables, want 1", len(tables))
		}
		var rows []string
		for _, tr := range find(tables[0], func(n *htmlNode) bool { return n.Data == "tr" }) {
			rows = append(rows, strings.Join(strings.Fields(textContent(tr)), " "))
		}
		want := []string{
			"SVK Slovakia 4 Point 4 of council → 2 Point 2 of council −2 →← toward points 3–5 → points 2–4",
			"POL Poland 1 Point 1 of council → 2 Point 2 of council +1 →← toward points 1–2 → points 1–3",
			"USA United States 2 Point 2 of council → 3 Point 3 of council +1 ←→ away points 1–3 → points 2–4",
			"EST Estonia 1 Point 1 of council → 1 Point 1 of council 0 = unchanged points 1–2 → points 1–2",
			"HUN Hungary 5 Point 5 of council → 5 Point 5 of council 0 = unchanged points 4–5 → points 4–5",
		}
		if len(rows) != len(want)+1 {
			t.Fatalf("%d rows, want a header and %d: %q", len(rows), len(want), rows)
		}
		for i, w := range want {
			if rows[i+1] != w {
				t.Errorf("row %d = %q, want %q", i+1, rows[i+1], w)
			}
		}
		// The glyph is decoration: the word says it.
		for _, g := range find(tables[0], func(n *htmlNode) bool { return hasClass(n, "dir-glyph") }) {
			if v, _ := attr(g, "aria-hidden"); v != "true" {
				t.Errorf("direction glyph %q is not hidden from screen readers", textContent(g))
			}
		}
		// Links to members keep the round only when one was named.
		if got := hrefs(res, "/consultations/review/report/members/SVK"); !slices.Contains(got, "/consultations/review/report/members/SVK") {
			t.Errorf("member links %q", got)
		}
	})

	t.Run("members who moved most", func(t *testing.T) {
		res := f.fac.get("/consultations/review/report")
		tables := find(res.html(), func(n *htmlNode) bool { return n.Data == "table" && hasClass(n, "movers") })
		if len(tables) != 1 {
			t.Fatalf("%d movers tables, want 1", len(tables))
		}
		var codes []string
		for _, s := range find(tables[0], func(n *htmlNode) bool { return n.Data == "span" && hasClass(n, "code") }) {
			codes = append(codes, textContent(s))
		}
		if want := []string{"SVK", "POL", "USA"}; !slices.Equal(codes, want) {
			t.Errorf("movers %q, want %q (EST and HUN did not move)", codes, want)
		}
	})

	t.Run("the JSON report follows the round", func(t *testing.T) {
		for _, tc := range []struct {
			path      string
			round     string
			wantTrend bool
		}{
			{"/consultations/review/report.json", "round 2", true},
			{"/consultations/review/report.json?round=1", "round 1", false},
			{"/consultations/review/report.json?round=2", "round 2", true},
		} {
			res := f.obs.get(tc.path)
			wantStatus(t, res, http.StatusOK)
			var rep consensus.Report
			if err := json.Unmarshal([]byte(res.Body), &rep); err != nil {
				t.Fatalf("%s: %v", tc.path, err)
			}
			q, _ := rep.Question("council")
			if got := q.Trend != nil; got != tc.wantTrend {
				t.Errorf("%s: trend %v, want %v", tc.path, got, tc.wantTrend)
			}
			events := f.app.auditEvents(models.AuditExportDownload)
			if last := events[0]; last.Detail != "report.json, "+tc.round {
				t.Errorf("%s: audit detail %q, want report.json, %s", tc.path, last.Detail, tc.round)
			}
		}
		page := f.obs.get("/consultations/review/report?round=1")
		if got := hrefs(page, "/consultations/review/report.json"); !slices.Equal(got, []string{"/consultations/review/report.json?round=1"}) {
			t.Errorf("download links %q, want the JSON of round 1", got)
		}
	})
}

// TestReportRoundsAccessibility runs axe-core on the report pages of a
// consultation in its second round (TestAccessibility covers a first
// round). With CONCORD_REPORT_SHOTS set to a directory, it also saves
// screenshots of the overview and a question page at desktop and phone
// widths there, for a look by eye.
func TestReportRoundsAccessibility(t *testing.T) {
	f := newTwoRoundFixture(t)
	ts := httptest.NewServer(f.app.router)
	t.Cleanup(ts.Close)
	srv := ts.URL
	b := newBrowserSession(t, srv, 3*time.Minute)
	ctx := b.tab(f.fac.cookie("concord_session"))
	shots := os.Getenv("CONCORD_REPORT_SHOTS")
	pages := []struct{ name, path string }{
		{"overview", "/consultations/review/report"},
		{"question", "/consultations/review/report/questions/council"},
		{"choice", "/consultations/review/report/questions/act"},
		{"map", "/consultations/review/report/map"},
		{"member", "/consultations/review/report/members/SVK"},
		{"round1", "/consultations/review/report/questions/council?round=1"},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			for _, width := range []int64{1366, 390} {
				if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(srv+p.path), chromedp.WaitReady("body")); err != nil {
					t.Fatalf("open %s: %v", p.path, err)
				}
				found, err := b.audit(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range found {
					t.Errorf("%s at %dpx: %s", p.path, width, v)
				}
				if shots != "" {
					// The whole page, and the panel of the change since
					// the previous round on its own (where there is one).
					buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
					if err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(shots, fmt.Sprintf("%s-%d.png", p.name, width)), buf, 0o644); err != nil {
						t.Fatal(err)
					}
					if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("section.since").length`)); err != nil || n == 0 {
						continue
					}
					buf, err = chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("section.since")))
					if err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(shots, fmt.Sprintf("%s-%d-since.png", p.name, width)), buf, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}

// TestReportAllStable: when every member gives the same answers again,
// every question is stable and the overview says further rounds are
// unlikely to change the picture.
func TestReportAllStable(t *testing.T) {
	f := newReportFixture(t)
	f.app.setRound(f.cons, 2)
	by := f.app.authorID()
	for code, council := range map[string]models.PositionInput{
		"EST": {QuestionKey: "council", Preferred: 1, AcceptMin: 1, AcceptMax: 2},
		"POL": {QuestionKey: "council", Preferred: 1, AcceptMin: 1, AcceptMax: 2},
		"USA": {QuestionKey: "council", Preferred: 2, AcceptMin: 1, AcceptMax: 3},
		"HUN": {QuestionKey: "council", Preferred: 5, AcceptMin: 4, AcceptMax: 5},
		"SVK": {QuestionKey: "council", Preferred: 4, AcceptMin: 3, AcceptMax: 5},
	} {
		option := 1
		if code == "EST" || code == "POL" {
			option = 3
		}
		f.app.submitPositions(f.cons.ID, code, by, council,
			models.PositionInput{QuestionKey: "stance", Preferred: 3, AcceptMin: 2, AcceptMax: 4},
			models.PositionInput{QuestionKey: "act", Option: option})
	}
	res := f.fac.get("/consultations/review/report")
	wantStatus(t, res, http.StatusOK)
	wantText(t, res, "Since round 1", "Every question is stable: further rounds are unlikely to change the picture.",
		"Steady (3)", "No member changed a preferred point since round 1.")
	if strings.Contains(res.text(), "not yet stable") {
		t.Error("the overview says a question is not yet stable")
	}
}
