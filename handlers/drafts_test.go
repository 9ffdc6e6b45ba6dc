package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"concord/models"
)

// everyMemberCanAct gives each member of the roster without a delegate
// account one (named "m-" and its code), so that a version can be
// circulated; with heads, each new account is its member's head of
// delegation. Members listed in skip are left alone.
func (a *testApp) everyMemberCanAct(heads bool, skip ...string) {
	a.t.Helper()
	ctx := context.Background()
	members, err := a.store.Members(ctx)
	if err != nil {
		a.t.Fatal(err)
	}
	users, err := a.store.Users(ctx)
	if err != nil {
		a.t.Fatal(err)
	}
	has := map[uint]bool{}
	for _, u := range users {
		if u.Role == models.RoleDelegate && u.MemberID != nil && (!heads || u.Approver) {
			has[*u.MemberID] = true
		}
	}
	for _, m := range members {
		if has[m.ID] || contains(skip, m.Code) {
			continue
		}
		u := a.delegate("m-"+strings.ToLower(m.Code), m.Code)
		if heads {
			if err := a.store.SetApprover(ctx, u.ID, true, a.authorID()); err != nil {
				a.t.Fatal(err)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// saveVersion saves a version of the draft through the Store; each
// paragraph is "text" or "text|qkey,qkey".
func (a *testApp) saveVersion(draftID uint, paragraphs ...string) *models.DraftVersion {
	a.t.Helper()
	var in []models.ParagraphInput
	for _, p := range paragraphs {
		text, keys, _ := strings.Cut(p, "|")
		pi := models.ParagraphInput{Text: text}
		if keys != "" {
			pi.Questions = strings.Split(keys, ",")
		}
		in = append(in, pi)
	}
	v, _, err := a.store.SaveDraftVersion(context.Background(), draftID, in, "", a.authorID())
	if err != nil {
		a.t.Fatalf("save version: %v", err)
	}
	return v
}

// matrixDrafts gives the consultation a draft (number 1) whose version 1
// was adopted by a silence procedure and whose version 2 is under a
// running one, returned. It moves the clock on by two hours: call it
// before anyone signs in.
func (a *testApp) matrixDrafts(consultationID uint) *models.Procedure {
	a.t.Helper()
	ctx := context.Background()
	a.everyMemberCanAct(false)
	d, err := a.store.CreateDraft(ctx, consultationID, "Matrix draft", a.authorID())
	if err != nil {
		a.t.Fatal(err)
	}
	v1 := a.saveVersion(d.ID, "Allies agree on the posture.|posture", "Allies keep talking.")
	if _, err := a.store.Circulate(ctx, v1.ID, a.clock.Now().Add(time.Hour), a.authorID()); err != nil {
		a.t.Fatal(err)
	}
	a.clock.advance(2 * time.Hour)
	if _, err := a.store.CloseDueProcedures(ctx); err != nil {
		a.t.Fatal(err)
	}
	v2 := a.saveVersion(d.ID, "Allies agree on the posture, firmly.|posture", "Allies keep talking.")
	p, err := a.store.Circulate(ctx, v2.ID, a.clock.Now().Add(7*24*time.Hour), a.authorID())
	if err != nil {
		a.t.Fatal(err)
	}
	return p
}

// draftWorld is a consultation with a facilitator, an observer and
// delegates of EST and LVA, signed in, and an account able to act for
// every other member.
type draftWorld struct {
	app              *testApp
	cons             *models.Consultation
	fac, obs, est    *client
	lva              *client
	facID, estUserID uint
	users            map[**client]*testUser
}

// advance moves the clock on and signs everyone in again (sessions end
// after half an hour idle).
func (w *draftWorld) advance(d time.Duration) {
	w.app.clock.advance(d)
	for cl, u := range w.users {
		*cl = w.app.login(u)
	}
}

func newDraftWorld(t *testing.T) *draftWorld {
	t.Helper()
	app := newTestApp(t)
	cons := app.consultation("strategy", models.StatusOpen, scaleQ("posture", 5), choiceQ("treaty", "Keep", "Suspend", "Void"))
	fac := app.facilitator("fac")
	obs := app.observer("obs")
	est := app.delegate("del-est", "EST")
	lva := app.delegate("del-lva", "LVA")
	app.everyMemberCanAct(false)
	w := &draftWorld{app: app, cons: cons, facID: fac.ID, estUserID: est.ID}
	w.users = map[**client]*testUser{&w.fac: fac, &w.obs: obs, &w.est: est, &w.lva: lva}
	w.advance(0)
	return w
}

func (w *draftWorld) path(rest string) string { return "/consultations/" + w.cons.Key + rest }

// draft creates a draft with one version of the paragraphs, through the
// Store.
func (w *draftWorld) draft(paragraphs ...string) *models.Draft {
	w.app.t.Helper()
	d, err := w.app.store.CreateDraft(context.Background(), w.cons.ID, "Strategy text", w.facID)
	if err != nil {
		w.app.t.Fatal(err)
	}
	if len(paragraphs) > 0 {
		w.app.saveVersion(d.ID, paragraphs...)
	}
	return d
}

// circulate puts version v of the draft under a procedure ending in a
// day.
func (w *draftWorld) circulate(d *models.Draft, v int) *models.Procedure {
	w.app.t.Helper()
	ctx := context.Background()
	ver, err := w.app.store.Version(ctx, d.ID, v)
	if err != nil {
		w.app.t.Fatal(err)
	}
	p, err := w.app.store.Circulate(ctx, ver.ID, w.app.clock.Now().Add(24*time.Hour), w.facID)
	if err != nil {
		w.app.t.Fatal(err)
	}
	return p
}

func TestDraftCreate(t *testing.T) {
	w := newDraftWorld(t)
	tests := []struct {
		name     string
		title    string
		code     int
		location string
		message  string
	}{
		{"a title", "Strategy toward Russia", http.StatusSeeOther, "/consultations/strategy/drafts/1", ""},
		{"no title", "   ", http.StatusUnprocessableEntity, "", "Give the draft a title."},
		{"the next number", "Second text", http.StatusSeeOther, "/consultations/strategy/drafts/2", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := w.fac.in(t).submit(w.path("/drafts"), url.Values{"title": {tt.title}})
			wantStatus(t, res, tt.code)
			if tt.location != "" {
				wantRedirect(t, res, tt.location)
			}
			if tt.message != "" {
				wantMessageBeside(t, res, tt.message, "title")
			}
		})
	}
	list := w.fac.get(w.path("/drafts"))
	wantText(t, list, "1. Strategy toward Russia", "2. Second text", "no version yet", "not circulated")
}

// draftForm is the drafting form with the given slots: each "order|text"
// or "order|text|remove"; the last slot is the new paragraph.
func draftForm(slots ...string) url.Values {
	f := url.Values{"count": {fmt.Sprint(len(slots))}}
	for i, s := range slots {
		parts := strings.Split(s, "|")
		p := fmt.Sprintf("p.%d.", i+1)
		f.Set(p+"order", parts[0])
		f.Set(p+"text", parts[1])
		if len(parts) > 2 && parts[2] == "remove" {
			f.Set(p+"remove", "on")
		}
		if i == len(slots)-1 {
			f.Set(p+"new", "1")
		}
	}
	return f
}

func withLinks(f url.Values, name string, keys ...string) url.Values {
	for _, k := range keys {
		f.Add(name, k)
	}
	return f
}

func TestDraftSaveVersions(t *testing.T) {
	w := newDraftWorld(t)
	d := w.draft()
	page := w.path("/drafts/1")
	ctx := context.Background()
	paragraphs := func(v int) []string {
		t.Helper()
		ver, err := w.app.store.Version(ctx, d.ID, v)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range ver.Paragraphs {
			out = append(out, fmt.Sprintf("%d:%s:%s", p.Number, p.Text, strings.Join(p.QuestionKeys, ",")))
		}
		return out
	}

	// Version 1: one paragraph typed in the new slot, linked to a question.
	f := draftForm("1|First paragraph.")
	f.Add("p.1.questions", "posture")
	res := w.fac.submit(page, f)
	wantRedirect(t, res, page)
	if got := res.flash(); got != "Saved as version 1." {
		t.Errorf("flash %q", got)
	}
	if got := paragraphs(1); strings.Join(got, "; ") != "1:First paragraph.:posture" {
		t.Errorf("version 1: %q", got)
	}
	form := w.fac.get(page)
	if got := form.textarea("p.1.text"); got != "First paragraph." {
		t.Errorf("the form shows %q in paragraph 1", got)
	}
	if got := form.inputValue("p.2.new"); got != "1" {
		t.Errorf("slot 2 is not the new paragraph: %q", got)
	}

	tests := []struct {
		name  string
		form  url.Values
		flash string
		want  []string // paragraphs of the latest version
		v     int
	}{
		{"unchanged", withLinks(draftForm("1|First paragraph.", "2|"), "p.1.questions", "posture"), "No change: still version 1.", nil, 1},
		{"only a link changed", draftForm("1|First paragraph.", "2|"), "Saved as version 2.", []string{"1:First paragraph.:"}, 2},
		{"a new paragraph placed first", draftForm("1|First paragraph.", "0|Opening paragraph."), "Saved as version 3.",
			[]string{"1:Opening paragraph.:", "2:First paragraph.:"}, 3},
		{"reordered by renumbering", draftForm("2|Opening paragraph.", "1|First paragraph.", "3|"), "Saved as version 4.",
			[]string{"1:First paragraph.:", "2:Opening paragraph.:"}, 4},
		{"one removed", draftForm("1|First paragraph.|remove", "2|Opening paragraph.", "3|"), "Saved as version 5.",
			[]string{"1:Opening paragraph.:"}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := w.fac.in(t).submit(page, tt.form)
			wantRedirect(t, res, page)
			if got := res.flash(); got != tt.flash {
				t.Errorf("flash %q, want %q", got, tt.flash)
			}
			if tt.want != nil {
				if got := paragraphs(tt.v); strings.Join(got, "; ") != strings.Join(tt.want, "; ") {
					t.Errorf("version %d: %q, want %q", tt.v, got, tt.want)
				}
			}
		})
	}
}

func TestDraftSaveRefused(t *testing.T) {
	w := newDraftWorld(t)
	w.draft("Kept paragraph.")
	page := w.path("/drafts/1")
	tests := []struct {
		name    string
		form    url.Values
		field   string
		message string
		keep    map[string]string // textareas kept as typed
	}{
		{"an emptied paragraph", draftForm("1|  ", "2|A new one."), "p.1.text", "Paragraph 1 is empty: write it or remove it.",
			map[string]string{"p.2.text": "A new one."}},
		{"an unreadable place", draftForm("first|Kept paragraph.", "2|"), "p.1.order", "Give paragraph 1's place as a number",
			map[string]string{"p.1.text": "Kept paragraph."}},
		{"a message on the paragraph placed first", draftForm("2|Kept paragraph.", "1|  ", "3|Third."), "p.2.text", "Paragraph 1 is empty",
			map[string]string{"p.1.text": "Kept paragraph.", "p.3.text": "Third."}},
		{"every paragraph removed", draftForm("1|Kept paragraph.|remove", "2|"), "", "A version needs at least one paragraph.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := w.fac.in(t).submit(page, tt.form)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			if tt.field != "" {
				wantMessageBeside(t, res, tt.message, tt.field)
			} else if !strings.Contains(res.alert(), tt.message) {
				t.Errorf("alert %q, want %q", res.alert(), tt.message)
			}
			for name, want := range tt.keep {
				if got := res.textarea(name); got != want {
					t.Errorf("%s: %q, want %q kept", name, got, want)
				}
			}
		})
	}
	// A link to a question the consultation does not have.
	f := draftForm("1|Kept paragraph.", "2|")
	f.Add("p.1.questions", "nonexistent")
	res := w.fac.submit(page, f)
	wantStatus(t, res, http.StatusUnprocessableEntity)
	wantFieldError(t, res, "", "links to questions this consultation does not have: nonexistent")
}

