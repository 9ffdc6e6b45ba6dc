package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"concord/models"
)

func countConsultations(t *testing.T, app *testApp) int {
	t.Helper()
	list, err := app.store.Consultations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func TestCreateConsultation(t *testing.T) {
	valid := url.Values{
		"title":       {"Russia review 2026"},
		"key":         {"russia-2026"},
		"description": {"Where do the allies stand?"},
		"deadline":    {"2030-01-31T17:00"},
	}
	with := func(field, value string) url.Values {
		f := url.Values{}
		for k, v := range valid {
			f[k] = v
		}
		f.Set(field, value)
		return f
	}
	tests := []struct {
		name     string
		existing string // key of a consultation that exists already
		form     url.Values
		field    string // where the message belongs; "" for success
		message  string
	}{
		{name: "valid", form: valid},
		{name: "valid without deadline", form: with("deadline", "")},
		{name: "missing title", form: with("title", "   "), field: "title", message: "This field is required."},
		{name: "title too long", form: with("title", strings.Repeat("t", 201)), field: "title", message: "Must be at most 200 characters."},
		{name: "missing key", form: with("key", ""), field: "key", message: "This field is required."},
		{name: "key with capitals and spaces", form: with("key", "Russia 2026!"), field: "key", message: "Use lower-case letters, digits and hyphens only"},
		{name: "key with a double hyphen", form: with("key", "russia--2026"), field: "key", message: "Use lower-case letters, digits and hyphens only"},
		{name: "duplicate key", existing: "russia-2026", form: valid, field: "key", message: "Another consultation already uses this key."},
		{name: "deadline in words", form: with("deadline", "next friday"), field: "deadline", message: "Give a date and time such as 2026-12-15T17:00 (UTC)."},
		{name: "deadline without time", form: with("deadline", "2030-01-31"), field: "deadline", message: "Give a date and time such as"},
		{name: "quorum below the roster", form: with("quorum", "20")},
		{name: "quorum the whole roster", form: with("quorum", "32")},
		{name: "quorum zero means every member", form: with("quorum", "0")},
		{name: "quorum above the roster", form: with("quorum", "33"), field: "quorum",
			message: "Give a whole number of members from 1 to 32, or leave it empty for every member."},
		{name: "quorum negative", form: with("quorum", "-3"), field: "quorum", message: "from 1 to 32"},
		{name: "quorum in words", form: with("quorum", "twenty"), field: "quorum", message: "from 1 to 32"},
		{name: "marking", form: with("marking", "  Restricted  ")},
		{name: "marking too long", form: with("marking", strings.Repeat("R", 41)), field: "marking",
			message: "Give a marking of at most 40 characters, such as Restricted, or leave it empty."},
	}
	storedQuorum := map[string]int{"20": 20, "32": 32}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := newTestApp(t)
			if tc.existing != "" {
				app.consultation(tc.existing, models.StatusDraft)
			}
			cl := app.login(app.facilitator("fran"))
			wantStatus(t, cl.get("/consultations/new"), http.StatusOK)
			before := countConsultations(t, app)
			res := cl.submit("/consultations", tc.form)
			if tc.field == "" {
				key := tc.form.Get("key")
				wantRedirect(t, res, "/consultations/"+key)
				if got := res.flash(); !strings.Contains(got, "Consultation created") {
					t.Errorf("flash = %q", got)
				}
				c, err := app.store.ConsultationByKey(context.Background(), key)
				if err != nil {
					t.Fatal(err)
				}
				if c.Title != tc.form.Get("title") || c.Status != models.StatusDraft || c.DeadlineInput() != tc.form.Get("deadline") {
					t.Errorf("stored %q, status %s, deadline %q", c.Title, c.Status, c.DeadlineInput())
				}
				if want := storedQuorum[tc.form.Get("quorum")]; c.Quorum != want {
					t.Errorf("stored quorum %d, want %d", c.Quorum, want)
				}
				if want := strings.TrimSpace(tc.form.Get("marking")); c.Marking != want {
					t.Errorf("stored marking %q, want %q", c.Marking, want)
				}
				page := cl.follow(res)
				wantStatus(t, page, http.StatusOK)
				wantText(t, page, tc.form.Get("title"), "Consultation created")
				return
			}
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantMessageBeside(t, res, tc.message, tc.field)
			// Every typed value comes back, the wrong one included.
			for _, f := range []string{"title", "key", "deadline", "quorum", "marking"} {
				if got := res.inputValue(f); got != tc.form.Get(f) {
					t.Errorf("field %s shows %q, want the typed %q", f, got, tc.form.Get(f))
				}
			}
			if got := res.textarea("description"); got != tc.form.Get("description") {
				t.Errorf("description shows %q", got)
			}
			if after := countConsultations(t, app); after != before {
				t.Errorf("%d consultations after a refused form, want %d", after, before)
			}
		})
	}
}

