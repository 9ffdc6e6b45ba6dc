package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"concord/models"
)

// Tests of the API's drafts, versions, silence procedures, adopted text
// and members' actions.

// apiDraftDelegates gives every member of the roster without an active
// delegate account one (username "d-" and the member code in lower case),
// so that a version can be circulated, and returns them by member code.
func apiDraftDelegates(a *testApp) map[string]*testUser {
	a.t.Helper()
	ctx := context.Background()
	users, err := a.store.Users(ctx)
	if err != nil {
		a.t.Fatal(err)
	}
	has := map[uint]bool{}
	for _, u := range users {
		if u.Role == models.RoleDelegate && u.MemberID != nil && u.Active() {
			has[*u.MemberID] = true
		}
	}
	members, err := a.store.Members(ctx)
	if err != nil {
		a.t.Fatal(err)
	}
	out := map[string]*testUser{}
	for _, m := range members {
		if !has[m.ID] {
			out[m.Code] = a.delegate("d-"+strings.ToLower(m.Code), m.Code)
		}
	}
	return out
}

// apiDraftText is version 1 of the fixture's draft.
var apiDraftText = []models.ParagraphInput{
	{Text: "Allies reaffirm their commitment to collective defence."},
	{Text: "The NATO–Russia Council remains suspended.", Questions: []string{"posture", "treaty"}},
	{Text: "Allies keep channels of communication open to reduce risks."},
}

// apiDraftFixture is the API fixture with a draft under a silence
// procedure, in the consultation "review" (time zone Europe/Brussels,
// marking "NATO RESTRICTED"), the clock standing at 2 November 2026 09:00
// UTC:
//
//   - draft 1, "NATO–Russia strategy": version 1 (apiDraftText) circulated
//     with the deadline 4 November 2026 17:00 UTC (18:00 in Brussels);
//     version 2 saved since, not circulated. In the procedure HUN broke
//     silence on paragraph 3 with an amendment, TUR attached a footnote to
//     paragraph 1, EST confirmed and attached a footnote to paragraph 2.
//   - draft 2, "Communiqué": version 1, never circulated.
type apiDraftFixture struct {
	*apiFixture
	del      map[string]*testUser // delegates of the members other than EST and LVA
	d1, d2   *models.Draft
	v1, v2   *models.DraftVersion
	proc     *models.Procedure
	deadline time.Time
}

