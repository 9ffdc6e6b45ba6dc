package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"concord/models"
)

// shownForm is what a browser posts when the position form is saved as
// shown: every field of form.positions with its value on the page (radios
// and checkboxes only when checked, a select's selected option), the form
// token left for client.submit to add. No button is included.
func shownForm(t *testing.T, page *response) url.Values {
	t.Helper()
	forms := find(page.html(), func(n *htmlNode) bool { return n.Data == "form" && hasClass(n, "positions") })
	if len(forms) != 1 {
		t.Fatalf("%d position forms on %s, want 1", len(forms), page.Path)
	}
	out := url.Values{}
	for _, n := range find(forms[0], func(n *htmlNode) bool { return isControl(n) }) {
		name, _ := attr(n, "name")
		if name == "" || name == "csrf_token" {
			continue
		}
		switch n.Data {
		case "input":
			typ, _ := attr(n, "type")
			v, _ := attr(n, "value")
			switch typ {
			case "submit", "button":
				continue
			case "radio", "checkbox":
				if _, ok := attr(n, "checked"); !ok {
					continue
				}
			}
			out.Add(name, v)
		case "select":
			out.Set(name, page.selected(name))
		case "textarea":
			out.Set(name, strings.TrimPrefix(page.textarea(name), "\n"))
		}
	}
	return out
}

// buttons lists the values of the submit buttons with the name.
func buttons(r *response, name string) []string {
	var out []string
	for _, n := range find(r.html(), named("button", name)) {
		v, _ := attr(n, "value")
		out = append(out, v)
	}
	return out
}

// roundRevisions returns a member's revisions of one round, oldest first.
func (a *testApp) roundRevisions(consultationID uint, memberCode string, round int) []models.RevisionRecord {
	a.t.Helper()
	var out []models.RevisionRecord
	for _, r := range a.revisions(consultationID, memberCode) {
		if r.Round == round {
			out = append(out, r)
		}
	}
	return out
}

// roundOneReview is the consultation "review" (posture: 5 points; treaty:
// Keep, Suspend, Void; notes: text) with round 1 answered by EST and five
// other members, then round 2 opened. Round 1:
//
//	posture   EST 4 (3–5)  DEU 2 (2–4)  FRA 3 (2–4)  ITA 3 (3–4)  NLD 4 (3–5)  POL 5 (4–5)
//	          counts 1:0 2:1 3:2 4:2 5:1; median of 2 3 3 4 4 5 = 3.5;
//	          common ground = [max lo, min hi] = [4, 4]: point 4.
//	treaty    EST Suspend (+Keep)  DEU Keep  FRA Suspend (+Keep)  ITA Suspend  NLD Void (+Suspend)  POL Suspend
//	          counts Keep 1, Suspend 4, Void 1; DEU accepts only Keep and ITA only
//	          Suspend: no common ground.
func roundOneReview(t *testing.T) (*testApp, *models.Consultation, *testUser, *client) {
	t.Helper()
	app, cons, est, cl := reviewApp(t)
	by := app.authorID()
	app.submitPositions(cons.ID, "EST", est.ID,
		models.PositionInput{QuestionKey: "posture", Preferred: 4, AcceptMin: 3, AcceptMax: 5, Rationale: "Estonia's round one reasoning"},
		models.PositionInput{QuestionKey: "treaty", Option: 2, AcceptOptions: []int{1}},
		models.PositionInput{QuestionKey: "notes", Answer: "Ratification needed."})
	for _, p := range []struct {
		code             string
		pref, lo, hi, op int
		accept           []int
		rationale        string
	}{
		{"DEU", 2, 2, 4, 1, nil, "Dialogue keeps channels open."},
		{"FRA", 3, 2, 4, 2, []int{1}, ""},
		{"ITA", 3, 3, 4, 2, nil, ""},
		{"NLD", 4, 3, 5, 3, []int{2}, ""},
		{"POL", 5, 4, 5, 2, nil, "Deterrence must be credible."},
	} {
		app.submitPositions(cons.ID, p.code, by,
			models.PositionInput{QuestionKey: "posture", Preferred: p.pref, AcceptMin: p.lo, AcceptMax: p.hi, Rationale: p.rationale},
			models.PositionInput{QuestionKey: "treaty", Option: p.op, AcceptOptions: p.accept})
	}
	app.setRound(cons, 2)
	return app, cons, est, cl
}