func TestEditConsultation(t *testing.T) {
	app := newTestApp(t)
	cons := app.consultation("review", models.StatusDraft, scaleQ("posture", 5))
	cl := app.login(app.facilitator("fran"))
	page := cl.get("/consultations/review/edit")
	wantStatus(t, page, http.StatusOK)
	if got := page.inputValue("title"); got != cons.Title {
		t.Errorf("title field = %q", got)
	}

	res := cl.submit("/consultations/review/edit", url.Values{"title": {""}, "deadline": {"soon"}, "description": {"kept"}})
	wantStatus(t, res, http.StatusUnprocessableEntity)
	wantMessageBeside(t, res, "This field is required.", "title")
	wantMessageBeside(t, res, "Give a date and time", "deadline")
	if got := res.textarea("description"); got != "kept" {
		t.Errorf("description shows %q", got)
	}

	res = cl.submit("/consultations/review/edit", url.Values{"title": {"Renamed review"}, "deadline": {"2031-05-01T12:00"},
		"key": {"hijacked-key"}})
	wantRedirect(t, res, "/consultations/review")
	c, err := app.store.ConsultationByKey(context.Background(), "review")
	if err != nil {
		t.Fatal("the key changed:", err)
	}
	if c.Title != "Renamed review" || c.DeadlineInput() != "2031-05-01T12:00" {
		t.Errorf("stored title %q, deadline %q", c.Title, c.DeadlineInput())
	}
	found := false
	for _, ev := range app.auditEvents(models.AuditConsultationEdit) {
		if strings.Contains(ev.Detail, `"Renamed review"`) {
			found = true
		}
	}
	if !found {
		t.Error("the title change is not in the audit log")
	}
}

// TestConsultationQuorumAndMarking edits the two report settings, checks
// they are stored, audited, shown on the consultation page and put back in
// the edit form.
func TestConsultationQuorumAndMarking(t *testing.T) {
	app := newTestApp(t)
	app.consultation("review", models.StatusDraft, scaleQ("posture", 5))
	cl := app.login(app.facilitator("fran"))
	page := cl.get("/consultations/review")
	wantText(t, page, "Quorum: every member (32)")

	res := cl.submit("/consultations/review/edit", url.Values{"title": {"Review"}, "quorum": {"29"}, "marking": {"Restricted"}})
	wantRedirect(t, res, "/consultations/review")
	c, err := app.store.ConsultationByKey(context.Background(), "review")
	if err != nil {
		t.Fatal(err)
	}
	if c.Quorum != 29 || c.Marking != "Restricted" {
		t.Errorf("stored quorum %d, marking %q; want 29 and Restricted", c.Quorum, c.Marking)
	}
	page = cl.follow(res)
	wantText(t, page, "Quorum: 29 of 32 members", "Marking: Restricted")
	edit := cl.get("/consultations/review/edit")
	if got := edit.inputValue("quorum"); got != "29" {
		t.Errorf("quorum field = %q, want 29", got)
	}
	if got := edit.inputValue("marking"); got != "Restricted" {
		t.Errorf("marking field = %q, want Restricted", got)
	}
	var details []string
	for _, ev := range app.auditEvents(models.AuditConsultationEdit) {
		details = append(details, ev.Detail)
	}
	joined := strings.Join(details, " | ")
	for _, want := range []string{`quorum every member → 29`, `marking "" → "Restricted"`} {
		if !strings.Contains(joined, want) {
			t.Errorf("audit log %q lacks %q", joined, want)
		}
	}

	// A refused quorum keeps everything typed and changes nothing.
	res = cl.submit("/consultations/review/edit", url.Values{"title": {"Review"}, "quorum": {"40"}, "marking": {"Secret"}})
	wantStatus(t, res, http.StatusUnprocessableEntity)
	wantMessageBeside(t, res, "from 1 to 32", "quorum")
	if got := res.inputValue("quorum"); got != "40" {
		t.Errorf("quorum field after refusal = %q, want the typed 40", got)
	}
	if got := res.inputValue("marking"); got != "Secret" {
		t.Errorf("marking field after refusal = %q, want the typed Secret", got)
	}
	if c, _ := app.store.ConsultationByKey(context.Background(), "review"); c.Quorum != 29 || c.Marking != "Restricted" {
		t.Errorf("a refused form changed the settings to %d, %q", c.Quorum, c.Marking)
	}

	// Back to every member and no marking.
	res = cl.submit("/consultations/review/edit", url.Values{"title": {"Review"}, "quorum": {""}, "marking": {""}})
	wantRedirect(t, res, "/consultations/review")
	page = cl.follow(res)
	wantText(t, page, "Quorum: every member (32)")
	if strings.Contains(page.text(), "Marking:") {
		t.Error("the page shows a marking after it was removed")
	}
}

