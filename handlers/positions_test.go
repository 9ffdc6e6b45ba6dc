package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"concord/models"
)

const formEST = "/consultations/review/positions/EST"

// reviewApp is an app with the open consultation "review" (a five-point
// scale, a three-option choice and a text question) and a delegate of
// Estonia, signed in.
func reviewApp(t *testing.T) (*testApp, *models.Consultation, *testUser, *client) {
	t.Helper()
	app := newTestApp(t)
	sq := scaleQ("posture", 5)
	sq.StatusQuo = 3
	cons := app.consultation("review", models.StatusOpen, sq, choiceQ("treaty", "Keep", "Suspend", "Void"), textQ("notes"))
	d := app.delegate("kadri", "EST")
	return app, cons, d, app.login(d)
}

// fullForm answers the three questions of "review" as the form posts them.
func fullForm() url.Values {
	return url.Values{
		"preferred.posture":  {"4"},
		"min.posture":        {"3"},
		"max.posture":        {"5"},
		"importance.posture": {"high"},
		"rationale.posture":  {"Deterrence needs a visible presence."},
		"option.treaty":      {"2"},
		"rationale.treaty":   {"Until compliance is verified."},
		"answer.notes":       {"Our parliament must ratify any change."},
	}
}

func withValues(base url.Values, kv ...string) url.Values {
	f := url.Values{}
	for k, v := range base {
		f[k] = append([]string(nil), v...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

func TestDashboardProgress(t *testing.T) {
	app, cons, _, cl := reviewApp(t)
	app.consultation("plans", models.StatusDraft, scaleQ("secret-plan", 3))
	app.consultation("past", models.StatusClosed, scaleQ("old", 3))

	page := cl.get("/dashboard")
	wantStatus(t, page, http.StatusOK)
	wantText(t, page, "You represent Estonia", "Consultation review", "Answered 0 of 3 questions.", "Start",
		"Consultation past", "Answered 0 of 1 question.", "View positions")
	wantNoBody(t, page, "Consultation plans")

	res := cl.submit(formEST, url.Values{"preferred.posture": {"2"}, "option.treaty": {"1"}})
	wantRedirect(t, res, formEST)
	page = cl.get("/dashboard")
	wantText(t, page, "Answered 2 of 3 questions.", "Continue")

	// Once every question is answered, the card offers a review.
	wantRedirect(t, cl.submit(formEST, url.Values{"preferred.posture": {"2"}, "option.treaty": {"1"}, "answer.notes": {"Noted."}}), formEST)
	wantText(t, cl.get("/dashboard"), "Answered 3 of 3 questions.", "Review or revise")
	if n := app.revisionCount(cons.ID, "EST"); n != 3 {
		t.Errorf("%d revisions, want 3", n)
	}
}

func TestSavePositions(t *testing.T) {
	app, cons, _, cl := reviewApp(t)

	page := cl.get(formEST)
	wantStatus(t, page, http.StatusOK)
	wantText(t, page, "answered 0 of 3", "status quo")
	wantNoBody(t, page, "Saved: revision")
	if got := page.selected("importance.posture"); got != "medium" {
		t.Errorf("importance preselected %q, want medium", got)
	}

	// First save: every question answered.
	res := cl.submit(formEST, fullForm())
	wantRedirect(t, res, formEST)
	if got := res.flash(); got != "Saved: 3 positions revised." {
		t.Errorf("flash = %q", got)
	}
	page = cl.follow(res)
	wantStatus(t, page, http.StatusOK)
	wantText(t, page, "Saved: 3 positions revised.", "answered 3 of 3")
	checks := []struct{ what, got, want string }{
		{"preferred", page.checked("preferred.posture"), "4"},
		{"acceptable from", page.selected("min.posture"), "3"},
		{"acceptable to", page.selected("max.posture"), "5"},
		{"importance", page.selected("importance.posture"), "high"},
		{"rationale", page.textarea("rationale.posture"), "Deterrence needs a visible presence."},
		{"option", page.checked("option.treaty"), "2"},
		{"choice rationale", page.textarea("rationale.treaty"), "Until compliance is verified."},
		{"text answer", page.textarea("answer.notes"), "Our parliament must ratify any change."},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("after saving, %s shows %q, want %q", c.what, c.got, c.want)
		}
	}
	for _, q := range []string{"q-posture", "q-treaty", "q-notes"} {
		if !strings.Contains(page.textOf(q), "Saved: revision 1") {
			t.Errorf("%s does not say revision 1: %q", q, page.textOf(q))
		}
	}
	// The flash is shown once.
	if again := cl.get(formEST); strings.Contains(again.text(), "Saved: 3 positions revised.") {
		t.Error("the flash message is shown twice")
	}

	// Revision: only the changed answer gets a new revision.
	res = cl.submit(formEST, withValues(fullForm(), "preferred.posture", "5", "rationale.posture", "Line one\r\nLine two"))
	wantRedirect(t, res, formEST)
	if got := res.flash(); got != "Saved: 1 position revised." {
		t.Errorf("flash = %q", got)
	}
	page = cl.follow(res)
	if !strings.Contains(page.textOf("q-posture"), "Saved: revision 2") || !strings.Contains(page.textOf("q-treaty"), "Saved: revision 1") {
		t.Errorf("after revising: posture %q, treaty %q", page.textOf("q-posture"), page.textOf("q-treaty"))
	}
	if got := page.textarea("rationale.posture"); got != "Line one\nLine two" {
		t.Errorf("rationale shows %q", got)
	}
	if n := app.revisionCount(cons.ID, "EST"); n != 4 {
		t.Fatalf("%d revisions after a revision, want 4", n)
	}

	// The same form again (a browser sends CRLF line ends): no new revision.
	res = cl.submit(formEST, withValues(fullForm(), "preferred.posture", "5", "rationale.posture", "Line one\r\nLine two"))
	wantRedirect(t, res, formEST)
	if got := res.flash(); !strings.HasPrefix(got, "Nothing changed") {
		t.Errorf("flash after an unchanged save = %q", got)
	}
	if n := app.revisionCount(cons.ID, "EST"); n != 4 {
		t.Errorf("%d revisions after an unchanged save, want 4", n)
	}
	if n := app.auditCount(models.AuditPosition); n != 4 {
		t.Errorf("%d position events in the audit log, want 4", n)
	}

	// History lists every revision, newest first.
	hist := cl.get(formEST + "/history")
	wantStatus(t, hist, http.StatusOK)
	rows := find(hist.html(), func(n *htmlNode) bool { return n.Data == "tr" })
	if len(rows) != 5 { // header + 4
		t.Fatalf("history has %d rows, want 4 revisions and a header", len(rows)-1)
	}
	first := textContent(rows[1])
	if !strings.Contains(first, "Preferred 5 “Point 5 of posture”") || !strings.Contains(first, "Line one") {
		t.Errorf("newest history row: %q", first)
	}
	wantText(t, hist, "Preferred 4 “Point 4 of posture”; could accept 3 to 5; importance high",
		"Suspend", "Until compliance is verified.", "Our parliament must ratify any change.", "Test kadri")
}

func TestSavePositionsValidation(t *testing.T) {
	longRationale := strings.Repeat("é", models.MaxRationale+1)
	tests := []struct {
		name    string
		form    url.Values
		field   string // control the message sits beside
		message string
		bad     int // questions needing attention
		keep    map[string]string
	}{
		{name: "preferred outside the scale", form: withValues(fullForm(), "preferred.posture", "7"),
			field: "preferred.posture", message: "Choose a point between 1 and 5.", bad: 1,
			keep: map[string]string{"min.posture": "3", "rationale.posture": "Deterrence needs a visible presence."}},
		{name: "negative point", form: withValues(fullForm(), "preferred.posture", "-1"),
			field: "preferred.posture", message: "Choose one of the points offered.", bad: 1},
		// "0" is not "not answered" (that is an empty field): alone it
		// would otherwise be dropped, beside a preferred point taken for
		// the default range.
		{name: "zero preferred point alone", form: withValues(fullForm(), "preferred.posture", "0", "min.posture", "", "max.posture", "", "rationale.posture", ""),
			field: "preferred.posture", message: "Choose one of the points offered.", bad: 1,
			keep: map[string]string{"importance.posture": "high"}},
		{name: "zero range start", form: withValues(fullForm(), "min.posture", "0"),
			field: "min.posture", message: "Choose one of the points offered.", bad: 1,
			keep: map[string]string{"preferred.posture": "4", "max.posture": "5"}},
		{name: "zero range end", form: withValues(fullForm(), "max.posture", "0"),
			field: "max.posture", message: "Choose one of the points offered.", bad: 1,
			keep: map[string]string{"preferred.posture": "4", "min.posture": "3"}},
		{name: "negative range end", form: withValues(fullForm(), "max.posture", "-2"),
			field: "max.posture", message: "Choose one of the points offered.", bad: 1},
		{name: "zero option alone", form: withValues(fullForm(), "option.treaty", "0", "rationale.treaty", ""),
			field: "option.treaty", message: "Choose one of the options.", bad: 1},
		{name: "negative option", form: withValues(fullForm(), "option.treaty", "-1"),
			field: "option.treaty", message: "Choose one of the options.", bad: 1,
			keep: map[string]string{"rationale.treaty": "Until compliance is verified."}},
		{name: "non-numeric point", form: withValues(fullForm(), "preferred.posture", "four"),
			field: "preferred.posture", message: "Choose one of the points offered.", bad: 1,
			keep: map[string]string{"importance.posture": "high"}},
		{name: "non-numeric range", form: withValues(fullForm(), "min.posture", "lowest"),
			field: "min.posture", message: "Choose one of the points offered.", bad: 1,
			keep: map[string]string{"preferred.posture": "4"}},
		{name: "range starts above the preferred point", form: withValues(fullForm(), "preferred.posture", "3", "min.posture", "4"),
			field: "min.posture", message: "The lowest acceptable point must be at or below the preferred point.", bad: 1,
			keep: map[string]string{"preferred.posture": "3", "min.posture": "4", "max.posture": "5"}},
		{name: "range ends below the preferred point", form: withValues(fullForm(), "preferred.posture", "4", "min.posture", "1", "max.posture", "2"),
			field: "max.posture", message: "The highest acceptable point must be at or above the preferred point.", bad: 1,
			keep: map[string]string{"min.posture": "1", "max.posture": "2"}},
		{name: "range without a preferred point", form: withValues(fullForm(), "preferred.posture", ""),
			field: "preferred.posture", message: "Choose a preferred point.", bad: 1,
			keep: map[string]string{"min.posture": "3", "max.posture": "5"}},
		{name: "unknown importance", form: withValues(fullForm(), "importance.posture", "urgent"),
			field: "importance.posture", message: "Choose low, medium, high or red line.", bad: 1,
			keep: map[string]string{"preferred.posture": "4"}},
		{name: "rationale over 4,000 characters", form: withValues(fullForm(), "rationale.posture", longRationale),
			field: "rationale.posture", message: "The rationale must be at most 4000 characters.", bad: 1,
			keep: map[string]string{"rationale.posture": longRationale}},
		{name: "unknown option", form: withValues(fullForm(), "option.treaty", "9"),
			field: "option.treaty", message: "Choose one of the options.", bad: 1,
			keep: map[string]string{"rationale.treaty": "Until compliance is verified."}},
		{name: "rationale without an option", form: withValues(fullForm(), "option.treaty", ""),
			field: "option.treaty", message: "Choose one of the options.", bad: 1},
		{name: "text answer over 4,000 characters", form: withValues(fullForm(), "answer.notes", longRationale),
			field: "answer.notes", message: "The answer must be at most 4000 characters.", bad: 1,
			keep: map[string]string{"answer.notes": longRationale}},
		{name: "saved text answer emptied", form: withValues(fullForm(), "answer.notes", ""),
			field: "answer.notes", message: "A saved answer cannot be removed, only replaced: write the new answer. Earlier answers stay in the revision history.", bad: 1,
			keep: map[string]string{"answer.notes": "", "preferred.posture": "4"}},
		{name: "one valid and one invalid answer", form: withValues(fullForm(), "option.treaty", "0", "preferred.posture", "1", "min.posture", "1", "max.posture", "2"),
			field: "option.treaty", message: "Choose one of the options.", bad: 1,
			keep: map[string]string{"preferred.posture": "1", "max.posture": "2", "answer.notes": "Our parliament must ratify any change."}},
		{name: "two invalid answers", form: withValues(fullForm(), "preferred.posture", "9", "option.treaty", "4"),
			field: "option.treaty", message: "Choose one of the options.", bad: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app, cons, d, cl := reviewApp(t)
			// Earlier positions exist: a refused save must leave them be.
			app.submitPositions(cons.ID, "EST", d.ID,
				models.PositionInput{QuestionKey: "posture", Preferred: 2, Rationale: "Earlier view."},
				models.PositionInput{QuestionKey: "treaty", Option: 1},
				models.PositionInput{QuestionKey: "notes", Answer: "Earlier answer."})
			before := app.revisions(cons.ID, "")

			res := cl.submit(formEST, tc.form)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantMessageBeside(t, res, tc.message, tc.field)
			wantCount := "1 question needs attention."
			if tc.bad != 1 {
				wantCount = fmt.Sprintf("%d questions need attention.", tc.bad)
			}
			if got := res.alert(); !strings.Contains(got, "Nothing was saved") || !strings.HasPrefix(got, wantCount) {
				t.Errorf("page message %q, want %q and that nothing was saved", got, wantCount)
			}
			// Each question needing attention is linked from the top of the page.
			links := find(res.html(), func(n *htmlNode) bool {
				href, _ := attr(n, "href")
				return n.Data == "a" && strings.HasPrefix(href, "#q-")
			})
			if len(links) != tc.bad {
				t.Errorf("%d links to questions needing attention, want %d", len(links), tc.bad)
			}
			id := "#q-" + strings.SplitN(tc.field, ".", 2)[1]
			if !slices.ContainsFunc(links, func(n *htmlNode) bool { href, _ := attr(n, "href"); return href == id }) {
				t.Errorf("no link to %s at the top of the page", id)
			}
			for name, want := range tc.keep {
				var got string
				switch {
				case strings.HasPrefix(name, "preferred.") || strings.HasPrefix(name, "option."):
					got = res.checked(name)
				case strings.HasPrefix(name, "rationale.") || strings.HasPrefix(name, "answer."):
					got = res.textarea(name)
				default:
					got = res.selected(name)
				}
				if got != want {
					t.Errorf("%s shows %.40q, want the typed %.40q", name, got, want)
				}
			}
			if strings.Contains(res.Body, "Earlier view.") || strings.Contains(res.Body, "Earlier answer.") {
				t.Error("the refused form shows the stored answers instead of the typed ones")
			}
			after := app.revisions(cons.ID, "")
			if len(after) != len(before) {
				t.Fatalf("%d revisions after a refused save, want %d", len(after), len(before))
			}
			for i := range after {
				if after[i].Revision != before[i].Revision {
					t.Errorf("revision %d changed:\n%+v\n%+v", i, before[i].Revision, after[i].Revision)
				}
			}
		})
	}
}

func TestSavePositionsBoundaries(t *testing.T) {
	tests := []struct {
		name  string
		form  url.Values
		check func(t *testing.T, r models.RevisionRecord)
	}{
		{"rationale of exactly 4,000 characters", withValues(fullForm(), "rationale.posture", strings.Repeat("é", models.MaxRationale)),
			func(t *testing.T, r models.RevisionRecord) {
				if n := len([]rune(r.Rationale)); n != models.MaxRationale {
					t.Errorf("stored %d characters", n)
				}
			}},
		{"range defaults to the preferred point", withValues(fullForm(), "min.posture", "", "max.posture", ""),
			func(t *testing.T, r models.RevisionRecord) {
				if r.AcceptMin != 4 || r.AcceptMax != 4 {
					t.Errorf("stored range %d–%d, want 4–4", r.AcceptMin, r.AcceptMax)
				}
			}},
		{"red line importance", withValues(fullForm(), "importance.posture", "red line"),
			func(t *testing.T, r models.RevisionRecord) {
				if r.Importance != models.ImportanceRedLine {
					t.Errorf("stored importance %q", r.Importance)
				}
			}},
		{"whole scale acceptable", withValues(fullForm(), "preferred.posture", "1", "min.posture", "1", "max.posture", "5"),
			func(t *testing.T, r models.RevisionRecord) {
				if r.Preferred != 1 || r.AcceptMin != 1 || r.AcceptMax != 5 {
					t.Errorf("stored %d in %d–%d", r.Preferred, r.AcceptMin, r.AcceptMax)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app, cons, _, cl := reviewApp(t)
			wantRedirect(t, cl.submit(formEST, tc.form), formEST)
			for _, r := range app.revisions(cons.ID, "EST") {
				if r.QuestionKey == "posture" {
					tc.check(t, r)
					return
				}
			}
			t.Fatal("no revision of posture")
		})
	}
	t.Run("a default range follows the preferred point", func(t *testing.T) {
		// Saved with the range left at "the preferred point", then only
		// the preferred point is moved, posting the range as the form
		// shows it: the range moves along instead of being refused.
		app, cons, _, cl := reviewApp(t)
		wantRedirect(t, cl.submit(formEST, url.Values{"preferred.posture": {"2"}}), formEST)
		page := cl.get(formEST)
		if got := page.selected("min.posture") + "|" + page.selected("max.posture"); got != "|" {
			t.Fatalf("a default range shows as %q, want both on the preferred point", got)
		}
		res := cl.submit(formEST, url.Values{"preferred.posture": {"4"}, "min.posture": {page.selected("min.posture")},
			"max.posture": {page.selected("max.posture")}, "importance.posture": {page.selected("importance.posture")}})
		wantRedirect(t, res, formEST)
		revs := app.revisions(cons.ID, "EST")
		if last := revs[len(revs)-1]; last.Preferred != 4 || last.AcceptMin != 4 || last.AcceptMax != 4 {
			t.Errorf("stored %d in %d–%d, want 4 in 4–4", last.Preferred, last.AcceptMin, last.AcceptMax)
		}
	})
	t.Run("a saved text answer not sent at all is left alone", func(t *testing.T) {
		app, cons, d, cl := reviewApp(t)
		app.submitPositions(cons.ID, "EST", d.ID, models.PositionInput{QuestionKey: "notes", Answer: "Earlier answer."})
		wantRedirect(t, cl.submit(formEST, url.Values{"preferred.posture": {"2"}}), formEST)
		if got := cl.get(formEST).textarea("answer.notes"); got != "Earlier answer." {
			t.Errorf("text answer now %q", got)
		}
	})
	t.Run("a chosen range is shown as chosen", func(t *testing.T) {
		_, _, _, cl := reviewApp(t)
		wantRedirect(t, cl.submit(formEST, url.Values{"preferred.posture": {"2"}, "min.posture": {"2"}, "max.posture": {"4"}}), formEST)
		page := cl.get(formEST)
		if got := page.selected("min.posture") + "|" + page.selected("max.posture"); got != "2|4" {
			t.Errorf("range shows as %q, want 2|4", got)
		}
	})
	t.Run("importance alone is not an answer", func(t *testing.T) {
		app, cons, _, cl := reviewApp(t)
		res := cl.submit(formEST, url.Values{"importance.posture": {"medium"}, "option.treaty": {"3"}})
		wantRedirect(t, res, formEST)
		revs := app.revisions(cons.ID, "EST")
		if len(revs) != 1 || revs[0].QuestionKey != "treaty" {
			t.Errorf("revisions %+v, want only the treaty answer", revs)
		}
	})
	t.Run("empty form saves nothing", func(t *testing.T) {
		app, cons, _, cl := reviewApp(t)
		res := cl.submit(formEST, url.Values{"importance.posture": {"medium"}})
		wantRedirect(t, res, formEST)
		if !strings.HasPrefix(res.flash(), "Nothing changed") {
			t.Errorf("flash %q", res.flash())
		}
		if n := app.revisionCount(cons.ID, ""); n != 0 {
			t.Errorf("%d revisions", n)
		}
	})
}

func TestPositionsAccess(t *testing.T) {
	const lvaSecret = "Latvia's confidential reasoning"
	type env struct {
		app                    *testApp
		est, fac, obs, lvaUser *client
		review, draft, closed  *models.Consultation
		late                   *models.Consultation
	}
	setup := func(t *testing.T) *env {
		app := newTestApp(t)
		e := &env{app: app}
		e.review = app.consultation("review", models.StatusOpen, scaleQ("posture", 5))
		e.draft = app.consultation("plans", models.StatusDraft, scaleQ("posture", 5))
		e.closed = app.consultation("past", models.StatusClosed, scaleQ("posture", 5))
		e.late = app.consultation("late", models.StatusOpen, scaleQ("posture", 5))
		deadline := app.clock.Now().Add(-time.Minute).Format(models.DeadlineLayout)
		if err := app.store.UpdateConsultation(context.Background(), e.late.ID, models.ConsultationInput{
			Title: e.late.Title, Deadline: deadline}, app.authorID()); err != nil {
			t.Fatal(err)
		}
		lva := app.delegate("liga", "LVA")
		for _, c := range []*models.Consultation{e.review, e.late} {
			_, err := app.store.SubmitPositions(context.Background(), models.Submission{ConsultationID: c.ID,
				MemberID: app.member("LVA").ID, UserID: lva.ID, Source: models.SourceForm, IgnoreWindow: true,
				Inputs: []models.PositionInput{{QuestionKey: "posture", Preferred: 2, Rationale: lvaSecret}}})
			if err != nil {
				t.Fatal(err)
			}
		}
		e.est = app.login(app.delegate("kadri", "EST"))
		e.fac = app.login(app.facilitator("fran"))
		e.obs = app.login(app.observer("otto"))
		e.lvaUser = app.login(lva)
		return e
	}
	answer := url.Values{"preferred.posture": {"3"}, "rationale.posture": {"Posted by someone"}}
	tests := []struct {
		name     string
		who      func(*env) *client // nil: anonymous
		method   string
		path     string
		wantCode int
		wantText string
	}{
		{"delegate reads another member's form", func(e *env) *client { return e.est }, "GET", "/consultations/review/positions/LVA",
			http.StatusForbidden, "You can only see and edit the positions of your own member."},
		{"delegate writes another member's form", func(e *env) *client { return e.est }, "POST", "/consultations/review/positions/LVA",
			http.StatusForbidden, "You can only see and edit the positions of your own member."},
		{"delegate reads another member's history", func(e *env) *client { return e.est }, "GET", "/consultations/review/positions/LVA/history",
			http.StatusForbidden, ""},
		{"delegate on a draft consultation", func(e *env) *client { return e.est }, "GET", "/consultations/plans/positions/EST",
			http.StatusNotFound, "We could not find what you asked for."},
		{"delegate posts to a draft consultation", func(e *env) *client { return e.est }, "POST", "/consultations/plans/positions/EST",
			http.StatusNotFound, ""},
		{"delegate posts to a closed consultation", func(e *env) *client { return e.est }, "POST", "/consultations/past/positions/EST",
			http.StatusConflict, "This consultation is not accepting positions"},
		{"delegate reads a closed consultation", func(e *env) *client { return e.est }, "GET", "/consultations/past/positions/EST",
			http.StatusOK, "This consultation is closed: positions are shown as saved and can no longer be changed."},
		{"delegate posts after the deadline", func(e *env) *client { return e.est }, "POST", "/consultations/late/positions/EST",
			http.StatusConflict, "Nothing was saved."},
		{"delegate reads after the deadline", func(e *env) *client { return e.est }, "GET", "/consultations/late/positions/EST",
			http.StatusOK, "The deadline has passed"},
		{"unknown consultation", func(e *env) *client { return e.est }, "GET", "/consultations/nope/positions/EST",
			http.StatusNotFound, ""},
		{"post to unknown consultation", func(e *env) *client { return e.est }, "POST", "/consultations/nope/positions/EST",
			http.StatusNotFound, ""},
		{"unknown member", func(e *env) *client { return e.est }, "GET", "/consultations/review/positions/XXX",
			http.StatusNotFound, ""},
		{"facilitator, unknown member", func(e *env) *client { return e.fac }, "POST", "/consultations/review/positions/XXX",
			http.StatusNotFound, ""},
		// An observer belongs to no member: "your own member" would
		// puzzle them.
		{"observer reads a member's form", func(e *env) *client { return e.obs }, "GET", "/consultations/review/positions/LVA",
			http.StatusForbidden, "Observers read the reports and exports; position forms are for the members' delegates and the facilitators."},
		{"observer posts positions", func(e *env) *client { return e.obs }, "POST", "/consultations/review/positions/LVA",
			http.StatusForbidden, "Observers read the reports and exports"},
		{"observer has no dashboard", func(e *env) *client { return e.obs }, "GET", "/dashboard", http.StatusForbidden, ""},
		{"anonymous posts positions", nil, "POST", "/consultations/review/positions/LVA", http.StatusUnauthorized, "Please sign in first."},
		{"facilitator posts to a closed consultation", func(e *env) *client { return e.fac }, "POST", "/consultations/past/positions/LVA",
			http.StatusConflict, ""},
		{"facilitator posts to a draft consultation", func(e *env) *client { return e.fac }, "POST", "/consultations/plans/positions/LVA",
			http.StatusConflict, ""},
	}
	// None of these requests may write, so they share one database; a
	// request that wrongly wrote would show in its own count check.
	shared := setup(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := *shared
			e.app = shared.app.in(t)
			cl := e.app.anonymous()
			if tc.who != nil {
				cl = tc.who(&e).in(t)
			}
			var res *response
			if tc.method == "GET" {
				res = cl.get(tc.path)
			} else if tc.who == nil {
				res = cl.post(tc.path, answer)
			} else {
				res = cl.submit(tc.path, answer)
			}
			wantStatus(t, res, tc.wantCode)
			if tc.wantText != "" {
				wantText(t, res, tc.wantText)
			}
			wantNoBody(t, res, lvaSecret)
			if n := countAll(t, e.app); n != 2 {
				t.Errorf("%d revisions in the database after the request, want the 2 saved before", n)
			}
		})
	}

	t.Run("anonymous GET goes to login", func(t *testing.T) {
		e := setup(t)
		wantRedirect(t, e.app.anonymous().get("/consultations/review/positions/LVA"),
			"/login?next=%2Fconsultations%2Freview%2Fpositions%2FLVA")
	})
	t.Run("the member's own delegate sees the rationale", func(t *testing.T) {
		e := setup(t)
		page := e.lvaUser.get("/consultations/review/positions/LVA")
		wantStatus(t, page, http.StatusOK)
		wantText(t, page, lvaSecret)
	})
	t.Run("closed form is read-only", func(t *testing.T) {
		e := setup(t)
		page := e.est.get("/consultations/past/positions/EST")
		fs := find(page.html(), func(n *htmlNode) bool { return n.Data == "fieldset" && hasClass(n, "plain") })
		if len(fs) != 1 {
			t.Fatalf("%d outer fieldsets", len(fs))
		}
		if _, ok := attr(fs[0], "disabled"); !ok {
			t.Error("the form of a closed consultation is not disabled")
		}
		wantNoBody(t, page, "Save positions")
	})
	t.Run("facilitator enters a position for a member", func(t *testing.T) {
		e := setup(t)
		res := e.fac.submit("/consultations/review/positions/EST", answer)
		wantRedirect(t, res, "/consultations/review/positions/EST")
		revs := e.app.revisions(e.review.ID, "EST")
		if len(revs) != 1 || revs[0].SubmitterUser != "fran" || revs[0].Preferred != 3 {
			t.Fatalf("revisions %+v, want one by fran", revs)
		}
		page := e.fac.follow(res)
		wantText(t, page, "Saved: revision 1", "by Test fran")
	})
}