var apiDraftNow = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func newAPIDraftFixture(t *testing.T) *apiDraftFixture {
	t.Helper()
	ctx := context.Background()
	f := &apiDraftFixture{apiFixture: newAPIFixture(t)}
	app := f.app
	app.clock.mu.Lock()
	app.clock.now = apiDraftNow
	app.clock.mu.Unlock()
	if err := app.store.UpdateConsultation(ctx, f.open.ID, models.ConsultationInput{Title: f.open.Title,
		Description: f.open.Description, Marking: "NATO RESTRICTED", Timezone: "Europe/Brussels"}, f.fac.ID); err != nil {
		t.Fatal(err)
	}
	f.del = apiDraftDelegates(app)
	var err error
	if f.d1, err = app.store.CreateDraft(ctx, f.open.ID, "NATO–Russia strategy", f.fac.ID); err != nil {
		t.Fatal(err)
	}
	if f.v1, _, err = app.store.SaveDraftVersion(ctx, f.d1.ID, apiDraftText, "First text.", f.fac.ID); err != nil {
		t.Fatal(err)
	}
	f.deadline = time.Date(2026, 11, 4, 17, 0, 0, 0, time.UTC)
	if f.proc, err = app.store.Circulate(ctx, f.v1.ID, f.deadline, f.fac.ID); err != nil {
		t.Fatal(err)
	}
	v2Text := slices.Clone(apiDraftText)
	v2Text[2] = models.ParagraphInput{Text: "Allies keep military channels of communication open."}
	if f.v2, _, err = app.store.SaveDraftVersion(ctx, f.d1.ID, v2Text, "Paragraph 3 narrowed.", f.fac.ID); err != nil {
		t.Fatal(err)
	}
	if f.d2, err = app.store.CreateDraft(ctx, f.open.ID, "Communiqué", f.fac.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err = app.store.SaveDraftVersion(ctx, f.d2.ID, []models.ParagraphInput{{Text: "Heads of State met."}}, "", f.fac.ID); err != nil {
		t.Fatal(err)
	}
	f.act("HUN", f.del["HUN"].ID, models.ActionInput{Action: models.ActionBroke, Paragraph: 3,
		Text: "Channels must not legitimise the regime.", Amendment: "Allies keep military channels open."})
	f.act("TUR", f.del["TUR"].ID, models.ActionInput{Action: models.ActionFootnote, Paragraph: 1,
		Text: "Türkiye recalls its position on the Straits."})
	f.act("EST", f.est.ID, models.ActionInput{Action: models.ActionConfirmed})
	f.act("EST", f.est.ID, models.ActionInput{Action: models.ActionFootnote, Paragraph: 2,
		Text: "Estonia would prefer the Council dissolved."})
	return f
}

// act records an action through the Store, the clock moving a minute first
// so that the actions have distinct times.
func (f *apiDraftFixture) act(code string, by uint, in models.ActionInput) {
	f.app.t.Helper()
	f.app.clock.advance(time.Minute)
	in.MemberID = f.app.member(code).ID
	if _, err := f.app.store.Act(context.Background(), f.proc.ID, in, by); err != nil {
		f.app.t.Fatalf("%s %s: %v", code, in.Action, err)
	}
}

// token makes an API token for the delegate of a member of f.del.
func (f *apiDraftFixture) token(code string) string {
	f.app.t.Helper()
	tok, _ := f.app.apiToken(f.del[code], "90")
	return tok
}

func (f *apiDraftFixture) procPath(suffix string) string {
	return fmt.Sprintf("/api/v1/consultations/review/drafts/1/procedures/%d%s", f.proc.ID, suffix)
}

type apiProcedureJSON struct {
	ID              uint    `json:"id"`
	Version         int     `json:"version"`
	Hash            string  `json:"hash"`
	State           string  `json:"state"`
	Deadline        string  `json:"deadline"`
	DeadlineLocal   string  `json:"deadline_local"`
	Timezone        string  `json:"timezone"`
	ClosedAt        *string `json:"closed_at"`
	AdoptedHash     *string `json:"adopted_hash"`
	ShareObjections bool    `json:"share_objections"`
}

type apiDraftsJSON struct {
	Consultation string `json:"consultation"`
	Timezone     string `json:"timezone"`
	Drafts       []struct {
		Number   int    `json:"number"`
		Title    string `json:"title"`
		Versions []struct {
			Version int    `json:"version"`
			Hash    string `json:"hash"`
			Note    string `json:"note"`
		} `json:"versions"`
		Procedures []apiProcedureJSON `json:"procedures"`
	} `json:"drafts"`
}

// summary writes a list of drafts as "1:v1,v2:p<state> 2:v1:".
func (d apiDraftsJSON) summary() string {
	var parts []string
	for _, dr := range d.Drafts {
		var vs, ps []string
		for _, v := range dr.Versions {
			vs = append(vs, fmt.Sprintf("v%d", v.Version))
		}
		for _, p := range dr.Procedures {
			ps = append(ps, fmt.Sprintf("p%d-%s", p.Version, p.State))
		}
		parts = append(parts, fmt.Sprintf("%d:%s:%s", dr.Number, strings.Join(vs, ","), strings.Join(ps, ",")))
	}
	return strings.Join(parts, " ")
}

func TestAPIListDrafts(t *testing.T) {
	f := newAPIDraftFixture(t)
	tests := []struct {
		name  string
		token func() string
		want  string
	}{
		{"facilitator: every draft and version", func() string { return f.facT }, "1:v1,v2:p1-running 2:v1:"},
		{"observer: every draft and version", func() string { return f.obsT }, "1:v1,v2:p1-running 2:v1:"},
		{"delegate: circulated drafts and versions only", func() string { return f.estT }, "1:v1:p1-running"},
		{"delegate of another member: the same", func() string { return f.lvT }, "1:v1:p1-running"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := f.app.apiCall(tc.token(), http.MethodGet, "/api/v1/consultations/review/drafts", "")
			wantStatus(t, res, http.StatusOK)
			var got apiDraftsJSON
			apiDecode(t, res, &got)
			if s := got.summary(); s != tc.want {
				t.Errorf("drafts %q, want %q", s, tc.want)
			}
			if got.Consultation != "review" || got.Timezone != "Europe/Brussels" {
				t.Errorf("consultation %q, timezone %q", got.Consultation, got.Timezone)
			}
			d := got.Drafts[0]
			if d.Title != "NATO–Russia strategy" || d.Versions[0].Hash != f.v1.Hash || d.Versions[0].Note != "First text." {
				t.Errorf("draft 1 = %+v", d)
			}
			p := d.Procedures[0]
			want := apiProcedureJSON{ID: f.proc.ID, Version: 1, Hash: f.v1.Hash, State: "running",
				Deadline: "2026-11-04T17:00:00Z", DeadlineLocal: "2026-11-04T18:00:00+01:00", Timezone: "Europe/Brussels"}
			if p != want {
				t.Errorf("procedure\n got %+v\nwant %+v", p, want)
			}
		})
	}

	// A consultation without drafts: an empty list; a draft consultation
	// is not found for a delegate.
	res := f.app.apiCall(f.estT, http.MethodGet, "/api/v1/consultations/finished/drafts", "")
	wantStatus(t, res, http.StatusOK)
	if !strings.Contains(res.Body, `"drafts":[]`) || !strings.Contains(res.Body, `"timezone":"UTC"`) {
		t.Errorf("no drafts: %s", res.Body)
	}
	apiWantError(t, f.app.apiCall(f.estT, http.MethodGet, "/api/v1/consultations/drafting/drafts", ""), http.StatusNotFound, "not_found")
}

