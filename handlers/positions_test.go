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
	// Importance has no preset: an unanswered question shows none.
	if got := page.selected("importance.posture"); got != "" {
		t.Errorf("importance preselected %q, want none", got)
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
			field: "answer.notes", message: "A saved answer cannot be emptied: write the new answer, or withdraw it with the button below. Earlier answers stay in the revision history.", bad: 1,
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
		{"anonymous posts positions", nil, "POST", "/consultations/review/positions/LVA", http.StatusUnauthorized, "Your session has ended, so nothing was saved."},
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

// checkedAll lists the values of every checked input with the name.
func checkedAll(r *response, name string) []string {
	var out []string
	for _, n := range find(r.html(), named("input", name)) {
		if _, ok := attr(n, "checked"); ok {
			v, _ := attr(n, "value")
			out = append(out, v)
		}
	}
	return out
}

// formDisabled reports whether the form's fields are disabled (read-only).
func formDisabled(t *testing.T, r *response) bool {
	t.Helper()
	fs := find(r.html(), func(n *htmlNode) bool { return n.Data == "fieldset" && hasClass(n, "plain") })
	if len(fs) != 1 {
		t.Fatalf("%d outer fieldsets, want 1", len(fs))
	}
	_, ok := attr(fs[0], "disabled")
	return ok
}

// TestPositionFormClosedKeepsAnswers: a save the consultation no longer
// accepts (closed, or past its deadline) answers 409 with the form showing
// everything typed, read-only, and the answers as text ready to copy.
func TestPositionFormClosedKeepsAnswers(t *testing.T) {
	tests := []struct {
		name  string
		close func(app *testApp, cons *models.Consultation)
		why   string
	}{
		{"closed", func(app *testApp, cons *models.Consultation) { app.setStatus(cons.ID, models.StatusClosed) },
			"it has been closed"},
		{"deadline passed", func(app *testApp, cons *models.Consultation) {
			deadline := app.clock.Now().Add(time.Minute)
			if err := app.store.UpdateConsultation(context.Background(), cons.ID, models.ConsultationInput{
				Title: cons.Title, Deadline: deadline.Format(models.DeadlineLayout)}, app.authorID()); err != nil {
				t.Fatal(err)
			}
			app.clock.advance(2 * time.Minute)
		}, "its deadline has passed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app, cons, _, cl := reviewApp(t)
			token := cl.csrfTokenFrom(formEST) // the page was opened while the consultation was open
			tc.close(app, cons)
			form := withValues(fullForm(), "csrf_token", token)
			form["accept.treaty"] = []string{"1", "3"}
			res := cl.post(formEST, form)
			wantStatus(t, res, http.StatusConflict)
			if got := res.alert(); got != "This consultation is not accepting positions: "+tc.why+
				". Nothing was saved. Your answers are shown below as you typed them, ready to copy." {
				t.Errorf("page message %q", got)
			}
			if !formDisabled(t, res) {
				t.Error("the refused form is editable; want read-only")
			}
			wantNoBody(t, res, "Save positions", "Withdraw this answer")
			checks := []struct{ what, got, want string }{
				{"preferred", res.checked("preferred.posture"), "4"},
				{"acceptable from", res.selected("min.posture"), "3"},
				{"importance", res.selected("importance.posture"), "high"},
				{"rationale", res.textarea("rationale.posture"), "Deterrence needs a visible presence."},
				{"option", res.checked("option.treaty"), "2"},
				{"other acceptable options", strings.Join(checkedAll(res, "accept.treaty"), " "), "1 3"},
				{"text answer", res.textarea("answer.notes"), "Our parliament must ratify any change."},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s shows %q, want the typed %q", c.what, c.got, c.want)
				}
			}
			copyText := find(res.html(), func(n *htmlNode) bool { id, _ := attr(n, "id"); return id == "unsaved-text" })
			if len(copyText) != 1 {
				t.Fatal("no text of the unsaved answers to copy")
			}
			if _, ok := attr(copyText[0], "readonly"); !ok {
				t.Error("the text to copy is editable")
			}
			wantLines := "How far should we go on posture?\nPreferred: 4 — Point 4 of posture\nCould accept from: 3 — Point 3 of posture\n" +
				"Up to: 5 — Point 5 of posture\nImportance: high\nRationale: Deterrence needs a visible presence.\n\n" +
				"What should become of treaty?\nPreferred: 2 — Suspend\nCould also accept: 1 — Keep; 3 — Void\nRationale: Until compliance is verified.\n\n" +
				"Anything else about notes?\nAnswer: Our parliament must ratify any change.\n"
			var got string
			for ch := copyText[0].FirstChild; ch != nil; ch = ch.NextSibling {
				got += ch.Data
			}
			if got != wantLines {
				t.Errorf("text to copy:\n%s\nwant:\n%s", got, wantLines)
			}
			wantText(t, res, "Copy the text", "Back to my consultations")
			if links := find(res.html(), func(n *htmlNode) bool { h, _ := attr(n, "href"); return n.Data == "a" && h == "/dashboard" }); len(links) == 0 {
				t.Error("no way back to the dashboard")
			}
			if n := app.revisionCount(cons.ID, ""); n != 0 {
				t.Errorf("%d revisions after a refused save, want 0", n)
			}
		})
	}
}

