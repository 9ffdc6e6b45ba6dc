package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"concord/models"
)

// rowOf returns the text of the first table row whose first cell starts
// with the given text (a member code, a username, "Round 2"), spaces
// collapsed, or "" when there is none.
func rowOf(r *response, first string) string {
	for _, tr := range find(r.html(), func(n *html.Node) bool { return n.Data == "tr" }) {
		for cell := tr.FirstChild; cell != nil; cell = cell.NextSibling {
			if cell.Type != html.ElementNode {
				continue
			}
			if (cell.Data == "th" || cell.Data == "td") && strings.HasPrefix(strings.TrimSpace(textContent(cell)), first) {
				return strings.Join(strings.Fields(textContent(tr)), " ")
			}
			break
		}
	}
	return ""
}

// positionOf returns the member's current position on the question in a
// round, or nil.
func (a *testApp) positionOf(consultationID uint, round int, memberCode, questionKey string) *models.RevisionRecord {
	a.t.Helper()
	list, err := a.store.CurrentPositions(context.Background(), consultationID, round)
	if err != nil {
		a.t.Fatalf("current positions of round %d: %v", round, err)
	}
	for i := range list {
		if list[i].MemberCode == memberCode && list[i].QuestionKey == questionKey {
			return &list[i]
		}
	}
	return nil
}

func (a *testApp) reload(id uint) *models.Consultation {
	a.t.Helper()
	c, err := a.store.ConsultationByID(context.Background(), id)
	if err != nil {
		a.t.Fatalf("reload consultation %d: %v", id, err)
	}
	return c
}

// TestOpenRoundRefused: only facilitators open a round; refused and
// invalid requests change nothing and say why beside the form, with what
// was typed.
func TestOpenRoundRefused(t *testing.T) {
	app := newTestApp(t)
	cons := app.consultation("review", models.StatusOpen, scaleQ("posture", 5))
	draft := app.consultation("drafting", models.StatusDraft, scaleQ("later", 5))
	fac := app.login(app.facilitator("fiona"))
	est := app.delegate("kadri", "EST")
	head := app.delegate("hanna", "EST")
	if err := app.store.SetApprover(context.Background(), head.ID, true, app.authorID()); err != nil {
		t.Fatal(err)
	}
	past := app.clock.Now().Add(-time.Hour).Format(models.DeadlineLayout)

	t.Run("accounts other than facilitators", func(t *testing.T) {
		for name, u := range map[string]*testUser{"delegate": est, "head of delegation": head, "observer": app.observer("oscar")} {
			cl := app.login(u).in(t)
			res := cl.submit("/consultations/review/rounds", url.Values{"deadline": {""}})
			if res.Code != http.StatusForbidden {
				t.Errorf("%s: status %d, want 403", name, res.Code)
			}
		}
	})

	tests := []struct {
		name     string
		key      string
		deadline string
		status   int
		message  string // beside the deadline field, or the round's message
	}{
		{"deadline that is not a date", "review", "next Tuesday", http.StatusUnprocessableEntity, "Give a date and time such as"},
		{"deadline in the past", "review", past, http.StatusUnprocessableEntity, "Give a deadline in the future"},
		{"deadline now", "review", app.clock.Now().Format(models.DeadlineLayout), http.StatusUnprocessableEntity, "Give a deadline in the future"},
		{"draft consultation", "drafting", "", http.StatusConflict, "still a draft"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := fac.in(t).submit("/consultations/"+tc.key+"/rounds", url.Values{"deadline": {tc.deadline}})
			wantStatus(t, res, tc.status)
			wantFieldError(t, res, "rounds", tc.message)
			wantText(t, res, "The round was not changed")
			if tc.key == "review" {
				if got := res.inputValue("deadline"); got != tc.deadline {
					t.Errorf("deadline re-rendered as %q, want %q", got, tc.deadline)
				}
			}
		})
	}
	if c := app.reload(cons.ID); c.Round != 1 || c.Status != models.StatusOpen {
		t.Errorf("after refusals: round %d, status %s; want 1, open", c.Round, c.Status)
	}
	if c := app.reload(draft.ID); c.Round != 1 || c.Status != models.StatusDraft {
		t.Errorf("draft after refusal: round %d, status %s", c.Round, c.Status)
	}
	if n := app.auditCount(models.AuditRoundOpened); n != 0 {
		t.Errorf("%d rounds opened by refused requests", n)
	}
}

