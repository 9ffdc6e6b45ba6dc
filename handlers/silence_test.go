package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"concord/models"
)

// silenceWorld is a draft world with draft 1 (three paragraphs) under a
// running silence procedure ending in a day.
type silenceWorld struct {
	*draftWorld
	d    *models.Draft
	proc *models.Procedure
	base string // the procedure's address
}

func newSilenceWorld(t *testing.T) *silenceWorld {
	t.Helper()
	w := newDraftWorld(t)
	d := w.draft("Deterrence comes first.", "The NATO–Russia Council remains suspended.", "Allies keep channels open.")
	p := w.circulate(d, 1)
	return &silenceWorld{draftWorld: w, d: d, proc: p, base: w.path(fmt.Sprintf("/drafts/1/procedures/%d", p.ID))}
}

// stand is the member's stand in the procedure, as the Store sees it.
func (w *silenceWorld) stand(t *testing.T, code string) *models.MemberStand {
	t.Helper()
	v, err := w.app.store.ProcedureState(context.Background(), w.proc.ID)
	if err != nil {
		t.Fatal(err)
	}
	s := v.Stand(w.app.member(code).ID)
	if s == nil {
		t.Fatalf("%s is not on the roster", code)
	}
	return s
}

func (w *silenceWorld) actions(t *testing.T) int {
	t.Helper()
	v, err := w.app.store.ProcedureState(context.Background(), w.proc.ID)
	if err != nil {
		t.Fatal(err)
	}
	return len(v.Actions)
}

func TestSilenceMemberActs(t *testing.T) {
	w := newSilenceWorld(t)
	page := w.base + "/members/EST"
	steps := []struct {
		name  string
		form  url.Values
		flash string
		stand string
	}{
		{"breaks silence with an amendment", url.Values{"action": {"broke"}, "paragraph": {"2"}, "text": {"We cannot accept this wording."},
			"amendment": {"The Council stays suspended for now."}}, "Silence broken: Your objection to paragraph 2 is recorded.", models.StandBroke},
		{"adds a footnote", url.Values{"action": {"footnote"}, "paragraph": {"1"}, "text": {"Estonia reads this as including cyber."}},
			"Your national footnote on paragraph 1 is recorded.", models.StandBroke},
		{"withdraws its objection", url.Values{"action": {"withdrew"}, "paragraph": {"2"}}, "Your objection to paragraph 2 is withdrawn.", models.StandSilent},
		{"joins silence", url.Values{"action": {"confirmed"}}, "Your answer is recorded: no objection.", models.StandConfirmed},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			res := w.est.in(t).submit(page, st.form)
			wantRedirect(t, res, page)
			if got := res.flash(); got != st.flash {
				t.Errorf("flash %q, want %q", got, st.flash)
			}
			if got := w.stand(t, "EST").Stand; got != st.stand {
				t.Errorf("stand %q, want %q", got, st.stand)
			}
		})
	}
	mine := w.est.get(page)
	wantText(t, mine, "Estonia's answer: no objection", "Footnote of Estonia: Estonia reads this as including cyber.",
		"broke silence on paragraph 2: “We cannot accept this wording.”", "withdrew its objection to paragraph 2")
	staff := w.fac.get(w.base)
	wantText(t, staff, "1 confirmed", "0 broke silence", "31 said nothing", "EST Estonia no objection")
}