func TestDraftAnalysisBesideParagraph(t *testing.T) {
	w := newDraftWorld(t)
	author := w.app.authorID()
	// Best point 3: EST (2–3) and LVA (2–4) accept it, DEU (5 only) does
	// not: DEU is the holdout, with no common ground.
	w.app.submitPositions(w.cons.ID, "EST", author, models.PositionInput{QuestionKey: "posture", Preferred: 2, AcceptMin: 2, AcceptMax: 3,
		Conditions: "Only with a review clause."})
	w.app.submitPositions(w.cons.ID, "LVA", author, models.PositionInput{QuestionKey: "posture", Preferred: 3, AcceptMin: 2, AcceptMax: 4})
	w.app.submitPositions(w.cons.ID, "DEU", author, models.PositionInput{QuestionKey: "posture", Preferred: 5})
	w.draft("Allies will hold their posture.|posture", "Unlinked paragraph.")
	for name, cl := range map[string]*client{"facilitator": w.fac, "observer": w.obs} {
		t.Run(name, func(t *testing.T) {
			page := cl.in(t).get(w.path("/drafts/1"))
			wantStatus(t, page, http.StatusOK)
			wantText(t, page, "Common ground none", "Best point point 3", "Holdouts DEU", "Conditions (1) EST", "Only with a review clause.")
			if n := strings.Count(page.Body, `class="draft-q"`); n != 1 {
				t.Errorf("%d analysis panels, want 1 (one linked paragraph)", n)
			}
		})
	}
	// The observer reads; only the facilitator has the form.
	if got := w.obs.get(w.path("/drafts/1")); strings.Contains(got.Body, `name="p.1.text"`) {
		t.Error("the observer is offered the drafting form")
	}
	wantStatus(t, w.obs.submit(w.path("/drafts/1"), draftForm("1|Changed by an observer.", "2|")), http.StatusForbidden)
}