// TestOpenRound: a facilitator closes round 1 and opens round 2 from the
// consultation page; the step is audited, the rounds are listed, and from
// then on the position form saves into round 2, leaving round 1 as it was.
func TestOpenRound(t *testing.T) {
	app := newTestApp(t)
	cons := app.consultation("review", models.StatusOpen, scaleQ("posture", 5), scaleQ("reach", 5))
	est := app.delegate("kadri", "EST")
	app.submitPositions(cons.ID, "EST", est.ID,
		models.PositionInput{QuestionKey: "posture", Preferred: 2, Rationale: "Round one view."})
	facUser := app.facilitator("fiona")
	fac := app.login(facUser)

	page := fac.get("/consultations/review")
	wantStatus(t, page, http.StatusOK)
	wantText(t, page, "Close round 1 and open round 2", "Round 1 positions become final", "anonymised result of round 1")
	forms := find(page.html(), func(n *html.Node) bool {
		action, _ := attr(n, "action")
		return n.Data == "form" && action == "/consultations/review/rounds"
	})
	if len(forms) != 1 {
		t.Fatalf("%d forms open the next round, want 1", len(forms))
	}
	if method, _ := attr(forms[0], "method"); method != "post" {
		t.Errorf("the round form's method is %q, want post", method)
	}
	if confirm, _ := attr(forms[0], "data-confirm"); !strings.Contains(confirm, "Close round 1 and open round 2?") {
		t.Errorf("the round form asks %q before it is sent", confirm)
	}
	if row := rowOf(page, "Round 1"); !strings.Contains(row, "(current)") || !strings.Contains(row, "still open") {
		t.Errorf("round 1 listed as %q", row)
	}

	opened := app.clock.Now()
	deadline := opened.Add(14 * 24 * time.Hour).Truncate(time.Minute)
	res := fac.submit("/consultations/review/rounds", url.Values{"deadline": {deadline.Format(models.DeadlineLayout)}})
	wantRedirect(t, res, "/consultations/review")
	if f := res.flash(); !strings.Contains(f, "Round 1 is closed and round 2 is open") {
		t.Errorf("flash %q", f)
	}
	c := app.reload(cons.ID)
	if c.Round != 2 || c.Status != models.StatusOpen || c.Deadline == nil || !c.Deadline.Equal(deadline) {
		t.Errorf("consultation after opening: round %d, status %s, deadline %v; want 2, open, %v", c.Round, c.Status, c.Deadline, deadline)
	}
	evs := app.auditEvents(models.AuditRoundOpened)
	if len(evs) != 1 || evs[0].UserID == nil || *evs[0].UserID != facUser.ID || !strings.Contains(evs[0].Detail, "round 2 opened") {
		t.Errorf("audit events %+v, want one round.opened by the facilitator", evs)
	}
	rounds, err := app.store.Rounds(context.Background(), cons.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rounds) != 2 || rounds[0].ClosedAt == nil || !rounds[0].ClosedAt.Equal(opened) || rounds[1].ClosedAt != nil {
		t.Errorf("rounds %+v: want round 1 closed at %v, round 2 open", rounds, opened)
	}

	page = fac.follow(res)
	wantText(t, page, "Close round 2 and open round 3", "Review the rationales of round 1")
	if row := rowOf(page, "Round 1"); strings.Contains(row, "(current)") || !strings.Contains(row, opened.Format("2 Jan 2006, 15:04 UTC")) {
		t.Errorf("round 1 listed as %q, want closed at %v", row, opened)
	}
	if row := rowOf(page, "Round 2"); !strings.Contains(row, "(current)") || !strings.Contains(row, deadline.Format("2 Jan 2006, 15:04 UTC")) {
		t.Errorf("round 2 listed as %q, want current with its deadline", row)
	}

	// Round 1 is final: the delegate's form now saves into round 2.
	cl := app.login(est)
	res = cl.submit("/consultations/review/positions/EST", url.Values{"preferred.posture": {"4"}, "rationale.posture": {"Moved in round two."}})
	wantStatus(t, res, http.StatusSeeOther)
	if p := app.positionOf(cons.ID, 1, "EST", "posture"); p == nil || p.Preferred != 2 || p.Rationale != "Round one view." {
		t.Errorf("round-1 position after a round-2 save: %+v, want preferred 2 as before", p)
	}
	if p := app.positionOf(cons.ID, 2, "EST", "posture"); p == nil || p.Preferred != 4 || p.Round != 2 {
		t.Errorf("round-2 position: %+v, want preferred 4", p)
	}
	for _, r := range app.revisions(cons.ID, "EST") {
		if r.Round == 1 && r.Preferred != 2 {
			t.Errorf("a round-1 revision changed after round 2 opened: %+v", r)
		}
	}

	// A round without a deadline.
	res = fac.submit("/consultations/review/rounds", url.Values{"deadline": {""}})
	wantRedirect(t, res, "/consultations/review")
	if c := app.reload(cons.ID); c.Round != 3 || c.Deadline != nil {
		t.Errorf("after the second opening: round %d, deadline %v; want 3, none", c.Round, c.Deadline)
	}
}

