package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"concord/models"
)

// questionnaire loads a consultation's questions in order.
func questionnaire(t *testing.T, app *testApp, consultationID uint) *models.Questionnaire {
	t.Helper()
	qn, err := app.store.Questionnaire(context.Background(), consultationID)
	if err != nil {
		t.Fatal(err)
	}
	return qn
}

func questionKeys(qn *models.Questionnaire) []string {
	var out []string
	for _, q := range qn.Questions {
		out = append(out, q.Key)
	}
	return out
}

func questionID(t *testing.T, app *testApp, consultationID uint, key string) uint {
	t.Helper()
	for _, q := range questionnaire(t, app, consultationID).Questions {
		if q.Key == key {
			return q.ID
		}
	}
	t.Fatalf("no question %s", key)
	return 0
}

// questionForm is the question form as a browser posts it: eleven label
// rows and ten option rows, the unused ones empty.
func questionForm(key, kind string, labels, options []string, statusQuo int) url.Values {
	f := url.Values{"key": {key}, "section": {"Strategy"}, "text": {"How assertive should we be?"},
		"help": {"Think of the next five years."}, "kind": {kind}, "status_quo": {fmt.Sprint(statusQuo)}}
	rows := append([]string{}, labels...)
	for len(rows) < models.MaxScalePoints {
		rows = append(rows, "")
	}
	f["labels"] = rows
	opts := append([]string{}, options...)
	for len(opts) < 10 {
		opts = append(opts, "")
	}
	f["options"] = opts
	return f
}

func points(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("Level %d", i+1)
	}
	return out
}

func TestCreateQuestion(t *testing.T) {
	tests := []struct {
		name    string
		form    url.Values
		field   []string // control names the message sits beside; nil for success
		message string
		check   func(t *testing.T, q models.Question)
	}{
		{name: "scale with status quo", form: questionForm("posture", "scale", points(5), nil, 3),
			check: func(t *testing.T, q models.Question) {
				if q.K() != 5 || q.StatusQuo != 3 || q.Kind != models.KindScale || len(q.Choices()) != 0 {
					t.Errorf("stored k=%d status quo=%d kind=%s choices=%q", q.K(), q.StatusQuo, q.Kind, q.Choices())
				}
			}},
		{name: "eleven-point scale", form: questionForm("posture", "scale", points(11), nil, 0),
			check: func(t *testing.T, q models.Question) {
				if q.K() != 11 {
					t.Errorf("stored k=%d", q.K())
				}
			}},
		{name: "choice ignores leftover scale labels", form: questionForm("treaty", "choice", points(5), []string{"Keep", "Suspend", "Void"}, 2),
			check: func(t *testing.T, q models.Question) {
				if !slices.Equal(q.Choices(), []string{"Keep", "Suspend", "Void"}) || q.K() != 0 || q.StatusQuo != 0 {
					t.Errorf("stored choices %q k=%d status quo=%d", q.Choices(), q.K(), q.StatusQuo)
				}
			}},
		{name: "text", form: questionForm("notes", "text", points(5), []string{"a", "b"}, 1),
			check: func(t *testing.T, q models.Question) {
				if q.Kind != models.KindText || len(q.Points()) != 0 || len(q.Choices()) != 0 {
					t.Errorf("stored kind %s points %q choices %q", q.Kind, q.Points(), q.Choices())
				}
			}},
		{name: "two-point scale", form: questionForm("posture", "scale", points(2), nil, 0),
			field: []string{"labels", "status_quo"}, message: "A scale needs 3 to 11 points"},
		{name: "twelve-point scale", form: questionForm("posture", "scale", points(12), nil, 0),
			field: []string{"labels", "status_quo"}, message: "A scale needs 3 to 11 points"},
		{name: "scale without labels", form: questionForm("posture", "scale", nil, nil, 0),
			field: []string{"labels", "status_quo"}, message: "A scale needs 3 to 11 points"},
		{name: "status quo outside the scale", form: questionForm("posture", "scale", points(5), nil, 7),
			field: []string{"labels", "status_quo"}, message: "The status quo must be one of the scale's points."},
		{name: "duplicate key", form: questionForm("existing", "scale", points(5), nil, 0),
			field: []string{"key"}, message: "Another question of this consultation already uses this key."},
		{name: "bad key", form: questionForm("Posture Now", "scale", points(5), nil, 0),
			field: []string{"key"}, message: "Use lower-case letters, digits and hyphens only"},
		{name: "choice with one option", form: questionForm("treaty", "choice", nil, []string{"Keep"}, 0),
			field: []string{"options"}, message: "A choice needs 2 to 20 options"},
		{name: "choice with the same option twice", form: questionForm("treaty", "choice", nil, []string{"Keep", "keep"}, 0),
			field: []string{"options"}, message: "Each option must be different."},
		{name: "unknown kind", form: questionForm("posture", "ranking", points(5), nil, 0),
			field: []string{"kind"}, message: "Choose scale, choice or text."},
		{name: "missing text", form: func() url.Values {
			f := questionForm("posture", "scale", points(5), nil, 0)
			f.Set("text", "  ")
			return f
		}(), field: []string{"text"}, message: "This field is required."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := newTestApp(t)
			cons := app.consultation("review", models.StatusDraft, scaleQ("existing", 3))
			cl := app.login(app.facilitator("fran"))
			form := cl.get("/consultations/review/questions/new")
			wantStatus(t, form, http.StatusOK)
			if got := len(form.inputValues("labels")); got != models.MaxScalePoints {
				t.Errorf("the new question form offers %d label rows, want %d", got, models.MaxScalePoints)
			}
			before := questionnaire(t, app, cons.ID)

			res := cl.submit("/consultations/review/questions", tc.form)
			if tc.field == nil {
				wantRedirect(t, res, "/consultations/review")
				qn := questionnaire(t, app, cons.ID)
				if len(qn.Questions) != len(before.Questions)+1 {
					t.Fatalf("%d questions, want %d", len(qn.Questions), len(before.Questions)+1)
				}
				q := qn.Questions[len(qn.Questions)-1]
				if q.Key != tc.form.Get("key") || q.Text != tc.form.Get("text") || q.Help != tc.form.Get("help") {
					t.Errorf("stored key %q text %q help %q", q.Key, q.Text, q.Help)
				}
				tc.check(t, q)
				if n := app.auditCount(models.AuditQuestionEdit); n != len(before.Questions)+1 {
					t.Errorf("%d question events in the audit log", n)
				}
				return
			}
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantMessageBeside(t, res, tc.message, tc.field...)
			for _, f := range []string{"key", "section"} {
				if got := res.inputValue(f); got != tc.form.Get(f) {
					t.Errorf("field %s shows %q, want the typed %q", f, got, tc.form.Get(f))
				}
			}
			if got := res.textarea("text"); got != tc.form.Get("text") {
				t.Errorf("text shows %q, want %q", got, tc.form.Get("text"))
			}
			if got := res.checked("kind"); got != tc.form.Get("kind") && tc.form.Get("kind") != "ranking" {
				t.Errorf("kind %q checked, want %q", got, tc.form.Get("kind"))
			}
			if got, want := res.inputValues("labels"), tc.form["labels"]; !slices.Equal(got[:len(want)], want) {
				t.Errorf("labels show %q, want %q", got, want)
			}
			if got, want := res.inputValues("options"), tc.form["options"]; !slices.Equal(got[:len(want)], want) {
				t.Errorf("options show %q, want %q", got, want)
			}
			if got := res.checked("status_quo"); got != tc.form.Get("status_quo") {
				t.Errorf("status quo %q checked, want %q", got, tc.form.Get("status_quo"))
			}
			after := questionnaire(t, app, cons.ID)
			if len(after.Questions) != len(before.Questions) || len(after.Sections) != len(before.Sections) {
				t.Errorf("refused form wrote: %d questions and %d sections, want %d and %d",
					len(after.Questions), len(after.Sections), len(before.Questions), len(before.Sections))
			}
		})
	}
}