func TestDraftVisibility(t *testing.T) {
	w := newDraftWorld(t)
	d := w.draft("Version one text.")
	w.app.saveVersion(d.ID, "Version two text.")

	tests := []struct {
		name   string
		client *client
		path   string
		code   int
	}{
		{"a delegate: an uncirculated draft", w.est, "/drafts/1", http.StatusNotFound},
		{"a delegate: its version", w.est, "/drafts/1/versions/1", http.StatusNotFound},
		{"a delegate: its comparison", w.est, "/drafts/1/compare", http.StatusNotFound},
		{"the observer: the draft", w.obs, "/drafts/1", http.StatusOK},
		{"the observer: version 1", w.obs, "/drafts/1/versions/1", http.StatusOK},
		{"a delegate: no adopted text yet", w.est, "/drafts/1/adopted", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantStatus(t, tt.client.in(t).get(w.path(tt.path)), tt.code)
		})
	}
	if list := w.est.get(w.path("/drafts")); strings.Contains(list.Body, "Strategy text") {
		t.Error("the delegate's list shows an uncirculated draft")
	}

	// Once version 1 is circulated, delegates see the draft and version 1,
	// never version 2.
	w.circulate(d, 1)
	after := []struct {
		name string
		path string
		code int
	}{
		{"the draft", "/drafts/1", http.StatusOK},
		{"version 1", "/drafts/1/versions/1", http.StatusOK},
		{"version 2, not circulated", "/drafts/1/versions/2", http.StatusNotFound},
		{"a comparison with version 2", "/drafts/1/compare?from=1&to=2", http.StatusNotFound},
	}
	for _, tt := range after {
		t.Run("circulated: "+tt.name, func(t *testing.T) {
			wantStatus(t, w.est.in(t).get(w.path(tt.path)), tt.code)
		})
	}
	page := w.est.get(w.path("/drafts/1"))
	wantText(t, page, "Version one text.")
	if strings.Contains(page.Body, "Version two text.") {
		t.Error("the delegate sees the uncirculated version 2")
	}
	wantText(t, w.est.get(w.path("/drafts")), "1. Strategy text")
}