// TestOpenRoundReopensClosed: a closed consultation may move to the next
// round, which is open.
func TestOpenRoundReopensClosed(t *testing.T) {
	app := newTestApp(t)
	cons := app.consultation("review", models.StatusClosed, scaleQ("posture", 5))
	fac := app.login(app.facilitator("fiona"))
	wantRedirect(t, fac.submit("/consultations/review/rounds", url.Values{"deadline": {""}}), "/consultations/review")
	if c := app.reload(cons.ID); c.Round != 2 || c.Status != models.StatusOpen {
		t.Errorf("round %d, status %s; want 2, open", c.Round, c.Status)
	}
}

// rationaleFixture is a consultation in round 2 whose round-1 positions
// carry rationales of EST and LVA.
type rationaleFixture struct {
	app       *testApp
	cons      *models.Consultation
	fac       *client
	estRev    uint // EST's round-1 rationale on posture
	estReason string
	lvaReason string
}

func newRationaleFixture(t *testing.T) *rationaleFixture {
	t.Helper()
	app := newTestApp(t)
	f := &rationaleFixture{app: app, estReason: "As the only ally bordering Pskov, we need it.", lvaReason: "Deterrence must be credible."}
	f.cons = app.consultation("review", models.StatusOpen, scaleQ("posture", 5), choiceQ("treaty", "Keep", "Suspend"))
	est, lva := app.delegate("kadri", "EST"), app.delegate("janis", "LVA")
	app.submitPositions(f.cons.ID, "EST", est.ID, models.PositionInput{QuestionKey: "posture", Preferred: 4, Rationale: f.estReason})
	app.submitPositions(f.cons.ID, "LVA", lva.ID, models.PositionInput{QuestionKey: "posture", Preferred: 5, Rationale: f.lvaReason},
		models.PositionInput{QuestionKey: "treaty", Option: 2, Rationale: "Suspension keeps the door open."})
	facUser := app.facilitator("fiona")
	f.fac = app.login(facUser)
	if _, err := app.store.OpenNextRound(context.Background(), f.cons.ID, nil, facUser.ID); err != nil {
		t.Fatal(err)
	}
	f.cons = app.reload(f.cons.ID)
	list, err := app.store.ReviewRationales(context.Background(), f.cons)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range list {
		if r.MemberCode == "EST" && r.QuestionKey == "posture" {
			f.estRev = r.RevisionID
		}
	}
	if f.estRev == 0 {
		t.Fatalf("EST's rationale not among %+v", list)
	}
	return f
}