type apiVersionJSON struct {
	Draft      int    `json:"draft"`
	Version    int    `json:"version"`
	Hash       string `json:"hash"`
	Note       string `json:"note"`
	Paragraphs []struct {
		Number    int      `json:"number"`
		Text      string   `json:"text"`
		Questions []string `json:"questions"`
	} `json:"paragraphs"`
	Footnotes []struct {
		Procedure  uint   `json:"procedure"`
		Member     string `json:"member"`
		MemberName string `json:"member_name"`
		Paragraph  int    `json:"paragraph"`
		Text       string `json:"text"`
		At         string `json:"at"`
	} `json:"footnotes"`
}

func (v apiVersionJSON) footnotes() string {
	var out []string
	for _, fn := range v.Footnotes {
		out = append(out, fmt.Sprintf("%s(%s) ¶%d %s", fn.Member, fn.MemberName, fn.Paragraph, fn.At))
	}
	return strings.Join(out, "; ")
}

func TestAPIDraftVersion(t *testing.T) {
	const (
		turNote = "TUR(Türkiye) ¶1 2026-11-02T09:02:00Z"
		estNote = "EST(Estonia) ¶2 2026-11-02T09:04:00Z"
	)
	tests := []struct {
		name      string
		token     func(f *apiDraftFixture) string
		share     bool
		path      string
		footnotes string // "" for none
	}{
		{"facilitator sees every footnote", func(f *apiDraftFixture) string { return f.facT }, false, "1/versions/1", turNote + "; " + estNote},
		{"observer sees every footnote", func(f *apiDraftFixture) string { return f.obsT }, false, "1/versions/1", turNote + "; " + estNote},
		{"delegate sees its own member's footnote", func(f *apiDraftFixture) string { return f.estT }, false, "1/versions/1", estNote},
		{"another member's delegate sees none", func(f *apiDraftFixture) string { return f.lvT }, false, "1/versions/1", ""},
		{"shared: every delegate sees every footnote", func(f *apiDraftFixture) string { return f.lvT }, true, "1/versions/1", turNote + "; " + estNote},
		{"a version never circulated has none", func(f *apiDraftFixture) string { return f.facT }, false, "1/versions/2", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newAPIDraftFixture(t)
			if tc.share {
				if err := f.app.store.SetShareObjections(context.Background(), f.proc.ID, true, f.fac.ID); err != nil {
					t.Fatal(err)
				}
			}
			res := f.app.apiCall(tc.token(f), http.MethodGet, "/api/v1/consultations/review/drafts/"+tc.path, "")
			wantStatus(t, res, http.StatusOK)
			var got apiVersionJSON
			apiDecode(t, res, &got)
			if s := got.footnotes(); s != tc.footnotes {
				t.Errorf("footnotes %q, want %q", s, tc.footnotes)
			}
			if got.Draft != 1 || len(got.Paragraphs) != 3 {
				t.Fatalf("draft %d with %d paragraphs, want draft 1 with 3", got.Draft, len(got.Paragraphs))
			}
			want := f.v1
			if got.Version == 2 {
				want = f.v2
			}
			if got.Hash != want.Hash || got.Note != want.Note {
				t.Errorf("version %d: hash %s note %q, want %s %q", got.Version, got.Hash, got.Note, want.Hash, want.Note)
			}
			p := got.Paragraphs[1]
			if p.Number != 2 || p.Text != "The NATO–Russia Council remains suspended." || strings.Join(p.Questions, ",") != "posture,treaty" {
				t.Errorf("paragraph 2 = %+v", p)
			}
			if q := got.Paragraphs[0].Questions; q == nil || len(q) != 0 {
				t.Errorf("paragraph 1 questions = %#v, want an empty list", q)
			}
		})
	}
}

