package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"concord/consensus"
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

// approvalApp is "review" requiring national approval, with two delegates
// of Estonia: kadri (a drafter) and hod (its head of delegation), and the
// head of delegation of Latvia.
func approvalApp(t *testing.T) (app *testApp, cons *models.Consultation, drafter, hod, lvaHod *testUser) {
	t.Helper()
	app, cons, drafter, _ = reviewApp(t)
	hod, lvaHod = app.delegate("hod", "EST"), app.delegate("lva-hod", "LVA")
	ctx := context.Background()
	for _, u := range []*testUser{hod, lvaHod} {
		if err := app.store.SetApprover(ctx, u.ID, true, app.authorID()); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.store.SetRequireApproval(ctx, cons.ID, true, app.authorID()); err != nil {
		t.Fatal(err)
	}
	return app, cons, drafter, hod, lvaHod
}

// postureResponses is how many members' positions on posture the report
// counts in the consultation's current round.
func postureResponses(t *testing.T, app *testApp, cons *models.Consultation) int {
	t.Helper()
	c, err := app.store.ConsultationByID(context.Background(), cons.ID)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.store.LoadAnalysis(context.Background(), c, c.Round)
	if err != nil {
		t.Fatal(err)
	}
	qr, ok := consensus.Analyze(a.Input).Question("posture")
	if !ok {
		t.Fatal("no posture in the report")
	}
	return qr.Coverage.Responses
}

// TestApprovalDraftApproveReturn: a delegate's save is a draft the report
// does not count; the head of delegation returns it with a comment the
// drafter reads, then approves the revised draft, which the report counts.
func TestApprovalDraftApproveReturn(t *testing.T) {
	app, cons, drafter, hod, _ := approvalApp(t)
	dcl, hcl := app.login(drafter), app.login(hod)

	res := dcl.submit(formEST, url.Values{"preferred.posture": {"4"}, "conditions.posture": {"Provided allies share the cost."}})
	wantRedirect(t, res, formEST)
	if got, want := res.flash(), "Saved as a draft for approval by your head of delegation: 1 position revised."; got != want {
		t.Errorf("flash %q, want %q", got, want)
	}
	page := dcl.get(formEST)
	wantText(t, page, "Saved as a draft for approval by your head of delegation: revision 1",
		"Preferred 4 “Point 4 of posture”; importance medium · conditions: “Provided allies share the cost.”",
		"Approved position: none yet")
	if got := page.checked("preferred.posture"); got != "4" {
		t.Errorf("the form shows preferred %q, want the draft's 4", got)
	}
	if b := append(buttons(page, "approve"), buttons(page, "approve-all")...); len(b) != 0 {
		t.Errorf("a delegate who is not an approver is offered approval: %q", b)
	}
	if n := postureResponses(t, app, cons); n != 0 {
		t.Errorf("the report counts %d positions before approval, want 0", n)
	}

	// The head of delegation sees the draft, on the dashboard and the form.
	dash := hcl.get("/dashboard")
	wantText(t, dash, "Awaiting your approval", "1 draft awaits your approval (round 1)")
	if got := hrefs(dash, "/consultations/review/positions/EST#approval"); len(got) != 1 {
		t.Errorf("dashboard links to the drafts: %q", got)
	}
	if got := dcl.get("/dashboard"); strings.Contains(got.text(), "Awaiting your approval") {
		t.Error("the drafter's dashboard lists drafts awaiting approval")
	}
	page = hcl.get(formEST)
	wantText(t, page, "Drafts awaiting approval", "1 draft awaits approval", "Draft awaiting approval: revision 1")
	if got := buttons(page, "approve"); !slices.Equal(got, []string{"posture"}) {
		t.Errorf("approve buttons %q, want posture", got)
	}

	// Returning needs a comment; nothing is written without one.
	before := app.revisionCount(cons.ID, "EST")
	form := shownForm(t, page)
	res = hcl.submit(formEST, withValues(form, "return", "posture", "comment.posture", " "))
	wantStatus(t, res, http.StatusUnprocessableEntity)
	wantMessageBeside(t, res, "Say why the draft goes back", "comment.posture")
	if n := app.revisionCount(cons.ID, "EST"); n != before {
		t.Fatalf("%d revisions after a refused return, want %d", n, before)
	}
	res = hcl.submit(formEST, withValues(form, "return", "posture", "comment.posture", "Check the range with the capital."))
	wantStatus(t, res, http.StatusOK)
	wantText(t, res, "Returned 1 draft to the drafter with your comment.")
	page = dcl.get(formEST)
	wantText(t, page, "Returned by Test hod: Check the range with the capital.")
	if n := postureResponses(t, app, cons); n != 0 {
		t.Errorf("the report counts %d positions after a return, want 0", n)
	}

	// The drafter revises; the head of delegation approves.
	wantRedirect(t, dcl.submit(formEST, url.Values{"preferred.posture": {"4"}, "min.posture": {"3"}}), formEST)
	page = hcl.get(formEST)
	res = hcl.submit(formEST, withValues(shownForm(t, page), "approve", "posture"))
	wantStatus(t, res, http.StatusOK)
	wantText(t, res, "Approved: 1 draft is now the position of Estonia.")
	if n := postureResponses(t, app, cons); n != 1 {
		t.Errorf("the report counts %d positions after approval, want 1", n)
	}
	cur, err := app.store.MemberPositions(context.Background(), cons.ID, 1, app.member("EST").ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range cur {
		got = append(got, r.QuestionKey+" "+strconv.Itoa(r.AcceptMin)+"–"+strconv.Itoa(r.AcceptMax)+" "+r.State)
	}
	if want := []string{"posture 3–4 approved"}; !slices.Equal(got, want) {
		t.Errorf("positions %q, want %q", got, want)
	}
	wantText(t, dcl.get(formEST), "Approved position: revision 4", "approved by Test hod")

	// The history tells the whole story, newest first.
	hist := dcl.get(formEST + "/history")
	wantStatus(t, hist, http.StatusOK)
	var states []string
	for _, n := range find(hist.html(), func(n *htmlNode) bool { return n.Data == "span" && hasClass(n, "badge") }) {
		states = append(states, textContent(n))
	}
	if want := []string{"approved", "draft", "returned", "draft"}; !slices.Equal(states, want) {
		t.Errorf("history states %q, want %q", states, want)
	}
	wantText(t, hist, "“Check the range with the capital.”", "Provided allies share the cost.", "by Test hod")
}

// TestApprovalRefused: approving is refused (403, nothing written) to a
// delegate who is not the member's head of delegation, even for their own
// draft, and to the head of delegation of another member.
func TestApprovalRefused(t *testing.T) {
	tests := []struct {
		name   string
		actor  func(drafter, lvaHod *testUser) *testUser
		fields []string
	}{
		{"the drafter approves one", func(d, _ *testUser) *testUser { return d }, []string{"approve", "posture"}},
		{"the drafter approves all", func(d, _ *testUser) *testUser { return d }, []string{"approve-all", "1"}},
		{"the drafter returns", func(d, _ *testUser) *testUser { return d }, []string{"return", "posture", "comment.posture", "no"}},
		{"another member's head of delegation", func(_, l *testUser) *testUser { return l }, []string{"approve", "posture"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app, cons, drafter, _, lvaHod := approvalApp(t)
			app.submitPositions(cons.ID, "EST", drafter.ID, models.PositionInput{QuestionKey: "posture", Preferred: 2})
			before := app.revisionCount(cons.ID, "")
			cl := app.login(tc.actor(drafter, lvaHod))
			res := cl.submit(formEST, withValues(url.Values{"preferred.posture": {"3"}}, tc.fields...))
			wantStatus(t, res, http.StatusForbidden)
			if n := app.revisionCount(cons.ID, ""); n != before {
				t.Errorf("%d revisions after a refused approval, want %d", n, before)
			}
			if n := app.auditCount(models.AuditPositionApproved) + app.auditCount(models.AuditPositionReturned); n != 0 {
				t.Errorf("%d approval audit events, want 0", n)
			}
		})
	}
}

// TestApprovalAll: the head of delegation approves every draft at once;
// its own save is approved without a draft; a facilitator approves on the
// member's behalf.
func TestApprovalAll(t *testing.T) {
	app, cons, drafter, hod, _ := approvalApp(t)
	app.submitPositions(cons.ID, "EST", drafter.ID, models.PositionInput{QuestionKey: "posture", Preferred: 2},
		models.PositionInput{QuestionKey: "treaty", Option: 3})
	hcl := app.login(hod)
	page := hcl.get(formEST)
	wantText(t, page, "2 drafts await approval")
	// The head of delegation's own save counts at once; the drafts it
	// posts untouched are not approved by the way.
	res := hcl.submit(formEST, withValues(shownForm(t, page), "answer.notes", "Agreed at home."))
	wantRedirect(t, res, formEST)
	if got, want := res.flash(), "Saved: 1 position revised. 2 drafts were left as drafted: approve or return them with their own buttons."; got != want {
		t.Errorf("flash %q, want %q", got, want)
	}
	if n := postureResponses(t, app, cons); n != 0 {
		t.Errorf("the report counts %d posture positions after a save that left the draft untouched, want 0", n)
	}
	page = hcl.get(formEST)
	wantText(t, page, "2 drafts await approval", "Approved position: revision 1")
	res = hcl.submit(formEST, withValues(shownForm(t, page), "approve-all", "1"))
	wantStatus(t, res, http.StatusOK)
	wantText(t, res, "Approved: 2 drafts are now the position of Estonia.")
	if got := res.byID("approval"); got != nil {
		t.Error("the approval panel is still shown with no draft left")
	}
	if n := postureResponses(t, app, cons); n != 1 {
		t.Errorf("the report counts %d posture positions after approval, want 1", n)
	}
	// A facilitator approves a draft on the member's behalf.
	app.submitPositions(cons.ID, "EST", drafter.ID, models.PositionInput{QuestionKey: "posture", Preferred: 5})
	fac := app.login(app.facilitator("fiona"))
	page = fac.get(formEST)
	wantText(t, page, "You are entering positions on behalf of Estonia", "1 draft awaits approval on behalf of Estonia")
	wantStatus(t, fac.submit(formEST, withValues(shownForm(t, page), "approve", "posture")), http.StatusOK)
	cur, err := app.store.MemberPositions(context.Background(), cons.ID, 1, app.member("EST").ID)
	if err != nil {
		t.Fatal(err)
	}
	if p := cur[questionID(t, app, cons.ID, "posture")]; p.Preferred != 5 || !p.OnBehalf {
		t.Errorf("posture after the facilitator's approval: preferred %d, on behalf %v; want 5, true", p.Preferred, p.OnBehalf)
	}
}

// TestConditionsOnForm: conditions are saved with the answer, kept as
// typed when the form is refused, read-only once closed, and in the
// history.
func TestConditionsOnForm(t *testing.T) {
	app, cons, _, cl := reviewApp(t)
	const cond = "Can accept point 4 provided the Founding Act is suspended, not terminated."
	// Refused (the range is below the preferred point): kept as typed.
	res := cl.submit(formEST, url.Values{"preferred.posture": {"4"}, "min.posture": {"5"}, "conditions.posture": {cond},
		"option.treaty": {"2"}, "conditions.treaty": {"Only with a review clause."}})
	wantStatus(t, res, http.StatusUnprocessableEntity)
	if got := strings.TrimPrefix(res.textarea("conditions.posture"), "\n"); got != cond {
		t.Errorf("conditions after a refused save %q, want %q", got, cond)
	}
	if n := app.revisionCount(cons.ID, "EST"); n != 0 {
		t.Fatalf("%d revisions after a refused save", n)
	}
	// Too long: a message beside the field.
	res = cl.submit(formEST, url.Values{"preferred.posture": {"4"}, "conditions.posture": {strings.Repeat("x", models.MaxConditions+1)}})
	wantStatus(t, res, http.StatusUnprocessableEntity)
	wantMessageBeside(t, res, "The conditions must be at most 2000 characters.", "conditions.posture")

	wantRedirect(t, cl.submit(formEST, url.Values{"preferred.posture": {"4"}, "min.posture": {"3"}, "conditions.posture": {cond},
		"option.treaty": {"2"}, "conditions.treaty": {"Only with a review clause."}}), formEST)
	got := map[string]string{}
	for _, r := range app.revisions(cons.ID, "EST") {
		got[r.QuestionKey] = r.Conditions
	}
	if got["posture"] != cond || got["treaty"] != "Only with a review clause." {
		t.Errorf("stored conditions %q", got)
	}
	page := cl.get(formEST)
	if v := strings.TrimPrefix(page.textarea("conditions.posture"), "\n"); v != cond {
		t.Errorf("form shows conditions %q, want %q", v, cond)
	}
	if page.textarea("conditions.notes") != "" || len(find(page.html(), named("textarea", "conditions.notes"))) != 0 {
		t.Error("a text question offers conditions")
	}
	// Changing the conditions alone is a new revision.
	wantRedirect(t, cl.submit(formEST, withValues(shownForm(t, page), "conditions.treaty", "")), formEST)
	if n := app.revisionCount(cons.ID, "EST"); n != 3 {
		t.Errorf("%d revisions, want 3 (the conditions removed alone)", n)
	}
	wantText(t, cl.get(formEST+"/history"), cond, "Only with a review clause.")
	app.setStatus(cons.ID, models.StatusClosed)
	page = cl.get(formEST)
	if !formDisabled(t, page) {
		t.Error("the conditions of a closed consultation are editable")
	}
}

// TestHistoryRounds: the history shows each revision's round and marks an
// answer kept from the previous round.
func TestHistoryRounds(t *testing.T) {
	app, cons, _, cl := roundOneReview(t)
	page := cl.get(formEST)
	wantRedirect(t, cl.submit(formEST, withValues(shownForm(t, page), "keep", "posture", "preferred.treaty", "", "option.treaty", "3")), formEST)
	hist := cl.get(formEST + "/history")
	wantStatus(t, hist, http.StatusOK)
	rows := find(hist.html(), func(n *htmlNode) bool { return n.Data == "tr" && n.Parent.Data == "tbody" })
	var got []string
	for _, r := range rows {
		txt := textContent(r)
		desc := ""
		switch {
		case strings.Contains(txt, "kept from round 1"):
			desc = "kept"
		case strings.Contains(txt, "Void"), strings.Contains(txt, "Suspend"), strings.Contains(txt, "Preferred"), strings.Contains(txt, "Ratification"):
			desc = "answer"
		}
		for _, round := range []string{"round 1 ·", "round 2 ·"} {
			if strings.Contains(txt, round) {
				desc += " " + strings.TrimSuffix(round, " ·")
			}
		}
		got = append(got, desc)
	}
	// Newest first: round 2 treaty (changed to Void), round 2 posture
	// (kept), then round 1 notes, treaty, posture.
	want := []string{"answer round 2", "kept round 2", "answer round 1", "answer round 1", "answer round 1"}
	if !slices.Equal(got, want) {
		t.Errorf("history rows %q, want %q", got, want)
	}
	if n := len(app.roundRevisions(cons.ID, "EST", 2)); n != 2 {
		t.Errorf("%d round 2 revisions, want 2", n)
	}
}

// TestDashboardRound: every delegate's dashboard shows the round of each
// consultation and until when it is open.
func TestDashboardRound(t *testing.T) {
	app, cons, _, cl := roundOneReview(t)
	wantText(t, cl.get("/dashboard"), "open · Round 2 0 of 3", "Answered 0 of 3 questions in round 2.")
	deadline := app.clock.Now().Add(48 * 3600e9).UTC()
	if err := app.store.UpdateConsultation(context.Background(), cons.ID, models.ConsultationInput{
		Title: cons.Title, Deadline: deadline.Format(models.DeadlineLayout)}, app.authorID()); err != nil {
		t.Fatal(err)
	}
	wantText(t, cl.get("/dashboard"), "Round 2 — open until "+deadline.Format("2 Jan 2006, 15:04 UTC"), "in round 2.")
}