// delegateRationales returns the round-1 rationales LVA's delegates see on
// posture.
func (f *rationaleFixture) delegateRationales(t *testing.T) []string {
	t.Helper()
	fb, err := f.app.store.PreviousRoundFeedback(context.Background(), f.app.reload(f.cons.ID), f.app.member("LVA").ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range fb.Questions {
		if q.Key == "posture" {
			return q.Rationales
		}
	}
	t.Fatal("no feedback on posture")
	return nil
}

// TestRationalesRoundOne: in round 1 the page says there is nothing to
// review yet, and the switches are refused.
func TestRationalesRoundOne(t *testing.T) {
	app := newTestApp(t)
	cons := app.consultation("review", models.StatusOpen, scaleQ("posture", 5))
	fac := app.login(app.facilitator("fiona"))
	page := fac.get("/consultations/review/rationales")
	wantStatus(t, page, http.StatusOK)
	wantText(t, page, "This consultation is in round 1", "only means something from round 2 on")
	if rowOf(page, "EST") != "" || page.inputValue("show") != "" {
		t.Errorf("round 1 page offers rationales to review:\n%s", page.snippet())
	}
	wantStatus(t, fac.submit("/consultations/review/rationales/feedback", url.Values{"show": {"on"}}), http.StatusConflict)
	wantStatus(t, fac.submit("/consultations/review/rationales/visibility", url.Values{"revision": {"1"}, "hide": {"yes"}}), http.StatusConflict)
	if c := app.reload(cons.ID); c.ShowPreviousRationales {
		t.Error("rationales shown in round 1")
	}
	if n := app.auditCount(models.AuditFeedbackSetting) + app.auditCount(models.AuditRationaleHidden); n != 0 {
		t.Errorf("%d audit events from refused requests", n)
	}
}

// TestRationalesRefused: delegates (heads of delegation too) and observers
// can neither read the attributed rationales nor hide or show them.
func TestRationalesRefused(t *testing.T) {
	f := newRationaleFixture(t)
	head := f.app.delegate("hanna", "LVA")
	if err := f.app.store.SetApprover(context.Background(), head.ID, true, f.app.authorID()); err != nil {
		t.Fatal(err)
	}
	actors := map[string]*testUser{"delegate": f.app.delegate("piret", "EST"), "head of delegation": head, "observer": f.app.observer("oscar")}
	for name, u := range actors {
		t.Run(name, func(t *testing.T) {
			cl := f.app.login(u).in(t)
			res := cl.get("/consultations/review/rationales")
			wantStatus(t, res, http.StatusForbidden)
			wantNoBody(t, res, f.estReason)
			wantStatus(t, cl.submit("/consultations/review/rationales/visibility",
				url.Values{"revision": {fmt.Sprint(f.estRev)}, "hide": {"yes"}}), http.StatusForbidden)
			wantStatus(t, cl.submit("/consultations/review/rationales/feedback", url.Values{"show": {"on"}}), http.StatusForbidden)
		})
	}
	if c := f.app.reload(f.cons.ID); c.ShowPreviousRationales {
		t.Error("rationales shown by a refused request")
	}
	for _, action := range []string{models.AuditFeedbackSetting, models.AuditRationaleHidden} {
		if n := f.app.auditCount(action); n != 0 {
			t.Errorf("%d %s events from refused requests", n, action)
		}
	}
}

// TestRationalesReview: the facilitator reads the previous round's
// rationales with their authors, hides one that would identify its
// author, shows the rest to delegates without names, and every step is
// audited.
func TestRationalesReview(t *testing.T) {
	f := newRationaleFixture(t)
	app, fac := f.app, f.fac

	page := fac.get("/consultations/review/rationales")
	wantStatus(t, page, http.StatusOK)
	wantText(t, page, "hide a rationale that would identify its author", "Not shown: delegates do not see the rationales of round 1",
		"3 rationales, 0 hidden", "Suspension keeps the door open.")
	if row := rowOf(page, "EST"); !strings.Contains(row, f.estReason) || !strings.Contains(row, "shown without name") {
		t.Errorf("EST's row: %q", row)
	}
	if len(f.delegateRationales(t)) != 0 {
		t.Error("delegates see rationales before the facilitator switched them on")
	}

	tests := []struct {
		name   string
		form   url.Values
		status int
	}{
		{"unknown revision", url.Values{"revision": {"99999"}, "hide": {"yes"}}, http.StatusNotFound},
		{"not a number", url.Values{"revision": {"first"}, "hide": {"yes"}}, http.StatusNotFound},
		{"neither hide nor show", url.Values{"revision": {fmt.Sprint(f.estRev)}, "hide": {"maybe"}}, http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantStatus(t, fac.in(t).submit("/consultations/review/rationales/visibility", tc.form), tc.status)
		})
	}
	if n := app.auditCount(models.AuditRationaleHidden); n != 0 {
		t.Fatalf("%d rationales hidden by invalid requests", n)
	}

	// Hide EST's rationale, then show the rest.
	res := fac.submit("/consultations/review/rationales/visibility", url.Values{"revision": {fmt.Sprint(f.estRev)}, "hide": {"yes"}})
	wantRedirect(t, res, fmt.Sprintf("/consultations/review/rationales#r-%d", f.estRev))
	if n := app.auditCount(models.AuditRationaleHidden); n != 1 {
		t.Errorf("%d hide events, want 1", n)
	}
	res = fac.submit("/consultations/review/rationales/feedback", url.Values{"show": {"on"}})
	wantRedirect(t, res, "/consultations/review/rationales")
	if !app.reload(f.cons.ID).ShowPreviousRationales {
		t.Fatal("rationales not shown after the switch")
	}
	if n := app.auditCount(models.AuditFeedbackSetting); n != 1 {
		t.Errorf("%d feedback setting events, want 1", n)
	}
	if got := f.delegateRationales(t); !slices.Equal(got, []string{f.lvaReason}) {
		t.Errorf("delegates see %q, want only LVA's rationale (EST's is hidden)", got)
	}
	page = fac.follow(res)
	wantText(t, page, "Shown: delegates see the 2 rationales that are not hidden", "3 rationales, 1 hidden")
	if row := rowOf(page, "EST"); !strings.Contains(row, "hidden") || !strings.Contains(row, "Show again") {
		t.Errorf("EST's row after hiding: %q", row)
	}

	// Show it again; switch the rationales off.
	wantStatus(t, fac.submit("/consultations/review/rationales/visibility", url.Values{"revision": {fmt.Sprint(f.estRev)}, "hide": {"no"}}), http.StatusSeeOther)
	if n := app.auditCount(models.AuditRationaleVisible); n != 1 {
		t.Errorf("%d show events, want 1", n)
	}
	if got := f.delegateRationales(t); !slices.Equal(got, []string{f.estReason, f.lvaReason}) {
		t.Errorf("delegates see %q, want both rationales in text order", got)
	}
	wantStatus(t, fac.submit("/consultations/review/rationales/feedback", url.Values{}), http.StatusSeeOther)
	if app.reload(f.cons.ID).ShowPreviousRationales {
		t.Error("rationales still shown after switching them off")
	}
	if n := app.auditCount(models.AuditFeedbackSetting); n != 2 {
		t.Errorf("%d feedback setting events, want 2", n)
	}
}