// TestPositionFormExpiredToken: a position form posted with a token that is
// not the session's comes back with the posted values and a fresh token,
// and nothing is saved; it never shows another member's form, and a
// cross-site post is still refused outright.
func TestPositionFormExpiredToken(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		extra    url.Values
		header   http.Header
		wantCode int
		wantText string
		echoed   bool // the posted values come back
	}{
		{name: "stale token", path: formEST, wantCode: http.StatusForbidden,
			wantText: "Your form had expired; nothing was saved. Check your answers and save again.", echoed: true},
		{name: "stale token on a withdrawal", path: formEST, extra: url.Values{"withdraw": {"posture"}},
			wantCode: http.StatusForbidden, wantText: "Your form had expired; nothing was saved.", echoed: true},
		{name: "another member's form", path: "/consultations/review/positions/LVA", wantCode: http.StatusForbidden,
			wantText: "You can only see and edit the positions of your own member."},
		{name: "cross-site post", path: formEST, header: http.Header{"Sec-Fetch-Site": {"cross-site"}},
			wantCode: http.StatusForbidden, wantText: "This request came from another site and was refused."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app, cons, d, cl := reviewApp(t)
			app.submitPositions(cons.ID, "EST", d.ID, models.PositionInput{QuestionKey: "posture", Preferred: 2})
			form := withValues(fullForm(), "csrf_token", "token-of-an-ended-session")
			for k, v := range tc.extra {
				form[k] = v
			}
			hdr := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
			for k, v := range tc.header {
				hdr[k] = v
			}
			res := cl.do(http.MethodPost, tc.path, strings.NewReader(form.Encode()), hdr)
			wantStatus(t, res, tc.wantCode)
			wantText(t, res, tc.wantText)
			if n := app.revisionCount(cons.ID, ""); n != 1 {
				t.Errorf("%d revisions, want only the 1 saved before", n)
			}
			if !tc.echoed {
				wantNoBody(t, res, "Deterrence needs a visible presence.", "Our parliament must ratify")
				return
			}
			if formDisabled(t, res) {
				t.Error("the form of an open consultation came back read-only")
			}
			if got, want := res.csrfToken(), cl.csrfToken(); got != want {
				t.Errorf("the page carries token %q, want the session's %q", got, want)
			}
			if got := res.checked("preferred.posture"); got != "4" {
				t.Errorf("preferred shows %q, want the typed 4", got)
			}
			if got := res.textarea("rationale.posture"); got != "Deterrence needs a visible presence." {
				t.Errorf("rationale shows %q", got)
			}
			if got := res.textarea("answer.notes"); got != "Our parliament must ratify any change." {
				t.Errorf("text answer shows %q", got)
			}
			wantText(t, res, "Save positions")
			// Saved again with the fresh token, the answers are kept.
			again := withValues(form, "csrf_token", res.csrfToken())
			again.Del("withdraw")
			wantRedirect(t, cl.post(formEST, again), formEST)
			if n := app.revisionCount(cons.ID, "EST"); n != 4 {
				t.Errorf("%d revisions after saving again, want 4", n)
			}
		})
	}
	t.Run("signed out", func(t *testing.T) {
		app, cons, _, _ := reviewApp(t)
		res := app.anonymous().post(formEST, withValues(fullForm(), "csrf_token", "x"))
		wantStatus(t, res, http.StatusUnauthorized)
		wantNoBody(t, res, "Deterrence needs a visible presence.")
		if n := app.revisionCount(cons.ID, ""); n != 0 {
			t.Errorf("%d revisions", n)
		}
	})
}