func TestSilenceActRefused(t *testing.T) {
	w := newSilenceWorld(t)
	est := w.base + "/members/EST"

	t.Run("an objection without text", func(t *testing.T) {
		res := w.est.in(t).submit(est, url.Values{"action": {"broke"}, "paragraph": {"3"}, "text": {" "}, "amendment": {"Keep my amendment."}})
		wantStatus(t, res, http.StatusUnprocessableEntity)
		wantFieldError(t, res, "para-3", "Write the objection.")
		if got := res.fieldErrors("para-1"); len(got) != 0 {
			t.Errorf("messages beside paragraph 1's forms: %q", got)
		}
		if got := res.byID("broke-3-amendment"); got == nil || textContent(got) != "Keep my amendment." {
			t.Errorf("the amendment was not kept")
		}
	})
	t.Run("withdrawing without an objection", func(t *testing.T) {
		res := w.est.in(t).submit(est, url.Values{"action": {"withdrew"}, "paragraph": {"1"}})
		wantStatus(t, res, http.StatusConflict)
		wantText(t, res, "Estonia has no objection standing on paragraph 1 to withdraw.")
	})
	t.Run("a paragraph the version does not have", func(t *testing.T) {
		res := w.est.in(t).submit(est, url.Values{"action": {"footnote"}, "paragraph": {"9"}, "text": {"Note."}})
		wantStatus(t, res, http.StatusUnprocessableEntity)
		wantText(t, res, "Choose a paragraph from 1 to 3.")
	})

	refusals := []struct {
		name   string
		client *client
		path   string
		code   int
	}{
		{"a delegate of another member", w.lva, est, http.StatusForbidden},
		{"the observer", w.obs, est, http.StatusForbidden},
		{"the observer recording on a member's behalf", w.obs, w.base + "/record", http.StatusForbidden},
		{"the observer extending", w.obs, w.base + "/extend", http.StatusForbidden},
		{"the observer cancelling", w.obs, w.base + "/cancel", http.StatusForbidden},
		{"a delegate cancelling", w.est, w.base + "/cancel", http.StatusForbidden},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			before := w.actions(t)
			res := tt.client.in(t).submit(tt.path, url.Values{"action": {"broke"}, "paragraph": {"1"}, "text": {"No."},
				"member": {"EST"}, "reason": {"No."}, "deadline": {"2099-01-01T10:00"}})
			wantStatus(t, res, tt.code)
			if after := w.actions(t); after != before {
				t.Errorf("%d actions recorded by a refused request", after-before)
			}
		})
	}
	if p := w.procedure(t, 1); p.State != models.ProcedureRunning || !p.Deadline.Equal(w.proc.Deadline) {
		t.Errorf("refused requests changed the procedure: %s until %s", p.State, p.Deadline)
	}
}

func TestSilenceApprovalRequired(t *testing.T) {
	app := newTestApp(t)
	cons := app.consultation("approved", models.StatusOpen, scaleQ("posture", 5))
	ctx := context.Background()
	if err := app.store.SetRequireApproval(ctx, cons.ID, true, app.authorID()); err != nil {
		t.Fatal(err)
	}
	plain := app.delegate("plain-est", "EST")
	app.everyMemberCanAct(true) // a head of delegation for every member: m-est for EST
	hod := &testUser{User: mustUser(t, app, "m-est"), Password: testPassword}
	d, err := app.store.CreateDraft(ctx, cons.ID, "Text", app.authorID())
	if err != nil {
		t.Fatal(err)
	}
	v := app.saveVersion(d.ID, "Only paragraph.")
	p, err := app.store.Circulate(ctx, v.ID, app.clock.Now().Add(time.Hour), app.authorID())
	if err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/consultations/approved/drafts/1/procedures/%d/members/EST", p.ID)
	pc := app.login(plain)
	view := pc.get(page)
	wantStatus(t, view, http.StatusOK)
	wantText(t, view, "In this consultation Estonia's head of delegation answers the silence procedure.")
	if strings.Contains(view.Body, `name="action"`) {
		t.Error("the plain delegate is offered the forms")
	}
	wantStatus(t, pc.submit(page, url.Values{"action": {"confirmed"}}), http.StatusForbidden)
	res := app.login(hod).submit(page, url.Values{"action": {"confirmed"}})
	wantRedirect(t, res, page)
}

func mustUser(t *testing.T, app *testApp, username string) *models.User {
	t.Helper()
	users, err := app.store.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := range users {
		if users[i].Username == username {
			return &users[i]
		}
	}
	t.Fatalf("no account %s", username)
	return nil
}