// TestRequireApprovalSetting: the consultation form sets national approval,
// keeps the box as ticked when the form comes back, and every change is
// audited.
func TestRequireApprovalSetting(t *testing.T) {
	app := newTestApp(t)
	fac := app.login(app.facilitator("fiona"))

	form := fac.get("/consultations/new")
	wantText(t, form, "Require national approval", "head of delegation approves it")
	if form.checked("require_approval") != "" {
		t.Error("a new consultation's form has approval ticked")
	}
	res := fac.submit("/consultations", url.Values{"key": {"review"}, "title": {""}, "require_approval": {"on"}})
	wantStatus(t, res, http.StatusUnprocessableEntity)
	if res.checked("require_approval") == "" {
		t.Error("the box came back unticked after a refused form")
	}
	res = fac.submit("/consultations", url.Values{"key": {"review"}, "title": {"Review"}, "require_approval": {"on"}})
	wantRedirect(t, res, "/consultations/review")
	cons, err := app.store.ConsultationByKey(context.Background(), "review")
	if err != nil {
		t.Fatal(err)
	}
	if !cons.RequireApproval {
		t.Fatal("approval not required after creating with the box ticked")
	}
	wantText(t, fac.follow(res), "National approval required")
	if fac.get("/consultations/review/edit").checked("require_approval") == "" {
		t.Error("the edit form does not show approval as required")
	}

	tests := []struct {
		name   string
		form   url.Values
		want   bool
		events int
	}{
		{"an edit that keeps it", url.Values{"title": {"Review"}, "require_approval": {"on"}}, true, 1},
		{"switched off", url.Values{"title": {"Review"}}, false, 2},
		{"switched on again", url.Values{"title": {"Review"}, "require_approval": {"on"}}, true, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantRedirect(t, fac.in(t).submit("/consultations/review/edit", tc.form), "/consultations/review")
			if got := app.reload(cons.ID).RequireApproval; got != tc.want {
				t.Errorf("approval required: %t, want %t", got, tc.want)
			}
			if n := app.auditCount(models.AuditApprovalSetting); n != tc.events {
				t.Errorf("%d approval setting events, want %d", n, tc.events)
			}
		})
	}
}