func TestDraftCompare(t *testing.T) {
	w := newDraftWorld(t)
	d := w.draft("The cat sat on the mat.", "Removed later.")
	w.app.saveVersion(d.ID, "The dog sat on the mat.", "Added later.")
	res := w.fac.get(w.path("/drafts/1/compare?from=1&to=2"))
	wantStatus(t, res, http.StatusOK)
	for _, want := range []string{
		`<del><span class="visually-hidden">[deleted: </span>cat<span class="visually-hidden">]</span></del>`,
		`<ins><span class="visually-hidden">[inserted: </span>dog<span class="visually-hidden">]</span></ins>`,
	} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("the comparison lacks %s", want)
		}
	}
	wantText(t, res, "¶ 1 changed", "2 paragraphs changed")
	// No query: the latest two versions.
	if def := w.fac.get(w.path("/drafts/1/compare")); !strings.Contains(def.Body, "version 1 and version 2") {
		t.Errorf("the default comparison is not of versions 1 and 2:\n%s", def.snippet())
	}
	wantStatus(t, w.fac.get(w.path("/drafts/1/compare?from=1&to=9")), http.StatusNotFound)
}

func TestDraftCirculate(t *testing.T) {
	w := newDraftWorld(t)
	ctx := context.Background()
	if err := w.app.store.UpdateConsultation(ctx, w.cons.ID, models.ConsultationInput{Title: w.cons.Title, Timezone: "Europe/Brussels"}, w.facID); err != nil {
		t.Fatal(err)
	}
	w.draft("Text to circulate.")
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	day := w.app.clock.Now().In(loc).AddDate(0, 0, 10)
	local := time.Date(day.Year(), day.Month(), day.Day(), 17, 0, 0, 0, loc)
	action := w.path("/drafts/1/versions/1/circulate")

	refused := []struct {
		name, deadline, confirm, field, message string
	}{
		{"not confirmed", local.Format("2006-01-02T15:04"), "", "confirm", "Confirm that this version is the text to circulate"},
		{"no deadline", "", "on", "deadline", "Give the deadline's date and time"},
		{"an unreadable deadline", "next friday", "on", "deadline", "Give a date and time such as"},
		{"a past deadline", w.app.clock.Now().Add(-time.Hour).In(loc).Format("2006-01-02T15:04"), "on", "deadline", "The deadline must be in the future."},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			res := w.fac.in(t).submit(action, url.Values{"deadline": {tt.deadline}, "confirm": {tt.confirm}})
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantMessageBeside(t, res, tt.message, tt.field)
			if got := res.inputValue("deadline"); got != tt.deadline {
				t.Errorf("deadline shown again as %q, want %q", got, tt.deadline)
			}
		})
	}

	res := w.fac.submit(action, url.Values{"deadline": {local.Format("2006-01-02T15:04")}, "confirm": {"on"}})
	wantStatus(t, res, http.StatusSeeOther)
	p := w.procedure(t, 1)
	if !p.Deadline.Equal(local) {
		t.Errorf("deadline %s, want %s (17:00 in Brussels)", p.Deadline, local.UTC())
	}
	page := w.fac.get(res.location())
	wantText(t, page, local.Format("Mon 2 Jan 2006, 15:04 MST")+" (Europe/Brussels)", local.UTC().Format("Mon 2 Jan 2006, 15:04")+" UTC")

	// A second circulation while the first runs.
	again := w.fac.submit(action, url.Values{"deadline": {local.Format("2006-01-02T15:04")}, "confirm": {"on"}})
	wantStatus(t, again, http.StatusConflict)
	wantText(t, again, "already running")
}