// TestWithdrawPosition: the withdraw button of a question appends a
// revision marked withdrawn for that question only; the question counts as
// not answered on the form and the dashboard, and the history shows it.
func TestWithdrawPosition(t *testing.T) {
	app, cons, _, cl := reviewApp(t)
	wantRedirect(t, cl.submit(formEST, fullForm()), formEST)
	page := cl.get(formEST)
	buttons := find(page.html(), func(n *htmlNode) bool { nm, _ := attr(n, "name"); return n.Data == "button" && nm == "withdraw" })
	if len(buttons) != 3 {
		t.Fatalf("%d withdraw buttons, want one per answered question (3)", len(buttons))
	}
	if msg, _ := attr(buttons[0], "data-confirm"); msg == "" {
		t.Error("the withdraw button asks for no confirmation")
	}

	// Withdraw posture while the treaty option is changed in the form: only
	// the withdrawal is saved; the typed option comes back, unsaved.
	res := cl.submit(formEST, withValues(fullForm(), "withdraw", "posture", "option.treaty", "3"))
	wantStatus(t, res, http.StatusOK)
	wantText(t, res, "Withdrawn: the answer to “How far should we go on posture?” no longer counts; the revision history keeps it.",
		"Other changes on this page are not saved yet", "answered 2 of 3")
	if got := res.checked("preferred.posture"); got != "" {
		t.Errorf("the withdrawn question shows point %q, want none", got)
	}
	if got := res.checked("option.treaty"); got != "3" {
		t.Errorf("the typed option shows %q, want 3 kept", got)
	}
	revs := app.revisions(cons.ID, "EST")
	if len(revs) != 4 {
		t.Fatalf("%d revisions, want the 3 answers and 1 withdrawal", len(revs))
	}
	last := revs[len(revs)-1]
	if last.QuestionKey != "posture" || !last.Withdrawn || last.Seq != 2 || last.OnBehalf {
		t.Errorf("last revision %+v, want posture withdrawn as revision 2, by the delegate", last.Revision)
	}
	for _, r := range revs {
		if r.QuestionKey == "treaty" && r.Choice != 2 {
			t.Errorf("the treaty answer changed to %d", r.Choice)
		}
	}
	wantText(t, cl.get("/dashboard"), "Answered 2 of 3 questions.")
	page = cl.get(formEST)
	wantText(t, page, "answered 2 of 3")
	if got := page.checked("preferred.posture"); got != "" {
		t.Errorf("after a reload the withdrawn question shows point %q", got)
	}
	hist := cl.get(formEST + "/history")
	wantText(t, hist, "Withdrawn: no answer", "Preferred 4 “Point 4 of posture”")

	// A question without an answer has nothing to withdraw.
	res = cl.submit(formEST, url.Values{"withdraw": {"posture"}})
	wantStatus(t, res, http.StatusOK)
	wantText(t, res, "“How far should we go on posture?” had no answer to withdraw.")
	if n := app.revisionCount(cons.ID, "EST"); n != 4 {
		t.Errorf("%d revisions after withdrawing nothing, want 4", n)
	}
	// Answering again makes it count.
	wantRedirect(t, cl.submit(formEST, url.Values{"preferred.posture": {"1"}}), formEST)
	wantText(t, cl.get("/dashboard"), "Answered 3 of 3 questions.")

	res = cl.submit(formEST, url.Values{"withdraw": {"no-such-question"}})
	wantStatus(t, res, http.StatusBadRequest)
	if n := app.revisionCount(cons.ID, "EST"); n != 5 {
		t.Errorf("%d revisions after an unknown withdrawal, want 5", n)
	}
}