// TestMarkApprover: a facilitator marks a delegate as head of delegation
// and unmarks it, which ends its API tokens; heads of delegation and
// delegates cannot; only delegates can be marked.
func TestMarkApprover(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	facUser := app.facilitator("fiona")
	fac := app.login(facUser)
	est := app.delegate("kadri", "EST")
	head := app.delegate("hanna", "LVA")
	if err := app.store.SetApprover(ctx, head.ID, true, facUser.ID); err != nil {
		t.Fatal(err)
	}
	obs := app.observer("oscar")
	path := fmt.Sprintf("/accounts/users/%d/approver", est.ID)

	for name, u := range map[string]*testUser{"head of delegation": head, "delegate": app.delegate("piret", "EST"), "observer": obs} {
		t.Run(name, func(t *testing.T) {
			wantStatus(t, app.login(u).in(t).submit(path, url.Values{"approver": {"on"}}), http.StatusForbidden)
		})
	}
	if u, _ := app.store.UserByID(ctx, est.ID); u.Approver {
		t.Fatal("marked by a refused request")
	}

	page := fac.get("/accounts")
	wantText(t, page, "ends the account's API tokens")
	if row := rowOf(page, "hanna"); !strings.Contains(row, "head of delegation") {
		t.Errorf("the head of delegation's row: %q", row)
	}
	if row := rowOf(page, "kadri"); strings.Contains(row, "delegate · head of delegation") || !strings.Contains(row, "Mark as head of delegation") {
		t.Errorf("the delegate's row: %q", row)
	}

	base := app.auditCount(models.AuditApproverChanged) // marking the head of delegation above
	token, _ := app.apiToken(est, "90")
	res := fac.submit(path, url.Values{"approver": {"on"}})
	wantRedirect(t, res, "/accounts")
	if u, _ := app.store.UserByID(ctx, est.ID); !u.Approver {
		t.Fatal("not marked")
	}
	apiWantError(t, app.apiCall(token, http.MethodGet, "/api/v1/consultations", ""), http.StatusUnauthorized, "invalid_token")
	if row := rowOf(fac.follow(res), "kadri"); !strings.Contains(row, "delegate · head of delegation") || !strings.Contains(row, "Unmark") {
		t.Errorf("the marked delegate's row: %q", row)
	}
	if n := app.auditCount(models.AuditApproverChanged) - base; n != 1 {
		t.Errorf("%d approver events, want 1", n)
	}

	// Marking again changes nothing; unmarking is audited.
	wantRedirect(t, fac.submit(path, url.Values{"approver": {"on"}}), "/accounts")
	if n := app.auditCount(models.AuditApproverChanged) - base; n != 1 {
		t.Errorf("%d approver events after marking twice, want 1", n)
	}
	wantRedirect(t, fac.submit(path, url.Values{}), "/accounts")
	if u, _ := app.store.UserByID(ctx, est.ID); u.Approver {
		t.Error("still marked after unmarking")
	}
	if n := app.auditCount(models.AuditApproverChanged) - base; n != 2 {
		t.Errorf("%d approver events, want 2", n)
	}

	// Only a delegate can be marked.
	res = fac.submit(fmt.Sprintf("/accounts/users/%d/approver", obs.ID), url.Values{"approver": {"on"}})
	wantStatus(t, res, http.StatusConflict)
	wantFieldError(t, res, "", "Only a delegate account")
	if u, _ := app.store.UserByID(ctx, obs.ID); u.Approver {
		t.Error("an observer was marked")
	}
	wantStatus(t, fac.submit("/accounts/users/99999/approver", url.Values{"approver": {"on"}}), http.StatusNotFound)
}