func TestAPIDraftNotFound(t *testing.T) {
	f := newAPIDraftFixture(t)
	tests := []struct {
		name, token, path string
	}{
		{"delegate: a version never circulated", f.estT, "/drafts/1/versions/2"},
		{"delegate: a draft never circulated", f.estT, "/drafts/2/versions/1"},
		{"delegate: its adopted text", f.estT, "/drafts/2/adopted.md"},
		{"no such draft", f.facT, "/drafts/9/versions/1"},
		{"draft not a number", f.facT, "/drafts/first/versions/1"},
		{"draft zero", f.facT, "/drafts/0/versions/1"},
		{"no such version", f.facT, "/drafts/1/versions/3"},
		{"version not a number", f.facT, "/drafts/1/versions/v1"},
		{"procedure of another draft", f.facT, fmt.Sprintf("/drafts/2/procedures/%d", f.proc.ID)},
		{"no such procedure", f.facT, fmt.Sprintf("/drafts/1/procedures/%d", f.proc.ID+1)},
		{"procedure not a number", f.facT, "/drafts/1/procedures/latest"},
		{"nothing adopted yet", f.facT, "/drafts/1/adopted.md"},
		{"draft number of another consultation", f.facT, "/../finished/drafts/1/versions/1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := "/api/v1/consultations/review" + tc.path
			if after, ok := strings.CutPrefix(tc.path, "/.."); ok {
				path = "/api/v1/consultations" + after
			}
			res := f.app.apiCall(tc.token, http.MethodGet, path, "")
			apiWantError(t, res, http.StatusNotFound, "not_found")
		})
	}
	// Actions on a draft a delegate does not see are not found either.
	res := f.app.apiCall(f.estT, http.MethodPost, fmt.Sprintf("/api/v1/consultations/review/drafts/2/procedures/%d/actions", f.proc.ID),
		`{"action":"confirmed"}`)
	apiWantError(t, res, http.StatusNotFound, "not_found")
}

type apiProcedureDetailJSON struct {
	apiProcedureJSON
	Draft  int `json:"draft"`
	Counts *struct {
		Silent    int `json:"silent"`
		Confirmed int `json:"confirmed"`
		Broke     int `json:"broke"`
	} `json:"counts"`
	Members []struct {
		Member  string `json:"member"`
		Name    string `json:"name"`
		Stand   string `json:"stand"`
		Actions []struct {
			Action    string `json:"action"`
			Paragraph int    `json:"paragraph"`
			Text      string `json:"text"`
			Amendment string `json:"amendment"`
			By        string `json:"by"`
			OnBehalf  bool   `json:"on_behalf"`
			At        string `json:"at"`
		} `json:"actions"`
	} `json:"members"`
}

// stands writes the members with actions or a stand other than silent as
// "EST:confirmed[confirmed,footnote2]".
func (p apiProcedureDetailJSON) stands() string {
	var out []string
	for _, m := range p.Members {
		if m.Stand == models.StandSilent && len(m.Actions) == 0 {
			continue
		}
		var acts []string
		for _, a := range m.Actions {
			s := a.Action
			if a.Paragraph > 0 {
				s += fmt.Sprint(a.Paragraph)
			}
			acts = append(acts, s)
		}
		out = append(out, fmt.Sprintf("%s:%s[%s]", m.Member, m.Stand, strings.Join(acts, ",")))
	}
	return strings.Join(out, " ")
}

func TestAPIProcedure(t *testing.T) {
	const every = "EST:confirmed[confirmed,footnote2] HUN:broke[broke3] TUR:silent[footnote1]"
	tests := []struct {
		name    string
		token   func(f *apiDraftFixture) string
		share   bool
		members int    // members listed
		counts  string // "" when left out
		stands  string
	}{
		{"facilitator: every member", func(f *apiDraftFixture) string { return f.facT }, false, 32, "30/1/1", every},
		{"observer: every member", func(f *apiDraftFixture) string { return f.obsT }, false, 32, "30/1/1", every},
		{"delegate: its own member only", func(f *apiDraftFixture) string { return f.estT }, false, 1, "", "EST:confirmed[confirmed,footnote2]"},
		{"delegate of a silent member: itself only", func(f *apiDraftFixture) string { return f.lvT }, false, 1, "", ""},
		{"the member that broke silence: itself only", func(f *apiDraftFixture) string { return f.token("HUN") }, false, 1, "", "HUN:broke[broke3]"},
		{"shared: a delegate sees every member", func(f *apiDraftFixture) string { return f.lvT }, true, 32, "30/1/1", every},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newAPIDraftFixture(t)
			if tc.share {
				if err := f.app.store.SetShareObjections(context.Background(), f.proc.ID, true, f.fac.ID); err != nil {
					t.Fatal(err)
				}
			}
			res := f.app.apiCall(tc.token(f), http.MethodGet, f.procPath(""), "")
			wantStatus(t, res, http.StatusOK)
			var got apiProcedureDetailJSON
			apiDecode(t, res, &got)
			if got.State != "running" || got.Deadline != "2026-11-04T17:00:00Z" || got.DeadlineLocal != "2026-11-04T18:00:00+01:00" ||
				got.Draft != 1 || got.Version != 1 || got.ShareObjections != tc.share || got.ClosedAt != nil {
				t.Errorf("procedure %+v", got.apiProcedureJSON)
			}
			if len(got.Members) != tc.members {
				t.Errorf("%d members listed, want %d", len(got.Members), tc.members)
			}
			counts := ""
			if got.Counts != nil {
				counts = fmt.Sprintf("%d/%d/%d", got.Counts.Silent, got.Counts.Confirmed, got.Counts.Broke)
			}
			if counts != tc.counts {
				t.Errorf("counts %q, want %q", counts, tc.counts)
			}
			if s := got.stands(); s != tc.stands {
				t.Errorf("stands %q, want %q", s, tc.stands)
			}
			for _, m := range got.Members {
				if m.Member != "HUN" {
					continue
				}
				a := m.Actions[0]
				if m.Name != "Hungary" || a.Text != "Channels must not legitimise the regime." || a.Amendment != "Allies keep military channels open." ||
					a.By != "Test d-hun" || a.OnBehalf || a.At != "2026-11-02T09:01:00Z" {
					t.Errorf("HUN = %+v", m)
				}
			}
			if tc.members < 32 && strings.Contains(res.Body, "legitimise") && tc.stands != "HUN:broke[broke3]" {
				t.Errorf("HUN's objection shown to another member:\n%s", res.Body)
			}
		})
	}
}