func TestEditQuestionAfterPositions(t *testing.T) {
	app := newTestApp(t)
	cons := app.consultation("review", models.StatusOpen, scaleQ("posture", 5), choiceQ("treaty", "Keep", "Suspend", "Void"))
	delegate := app.delegate("kadri", "EST")
	app.submitPositions(cons.ID, "EST", delegate.ID,
		models.PositionInput{QuestionKey: "posture", Preferred: 4, Rationale: "Deterrence first."},
		models.PositionInput{QuestionKey: "treaty", Option: 2})
	posture := questionID(t, app, cons.ID, "posture")
	treaty := questionID(t, app, cons.ID, "treaty")
	cl := app.login(app.facilitator("fran"))

	page := cl.get(fmt.Sprintf("/questions/%d/edit", posture))
	wantStatus(t, page, http.StatusOK)
	wantText(t, page, "Members have answered this question.")
	wantNoBody(t, page, "Delete this question")
	// The number of points, the kind and the key are fixed now: the form
	// offers no empty rows to add points, and no other kind or key.
	if got := page.inputValues("labels"); !slices.Equal(got, points5("posture")) {
		t.Errorf("edit form shows label rows %q, want exactly the 5 labels", got)
	}
	if key := find(page.html(), named("input", "key")); len(key) != 1 {
		t.Errorf("%d key inputs", len(key))
	} else if _, ok := attr(key[0], "readonly"); !ok {
		t.Error("the key of an answered question is editable")
	}
	for _, kind := range find(page.html(), named("input", "kind")) {
		v, _ := attr(kind, "value")
		_, disabled := attr(kind, "disabled")
		if disabled != (v != "scale") {
			t.Errorf("kind %s: disabled %t", v, disabled)
		}
	}
	choice := cl.get(fmt.Sprintf("/questions/%d/edit", treaty))
	wantStatus(t, choice, http.StatusOK)
	if got := choice.inputValues("options"); !slices.Equal(got, []string{"Keep", "Suspend", "Void"}) {
		t.Errorf("edit form shows option rows %q, want exactly the 3 options", got)
	}

	refused := []struct {
		name    string
		id      uint
		form    url.Values
		field   []string
		message string
	}{
		{"kind", posture, questionForm("posture", "choice", nil, []string{"Yes", "No"}, 0),
			[]string{"kind"}, "Members have answered this question, so its kind can no longer change."},
		{"number of points", posture, questionForm("posture", "scale", points(4), nil, 0),
			[]string{"labels", "status_quo"}, "Members have answered on a 5-point scale; the number of points can no longer change"},
		{"more points", posture, questionForm("posture", "scale", points(7), nil, 0),
			[]string{"labels", "status_quo"}, "Members have answered on a 5-point scale"},
		{"key", posture, questionForm("stance", "scale", points(5), nil, 0),
			[]string{"key"}, "Members have answered this question, so its key can no longer change."},
		{"number of options", treaty, questionForm("treaty", "choice", nil, []string{"Keep", "Void"}, 0),
			[]string{"options"}, "Members have chosen among 3 options"},
	}
	for _, tc := range refused {
		t.Run("refused "+tc.name, func(t *testing.T) {
			before, err := app.store.QuestionByID(context.Background(), tc.id)
			if err != nil {
				t.Fatal(err)
			}
			events := app.auditCount(models.AuditQuestionEdit)
			res := cl.submit(fmt.Sprintf("/questions/%d/edit", tc.id), tc.form)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantMessageBeside(t, res, tc.message, tc.field...)
			after, err := app.store.QuestionByID(context.Background(), tc.id)
			if err != nil {
				t.Fatal(err)
			}
			if *after != *before {
				t.Errorf("refused edit changed the question:\n%+v\n%+v", before, after)
			}
			if n := app.auditCount(models.AuditQuestionEdit); n != events {
				t.Errorf("refused edit recorded %d audit events", n-events)
			}
		})
	}

	t.Run("wording and labels may change", func(t *testing.T) {
		form := questionForm("posture", "scale", []string{"Much softer", "Softer", "Same", "Firmer", "Much firmer"}, nil, 3)
		form.Set("text", "How firm should the Alliance be?")
		res := cl.submit(fmt.Sprintf("/questions/%d/edit", posture), form)
		wantRedirect(t, res, "/consultations/review")
		q, err := app.store.QuestionByID(context.Background(), posture)
		if err != nil {
			t.Fatal(err)
		}
		if q.Text != "How firm should the Alliance be?" || q.Points()[3] != "Firmer" || q.StatusQuo != 3 {
			t.Errorf("stored %q %q status quo %d", q.Text, q.Points(), q.StatusQuo)
		}
		var detail string
		for _, ev := range app.auditEvents(models.AuditQuestionEdit) {
			if strings.Contains(ev.Detail, "How firm should the Alliance be?") {
				detail = ev.Detail
			}
		}
		if detail == "" || !strings.Contains(detail, "How far should we go on posture?") || !strings.Contains(detail, "Firmer") {
			t.Errorf("the audit log does not record the old and new wording: %q", detail)
		}
		// The member's answer stays attached and reads with the new labels.
		if n := app.revisionCount(cons.ID, "EST"); n != 2 {
			t.Errorf("%d revisions after the edit, want 2", n)
		}
		dcl := app.login(delegate)
		form2 := dcl.get("/consultations/review/positions/EST")
		wantText(t, form2, "How firm should the Alliance be?", "Firmer", "Saved: revision 1")
		if got := form2.checked("preferred.posture"); got != "4" {
			t.Errorf("preferred %q checked after the edit, want 4", got)
		}
	})

	t.Run("answered question cannot be deleted", func(t *testing.T) {
		res := cl.submit(fmt.Sprintf("/questions/%d/delete", treaty), nil)
		wantStatus(t, res, http.StatusConflict)
		wantText(t, res, "Members have answered this question; it cannot be deleted.")
		if _, err := app.store.QuestionByID(context.Background(), treaty); err != nil {
			t.Error("the question is gone:", err)
		}
	})
}