// TestInviteApprover: a delegate's invitation may make its account the
// head of delegation; another role's may not.
func TestInviteApprover(t *testing.T) {
	app := newTestApp(t)
	fac := app.login(app.facilitator("fiona"))

	res := fac.submit("/accounts/invitations", url.Values{"role": {"observer"}, "approver": {"on"}})
	wantStatus(t, res, http.StatusUnprocessableEntity)
	wantMessageBeside(t, res, "Only a delegate can be the head of delegation", "approver")
	if res.checked("approver") == "" || res.selected("role") != "observer" {
		t.Errorf("the form came back as approver %q, role %q", res.checked("approver"), res.selected("role"))
	}

	res = fac.submit("/accounts/invitations", url.Values{"role": {"delegate"}, "member": {"EST"}, "approver": {"on"}})
	wantStatus(t, res, http.StatusCreated)
	wantText(t, res, "Invitation created for the head of delegation of Estonia")
	invs, err := app.store.Invitations(context.Background())
	if err != nil || len(invs) != 1 || !invs[0].Approver {
		t.Fatalf("invitations %+v, %v; want one for a head of delegation", invs, err)
	}
	if row := rowOf(fac.get("/accounts"), "delegate · head of delegation"); !strings.Contains(row, "Estonia") {
		t.Errorf("the pending invitation is listed as %q", row)
	}

	res = fac.submit("/accounts/invitations", url.Values{"role": {"delegate"}, "member": {"LVA"}})
	wantStatus(t, res, http.StatusCreated)
	invs, _ = app.store.Invitations(context.Background())
	approvers := 0
	for _, inv := range invs {
		if inv.Approver {
			approvers++
		}
	}
	if len(invs) != 2 || approvers != 1 {
		t.Errorf("%d invitations, %d for heads of delegation; want 2 and 1", len(invs), approvers)
	}
}

// TestCoverageApproval: where approval is required, coverage says per
// member, in words, where it stands; elsewhere it says nothing of approval.
func TestCoverageApproval(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	cons := app.consultation("review", models.StatusOpen, scaleQ("posture", 5), scaleQ("reach", 5))
	plain := app.consultation("plain", models.StatusOpen, scaleQ("posture", 5))
	facUser := app.facilitator("fiona")
	if err := app.store.SetRequireApproval(ctx, cons.ID, true, facUser.ID); err != nil {
		t.Fatal(err)
	}
	heads := map[string]*testUser{}
	for _, code := range []string{"LVA", "DEU"} {
		heads[code] = app.delegate("head-"+strings.ToLower(code), code)
		if err := app.store.SetApprover(ctx, heads[code].ID, true, facUser.ID); err != nil {
			t.Fatal(err)
		}
	}
	// EST: a draft awaiting approval. LVA: saved by its head, approved.
	// DEU: a draft returned by its head. FRA: a draft, then approved.
	app.submitPositions(cons.ID, "EST", app.delegate("kadri", "EST").ID, models.PositionInput{QuestionKey: "posture", Preferred: 3})
	app.submitPositions(cons.ID, "LVA", heads["LVA"].ID, models.PositionInput{QuestionKey: "posture", Preferred: 4},
		models.PositionInput{QuestionKey: "reach", Preferred: 2})
	app.submitPositions(cons.ID, "DEU", app.delegate("dieter", "DEU").ID, models.PositionInput{QuestionKey: "posture", Preferred: 1})
	if _, err := app.store.Return(ctx, cons.ID, app.member("DEU").ID, nil, "Please align with the ministry.", heads["DEU"].ID); err != nil {
		t.Fatal(err)
	}
	app.submitPositions(cons.ID, "FRA", app.delegate("francois", "FRA").ID, models.PositionInput{QuestionKey: "posture", Preferred: 2})
	if _, err := app.store.Approve(ctx, cons.ID, app.member("FRA").ID, nil, facUser.ID); err != nil {
		t.Fatal(err)
	}
	members, err := app.store.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}

	fac := app.login(facUser)
	page := fac.get("/consultations/review/coverage")
	wantStatus(t, page, http.StatusOK)
	wantText(t, page, "National approval", fmt.Sprintf("2 approved · 1 awaiting approval · 1 returned · %d not started", len(members)-4))
	tests := []struct {
		code, want string
	}{
		{"EST", "0 / 2 awaiting approval (1 awaiting)"},
		{"LVA", "2 / 2 approved"},
		{"DEU", "0 / 2 returned (1 returned)"},
		{"FRA", "1 / 2 approved"},
		{"POL", "0 / 2 not started"},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			if row := rowOf(page, tc.code); !strings.HasSuffix(row, tc.want) {
				t.Errorf("row %q, want it to end with %q", row, tc.want)
			}
		})
	}

	page = fac.get("/consultations/plain/coverage")
	wantStatus(t, page, http.StatusOK)
	if strings.Contains(page.text(), "National approval") || strings.Contains(page.text(), "not started") {
		t.Errorf("coverage of %s speaks of approval, which it does not require", plain.Key)
	}
}