// procedure returns the draft's only or latest procedure of the draft
// number n.
func (w *draftWorld) procedure(t *testing.T, n int) models.Procedure {
	t.Helper()
	d, err := w.app.store.DraftByNumber(context.Background(), w.cons.ID, n)
	if err != nil || len(d.Procedures) == 0 {
		t.Fatalf("draft %d procedures: %v %v", n, d, err)
	}
	return d.Procedures[len(d.Procedures)-1]
}

func TestDraftCirculationNeedsAnAccountForEveryMember(t *testing.T) {
	app := newTestApp(t)
	cons := app.consultation("few", models.StatusOpen, scaleQ("posture", 5))
	fac := app.login(app.facilitator("fac"))
	app.everyMemberCanAct(false, "ALB", "ISL")
	d, err := app.store.CreateDraft(context.Background(), cons.ID, "Text", app.authorID())
	if err != nil {
		t.Fatal(err)
	}
	app.saveVersion(d.ID, "A paragraph.")
	deadline := app.clock.Now().Add(48 * time.Hour).Format("2006-01-02T15:04")
	res := fac.submit("/consultations/few/drafts/1/versions/1/circulate", url.Values{"deadline": {deadline}, "confirm": {"on"}})
	wantStatus(t, res, http.StatusConflict)
	wantText(t, res, "Nobody can act for these 2 members yet", "ALB Albania", "ISL Iceland", "none can act for Albania (ALB), Iceland (ISL)")
	if got := res.inputValue("deadline"); got != deadline {
		t.Errorf("the deadline was not kept: %q", got)
	}
}

func TestConsultationTimezoneField(t *testing.T) {
	app := newTestApp(t)
	fac := app.login(app.facilitator("fac"))
	tests := []struct {
		name, key, zone string
		code            int
		stored          string
	}{
		{"an IANA name", "brussels", "Europe/Brussels", http.StatusSeeOther, "Europe/Brussels"},
		{"empty means UTC", "utc", "", http.StatusSeeOther, "UTC"},
		{"an unknown zone", "mars", "Mars/Olympus_Mons", http.StatusUnprocessableEntity, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := fac.in(t).submit("/consultations", url.Values{"key": {tt.key}, "title": {"Zone " + tt.key}, "timezone": {tt.zone}})
			wantStatus(t, res, tt.code)
			if tt.code != http.StatusSeeOther {
				wantMessageBeside(t, res, "Give a time zone by its IANA name", "timezone")
				if got := res.inputValue("timezone"); got != tt.zone {
					t.Errorf("typed zone shown as %q", got)
				}
				return
			}
			c, err := app.store.ConsultationByKey(context.Background(), tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if c.Timezone != tt.stored {
				t.Errorf("stored zone %q, want %q", c.Timezone, tt.stored)
			}
			if got := fac.in(t).get("/consultations/" + tt.key + "/edit").inputValue("timezone"); got != tt.stored {
				t.Errorf("the edit form shows %q", got)
			}
		})
	}
}
