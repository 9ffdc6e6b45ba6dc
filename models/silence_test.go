package models_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"concord/internal/testdb"
	"concord/models"
)

// silenceFixture is an open consultation with one draft in version 1 (three
// paragraphs), a facilitator, an observer and one delegate account for
// every member of the roster (username "d-" + lower-case code).
type silenceFixture struct {
	s        *models.Store
	path     string
	clock    *fixedClock
	fac      *models.User
	observer *models.User
	del      map[string]*models.User // by member code
	c        *models.Consultation
	draft    *models.Draft
	v1       *models.DraftVersion
}

var silenceText = []models.ParagraphInput{
	{Text: "Allies reaffirm their commitment to collective defence."},
	{Text: "The NATO–Russia Council remains suspended until Russia complies with international law."},
	{Text: "Allies keep channels of communication open to reduce risks."},
}

func newSilenceFixture(t *testing.T) *silenceFixture {
	t.Helper()
	ctx := context.Background()
	f := &silenceFixture{path: testdb.DSN(t), del: map[string]*models.User{}}
	f.clock = &fixedClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	s := openStoreAt(t, f.path, f.clock)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	roster, err := models.DefaultRoster()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SeedMembers(ctx, roster); err != nil {
		t.Fatal(err)
	}
	f.s = s
	f.fac = mustUser(t, s, "fac", models.RoleFacilitator, "")
	f.observer = mustUser(t, s, "obs", models.RoleObserver, "")
	members, err := s.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		f.del[m.Code] = mustUser(t, s, "d-"+strings.ToLower(m.Code), models.RoleDelegate, m.Code)
	}
	f.c = openConsultation(t, s, "strategy", f.fac.ID, scale("nrc", "a", "b", "c"))
	if f.draft, err = s.CreateDraft(ctx, f.c.ID, "Strategy", f.fac.ID); err != nil {
		t.Fatal(err)
	}
	if f.v1, _, err = s.SaveDraftVersion(ctx, f.draft.ID, silenceText, "", f.fac.ID); err != nil {
		t.Fatal(err)
	}
	return f
}

// openStoreAt opens the database at path with the clock and fast password
// hashing, closed when the test ends.
func openStoreAt(t *testing.T, path string, clock *fixedClock) *models.Store {
	t.Helper()
	s, err := models.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	s.SetClock(clock.Now)
	s.SetPasswordCost(bcrypt.MinCost)
	return s
}