// countAll counts every revision in the database.
func countAll(t *testing.T, app *testApp) int {
	t.Helper()
	list, err := app.store.Consultations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range list {
		n += app.revisionCount(c.ID, "")
	}
	return n
}

func TestDeadline(t *testing.T) {
	app := newTestApp(t)
	cons := app.consultation("review", models.StatusOpen, scaleQ("posture", 5))
	deadline := app.clock.Now().Add(10 * time.Minute)
	if err := app.store.UpdateConsultation(context.Background(), cons.ID, models.ConsultationInput{
		Title: cons.Title, Deadline: deadline.Format(models.DeadlineLayout)}, app.authorID()); err != nil {
		t.Fatal(err)
	}
	cl := app.login(app.delegate("kadri", "EST"))
	wantRedirect(t, cl.submit(formEST, url.Values{"preferred.posture": {"2"}}), formEST)

	app.clock.advance(11 * time.Minute)
	res := cl.submit(formEST, url.Values{"preferred.posture": {"4"}})
	wantStatus(t, res, http.StatusConflict)
	wantText(t, res, "its deadline has passed", "Nothing was saved.")
	revs := app.revisions(cons.ID, "EST")
	if len(revs) != 1 || revs[0].Preferred != 2 {
		t.Errorf("revisions %+v, want only the one saved before the deadline", revs)
	}
	page := cl.get("/dashboard")
	wantText(t, page, "Answered 1 of 1 question.", "View positions")
}