func feedbackSection(t *testing.T, page *response, key string) string {
	t.Helper()
	n := page.byID("fb-" + key)
	if n == nil {
		t.Fatalf("no feedback beside %s on %s", key, page.Path)
	}
	return textContent(n.Parent)
}

// TestRoundFeedbackOnForm: in round 2 the form shows, beside each scale and
// choice question, round 1's anonymised counts, median, common ground and
// the member's own answer marked in words; the rationales without
// attribution only when the facilitators show them.
func TestRoundFeedbackOnForm(t *testing.T) {
	for _, show := range []bool{false, true} {
		name := map[bool]string{false: "rationales not shown", true: "rationales shown"}[show]
		t.Run(name, func(t *testing.T) {
			app, cons, _, cl := roundOneReview(t)
			if show {
				if err := app.store.SetShowPreviousRationales(context.Background(), cons.ID, true, app.authorID()); err != nil {
					t.Fatal(err)
				}
			}
			page := cl.get(formEST)
			wantStatus(t, page, http.StatusOK)
			posture := feedbackSection(t, page, "posture")
			for _, want := range []string{
				"Round 1 result · anonymised · 6 responses",
				"Your round 1 answer: Preferred 4 “Point 4 of posture”; could accept 3 to 5; importance medium",
				"How many members chose each point in round 1",
				"1 — Point 1 of posture 0", "2 — Point 2 of posture 1", "3 — Point 3 of posture 2",
				"4 — Point 4 of posture your round 1 answer 2", "5 — Point 5 of posture 1",
				"Median: 3.5", "Common ground: point 4",
			} {
				if !strings.Contains(posture, want) {
					t.Errorf("posture feedback does not say %q:\n%s", want, posture)
				}
			}
			treaty := feedbackSection(t, page, "treaty")
			for _, want := range []string{"Your round 1 answer: Suspend; could also accept Keep",
				"Keep 1", "Suspend your round 1 answer 4", "Void 1", "No common ground"} {
				if !strings.Contains(treaty, want) {
					t.Errorf("treaty feedback does not say %q:\n%s", want, treaty)
				}
			}
			if page.byID("fb-notes") != nil {
				t.Error("feedback beside the text question, whose answers are attributed")
			}
			// The own answer is marked by a row class and by words.
			mine := find(page.byID("fb-posture").Parent, func(n *htmlNode) bool { return n.Data == "tr" && hasClass(n, "mine") })
			if len(mine) != 1 || !strings.Contains(textContent(mine[0]), "your round 1 answer") {
				t.Errorf("%d rows marked as the own answer, want 1 saying so in words", len(mine))
			}
			wantNoBody(t, page, "DEU", "Germany", "POL", "Poland")
			if got := strings.Contains(posture, "Dialogue keeps channels open."); got != show {
				t.Errorf("a rationale of round 1 shown: %v, want %v", got, show)
			}
			if show {
				wantText(t, page, "Rationales of round 1 (3, without attribution)")
			}
		})
	}
}

// TestRoundFeedbackSmallCounts: the previous round's counts, median and
// common ground are withheld unless at least MinOthersForDistribution
// members other than the viewer's answered; the own answer is shown
// anyway.
func TestRoundFeedbackSmallCounts(t *testing.T) {
	others := []string{"DEU", "FRA", "ITA", "NLD", "POL"}
	tests := []struct {
		name      string
		others    int
		wantShown bool
	}{
		{"four others", 4, false},
		{"five others", 5, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app, cons, est, cl := reviewApp(t)
			app.submitPositions(cons.ID, "EST", est.ID, models.PositionInput{QuestionKey: "posture", Preferred: 4})
			for _, code := range others[:tc.others] {
				app.submitPositions(cons.ID, code, app.authorID(), models.PositionInput{QuestionKey: "posture", Preferred: 2})
			}
			app.setRound(cons, 2)
			page := cl.get(formEST)
			wantStatus(t, page, http.StatusOK)
			text := feedbackSection(t, page, "posture")
			withheld := strings.Contains(text, "Too few answers to show without revealing positions.")
			counts := strings.Contains(text, "2 — Point 2 of posture")
			median := strings.Contains(text, "Median")
			if withheld == tc.wantShown || counts != tc.wantShown || median != tc.wantShown {
				t.Errorf("feedback %q: withheld %v, counts %v, median %v; want shown %v", text, withheld, counts, median, tc.wantShown)
			}
			if !strings.Contains(text, "Your round 1 answer: Preferred 4") {
				t.Errorf("own answer missing: %q", text)
			}
		})
	}
}