func TestConsultationStatus(t *testing.T) {
	app := newTestApp(t)
	cl := app.login(app.facilitator("fran"))
	res := cl.submit("/consultations", url.Values{"title": {"Review"}, "key": {"review"}})
	wantRedirect(t, res, "/consultations/review")

	// A draft without questions cannot be opened: the page says so rather
	// than offer a button that can only fail.
	page := cl.get("/consultations/review")
	wantText(t, page, "Add at least one question first.")
	for _, b := range find(page.html(), func(n *htmlNode) bool { return n.Data == "button" && textContent(n) == "Open for positions" }) {
		if _, ok := attr(b, "disabled"); !ok {
			t.Error("an enabled Open button on a draft without questions")
		}
	}
	if forms := find(page.html(), func(n *htmlNode) bool { a, _ := attr(n, "action"); return a == "/consultations/review/status" }); len(forms) != 0 {
		t.Errorf("%d status forms on a draft without questions", len(forms))
	}

	status := func() string {
		t.Helper()
		c, err := app.store.ConsultationByKey(context.Background(), "review")
		if err != nil {
			t.Fatal(err)
		}
		return c.Status
	}
	steps := []struct {
		name     string
		to       string
		addFirst bool // add a question before this step
		wantCode int
		want     string // status afterwards
		message  string // in the flash (303) or the page (409)
	}{
		{name: "cannot open without questions", to: "open", wantCode: http.StatusConflict, want: "draft",
			message: "Add at least one question before opening the consultation."},
		{name: "cannot close a draft", to: "closed", wantCode: http.StatusConflict, want: "draft",
			message: "A draft consultation cannot be set to closed."},
		{name: "open", to: "open", addFirst: true, wantCode: http.StatusSeeOther, want: "open",
			message: "delegates can now submit positions"},
		{name: "close", to: "closed", wantCode: http.StatusSeeOther, want: "closed",
			message: "positions can no longer change"},
		{name: "unknown status", to: "archived", wantCode: http.StatusConflict, want: "closed",
			message: "cannot be set to archived"},
		{name: "reopen", to: "open", wantCode: http.StatusSeeOther, want: "open",
			message: "delegates can now submit positions"},
		{name: "back to draft is refused", to: "draft", wantCode: http.StatusConflict, want: "open",
			message: "An open consultation cannot be set to draft."},
	}
	for _, st := range steps {
		if st.addFirst {
			res := cl.submit("/consultations/review/questions", url.Values{"key": {"posture"}, "section": {"Posture"},
				"text": {"How assertive?"}, "kind": {"scale"}, "labels": {"Less", "Same", "More"}})
			wantRedirect(t, res, "/consultations/review")
		}
		res := cl.submit("/consultations/review/status", url.Values{"status": {st.to}})
		if res.Code != st.wantCode {
			t.Fatalf("%s: status %d, want %d\n%s", st.name, res.Code, st.wantCode, res.snippet())
		}
		if st.wantCode == http.StatusSeeOther {
			if !strings.Contains(res.flash(), st.message) {
				t.Errorf("%s: flash %q, want %q", st.name, res.flash(), st.message)
			}
		} else {
			wantText(t, res, st.message)
		}
		if got := status(); got != st.want {
			t.Errorf("%s: status %s, want %s", st.name, got, st.want)
		}
	}
	page = cl.get("/consultations/review")
	wantText(t, page, "Close the consultation")
}