// TestQuestionFormStoreFailure: when the Store cannot say whether members
// have answered a question, the edit form is not shown as if nobody had
// (with its delete button and editable key): the request fails cleanly.
func TestQuestionFormStoreFailure(t *testing.T) {
	app := newTestApp(t)
	cons := app.consultation("review", models.StatusOpen, scaleQ("posture", 5))
	app.submitPositions(cons.ID, "EST", app.delegate("kadri", "EST").ID, models.PositionInput{QuestionKey: "posture", Preferred: 4})
	id := questionID(t, app, cons.ID, "posture")
	cl := app.login(app.facilitator("fran"))
	app.breakTable("revisions")
	for _, tc := range []struct {
		name   string
		method string
		form   url.Values
	}{
		{"edit form", http.MethodGet, nil},
		{"rejected save", http.MethodPost, questionForm("posture", "scale", points(2), nil, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var res *response
			if tc.method == http.MethodGet {
				res = cl.get(fmt.Sprintf("/questions/%d/edit", id))
			} else {
				res = cl.submit(fmt.Sprintf("/questions/%d/edit", id), tc.form)
			}
			wantStatus(t, res, http.StatusInternalServerError)
			wantText(t, res, "Something went wrong on our side.")
			wantNoBody(t, res, "Delete this question", "no such table")
		})
	}
}