// TestSharedDistribution: the facilitators' switch lets delegates see how
// the members answered, anonymised, once the consultation is closed; never
// who answered what, and nothing while it is open or when not shared.
func TestSharedDistribution(t *testing.T) {
	const lvaSecret = "Latvia's confidential reasoning"
	tests := []struct {
		name       string
		status     string
		share      bool
		wantShared bool
	}{
		{"closed and shared", models.StatusClosed, true, true},
		{"closed, not shared", models.StatusClosed, false, false},
		{"open, shared once closed", models.StatusOpen, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := newTestApp(t)
			cons := app.consultation("review", models.StatusOpen, scaleQ("posture", 5),
				choiceQ("treaty", "Keep", "Suspend", "Void"), textQ("notes"))
			est, lva := app.delegate("kadri", "EST"), app.delegate("liga", "LVA")
			app.submitPositions(cons.ID, "EST", est.ID, models.PositionInput{QuestionKey: "posture", Preferred: 4},
				models.PositionInput{QuestionKey: "treaty", Option: 1})
			app.submitPositions(cons.ID, "LVA", lva.ID, models.PositionInput{QuestionKey: "posture", Preferred: 2, Rationale: lvaSecret},
				models.PositionInput{QuestionKey: "treaty", Option: 3}, models.PositionInput{QuestionKey: "notes", Answer: lvaSecret})
			app.submitPositions(cons.ID, "POL", app.authorID(), models.PositionInput{QuestionKey: "posture", Preferred: 2})
			// Enough other answers for the small-count protection
			// (MinOthersForDistribution): 6 others on posture, 5 on treaty.
			for _, code := range []string{"DEU", "FRA", "ITA", "NLD"} {
				app.submitPositions(cons.ID, code, app.authorID(), models.PositionInput{QuestionKey: "posture", Preferred: 3},
					models.PositionInput{QuestionKey: "treaty", Option: 2})
			}
			if err := app.store.SetShareDistribution(context.Background(), cons.ID, tc.share, app.authorID()); err != nil {
				t.Fatal(err)
			}
			app.setStatus(cons.ID, tc.status)

			cl := app.login(est)
			if dash := cl.get("/dashboard"); strings.Contains(dash.text(), "and how members answered") != tc.wantShared {
				t.Errorf("dashboard: %q", dash.text())
			}
			page := cl.get(formEST)
			wantStatus(t, page, http.StatusOK)
			wantNoBody(t, page, lvaSecret, "LVA", "Latvia", "POL", "Poland", "DEU", "Germany")
			figures := find(page.html(), func(n *htmlNode) bool { return n.Data == "figure" && hasClass(n, "shared") })
			if !tc.wantShared {
				if len(figures) != 0 {
					t.Fatalf("%d distributions shown, want none", len(figures))
				}
				return
			}
			if len(figures) != 2 {
				t.Fatalf("%d distributions shown, want 2 (scale and choice; text answers are attributed)", len(figures))
			}
			wantText(t, page, "How the members answered · anonymised · 7 responses",
				"2 — Point 2 of posture 2", "3 — Point 3 of posture 4", "4 — Point 4 of posture your position 1",
				"How the members answered · anonymised · 6 responses", "Keep your position 1", "Suspend 4", "Void 1")
		})
	}
}