type apiActionJSON struct {
	Procedure  uint   `json:"procedure"`
	Member     string `json:"member"`
	MemberName string `json:"member_name"`
	Action     string `json:"action"`
	Paragraph  int    `json:"paragraph"`
	Text       string `json:"text"`
	Amendment  string `json:"amendment"`
	By         string `json:"by"`
	OnBehalf   bool   `json:"on_behalf"`
	At         string `json:"at"`
}

func TestAPIProcedureAction(t *testing.T) {
	tests := []struct {
		name  string
		token func(f *apiDraftFixture) string
		body  string
		want  apiActionJSON // Procedure is filled in by the test
	}{
		{"delegate breaks silence for its own member", func(f *apiDraftFixture) string { return f.lvT },
			`{"action":"broke","paragraph":2,"text":"Latvia objects.","amendment":"The Council is dissolved."}`,
			apiActionJSON{Member: "LVA", MemberName: "Latvia", Action: "broke", Paragraph: 2, Text: "Latvia objects.",
				Amendment: "The Council is dissolved.", By: "Test janis", At: "2026-11-02T09:04:00Z"}},
		{"delegate names its own member, in lower case", func(f *apiDraftFixture) string { return f.lvT },
			`{"member":"lva","action":"confirmed","text":"No objection."}`,
			apiActionJSON{Member: "LVA", MemberName: "Latvia", Action: "confirmed", Text: "No objection.", By: "Test janis", At: "2026-11-02T09:04:00Z"}},
		{"delegate adds a footnote", func(f *apiDraftFixture) string { return f.token("GRC") },
			`{"action":"footnote","paragraph":1,"text":"Η Ελλάδα υπενθυμίζει τη θέση της."}`,
			apiActionJSON{Member: "GRC", MemberName: "Greece", Action: "footnote", Paragraph: 1, Text: "Η Ελλάδα υπενθυμίζει τη θέση της.",
				By: "Test d-grc", At: "2026-11-02T09:04:00Z"}},
		{"member withdraws its objection", func(f *apiDraftFixture) string { return f.token("HUN") },
			`{"action":"withdrew","paragraph":3,"text":"Resolved bilaterally."}`,
			apiActionJSON{Member: "HUN", MemberName: "Hungary", Action: "withdrew", Paragraph: 3, Text: "Resolved bilaterally.",
				By: "Test d-hun", At: "2026-11-02T09:04:00Z"}},
		{"facilitator on a member's behalf", func(f *apiDraftFixture) string { return f.facT },
			`{"member":"ALB","action":"confirmed","text":"Received by telegram."}`,
			apiActionJSON{Member: "ALB", MemberName: "Albania", Action: "confirmed", Text: "Received by telegram.",
				By: "Test fiona", OnBehalf: true, At: "2026-11-02T09:04:00Z"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newAPIDraftFixture(t)
			before := f.app.auditCount(models.AuditProcedureAction)
			res := f.app.apiCall(tc.token(f), http.MethodPost, f.procPath("/actions"), tc.body)
			wantStatus(t, res, http.StatusCreated)
			var got apiActionJSON
			apiDecode(t, res, &got)
			want := tc.want
			want.Procedure = f.proc.ID
			if got != want {
				t.Errorf("recorded\n got %+v\nwant %+v", got, want)
			}
			if n := f.app.auditCount(models.AuditProcedureAction) - before; n != 1 {
				t.Errorf("%d audit events, want 1", n)
			}
			// The procedure shows it.
			var proc apiProcedureDetailJSON
			apiDecode(t, f.app.apiCall(f.facT, http.MethodGet, f.procPath(""), ""), &proc)
			found := false
			for _, m := range proc.Members {
				if m.Member == want.Member {
					last := m.Actions[len(m.Actions)-1]
					found = last.Action == want.Action && last.Text == want.Text && last.OnBehalf == want.OnBehalf
				}
			}
			if !found {
				t.Errorf("the procedure does not show the action: %s", proc.stands())
			}
		})
	}
}