// TestImportanceNoPreset: no importance is shown until one is chosen or
// saved; a scale answer saved without one is stored as medium, as the hint
// says.
func TestImportanceNoPreset(t *testing.T) {
	app, cons, _, cl := reviewApp(t)
	page := cl.get(formEST)
	if got := page.selected("importance.posture"); got != "" {
		t.Errorf("unanswered question shows importance %q", got)
	}
	wantText(t, page, "Importance is medium if you leave it empty.",
		"Red line : your acceptable range is final — your member will accept nothing outside it and does not expect to move in later rounds.")
	wantRedirect(t, cl.submit(formEST, url.Values{"preferred.posture": {"2"}}), formEST)
	revs := app.revisions(cons.ID, "EST")
	if len(revs) != 1 || revs[0].Importance != models.ImportanceMedium {
		t.Fatalf("revisions %+v, want one with importance medium", revs)
	}
	if got := cl.get(formEST).selected("importance.posture"); got != "medium" {
		t.Errorf("saved importance shows %q, want medium", got)
	}
	// A closed form shows no importance for an unanswered question.
	app.setStatus(cons.ID, models.StatusClosed)
	closed := app.consultation("second", models.StatusClosed, scaleQ("other", 5))
	page = cl.get("/consultations/" + closed.Key + "/positions/EST")
	wantStatus(t, page, http.StatusOK)
	sels := find(page.html(), named("select", "importance.other"))
	if len(sels) != 1 {
		t.Fatal("no importance field")
	}
	if got := strings.TrimSpace(textContent(find(sels[0], func(n *htmlNode) bool { _, ok := attr(n, "selected"); return n.Data == "option" && ok })[0])); got != "" {
		t.Errorf("closed form shows importance %q, want nothing", got)
	}
}