func TestSilenceFacilitator(t *testing.T) {
	w := newSilenceWorld(t)

	// An answer received by telegram, recorded on Germany's behalf.
	res := w.fac.submit(w.base+"/record", url.Values{"member": {"DEU"}, "action": {"broke"}, "paragraph": {"3"},
		"text": {"Received by telegram: the channels need a time limit."}})
	wantRedirect(t, res, w.base)
	if got := res.flash(); got != "Silence broken: Germany's objection to paragraph 3 is recorded." {
		t.Errorf("flash %q", got)
	}
	page := w.fac.get(w.base)
	wantText(t, page, "DEU broke silence on paragraph 3: “Received by telegram: the channels need a time limit.” — recorded by Test fac on the member's behalf",
		"1 broke silence")
	refused := w.fac.submit(w.base+"/record", url.Values{"member": {""}, "action": {"confirmed"}, "text": {"Kept remark."}})
	wantStatus(t, refused, http.StatusUnprocessableEntity)
	wantMessageBeside(t, refused, "Choose the member the action comes from.", "member")
	if got := refused.textarea("text"); got != "Kept remark." {
		t.Errorf("the remark was not kept: %q", got)
	}

	// Extend: only to a later deadline.
	loc := time.UTC
	earlier := w.proc.Deadline.Add(-time.Hour).In(loc).Format("2006-01-02T15:04")
	res = w.fac.submit(w.base+"/extend", url.Values{"deadline": {earlier}})
	wantStatus(t, res, http.StatusUnprocessableEntity)
	wantMessageBeside(t, res, "The new deadline must be later than the current one", "deadline")
	later := w.proc.Deadline.Add(48 * time.Hour)
	res = w.fac.submit(w.base+"/extend", url.Values{"deadline": {later.Format("2006-01-02T15:04")}})
	wantRedirect(t, res, w.base)
	if p := w.procedure(t, 1); !p.Deadline.Equal(later.Truncate(time.Minute)) {
		t.Errorf("deadline %s, want %s", p.Deadline, later)
	}

	// Share the objections: the delegate of Latvia then sees Germany's.
	lvaPage := w.base + "/members/LVA"
	if strings.Contains(w.lva.get(lvaPage).Body, "the channels need a time limit") {
		t.Error("Latvia sees Germany's objection before it is shared")
	}
	wantRedirect(t, w.fac.submit(w.base+"/share", url.Values{"share": {"on"}}), w.base)
	wantText(t, w.lva.get(lvaPage), "Objections of other members", "DEU Received by telegram: the channels need a time limit.")

	// Cancel: a reason is required.
	res = w.fac.submit(w.base+"/cancel", url.Values{"reason": {""}})
	wantStatus(t, res, http.StatusUnprocessableEntity)
	wantMessageBeside(t, res, "Write the reason.", "reason")
	res = w.fac.submit(w.base+"/cancel", url.Values{"reason": {"Overtaken by the summit."}})
	wantRedirect(t, res, w.base)
	wantText(t, w.fac.get(w.base), "Cancelled", "Overtaken by the summit.")
	wantStatus(t, w.est.submit(w.base+"/members/EST", url.Values{"action": {"confirmed"}}), http.StatusConflict)
}

func TestSilenceDeadline(t *testing.T) {
	tests := []struct {
		name   string
		break_ bool
		state  string
		says   string
	}{
		{"unbroken: adopted", false, models.ProcedureAdopted, "Adopted at the deadline, silence unbroken."},
		{"broken: not adopted", true, models.ProcedureBroken, "Silence broken: version 1 was not adopted."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newSilenceWorld(t)
			if tt.break_ {
				wantStatus(t, w.est.submit(w.base+"/members/EST", url.Values{"action": {"broke"}, "paragraph": {"1"}, "text": {"No."}}),
					http.StatusSeeOther)
			}
			running := w.fac.get(w.base)
			if !strings.Contains(running.Body, `data-refresh="15"`) || !strings.Contains(running.Body, "/static/refresh.") {
				t.Error("the running procedure's page does not refresh itself")
			}
			w.advance(25 * time.Hour)
			// After the deadline nothing more is accepted, before or after
			// the deadline job has run.
			res := w.lva.submit(w.base+"/members/LVA", url.Values{"action": {"confirmed"}})
			wantStatus(t, res, http.StatusConflict)
			wantText(t, res, "no longer running")
			page := w.fac.get(w.base)
			wantText(t, page, tt.says)
			if strings.Contains(page.Body, "data-refresh") {
				t.Error("an ended procedure's page still refreshes itself")
			}
			if _, err := w.app.store.CloseDueProcedures(context.Background()); err != nil {
				t.Fatal(err)
			}
			if p := w.procedure(t, 1); p.State != tt.state {
				t.Errorf("state %q, want %q", p.State, tt.state)
			}
			adopted := w.est.get(w.path("/drafts/1/adopted"))
			if tt.state == models.ProcedureAdopted {
				wantStatus(t, adopted, http.StatusOK)
			} else {
				wantStatus(t, adopted, http.StatusNotFound)
			}
		})
	}
}