func TestAPIProcedureActionRefused(t *testing.T) {
	tests := []struct {
		name     string
		token    func(f *apiDraftFixture) string
		body     string
		status   int
		code     string
		fields   string // the fields of a 422, sorted, comma-separated
		approval bool   // the consultation requires national approval
	}{
		{"delegate of another member", func(f *apiDraftFixture) string { return f.lvT },
			`{"member":"EST","action":"confirmed"}`, 403, "forbidden", "", false},
		{"observer", func(f *apiDraftFixture) string { return f.obsT },
			`{"member":"EST","action":"confirmed"}`, 403, "forbidden", "", false},
		{"plain delegate where approval is required", func(f *apiDraftFixture) string { return f.lvT },
			`{"action":"confirmed"}`, 403, "forbidden", "", true},
		{"facilitator without a member", func(f *apiDraftFixture) string { return f.facT },
			`{"action":"confirmed"}`, 422, "validation_failed", "member", false},
		{"facilitator naming an unknown member", func(f *apiDraftFixture) string { return f.facT },
			`{"member":"XXX","action":"confirmed"}`, 422, "validation_failed", "member", false},
		{"objection without text", func(f *apiDraftFixture) string { return f.lvT },
			`{"action":"broke","paragraph":1}`, 422, "validation_failed", "text", false},
		{"paragraph the version does not have", func(f *apiDraftFixture) string { return f.lvT },
			`{"action":"footnote","paragraph":4,"text":"A note."}`, 422, "validation_failed", "paragraph", false},
		{"unknown action", func(f *apiDraftFixture) string { return f.lvT },
			`{"action":"vetoed","paragraph":1,"text":"No."}`, 422, "validation_failed", "action", false},
		{"amendment with a footnote", func(f *apiDraftFixture) string { return f.lvT },
			`{"action":"footnote","paragraph":1,"text":"A note.","amendment":"Other text."}`, 422, "validation_failed", "amendment", false},
		{"confirmation naming a paragraph", func(f *apiDraftFixture) string { return f.lvT },
			`{"action":"confirmed","paragraph":2}`, 422, "validation_failed", "paragraph", false},
		{"unknown field", func(f *apiDraftFixture) string { return f.lvT },
			`{"action":"confirmed","veto":true}`, 422, "validation_failed", "veto", false},
		{"paragraph as a string", func(f *apiDraftFixture) string { return f.lvT },
			`{"action":"footnote","paragraph":"1","text":"A note."}`, 422, "validation_failed", "paragraph", false},
		{"a lone surrogate in the text", func(f *apiDraftFixture) string { return f.lvT },
			`{"action":"footnote","paragraph":1,"text":"A note \ud800."}`, 422, "validation_failed", "text", false},
		{"objection too long", func(f *apiDraftFixture) string { return f.lvT },
			`{"action":"broke","paragraph":1,"text":"` + strings.Repeat("é", models.MaxObjection+1) + `"}`, 422, "validation_failed", "text", false},
		{"withdrawing where no objection stands", func(f *apiDraftFixture) string { return f.lvT },
			`{"action":"withdrew","paragraph":1}`, 409, "conflict", "", false},
		{"confirming while an objection stands", func(f *apiDraftFixture) string { return f.token("HUN") },
			`{"action":"confirmed"}`, 409, "conflict", "", false},
		{"not JSON", func(f *apiDraftFixture) string { return f.lvT },
			`action=confirmed`, 400, "invalid_json", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newAPIDraftFixture(t)
			if tc.approval {
				if err := f.app.store.SetRequireApproval(context.Background(), f.open.ID, true, f.fac.ID); err != nil {
					t.Fatal(err)
				}
			}
			before := f.app.auditCount(models.AuditProcedureAction)
			res := f.app.apiCall(tc.token(f), http.MethodPost, f.procPath("/actions"), tc.body)
			e := apiWantError(t, res, tc.status, tc.code)
			var fields []string
			for k := range e.Error.Fields {
				fields = append(fields, k)
			}
			slices.Sort(fields)
			if got := strings.Join(fields, ","); got != tc.fields {
				t.Errorf("fields %q (%v), want %q", got, e.Error.Fields, tc.fields)
			}
			if n := f.app.auditCount(models.AuditProcedureAction) - before; n != 0 {
				t.Errorf("%d actions recorded by a refused request", n)
			}
		})
	}
}

