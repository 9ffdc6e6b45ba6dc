package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"concord/consensus"
	"concord/models"
)

// pagedApp is a consultation of n scale questions q01 … qNN (5 points),
// answered by EST, FRA and DEU, with a signed-in facilitator.
func pagedApp(t *testing.T, key string, n int) (*testApp, *client, *models.Consultation) {
	t.Helper()
	app := newTestApp(t)
	qs := make([]models.QuestionInput, n)
	for i := range qs {
		qs[i] = scaleQ(fmt.Sprintf("q%02d", i+1), 5)
	}
	cons := app.consultation(key, models.StatusOpen, qs...)
	author := app.authorID()
	for mi, code := range []string{"EST", "FRA", "DEU"} {
		var in []models.PositionInput
		for i := range n {
			in = append(in, models.PositionInput{QuestionKey: qs[i].Key, Preferred: 1 + (mi*2+i)%5, Rationale: "Because " + code})
		}
		app.submitPositions(cons.ID, code, author, in...)
	}
	return app, app.login(app.facilitator("pager")), cons
}

// TestReportPages checks the pages of a consultation larger than a page
// (60 questions: the ranking, a member's answers and the 32-member
// heatmap and coverage grid show 50 questions a page) and that one of 50
// shows no pager.
func TestReportPages(t *testing.T) {
	_, cl, _ := pagedApp(t, "big", 60)
	tests := []struct {
		name    string
		path    string
		want    []string // in the page's text
		absent  []string
		wantRaw []string // in the HTML
	}{
		{"overview, first page", "/consultations/big/report",
			[]string{"60 questions ranked", "Ranks 1–50 of 60 · page 1 of 2"}, []string{"Ranks 51–60"},
			[]string{`aria-label="Pages of the ranking"`, `href="/consultations/big/report?page=2" rel="next"`, `aria-current="page"><span class="visually-hidden">Page 1: </span>1–50`}},
		{"overview, second page", "/consultations/big/report?page=2",
			[]string{"60 questions ranked", "Ranks 51–60 of 60 · page 2 of 2"}, nil,
			[]string{`href="/consultations/big/report" rel="prev"`}},
		{"overview, past the last page", "/consultations/big/report?page=9",
			[]string{"Ranks 51–60 of 60 · page 2 of 2"}, nil, nil},
		{"overview, not a page number", "/consultations/big/report?page=x",
			[]string{"Ranks 1–50 of 60 · page 1 of 2"}, nil, nil},
		{"heatmap keeps the sort", "/consultations/big/report/heatmap?sort=bloc&page=2",
			[]string{"Scale questions 51–60 of 60 · page 2 of 2"}, nil,
			[]string{`href="/consultations/big/report/heatmap?sort=member&amp;page=2"`, `href="/consultations/big/report/heatmap?sort=bloc" rel="prev"`, ">Q51–Q60</a>"}},
		{"coverage, second page", "/consultations/big/coverage?page=2",
			[]string{"Questions 51–60 of 60 · page 2 of 2", "Q60 q60", "60 / 60"}, []string{"Q50 q50"}, nil},
		{"member, second page", "/consultations/big/report/members/EST?page=2",
			[]string{"Questions 51–60 of 60 · page 2 of 2", "Q55"}, []string{"Q49 "}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := cl.in(t).get(tt.path)
			wantStatus(t, res, http.StatusOK)
			text := res.text()
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q", w)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(text, a) {
					t.Errorf("text has %q", a)
				}
			}
			for _, w := range tt.wantRaw {
				if !strings.Contains(res.Body, w) {
					t.Errorf("HTML lacks %s", w)
				}
			}
		})
	}

	t.Run("no pager up to a page", func(t *testing.T) {
		_, cl, _ := pagedApp(t, "fifty", 50)
		for _, path := range []string{"/consultations/fifty/report", "/consultations/fifty/report/heatmap",
			"/consultations/fifty/coverage", "/consultations/fifty/report/members/EST"} {
			res := cl.in(t).get(path)
			wantStatus(t, res, http.StatusOK)
			if strings.Contains(res.Body, `class="pages"`) {
				t.Errorf("%s shows a pager", path)
			}
		}
	})
}

// TestReportJSONStreamed checks that report.json and the API's report,
// written as they are encoded, are the very bytes encoding/json makes of
// the analysis.
func TestReportJSONStreamed(t *testing.T) {
	app, cl, cons := pagedApp(t, "stream", 3)
	a, err := app.store.LoadAnalysis(context.Background(), cons, 1)
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(consensus.Analyze(a.Input))
	if err != nil {
		t.Fatal(err)
	}
	res := cl.get("/consultations/stream/report.json")
	wantStatus(t, res, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if res.Body != string(want) {
		t.Errorf("report.json differs from json.Marshal of the report:\n got %.300s\nwant %.300s", res.Body, want)
	}
}