func (f *silenceFixture) circulate(t *testing.T, v *models.DraftVersion, in time.Duration) *models.Procedure {
	t.Helper()
	p, err := f.s.Circulate(context.Background(), v.ID, f.clock.Now().Add(in), f.fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *silenceFixture) act(t *testing.T, p *models.Procedure, code, action string, paragraph int, text string) {
	t.Helper()
	m := mustMember(t, f.s, code)
	in := models.ActionInput{MemberID: m.ID, Action: action, Paragraph: paragraph, Text: text}
	if _, err := f.s.Act(context.Background(), p.ID, in, f.del[code].ID); err != nil {
		t.Fatalf("%s %s on %d: %v", code, action, paragraph, err)
	}
}

func (f *silenceFixture) view(t *testing.T, p *models.Procedure) *models.ProcedureView {
	t.Helper()
	v, err := f.s.ProcedureState(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// stored reads the procedure's row as CloseDueProcedures left it (the
// draft's list reads it through the same effective state, so the row is
// checked after the job ran).
func (f *silenceFixture) stored(t *testing.T, p *models.Procedure) models.Procedure {
	t.Helper()
	d, err := f.s.Draft(context.Background(), p.DraftID)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range d.Procedures {
		if q.ID == p.ID {
			return q
		}
	}
	t.Fatalf("procedure %d not in its draft", p.ID)
	return models.Procedure{}
}

// The state machine, one scenario per case: the actions taken before the
// deadline, then the state once the clock passes it.
func TestProcedureOutcomeAtDeadline(t *testing.T) {
	type step struct {
		code, action string
		paragraph    int
	}
	tests := []struct {
		name      string
		steps     []step
		want      string
		silent    int
		confirmed int
		broke     int
	}{
		{"nobody speaks: adopted", nil, models.ProcedureAdopted, 32, 0, 0},
		{"confirmations only: adopted", []step{{"EST", models.ActionConfirmed, 0}, {"LVA", models.ActionConfirmed, 0}},
			models.ProcedureAdopted, 30, 2, 0},
		{"HUN breaks: broken", []step{{"HUN", models.ActionBroke, 2}}, models.ProcedureBroken, 31, 0, 1},
		{"HUN breaks twice, withdraws one: broken", []step{{"HUN", models.ActionBroke, 2}, {"HUN", models.ActionBroke, 3},
			{"HUN", models.ActionWithdrew, 3}}, models.ProcedureBroken, 31, 0, 1},
		{"HUN breaks then withdraws: adopted", []step{{"HUN", models.ActionBroke, 2}, {"HUN", models.ActionWithdrew, 2}},
			models.ProcedureAdopted, 32, 0, 0},
		{"withdraws then confirms: adopted", []step{{"HUN", models.ActionBroke, 2}, {"HUN", models.ActionWithdrew, 2},
			{"HUN", models.ActionConfirmed, 0}}, models.ProcedureAdopted, 31, 1, 0},
		{"a footnote is not a block: adopted", []step{{"TUR", models.ActionFootnote, 2}}, models.ProcedureAdopted, 32, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := newSilenceFixture(t)
			p := f.circulate(t, f.v1, 48*time.Hour)
			for _, st := range tt.steps {
				f.clock.advance(time.Minute)
				f.act(t, p, st.code, st.action, st.paragraph, "because")
			}
			before := f.view(t, p)
			if before.Procedure.State != models.ProcedureRunning {
				t.Errorf("before the deadline: state %s, want running", before.Procedure.State)
			}
			if before.Silent != tt.silent || before.Confirmed != tt.confirmed || before.Broke != tt.broke {
				t.Errorf("stands = %d silent, %d confirmed, %d broke; want %d, %d, %d",
					before.Silent, before.Confirmed, before.Broke, tt.silent, tt.confirmed, tt.broke)
			}

			f.clock.advance(48 * time.Hour)
			// Before the job runs, reads show the effective state.
			if got := f.view(t, p).Procedure.State; got != tt.want {
				t.Errorf("effective state after the deadline = %s, want %s", got, tt.want)
			}
			n, err := f.s.CloseDueProcedures(ctx)
			if err != nil || n != 1 {
				t.Fatalf("CloseDueProcedures = %d, %v; want 1", n, err)
			}
			if n, err := f.s.CloseDueProcedures(ctx); err != nil || n != 0 {
				t.Errorf("second run = %d, %v; want 0 (idempotent)", n, err)
			}
			got := f.stored(t, p)
			if got.State != tt.want {
				t.Errorf("stored state = %s, want %s", got.State, tt.want)
			}
			if got.ClosedAt == nil || !got.ClosedAt.Equal(p.Deadline) {
				t.Errorf("closed at %v, want the deadline %v", got.ClosedAt, p.Deadline)
			}
			wantHash := ""
			if tt.want == models.ProcedureAdopted {
				wantHash = f.v1.Hash
			}
			if got.AdoptedHash != wantHash {
				t.Errorf("adopted hash = %q, want %q", got.AdoptedHash, wantHash)
			}
			if n := countAuditEvents(t, f.s, models.AuditProcedureClosed); n != 1 {
				t.Errorf("closing audit events = %d, want 1", n)
			}
			_, err = f.s.Adopted(ctx, p.ID)
			if (err == nil) != (tt.want == models.ProcedureAdopted) {
				t.Errorf("Adopted: err = %v, for state %s", err, tt.want)
			}
		})
	}
}

func TestCirculateRefused(t *testing.T) {
	ctx := context.Background()
	t.Run("member without an account", func(t *testing.T) {
		f := newSilenceFixture(t)
		if err := f.s.RevokeUser(ctx, f.del["HUN"].ID, f.fac.ID); err != nil {
			t.Fatal(err)
		}
		_, err := f.s.Circulate(ctx, f.v1.ID, f.clock.Now().Add(time.Hour), f.fac.ID)
		var ce *models.CirculationError
		if !errors.As(err, &ce) || !errors.Is(err, models.ErrConflict) {
			t.Fatalf("err = %v, want a CirculationError", err)
		}
		if len(ce.Members) != 1 || ce.Members[0].Code != "HUN" || !strings.Contains(ce.Error(), "Hungary (HUN)") {
			t.Errorf("refusal names %v (%q), want HUN alone", ce.Members, ce.Error())
		}
	})
	t.Run("approval required and members without a head of delegation", func(t *testing.T) {
		f := newSilenceFixture(t)
		if err := f.s.SetRequireApproval(ctx, f.c.ID, true, f.fac.ID); err != nil {
			t.Fatal(err)
		}
		for code, u := range f.del {
			if code != "HUN" && code != "GRC" {
				if err := f.s.SetApprover(ctx, u.ID, true, f.fac.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		_, err := f.s.Circulate(ctx, f.v1.ID, f.clock.Now().Add(time.Hour), f.fac.ID)
		var ce *models.CirculationError
		if !errors.As(err, &ce) {
			t.Fatalf("err = %v, want a CirculationError", err)
		}
		// By name: Greece before Hungary.
		if len(ce.Members) != 2 || ce.Members[0].Code != "GRC" || ce.Members[1].Code != "HUN" {
			t.Errorf("refusal names %v, want GRC and HUN", ce.Members)
		}
		if err := f.s.SetApprover(ctx, f.del["HUN"].ID, true, f.fac.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.s.SetApprover(ctx, f.del["GRC"].ID, true, f.fac.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Circulate(ctx, f.v1.ID, f.clock.Now().Add(time.Hour), f.fac.ID); err != nil {
			t.Errorf("with every head of delegation: %v", err)
		}
	})
	t.Run("deadline not in the future", func(t *testing.T) {
		f := newSilenceFixture(t)
		for _, at := range []time.Time{f.clock.Now(), f.clock.Now().Add(-time.Hour)} {
			_, err := f.s.Circulate(ctx, f.v1.ID, at, f.fac.ID)
			var ve *models.ValidationError
			if !errors.As(err, &ve) || ve.Fields["deadline"] == "" {
				t.Errorf("deadline %v: err = %v, want a ValidationError on deadline", at, err)
			}
		}
	})
	t.Run("another procedure running on the draft", func(t *testing.T) {
		f := newSilenceFixture(t)
		f.circulate(t, f.v1, time.Hour)
		_, err := f.s.Circulate(ctx, f.v1.ID, f.clock.Now().Add(2*time.Hour), f.fac.ID)
		if !errors.Is(err, models.ErrConflict) {
			t.Errorf("err = %v, want ErrConflict", err)
		}
		// Once its deadline has passed (job not run yet), circulation is
		// possible again: the transition is applied first.
		f.clock.advance(time.Hour)
		if _, err := f.s.Circulate(ctx, f.v1.ID, f.clock.Now().Add(time.Hour), f.fac.ID); err != nil {
			t.Errorf("after the first deadline: %v", err)
		}
	})
}

func TestActRules(t *testing.T) {
	ctx := context.Background()
	f := newSilenceFixture(t)
	p := f.circulate(t, f.v1, 24*time.Hour)
	hun := mustMember(t, f.s, "HUN")
	revoked := mustUser(t, f.s, "hun-former", models.RoleDelegate, "HUN")
	if err := f.s.RevokeUser(ctx, revoked.ID, f.fac.ID); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		in      models.ActionInput
		by      *models.User
		wantErr func(error) bool
	}{
		{"delegate of another member", models.ActionInput{MemberID: hun.ID, Action: models.ActionBroke, Paragraph: 2, Text: "No."}, f.del["EST"],
			func(err error) bool { return errors.Is(err, models.ErrCannotAct) }},
		{"revoked delegate of the member", models.ActionInput{MemberID: hun.ID, Action: models.ActionConfirmed}, revoked,
			func(err error) bool { return errors.Is(err, models.ErrCannotAct) }},
		{"observer", models.ActionInput{MemberID: hun.ID, Action: models.ActionConfirmed}, f.observer,
			func(err error) bool { return errors.Is(err, models.ErrCannotAct) }},
		{"objection without text", models.ActionInput{MemberID: hun.ID, Action: models.ActionBroke, Paragraph: 2}, f.del["HUN"], isValidationOn("text")},
		{"paragraph out of range", models.ActionInput{MemberID: hun.ID, Action: models.ActionBroke, Paragraph: 4, Text: "No."}, f.del["HUN"], isValidationOn("paragraph")},
		{"paragraph zero", models.ActionInput{MemberID: hun.ID, Action: models.ActionFootnote, Text: "Note."}, f.del["HUN"], isValidationOn("paragraph")},
		{"unknown action", models.ActionInput{MemberID: hun.ID, Action: "vetoed", Paragraph: 1, Text: "No."}, f.del["HUN"], isValidationOn("action")},
		{"footnote without text", models.ActionInput{MemberID: hun.ID, Action: models.ActionFootnote, Paragraph: 1}, f.del["HUN"], isValidationOn("text")},
		{"withdraw with nothing standing", models.ActionInput{MemberID: hun.ID, Action: models.ActionWithdrew, Paragraph: 2}, f.del["HUN"],
			func(err error) bool { return errors.Is(err, models.ErrConflict) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.s.Act(ctx, p.ID, tt.in, tt.by.ID)
			if !tt.wantErr(err) {
				t.Errorf("err = %v", err)
			}
		})
	}
	if got := f.view(t, p); len(got.Actions) != 0 {
		t.Fatalf("refused actions recorded: %d", len(got.Actions))
	}

	// A facilitator acts on the member's behalf, recorded as such.
	a, err := f.s.Act(ctx, p.ID, models.ActionInput{MemberID: hun.ID, Action: models.ActionBroke, Paragraph: 2,
		Text: "Received by telegram: the Council must resume.", Amendment: "The NATO–Russia Council resumes."}, f.fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !a.OnBehalf || a.By != f.fac.ID {
		t.Errorf("facilitator's action: on behalf %t by %d, want true %d", a.OnBehalf, a.By, f.fac.ID)
	}
	// Confirming while an objection stands is refused.
	if _, err := f.s.Act(ctx, p.ID, models.ActionInput{MemberID: hun.ID, Action: models.ActionConfirmed}, f.del["HUN"].ID); !errors.Is(err, models.ErrConflict) {
		t.Errorf("confirm with an objection standing: err = %v, want ErrConflict", err)
	}
	v := f.view(t, p)
	st := v.Stand(hun.ID)
	if st.Stand != models.StandBroke || len(st.Objections) != 1 || st.Objections[0].Amendment != "The NATO–Russia Council resumes." {
		t.Errorf("HUN stand = %+v, want broke on paragraph 2 with the amendment", st)
	}
	if len(v.Actions) != 1 || v.Actions[0].MemberCode != "HUN" || v.Actions[0].ByUsername != "fac" {
		t.Errorf("actions = %+v, want one by fac for HUN", v.Actions)
	}

	// After the deadline nothing is accepted, before the job has run too.
	f.clock.advance(24 * time.Hour)
	_, err = f.s.Act(ctx, p.ID, models.ActionInput{MemberID: hun.ID, Action: models.ActionWithdrew, Paragraph: 2}, f.del["HUN"].ID)
	if !errors.Is(err, models.ErrProcedureNotRunning) {
		t.Errorf("after the deadline: err = %v, want ErrProcedureNotRunning", err)
	}
	if got := f.stored(t, p).State; got != models.ProcedureBroken {
		t.Errorf("state = %s, want broken (the refused withdrawal changed nothing)", got)
	}
}

func isValidationOn(field string) func(error) bool {
	return func(err error) bool {
		var ve *models.ValidationError
		return errors.As(err, &ve) && ve.Fields[field] != ""
	}
}

// Where approval is required, only the head of delegation (or a
// facilitator) acts for a member.
func TestActWithApprovalRequired(t *testing.T) {
	ctx := context.Background()
	f := newSilenceFixture(t)
	if err := f.s.SetRequireApproval(ctx, f.c.ID, true, f.fac.ID); err != nil {
		t.Fatal(err)
	}
	for _, u := range f.del {
		if err := f.s.SetApprover(ctx, u.ID, true, f.fac.ID); err != nil {
			t.Fatal(err)
		}
	}
	hun := mustMember(t, f.s, "HUN")
	plain := mustUser(t, f.s, "hun-plain", models.RoleDelegate, "HUN")
	p := f.circulate(t, f.v1, time.Hour)
	confirm := models.ActionInput{MemberID: hun.ID, Action: models.ActionConfirmed}
	if _, err := f.s.Act(ctx, p.ID, confirm, plain.ID); !errors.Is(err, models.ErrCannotAct) {
		t.Errorf("delegate who is not head of delegation: err = %v, want ErrCannotAct", err)
	}
	a, err := f.s.Act(ctx, p.ID, confirm, f.del["HUN"].ID)
	if err != nil || a.OnBehalf {
		t.Errorf("head of delegation: %v, on behalf %t; want accepted, own", err, a != nil && a.OnBehalf)
	}
}

func TestExtendAndCancel(t *testing.T) {
	ctx := context.Background()
	t.Run("extend while broken, withdraw, adopted at the new deadline", func(t *testing.T) {
		f := newSilenceFixture(t)
		p := f.circulate(t, f.v1, 24*time.Hour)
		f.act(t, p, "HUN", models.ActionBroke, 2, "Not yet.")
		var ve *models.ValidationError
		if err := f.s.Extend(ctx, p.ID, p.Deadline.Add(-time.Minute), f.fac.ID); !errors.As(err, &ve) {
			t.Errorf("earlier deadline: err = %v, want a ValidationError", err)
		}
		newDeadline := p.Deadline.Add(48 * time.Hour)
		if err := f.s.Extend(ctx, p.ID, newDeadline, f.fac.ID); err != nil {
			t.Fatal(err)
		}
		f.clock.advance(25 * time.Hour) // past the old deadline
		if n, err := f.s.CloseDueProcedures(ctx); err != nil || n != 0 {
			t.Errorf("job after the old deadline = %d, %v; want 0", n, err)
		}
		f.act(t, p, "HUN", models.ActionWithdrew, 2, "")
		f.clock.advance(48 * time.Hour)
		if n, err := f.s.CloseDueProcedures(ctx); err != nil || n != 1 {
			t.Errorf("job after the new deadline = %d, %v; want 1", n, err)
		}
		got := f.stored(t, p)
		if got.State != models.ProcedureAdopted || !got.ClosedAt.Equal(newDeadline) {
			t.Errorf("stored = %s closed %v, want adopted at %v", got.State, got.ClosedAt, newDeadline)
		}
		if err := f.s.Extend(ctx, p.ID, f.clock.Now().Add(time.Hour), f.fac.ID); !errors.Is(err, models.ErrProcedureNotRunning) {
			t.Errorf("extend an adopted procedure: err = %v, want ErrProcedureNotRunning", err)
		}
	})
	t.Run("extend after the deadline is refused", func(t *testing.T) {
		f := newSilenceFixture(t)
		p := f.circulate(t, f.v1, time.Hour)
		f.clock.advance(time.Hour)
		if err := f.s.Extend(ctx, p.ID, f.clock.Now().Add(time.Hour), f.fac.ID); !errors.Is(err, models.ErrProcedureNotRunning) {
			t.Errorf("err = %v, want ErrProcedureNotRunning", err)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		f := newSilenceFixture(t)
		p := f.circulate(t, f.v1, time.Hour)
		if err := f.s.Cancel(ctx, p.ID, "  ", f.fac.ID); !isValidationOn("reason")(err) {
			t.Errorf("cancel without reason: err = %v", err)
		}
		f.clock.advance(time.Minute)
		if err := f.s.Cancel(ctx, p.ID, "Text overtaken by events.", f.fac.ID); err != nil {
			t.Fatal(err)
		}
		got := f.stored(t, p)
		if got.State != models.ProcedureCancelled || got.CancelReason != "Text overtaken by events." || !got.ClosedAt.Equal(f.clock.Now()) {
			t.Errorf("stored = %+v, want cancelled now with the reason", got)
		}
		if _, err := f.s.Act(ctx, p.ID, models.ActionInput{MemberID: mustMember(t, f.s, "EST").ID, Action: models.ActionConfirmed}, f.del["EST"].ID); !errors.Is(err, models.ErrProcedureNotRunning) {
			t.Errorf("act after cancel: err = %v", err)
		}
		f.clock.advance(time.Hour)
		if n, _ := f.s.CloseDueProcedures(ctx); n != 0 {
			t.Errorf("job closed %d cancelled procedure(s)", n)
		}
		if err := f.s.Cancel(ctx, p.ID, "again", f.fac.ID); !errors.Is(err, models.ErrProcedureNotRunning) {
			t.Errorf("second cancel: err = %v", err)
		}
	})
	t.Run("recirculate a new version after a broken silence", func(t *testing.T) {
		f := newSilenceFixture(t)
		p1 := f.circulate(t, f.v1, time.Hour)
		f.act(t, p1, "HUN", models.ActionBroke, 2, "Not yet.")
		f.clock.advance(time.Hour)
		revised := append([]models.ParagraphInput{}, silenceText...)
		revised[1].Text = "The NATO–Russia Council remains suspended; Allies review this at their next meeting."
		v2, created, err := f.s.SaveDraftVersion(ctx, f.draft.ID, revised, "HUN's objection met", f.fac.ID)
		if err != nil || !created {
			t.Fatalf("save v2: %v created %t", err, created)
		}
		p2 := f.circulate(t, v2, time.Hour)
		f.act(t, p2, "HUN", models.ActionConfirmed, 0, "")
		f.clock.advance(time.Hour)
		if _, err := f.s.CloseDueProcedures(ctx); err != nil {
			t.Fatal(err)
		}
		d, err := f.s.Draft(ctx, f.draft.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Procedures) != 2 || d.Procedures[0].State != models.ProcedureBroken || d.Procedures[1].State != models.ProcedureAdopted ||
			d.Procedures[1].AdoptedHash != v2.Hash || !d.VersionCirculated(1) || !d.VersionCirculated(2) {
			t.Errorf("procedures = %+v, want v1 broken, v2 adopted with its hash", d.Procedures)
		}
		at, err := f.s.LatestAdopted(ctx, f.draft.ID)
		if err != nil || at.Version.Version != 2 {
			t.Errorf("latest adopted = %v, %v; want version 2", at, err)
		}
	})
}

func TestFootnotesInAdoptedText(t *testing.T) {
	ctx := context.Background()
	f := newSilenceFixture(t)
	p := f.circulate(t, f.v1, time.Hour)
	f.clock.advance(time.Minute)
	f.act(t, p, "TUR", models.ActionFootnote, 2, "Türkiye: first wording.")
	f.clock.advance(time.Minute)
	f.act(t, p, "GRC", models.ActionFootnote, 2, "Η Ελλάδα δηλώνει τη θέση της.")
	f.clock.advance(time.Minute)
	f.act(t, p, "TUR", models.ActionFootnote, 2, "Türkiye recalls its national position.")
	f.act(t, p, "TUR", models.ActionFootnote, 3, "Türkiye: on channels.")
	if _, err := f.s.Adopted(ctx, p.ID); !errors.Is(err, models.ErrConflict) {
		t.Errorf("adopted text of a running procedure: err = %v, want ErrConflict", err)
	}
	f.clock.advance(time.Hour)
	at, err := f.s.Adopted(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !at.AdoptedAt().Equal(p.Deadline) || at.Procedure.AdoptedHash != f.v1.Hash {
		t.Errorf("adopted at %v hash %s; want %v %s", at.AdoptedAt(), at.Procedure.AdoptedHash, p.Deadline, f.v1.Hash)
	}
	type note struct{ code, text string }
	want := [][]note{
		{},
		{{"GRC", "Η Ελλάδα δηλώνει τη θέση της."}, {"TUR", "Türkiye recalls its national position."}},
		{{"TUR", "Türkiye: on channels."}},
	}
	if len(at.Paragraphs) != 3 {
		t.Fatalf("paragraphs = %d, want 3", len(at.Paragraphs))
	}
	for i, ap := range at.Paragraphs {
		var got []note
		for _, fn := range ap.Footnotes {
			got = append(got, note{fn.MemberCode, fn.Text})
		}
		if len(got) != len(want[i]) {
			t.Errorf("paragraph %d footnotes = %v, want %v", i+1, got, want[i])
			continue
		}
		for j := range got {
			if got[j] != want[i][j] {
				t.Errorf("paragraph %d footnote %d = %v, want %v", i+1, j+1, got[j], want[i][j])
			}
		}
	}
	if name := at.Paragraphs[1].Footnotes[0].MemberName; name != "Greece" {
		t.Errorf("footnote member name = %q, want Greece", name)
	}
	// The record keeps every footnote with its own time.
	recs, err := f.s.SilenceRecords(ctx, f.c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || !recs[0].At.Equal(p.CreatedAt.Add(time.Minute)) || recs[0].Version != 1 || recs[0].DraftNumber != 1 {
		t.Errorf("records = %d, first at %v v%d d%d; want 4, first a minute after circulation", len(recs), recs[0].At, recs[0].Version, recs[0].DraftNumber)
	}
}

// Two stores (two instances of the server) on one database file run the
// deadline job at the same moment: the procedure ends once, with one
// audit event.
func TestCloseDueProceduresTwoInstances(t *testing.T) {
	ctx := context.Background()
	f := newSilenceFixture(t)
	var ps []*models.Procedure
	for i := range 3 {
		d, err := f.s.CreateDraft(ctx, f.c.ID, "Text "+string(rune('A'+i)), f.fac.ID)
		if err != nil {
			t.Fatal(err)
		}
		v, _, err := f.s.SaveDraftVersion(ctx, d.ID, silenceText, "", f.fac.ID)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, f.circulate(t, v, time.Hour))
	}
	f.act(t, ps[1], "HUN", models.ActionBroke, 2, "No.")
	f.clock.advance(2 * time.Hour)

	other := openStoreAt(t, f.path, f.clock)

	var wg sync.WaitGroup
	counts := make([]int, 2)
	errs := make([]error, 2)
	for i, s := range []*models.Store{f.s, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts[i], errs[i] = s.CloseDueProcedures(ctx)
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("errors: %v, %v", errs[0], errs[1])
	}
	if counts[0]+counts[1] != 3 {
		t.Errorf("closed %d + %d, want 3 in all", counts[0], counts[1])
	}
	if n := countAuditEvents(t, f.s, models.AuditProcedureClosed); n != 3 {
		t.Errorf("closing audit events = %d, want 3", n)
	}
	wantStates := []string{models.ProcedureAdopted, models.ProcedureBroken, models.ProcedureAdopted}
	for i, p := range ps {
		if got := f.stored(t, p).State; got != wantStates[i] {
			t.Errorf("procedure %d: %s, want %s", i+1, got, wantStates[i])
		}
	}
}