// TestAPIProcedureActionUnderApproval: where national approval is
// required, the member's head of delegation acts, and a facilitator on its
// behalf; its other delegates do not.
func TestAPIProcedureActionUnderApproval(t *testing.T) {
	f := newAPIDraftFixture(t)
	ctx := context.Background()
	if err := f.app.store.SetRequireApproval(ctx, f.open.ID, true, f.fac.ID); err != nil {
		t.Fatal(err)
	}
	head := f.app.delegate("liga", "LVA")
	if err := f.app.store.SetApprover(ctx, head.ID, true, f.fac.ID); err != nil {
		t.Fatal(err)
	}
	headT, _ := f.app.apiToken(head, "90")
	body := `{"action":"footnote","paragraph":2,"text":"Latvia's national position."}`
	apiWantError(t, f.app.apiCall(f.lvT, http.MethodPost, f.procPath("/actions"), body), http.StatusForbidden, "forbidden")
	res := f.app.apiCall(headT, http.MethodPost, f.procPath("/actions"), body)
	wantStatus(t, res, http.StatusCreated)
	var got apiActionJSON
	apiDecode(t, res, &got)
	if got.Member != "LVA" || got.By != "Test liga" || got.OnBehalf {
		t.Errorf("head of delegation's action = %+v", got)
	}
	res = f.app.apiCall(f.facT, http.MethodPost, f.procPath("/actions"), `{"member":"LVA","action":"confirmed"}`)
	wantStatus(t, res, http.StatusCreated)
	apiDecode(t, res, &got)
	if got.Member != "LVA" || !got.OnBehalf {
		t.Errorf("facilitator's action = %+v", got)
	}
}

// TestAPIProcedureDeadline: past the deadline the server's clock decides —
// actions are refused with 409, the procedure shows its outcome, and an
// unbroken silence adopts the text, which adopted.md then serves.
func TestAPIProcedureDeadline(t *testing.T) {
	t.Run("broken", func(t *testing.T) {
		f := newAPIDraftFixture(t)
		f.app.clock.advance(f.deadline.Sub(f.app.clock.Now())) // exactly the deadline
		res := f.app.apiCall(f.lvT, http.MethodPost, f.procPath("/actions"), `{"action":"confirmed"}`)
		apiWantError(t, res, http.StatusConflict, "procedure_not_running")
		var got apiProcedureDetailJSON
		apiDecode(t, f.app.apiCall(f.facT, http.MethodGet, f.procPath(""), ""), &got)
		if got.State != models.ProcedureBroken || got.ClosedAt == nil || *got.ClosedAt != "2026-11-04T17:00:00Z" || got.AdoptedHash != nil {
			t.Errorf("procedure after the deadline %+v", got.apiProcedureJSON)
		}
		res = f.app.apiCall(f.facT, http.MethodGet, "/api/v1/consultations/review/drafts/1/adopted.md", "")
		apiWantError(t, res, http.StatusNotFound, "not_found")
	})

	t.Run("adopted", func(t *testing.T) {
		f := newAPIDraftFixture(t)
		res := f.app.apiCall(f.token("HUN"), http.MethodPost, f.procPath("/actions"), `{"action":"withdrew","paragraph":3}`)
		wantStatus(t, res, http.StatusCreated)
		f.app.clock.advance(f.deadline.Sub(f.app.clock.Now()) + time.Hour)
		apiWantError(t, f.app.apiCall(f.facT, http.MethodPost, f.procPath("/actions"), `{"member":"HUN","action":"confirmed"}`),
			http.StatusConflict, "procedure_not_running")

		var list apiDraftsJSON
		apiDecode(t, f.app.apiCall(f.estT, http.MethodGet, "/api/v1/consultations/review/drafts", ""), &list)
		p := list.Drafts[0].Procedures[0]
		if p.State != models.ProcedureAdopted || p.ClosedAt == nil || *p.ClosedAt != "2026-11-04T17:00:00Z" ||
			p.AdoptedHash == nil || *p.AdoptedHash != f.v1.Hash {
			t.Errorf("procedure after an unbroken deadline %+v", p)
		}

		// Every account that sees the draft reads the adopted text, with
		// every footnote of it.
		want := "**NATO RESTRICTED**\n\n" +
			"# NATO–Russia strategy\n\n" +
			"Consultation review\n\n" +
			"Adopted on 4 November 2026 at 18:00 CET (Europe/Brussels; 4 November 2026 at 17:00 UTC), version 1, hash " + f.v1.Hash + "\n\n" +
			"**1.** Allies reaffirm their commitment to collective defence.¹\n\n" +
			"**2.** The NATO–Russia Council remains suspended.²\n\n" +
			"**3.** Allies keep channels of communication open to reduce risks.\n\n" +
			"---\n\n" +
			"¹ Türkiye: Türkiye recalls its position on the Straits.\n\n" +
			"² Estonia: Estonia would prefer the Council dissolved.\n\n" +
			"**NATO RESTRICTED**\n"
		for _, tok := range []string{f.facT, f.obsT, f.estT, f.lvT} {
			res := f.app.apiCall(tok, http.MethodGet, "/api/v1/consultations/review/drafts/1/adopted.md", "")
			wantStatus(t, res, http.StatusOK)
			if ct := res.Header.Get("Content-Type"); ct != "text/markdown; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if res.Body != want {
				t.Errorf("adopted.md\n got %q\nwant %q", res.Body, want)
			}
		}

		// Once adopted, the footnotes of the adopted text are part of the
		// version for everyone who sees it.
		var v apiVersionJSON
		apiDecode(t, f.app.apiCall(f.lvT, http.MethodGet, "/api/v1/consultations/review/drafts/1/versions/1", ""), &v)
		if got, want := v.footnotes(), "TUR(Türkiye) ¶1 2026-11-02T09:02:00Z; EST(Estonia) ¶2 2026-11-02T09:04:00Z"; got != want {
			t.Errorf("footnotes of the adopted version %q, want %q", got, want)
		}
	})
}