// TestAcceptableOptions: the other options a member could accept are
// saved beside the chosen one, shown again, kept on a refused save and
// shown read-only once closed.
func TestAcceptableOptions(t *testing.T) {
	app, cons, _, cl := reviewApp(t)
	page := cl.get(formEST)
	if got := checkedAll(page, "accept.treaty"); len(got) != 0 {
		t.Errorf("unanswered question ticks %v", got)
	}
	wantText(t, page, "Other options we could accept")

	form := url.Values{"option.treaty": {"2"}, "accept.treaty": {"3", "1"}}
	wantRedirect(t, cl.submit(formEST, form), formEST)
	revs := app.revisions(cons.ID, "EST")
	if len(revs) != 1 || revs[0].AcceptOptions != "1 2 3" || revs[0].Choice != 2 {
		t.Fatalf("revisions %+v, want option 2 with 1 2 3 acceptable", revs)
	}
	page = cl.get(formEST)
	if got := strings.Join(checkedAll(page, "accept.treaty"), " "); got != "1 3" {
		t.Errorf("saved acceptable options show %q, want 1 3 (the chosen one is implied)", got)
	}
	wantText(t, cl.get(formEST+"/history"), "Suspend; could also accept Keep, Void")

	// The preferred option alone: no box ticked.
	wantRedirect(t, cl.submit(formEST, url.Values{"option.treaty": {"1"}}), formEST)
	revs = app.revisions(cons.ID, "EST")
	if last := revs[len(revs)-1]; last.AcceptOptions != "1" {
		t.Errorf("preferred alone stored as %q, want 1", last.AcceptOptions)
	}

	tests := []struct {
		name    string
		form    url.Values
		field   string
		message string
		keep    string
	}{
		{"another answer is invalid", url.Values{"option.treaty": {"2"}, "accept.treaty": {"3"}, "preferred.posture": {"9"}},
			"preferred.posture", "Choose a point between 1 and 5.", "3"},
		{"an option that does not exist", url.Values{"option.treaty": {"2"}, "accept.treaty": {"1", "7"}},
			"accept.treaty", "Acceptable options are numbered 1 to 3.", "1"}, // 7 has no box to tick
		{"not an option number", url.Values{"option.treaty": {"2"}, "accept.treaty": {"x"}},
			"accept.treaty", "Tick only the options offered.", ""},
		{"acceptable options without a preferred one", url.Values{"accept.treaty": {"1"}},
			"option.treaty", "Choose one of the options.", "1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := cl.in(t).submit(formEST, tc.form)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantMessageBeside(t, res, tc.message, tc.field)
			if got := strings.Join(checkedAll(res, "accept.treaty"), " "); got != tc.keep {
				t.Errorf("ticked %q after a refused save, want the typed %q", got, tc.keep)
			}
			if n := app.in(t).revisionCount(cons.ID, "EST"); n != 2 {
				t.Errorf("%d revisions, want 2", n)
			}
		})
	}

	wantRedirect(t, cl.submit(formEST, url.Values{"option.treaty": {"3"}, "accept.treaty": {"2"}}), formEST)
	app.setStatus(cons.ID, models.StatusClosed)
	page = cl.get(formEST)
	if !formDisabled(t, page) {
		t.Error("closed form is editable")
	}
	if got := strings.Join(checkedAll(page, "accept.treaty"), " "); got != "2" {
		t.Errorf("closed form ticks %q, want 2", got)
	}
}

// TestOnBehalf: a facilitator entering a member's positions sees a banner
// and the revisions record it; a delegate's own do not.
func TestOnBehalf(t *testing.T) {
	tests := []struct {
		name       string
		facilitate bool
		banner     bool
	}{
		{"facilitator for Estonia", true, true},
		{"Estonia's delegate", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app, cons, _, cl := reviewApp(t)
			if tc.facilitate {
				cl = app.login(app.facilitator("fran"))
			}
			page := cl.get(formEST)
			const banner = "You are entering positions on behalf of Estonia."
			if got := strings.Contains(page.text(), banner); got != tc.banner {
				t.Errorf("banner shown: %v, want %v", got, tc.banner)
			}
			wantRedirect(t, cl.submit(formEST, url.Values{"preferred.posture": {"3"}}), formEST)
			// A withdrawal is marked the same way.
			wantStatus(t, cl.submit(formEST, url.Values{"withdraw": {"posture"}}), http.StatusOK)
			revs := app.revisions(cons.ID, "EST")
			if len(revs) != 2 {
				t.Fatalf("%d revisions, want 2", len(revs))
			}
			for _, r := range revs {
				if r.OnBehalf != tc.facilitate {
					t.Errorf("revision %d: on behalf %v, want %v", r.Seq, r.OnBehalf, tc.facilitate)
				}
			}
			hist := cl.get(formEST + "/history")
			if got := strings.Contains(hist.text(), "on behalf of Estonia"); got != tc.facilitate {
				t.Errorf("history marks on-behalf: %v, want %v", got, tc.facilitate)
			}
		})
	}
}

// TestPositionFormShowsQuestionNumbers: the form numbers its questions as
// the report and the exports do (Q1, Q2, …).
func TestPositionFormShowsQuestionNumbers(t *testing.T) {
	app := newTestApp(t)
	app.consultation("review", models.StatusOpen, scaleQ("posture", 5), choiceQ("treaty", "Keep", "Void"))
	cl := app.login(app.delegate("kadri", "EST"))
	res := cl.get("/consultations/review/positions/EST")
	wantStatus(t, res, http.StatusOK)
	wantText(t, res, "Q1 How far should we go on posture?", "Q2 What should become of treaty?")
}