// adoptedWorld is a silence world whose procedure adopted its version,
// with footnotes from Türkiye and Greece.
func adoptedWorld(t *testing.T) *silenceWorld {
	t.Helper()
	w := newSilenceWorld(t)
	for code, note := range map[string]string{"TUR": "Türkiye's position on paragraph 2 is recorded.", "GRC": "Η Ελλάδα διατηρεί τη θέση της."} {
		if _, err := w.app.store.Act(context.Background(), w.proc.ID, models.ActionInput{MemberID: w.app.member(code).ID,
			Action: models.ActionFootnote, Paragraph: 2, Text: note}, w.facID); err != nil {
			t.Fatal(err)
		}
		w.app.clock.advance(time.Minute)
	}
	w.advance(25 * time.Hour)
	return w
}

func TestAdoptedPage(t *testing.T) {
	w := adoptedWorld(t)
	res := w.est.get(w.path("/drafts/1/adopted"))
	wantStatus(t, res, http.StatusOK)
	wantText(t, res, "Deterrence comes first.", "The NATO–Russia Council remains suspended.", "National footnotes",
		"Türkiye (paragraph 2): Türkiye's position on paragraph 2 is recorded.", "Greece (paragraph 2): Η Ελλάδα διατηρεί τη θέση της.")
	if !strings.Contains(res.Body, "/drafts/1/print.css") {
		t.Error("the adopted page has no print stylesheet")
	}
	css := w.est.get(w.path("/drafts/1/print.css"))
	wantStatus(t, css, http.StatusOK)
	if !strings.Contains(css.Body, `counter(page)`) {
		t.Errorf("the print stylesheet numbers no pages:\n%s", css.Body)
	}
}

func TestAdoptedDownloads(t *testing.T) {
	w := adoptedWorld(t)
	md := w.est.get(w.path("/drafts/1/adopted.md"))
	wantStatus(t, md, http.StatusOK)
	if ct := md.Header.Get("Content-Type"); ct != "text/markdown; charset=utf-8" {
		t.Errorf("Markdown content type %q", ct)
	}
	if cd := md.Header.Get("Content-Disposition"); cd != `attachment; filename="strategy-draft1-v1-adopted.md"` {
		t.Errorf("Markdown disposition %q", cd)
	}
	for _, want := range []string{"Deterrence comes first.", "Allies keep channels open.", "Türkiye", "Η Ελλάδα διατηρεί τη θέση της."} {
		if !strings.Contains(md.Body, want) {
			t.Errorf("the Markdown lacks %q", want)
		}
	}

	pdf := w.est.get(w.path("/drafts/1/adopted.pdf"))
	wantStatus(t, pdf, http.StatusOK)
	if ct := pdf.Header.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("PDF content type %q", ct)
	}
	if !strings.HasPrefix(pdf.Body, "%PDF") {
		t.Fatalf("the PDF starts with %q", pdf.Body[:min(8, len(pdf.Body))])
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	file := filepath.Join(t.TempDir(), "adopted.pdf")
	if err := os.WriteFile(file, []byte(pdf.Body), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command("pdftotext", "-enc", "UTF-8", file, "-")
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{"Deterrence comes first.", "Allies keep channels open.", "Türkiye", "Greece"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, text)
		}
	}
}

func TestSilenceDashboard(t *testing.T) {
	w := newSilenceWorld(t)
	dash := w.est.get("/dashboard")
	wantText(t, dash, "Silence procedures running", "Strategy text", "no answer from you yet")
	wantStatus(t, w.est.submit(w.base+"/members/EST", url.Values{"action": {"confirmed"}}), http.StatusSeeOther)
	wantText(t, w.est.get("/dashboard"), "you confirmed: no objection")
	// A delegate who opens the procedure's address lands on its member's page.
	wantRedirect(t, w.est.get(w.base), w.base+"/members/EST")
	// Once the deadline passes, the procedure is no longer listed.
	w.advance(25 * time.Hour)
	if strings.Contains(w.est.get("/dashboard").Body, "Silence procedures running") {
		t.Error("an ended procedure is still listed as running")
	}
}