func TestConsultationPagesByRole(t *testing.T) {
	app := newTestApp(t)
	app.consultation("review", models.StatusOpen, scaleQ("posture", 5))
	fac := app.login(app.facilitator("fran"))
	obs := app.login(app.observer("otto"))
	del := app.login(app.delegate("kadri", "EST"))
	tests := []struct {
		name string
		cl   *client
		path string
		code int
	}{
		{"facilitator lists", fac, "/consultations", http.StatusOK},
		{"observer lists", obs, "/consultations", http.StatusOK},
		{"delegate cannot list", del, "/consultations", http.StatusForbidden},
		{"observer reads a consultation", obs, "/consultations/review", http.StatusOK},
		{"observer cannot edit", obs, "/consultations/review/edit", http.StatusForbidden},
		{"delegate cannot read the question list", del, "/consultations/review", http.StatusForbidden},
		{"delegate cannot see coverage", del, "/consultations/review/coverage", http.StatusForbidden},
		{"observer sees coverage", obs, "/consultations/review/coverage", http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantStatus(t, tc.cl.get(tc.path), tc.code)
		})
	}
	t.Run("observer page has no editing controls", func(t *testing.T) {
		page := obs.get("/consultations/review")
		wantNoBody(t, page, "/status", "Add a question", "/edit")
	})
	t.Run("observer cannot change the status", func(t *testing.T) {
		wantStatus(t, obs.submit("/consultations/review/status", url.Values{"status": {"closed"}}), http.StatusForbidden)
	})
}

func TestCoverage(t *testing.T) {
	app := newTestApp(t)
	cons := app.consultation("review", models.StatusOpen, scaleQ("posture", 5), choiceQ("treaty", "Keep", "Suspend", "Void"))
	by := app.authorID()
	// EST answers both, LVA one, POL one then revises it: 4 current cells
	// of 64, one member complete, 29 silent.
	app.submitPositions(cons.ID, "EST", by,
		models.PositionInput{QuestionKey: "posture", Preferred: 4},
		models.PositionInput{QuestionKey: "treaty", Option: 2})
	app.submitPositions(cons.ID, "LVA", by, models.PositionInput{QuestionKey: "posture", Preferred: 5})
	app.submitPositions(cons.ID, "POL", by, models.PositionInput{QuestionKey: "treaty", Option: 1})
	app.submitPositions(cons.ID, "POL", by, models.PositionInput{QuestionKey: "treaty", Option: 3})

	cl := app.login(app.facilitator("fran"))
	page := cl.get("/consultations/review/coverage")
	wantStatus(t, page, http.StatusOK)
	wantText(t, page, "4 of 64 answers (6%)", "1 member complete", "29 members silent", "Answers 2 2")
	rows := map[string]string{"EST": "✓ answered ✓ answered 2 / 2", "LVA": "✓ answered ✕ missing 1 / 2",
		"POL": "✕ missing ✓ answered 1 / 2", "HUN": "✕ missing ✕ missing 0 / 2"}
	for _, tr := range find(page.html(), func(n *htmlNode) bool { return n.Data == "tr" }) {
		ths := find(tr, func(n *htmlNode) bool { return n.Data == "th" })
		if len(ths) == 0 {
			continue
		}
		code := strings.Fields(textContent(ths[0]))[0]
		want, ok := rows[code]
		if !ok {
			continue
		}
		delete(rows, code)
		cells := find(tr, func(n *htmlNode) bool { return n.Data == "td" })
		var got []string
		for _, td := range cells {
			got = append(got, textContent(td))
		}
		if strings.Join(got, " ") != want {
			t.Errorf("coverage row of %s reads %q, want %q", code, strings.Join(got, " "), want)
		}
	}
	if len(rows) > 0 {
		t.Errorf("no coverage row for %v", rows)
	}
	show := cl.get("/consultations/review")
	wantText(t, show, "3 of 32 members have answered")
}