// points5 are the labels scaleQ gives a five-point question.
func points5(key string) []string {
	return scaleQ(key, 5).Labels
}

func TestReorderQuestions(t *testing.T) {
	app := newTestApp(t)
	cons := app.consultation("review", models.StatusDraft,
		scaleQ("alpha", 3), scaleQ("bravo", 3), scaleQ("charlie", 3), textQ("notes"))
	cl := app.login(app.facilitator("fran"))
	move := func(key, dir string) {
		t.Helper()
		res := cl.submit(fmt.Sprintf("/questions/%d/move", questionID(t, app, cons.ID, key)), url.Values{"direction": {dir}})
		wantRedirect(t, res, "/consultations/review#q-"+key)
	}
	pageOrder := func() []string {
		t.Helper()
		page := cl.get("/consultations/review")
		wantStatus(t, page, http.StatusOK)
		var out []string
		for _, n := range find(page.html(), func(n *htmlNode) bool {
			id, _ := attr(n, "id")
			return n.Data == "li" && strings.HasPrefix(id, "q-")
		}) {
			id, _ := attr(n, "id")
			out = append(out, strings.TrimPrefix(id, "q-"))
		}
		return out
	}
	steps := []struct {
		name string
		key  string
		dir  string
		want []string
	}{
		{"charlie up", "charlie", "up", []string{"alpha", "charlie", "bravo", "notes"}},
		{"first stays first", "alpha", "up", []string{"alpha", "charlie", "bravo", "notes"}},
		{"alpha down", "alpha", "down", []string{"charlie", "alpha", "bravo", "notes"}},
		{"last of its section stays", "bravo", "down", []string{"charlie", "alpha", "bravo", "notes"}},
		{"alone in its section", "notes", "up", []string{"charlie", "alpha", "bravo", "notes"}},
	}
	for _, st := range steps {
		move(st.key, st.dir)
		if got := questionKeys(questionnaire(t, app, cons.ID)); !slices.Equal(got, st.want) {
			t.Errorf("%s: stored order %q, want %q", st.name, got, st.want)
		}
		if got := pageOrder(); !slices.Equal(got, st.want) {
			t.Errorf("%s: page order %q, want %q", st.name, got, st.want)
		}
	}

	// Sections move as a block.
	qn := questionnaire(t, app, cons.ID)
	remarks := qn.Sections[len(qn.Sections)-1]
	res := cl.submit(fmt.Sprintf("/sections/%d/move", remarks.ID), url.Values{"direction": {"up"}})
	wantRedirect(t, res, "/consultations/review")
	want := []string{"notes", "charlie", "alpha", "bravo"}
	if got := questionKeys(questionnaire(t, app, cons.ID)); !slices.Equal(got, want) {
		t.Errorf("after moving the section up: %q, want %q", got, want)
	}
	if got := pageOrder(); !slices.Equal(got, want) {
		t.Errorf("page order after moving the section up: %q, want %q", got, want)
	}
}

func TestDeleteUnansweredQuestion(t *testing.T) {
	app := newTestApp(t)
	cons := app.consultation("review", models.StatusDraft, scaleQ("alpha", 3), scaleQ("bravo", 3))
	cl := app.login(app.facilitator("fran"))
	id := questionID(t, app, cons.ID, "alpha")
	page := cl.get(fmt.Sprintf("/questions/%d/edit", id))
	wantText(t, page, "Delete this question")
	res := cl.submit(fmt.Sprintf("/questions/%d/delete", id), nil)
	wantRedirect(t, res, "/consultations/review")
	if got := questionKeys(questionnaire(t, app, cons.ID)); !slices.Equal(got, []string{"bravo"}) {
		t.Errorf("questions left: %q", got)
	}
	wantStatus(t, cl.get(fmt.Sprintf("/questions/%d/edit", id)), http.StatusNotFound)
}