// TestAccessibilityRoundPages checks with axe-core the facilitator's pages
// of rounds and approval in the states the route-table test does not
// reach: round 2 with rationales to review (one hidden), coverage of a
// consultation requiring approval, the accounts page with a head of
// delegation, and the forms refused with a message (a deadline in the
// past, an observer's invitation as head of delegation).
func TestAccessibilityRoundPages(t *testing.T) {
	f := newRationaleFixture(t)
	app := f.app
	ctx := context.Background()
	facUser, err := app.store.UserByID(ctx, f.app.authorID())
	if err != nil {
		t.Fatal(err)
	}
	if err := app.store.SetRequireApproval(ctx, f.cons.ID, true, facUser.ID); err != nil {
		t.Fatal(err)
	}
	if err := app.store.HideRationale(ctx, f.cons.ID, f.estRev, facUser.ID); err != nil {
		t.Fatal(err)
	}
	head := app.delegate("hanna", "EST")
	if err := app.store.SetApprover(ctx, head.ID, true, facUser.ID); err != nil {
		t.Fatal(err)
	}
	app.submitPositions(f.cons.ID, "EST", app.delegate("piret", "EST").ID, models.PositionInput{QuestionKey: "posture", Preferred: 3})
	srv := httptest.NewServer(app.router)
	t.Cleanup(srv.Close)
	b := newBrowserSession(t, srv.URL, 2*time.Minute)
	tab := b.tab(f.fac.cookie("concord_session"))

	check := func(t *testing.T, state, want string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab, steps...); err != nil {
			t.Fatalf("%s: %v", state, err)
		}
		text, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("main")))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, want) {
			t.Fatalf("%s: the page does not say %q:\n%s", state, want, text)
		}
		found, err := b.audit(tab)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range found {
			t.Errorf("%s: %s", state, v)
		}
	}
	// submit sends a form without its confirmation dialog, as a browser
	// without JavaScript does.
	submit := func(selector string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Run(ctx, chromedp.Evaluate[any](`document.querySelector('`+selector+`').submit();0`))
			return err
		})
	}
	pages := []struct{ path, want string }{
		{"/consultations/review", "Close round 2 and open round 3"},
		{"/consultations/review/rationales", "1 hidden"},
		{"/consultations/review/coverage", "awaiting approval"},
		{"/consultations/review/edit", "Require national approval"},
		{"/accounts", "head of delegation"},
	}
	for _, p := range pages {
		check(t, p.path, p.want, chromedp.Navigate(srv.URL+p.path), chromedp.WaitReady("body"))
	}
	check(t, "a round deadline in the past (422)", "Give a deadline in the future",
		chromedp.Navigate(srv.URL+"/consultations/review"), chromedp.WaitVisible(chromedp.ID("round-deadline")),
		chromedp.SetValue(chromedp.ID("round-deadline"), "2000-01-01T00:00"),
		submit(`form[action$="/rounds"]`), chromedp.WaitVisible(chromedp.CSS(".field-error")))
	check(t, "an observer invited as head of delegation (422)", "Only a delegate can be the head of delegation",
		chromedp.Navigate(srv.URL+"/accounts"), chromedp.WaitVisible(chromedp.ID("approver")),
		chromedp.SetValue(chromedp.ID("role"), "observer"), chromedp.Click(chromedp.ID("approver")),
		submit(`form[action="/accounts/invitations"]`), chromedp.WaitVisible(chromedp.CSS(".field-error")))
	if c := app.reload(f.cons.ID); c.Round != 2 {
		t.Errorf("round %d after a refused form, want 2", c.Round)
	}
}