// TestOpenAPIDraftSchemas: every field the drafts endpoints send is
// described in the document, at its place: the answers of a facilitator
// (who sees everything) are walked through the schemas of their 200 or 201
// responses.
func TestOpenAPIDraftSchemas(t *testing.T) {
	f := newAPIDraftFixture(t)
	var doc struct {
		Paths      map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	apiDecode(t, f.app.apiCall("", http.MethodGet, "/api/v1/openapi.json", ""), &doc)
	// resolve follows a $ref to its schema.
	resolve := func(s any) map[string]any {
		m, _ := s.(map[string]any)
		if ref, ok := m["$ref"].(string); ok {
			m, _ = doc.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
		}
		return m
	}
	var walk func(t *testing.T, schema any, value any, at string) int
	walk = func(t *testing.T, schema any, value any, at string) int {
		s := resolve(schema)
		n := 0
		switch v := value.(type) {
		case map[string]any:
			props, _ := s["properties"].(map[string]any)
			for k, sub := range v {
				p, ok := props[k]
				if !ok {
					t.Errorf("%s.%s is sent but not described", at, k)
					continue
				}
				n += 1 + walk(t, p, sub, at+"."+k)
			}
		case []any:
			for _, item := range v {
				n += walk(t, s["items"], item, at+"[]")
			}
		}
		return n
	}
	response := func(path, method, status string) any {
		op, _ := doc.Paths[path][method].(map[string]any)
		responses, _ := op["responses"].(map[string]any)
		r, _ := responses[status].(map[string]any)
		content, _ := r["content"].(map[string]any)
		js, _ := content["application/json"].(map[string]any)
		if js == nil {
			t.Fatalf("%s %s has no JSON %s response", method, path, status)
		}
		return js["schema"]
	}
	tests := []struct {
		name, method, path, doc, body string
		status                        int
		min                           int // fields checked, at least
	}{
		{"drafts", http.MethodGet, "/api/v1/consultations/review/drafts", "/api/v1/consultations/{key}/drafts", "", 200, 30},
		{"version", http.MethodGet, "/api/v1/consultations/review/drafts/1/versions/1", "/api/v1/consultations/{key}/drafts/{n}/versions/{v}", "", 200, 20},
		{"procedure", http.MethodGet, f.procPath(""), "/api/v1/consultations/{key}/drafts/{n}/procedures/{id}", "", 200, 100},
		{"action", http.MethodPost, f.procPath("/actions"), "/api/v1/consultations/{key}/drafts/{n}/procedures/{id}/actions",
			`{"member":"HUN","action":"broke","paragraph":2,"text":"Received by telegram.","amendment":"Other words."}`, 201, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := f.app.apiCall(f.facT, tc.method, tc.path, tc.body)
			wantStatus(t, res, tc.status)
			var v any
			apiDecode(t, res, &v)
			if n := walk(t, response(tc.doc, strings.ToLower(tc.method), fmt.Sprint(tc.status)), v, "body"); n < tc.min {
				t.Errorf("only %d fields checked, want at least %d", n, tc.min)
			}
		})
	}
	// The body of an action: every field of the input schema is taken,
	// and the schema refuses others, as the endpoint does.
	in := resolve(doc.Components.Schemas["ActionInput"])
	props, _ := in["properties"].(map[string]any)
	var names []string
	for k := range props {
		names = append(names, k)
	}
	slices.Sort(names)
	if got := strings.Join(names, ","); got != "action,amendment,member,paragraph,text" || in["additionalProperties"] != false {
		t.Errorf("ActionInput describes %s (additionalProperties %v)", got, in["additionalProperties"])
	}
}