// TestCarryForward: in round 2 a question not yet answered shows the
// round 1 answer as its starting value, marked; posted untouched it is not
// saved, edited it is, and "keep" (one question or all) copies it.
func TestCarryForward(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(f url.Values) // change the form as shown
		flash string
		// want: the round 2 revisions of EST, question → preferred (scale)
		// or option (choice) and rationale.
		want map[string]string
	}{
		{"untouched: nothing saved", func(url.Values) {},
			"Nothing saved. 3 carried answers were left unconfirmed", map[string]string{}},
		{"edited: saved", func(f url.Values) { f.Set("preferred.posture", "3") },
			"Saved: 1 position revised. 2 carried answers were left unconfirmed",
			map[string]string{"posture": "3 Estonia's round one reasoning"}},
		{"conditions added: saved", func(f url.Values) { f.Set("conditions.treaty", "Provided it is suspended, not terminated.") },
			"Saved: 1 position revised. 2 carried answers were left unconfirmed",
			map[string]string{"treaty": "2 "}},
		{"keep one", func(f url.Values) { f.Set("keep", "posture") },
			"Saved: 1 position revised. 2 carried answers were left unconfirmed",
			map[string]string{"posture": "4 Estonia's round one reasoning"}},
		{"keep one, edited: kept as in round 1", func(f url.Values) { f.Set("preferred.posture", "2"); f.Set("keep", "posture") },
			"Saved: 1 position revised.", map[string]string{"posture": "4 Estonia's round one reasoning"}},
		{"keep all", func(f url.Values) { f.Set("keep-all", "1") }, "Saved: 3 positions revised.",
			map[string]string{"posture": "4 Estonia's round one reasoning", "treaty": "2 ", "notes": "0 "}},
		{"keep all, one edited", func(f url.Values) { f.Set("keep-all", "1"); f.Set("preferred.posture", "5"); f.Set("max.posture", "5") },
			"Saved: 3 positions revised.",
			map[string]string{"posture": "5 Estonia's round one reasoning", "treaty": "2 ", "notes": "0 "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app, cons, _, cl := roundOneReview(t)
			page := cl.get(formEST)
			wantStatus(t, page, http.StatusOK)
			wantText(t, page, "Your round 1 answer — not yet given for round 2.", "3 questions show your round 1 answer as a starting value.")
			if got := page.checked("preferred.posture"); got != "4" {
				t.Fatalf("carried preferred point %q, want 4", got)
			}
			if got, want := buttons(page, "keep"), []string{"posture", "treaty", "notes"}; !slices.Equal(got, want) {
				t.Errorf("keep buttons %q, want %q", got, want)
			}
			if got := buttons(page, "keep-all"); len(got) != 1 {
				t.Errorf("%d keep-all buttons, want 1", len(got))
			}
			form := shownForm(t, page)
			tc.edit(form)
			res := cl.submit(formEST, form)
			wantRedirect(t, res, formEST)
			if got := res.flash(); !strings.HasPrefix(got, tc.flash) {
				t.Errorf("flash %q, want it to start with %q", got, tc.flash)
			}
			got := map[string]string{}
			for _, r := range app.roundRevisions(cons.ID, "EST", 2) {
				v := r.Preferred + r.Choice
				got[r.QuestionKey] = strconv.Itoa(v) + " " + r.Rationale
			}
			if len(got) != len(tc.want) {
				t.Fatalf("round 2 revisions %q, want %q", got, tc.want)
			}
			for k, w := range tc.want {
				if got[k] != w {
					t.Errorf("round 2 %s: %q, want %q", k, got[k], w)
				}
			}
			// A question answered in round 2 is no longer carried.
			page = cl.follow(res)
			for k := range tc.want {
				if page.byID("carried-"+k) != nil {
					t.Errorf("%s still marked as carried after it was saved", k)
				}
			}
		})
	}
}
