package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"concord/models"
)

// approvalFixture is a consultation requiring approval with EST's drafter
// and head of delegation, LVA's head of delegation, an observer and a
// facilitator.
type approvalFixture struct {
	s                           *models.Store
	c                           *models.Consultation
	fac, drafter, head, lvaHead *models.User
	est                         *models.Member
}

func newApprovalFixture(t *testing.T) *approvalFixture {
	t.Helper()
	ctx := context.Background()
	s, _ := freshStore(t)
	f := &approvalFixture{s: s}
	f.fac = mustUser(t, s, "fac", models.RoleFacilitator, "")
	f.drafter = mustUser(t, s, "est-drafter", models.RoleDelegate, "EST")
	f.head = mustUser(t, s, "est-head", models.RoleDelegate, "EST")
	f.lvaHead = mustUser(t, s, "lva-head", models.RoleDelegate, "LVA")
	for _, u := range []*models.User{f.head, f.lvaHead} {
		if err := s.SetApprover(ctx, u.ID, true, f.fac.ID); err != nil {
			t.Fatal(err)
		}
	}
	f.est = mustMember(t, s, "EST")
	f.c = openConsultation(t, s, "c", f.fac.ID, scale("q1", "a", "b", "c", "d", "e"), scale("q2", "a", "b", "c", "d", "e"))
	return f
}

// save submits EST's answer to q as user u.
func (f *approvalFixture) save(t *testing.T, u *models.User, key string, preferred int) {
	t.Helper()
	_, err := f.s.SubmitPositions(context.Background(), models.Submission{ConsultationID: f.c.ID, MemberID: f.est.ID,
		UserID: u.ID, Source: models.SourceForm, OnBehalf: u.Role == models.RoleFacilitator,
		Inputs: []models.PositionInput{{QuestionKey: key, Preferred: preferred}}})
	if err != nil {
		t.Fatalf("save %s=%d as %s: %v", key, preferred, u.Username, err)
	}
}

func (f *approvalFixture) requireApproval(t *testing.T, on bool) {
	t.Helper()
	if err := f.s.SetRequireApproval(context.Background(), f.c.ID, on, f.fac.ID); err != nil {
		t.Fatal(err)
	}
	c, err := f.s.ConsultationByID(context.Background(), f.c.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.c = c
}

// latest returns EST's latest revision of any state on a question.
func (f *approvalFixture) latest(t *testing.T, key string) models.RevisionRecord {
	t.Helper()
	hist, err := f.s.History(context.Background(), f.c.ID, f.est.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out models.RevisionRecord
	for _, r := range hist {
		if r.QuestionKey == key {
			out = r
		}
	}
	return out
}

// TestSaveStateByAccount: with approval required, who saves decides
// whether the save is a draft or the member's position at once; without
// it, every save is a position (empty state), as before approval existed.
func TestSaveStateByAccount(t *testing.T) {
	tests := []struct {
		name     string
		require  bool
		who      string
		state    string
		current  bool // the save is EST's current position
		onBehalf bool
	}{
		{"drafter, approval required", true, "drafter", models.StateDraft, false, false},
		{"head of delegation, approval required", true, "head", models.StateApproved, true, false},
		{"another member's head, approval required", true, "lvaHead", models.StateDraft, false, false},
		{"facilitator, approval required", true, "fac", models.StateApproved, true, true},
		{"drafter, no approval", false, "drafter", "", true, false},
		{"head, no approval", false, "head", "", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newApprovalFixture(t)
			f.requireApproval(t, tc.require)
			u := map[string]*models.User{"drafter": f.drafter, "head": f.head, "lvaHead": f.lvaHead, "fac": f.fac}[tc.who]
			f.save(t, u, "q1", 4)
			r := f.latest(t, "q1")
			if r.State != tc.state || r.OnBehalf != tc.onBehalf || r.SubmittedBy != u.ID {
				t.Errorf("state %q on behalf %t by %d, want %q %t %d", r.State, r.OnBehalf, r.SubmittedBy, tc.state, tc.onBehalf, u.ID)
			}
			cur := preferredOf(t, f.s, f.c, 1, "q1")
			if _, ok := cur["EST"]; ok != tc.current {
				t.Errorf("current positions %v; EST's save current: %t, want %t", cur, ok, tc.current)
			}
		})
	}
}

// TestApprovalFlow follows one member's draft through return, revision,
// approval and an approver's one-step save, checking what counts at each
// step and who may act.
func TestApprovalFlow(t *testing.T) {
	ctx := context.Background()
	f := newApprovalFixture(t)
	s := f.s
	// Saved before approval is required: it counts as approved.
	f.save(t, f.drafter, "q1", 2)
	f.requireApproval(t, true)
	f.save(t, f.drafter, "q1", 4)

	step := func(name string, wantCurrent map[string]int, wantPending map[string]string, wantStatus string, wantAwaiting int) {
		t.Helper()
		cur := preferredOf(t, s, f.c, 1, "q1")
		if q2 := preferredOf(t, s, f.c, 1, "q2"); q2["EST"] != 0 {
			cur["q2"] = q2["EST"]
		}
		for k, v := range wantCurrent {
			if cur[k] != v {
				t.Errorf("%s: current %s = %d, want %d", name, k, cur[k], v)
			}
		}
		pending, err := s.PendingPositions(ctx, f.c.ID, 1, f.est.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range pending {
			got[r.QuestionKey] = r.State
		}
		if len(got) != len(wantPending) {
			t.Errorf("%s: pending %v, want %v", name, got, wantPending)
		}
		for k, v := range wantPending {
			if got[k] != v {
				t.Errorf("%s: pending %s = %q, want %q", name, k, got[k], v)
			}
		}
		status, err := s.ApprovalStatus(ctx, f.c)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range status {
			if m.Member.Code == "EST" && m.Status != wantStatus {
				t.Errorf("%s: EST status %q (%+v), want %q", name, m.Status, m, wantStatus)
			}
			if m.Member.Code == "LVA" && m.Status != models.ApprovalNotStarted {
				t.Errorf("%s: LVA status %q, want not started", name, m.Status)
			}
		}
		aw, err := s.AwaitingApproval(ctx, f.head.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, a := range aw {
			if a.ID == f.c.ID {
				n = a.Drafts
			}
		}
		if n != wantAwaiting {
			t.Errorf("%s: %d draft(s) await the head, want %d", name, n, wantAwaiting)
		}
	}
	step("draft saved", map[string]int{"EST": 2}, map[string]string{"q1": models.StateDraft}, models.ApprovalAwaiting, 1)

	refusals := []struct {
		name string
		by   *models.User
	}{
		{"the drafter cannot approve", f.drafter},
		{"another member's head cannot approve", f.lvaHead},
	}
	for _, tc := range refusals {
		if _, err := s.Approve(ctx, f.c.ID, f.est.ID, nil, tc.by.ID); !errors.Is(err, models.ErrNotApprover) {
			t.Errorf("%s: err = %v, want ErrNotApprover", tc.name, err)
		}
		if _, err := s.Return(ctx, f.c.ID, f.est.ID, nil, "No.", tc.by.ID); !errors.Is(err, models.ErrNotApprover) {
			t.Errorf("%s (return): err = %v, want ErrNotApprover", tc.name, err)
		}
	}
	var verr *models.ValidationError
	if _, err := s.Return(ctx, f.c.ID, f.est.ID, nil, "  ", f.head.ID); !errors.As(err, &verr) || verr.Fields["comment"] == "" {
		t.Errorf("return without a comment: err = %v, want a message on comment", err)
	}
	var conflict *models.ConflictError
	if _, err := s.Approve(ctx, f.c.ID, f.est.ID, []string{"q2"}, f.head.ID); !errors.As(err, &conflict) {
		t.Errorf("approving a question without a draft: err = %v, want a conflict", err)
	}

	n, err := s.Return(ctx, f.c.ID, f.est.ID, nil, "Too far: the capital wants 3.", f.head.ID)
	if err != nil || n != 1 {
		t.Fatalf("return: %d, %v", n, err)
	}
	r := f.latest(t, "q1")
	if r.State != models.StateReturned || r.ReviewComment != "Too far: the capital wants 3." || r.ReviewedBy == nil ||
		*r.ReviewedBy != f.head.ID || r.SubmittedBy != f.drafter.ID || r.Preferred != 4 {
		t.Errorf("returned revision %+v", r.Revision)
	}
	step("returned", map[string]int{"EST": 2}, map[string]string{"q1": models.StateReturned}, models.ApprovalReturned, 0)
	if _, err := s.Approve(ctx, f.c.ID, f.est.ID, nil, f.head.ID); !errors.As(err, &conflict) {
		t.Errorf("approving with only a returned draft: err = %v, want a conflict", err)
	}

	f.save(t, f.drafter, "q1", 3)
	step("revised", map[string]int{"EST": 2}, map[string]string{"q1": models.StateDraft}, models.ApprovalAwaiting, 1)
	if n, err := s.Approve(ctx, f.c.ID, f.est.ID, nil, f.head.ID); err != nil || n != 1 {
		t.Fatalf("approve: %d, %v", n, err)
	}
	r = f.latest(t, "q1")
	if r.State != models.StateApproved || r.ReviewedBy == nil || *r.ReviewedBy != f.head.ID || r.OnBehalf || r.Preferred != 3 {
		t.Errorf("approved revision %+v", r.Revision)
	}
	step("approved", map[string]int{"EST": 3}, map[string]string{}, models.ApprovalApproved, 0)

	// The head edits and approves in one step; a facilitator approves a
	// draft on the member's behalf.
	f.save(t, f.head, "q2", 5)
	step("head's own save", map[string]int{"EST": 3, "q2": 5}, map[string]string{}, models.ApprovalApproved, 0)
	f.save(t, f.drafter, "q2", 1)
	if n, err := s.Approve(ctx, f.c.ID, f.est.ID, []string{"q2"}, f.fac.ID); err != nil || n != 1 {
		t.Fatalf("facilitator approves: %d, %v", n, err)
	}
	if r := f.latest(t, "q2"); r.State != models.StateApproved || !r.OnBehalf || r.Preferred != 1 {
		t.Errorf("facilitator's approval %+v, want approved on behalf", r.Revision)
	}
	step("facilitator approved", map[string]int{"EST": 3, "q2": 1}, map[string]string{}, models.ApprovalApproved, 0)

	// A draft that repeats the position changes nothing; the head saving a
	// pending draft's very answer approves it.
	f.save(t, f.drafter, "q1", 3)
	step("draft equal to the position", map[string]int{"EST": 3}, map[string]string{}, models.ApprovalApproved, 0)
	f.save(t, f.drafter, "q1", 5)
	f.save(t, f.head, "q1", 5)
	step("head saves the draft's answer", map[string]int{"EST": 5}, map[string]string{}, models.ApprovalApproved, 0)

	if got, want := countAuditEvents(t, s, models.AuditPositionApproved), 2; got != want {
		t.Errorf("%d approval audit events, want %d", got, want)
	}
	if got, want := countAuditEvents(t, s, models.AuditPositionReturned), 1; got != want {
		t.Errorf("%d return audit events, want %d", got, want)
	}
}

// TestApproveOutsideWindow: a draft cannot be approved once the
// consultation stops accepting positions.
func TestApproveOutsideWindow(t *testing.T) {
	f := newApprovalFixture(t)
	f.requireApproval(t, true)
	f.save(t, f.drafter, "q1", 4)
	if err := f.s.SetStatus(context.Background(), f.c.ID, models.StatusClosed, f.fac.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Approve(context.Background(), f.c.ID, f.est.ID, nil, f.head.ID); !errors.Is(err, models.ErrClosed) {
		t.Errorf("err = %v, want ErrClosed", err)
	}
	aw, err := f.s.AwaitingApproval(context.Background(), f.head.ID)
	if err != nil || len(aw) != 0 {
		t.Errorf("awaiting %v (%v), want none in a closed consultation", aw, err)
	}
}

func TestSetApprover(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		role     string
		approver bool
		conflict bool
		tokens   bool // the account's tokens end
	}{
		{"delegate marked", models.RoleDelegate, true, false, true},
		{"observer refused", models.RoleObserver, true, true, false},
		{"facilitator refused", models.RoleFacilitator, true, true, false},
		{"unmarking an unmarked delegate changes nothing", models.RoleDelegate, false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := freshStore(t)
			fac := mustUser(t, s, "fac", models.RoleFacilitator, "")
			code := ""
			if tc.role == models.RoleDelegate {
				code = "EST"
			}
			u := mustUser(t, s, "target", tc.role, code)
			if _, _, err := s.CreateAPIToken(ctx, u.ID, models.APITokenInput{Name: "t", Expires: "30", Current: strongPassword}); err != nil {
				t.Fatal(err)
			}
			before := countAuditEvents(t, s, models.AuditApproverChanged)
			err := s.SetApprover(ctx, u.ID, tc.approver, fac.ID)
			var conflict *models.ConflictError
			if got := errors.As(err, &conflict); got != tc.conflict {
				t.Fatalf("err = %v, want conflict %t", err, tc.conflict)
			}
			if !tc.conflict && err != nil {
				t.Fatal(err)
			}
			after, err := s.UserByID(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if want := tc.approver && !tc.conflict; after.Approver != want {
				t.Errorf("approver %t, want %t", after.Approver, want)
			}
			toks, err := s.APITokens(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(toks) != 1 || toks[0].Revoked() != tc.tokens {
				t.Errorf("tokens %+v, want one, revoked %t", toks, tc.tokens)
			}
			want := before
			if tc.tokens {
				want++
			}
			if n := countAuditEvents(t, s, models.AuditApproverChanged); n != want {
				t.Errorf("%d approver audit events, want %d", n, want)
			}
		})
	}
}

// TestApproverEndsWithRole: a new role or member ends the right to approve.
func TestApproverEndsWithRole(t *testing.T) {
	ctx := context.Background()
	s, _ := freshStore(t)
	fac := mustUser(t, s, "fac", models.RoleFacilitator, "")
	u := mustUser(t, s, "head", models.RoleDelegate, "EST")
	if err := s.SetApprover(ctx, u.ID, true, fac.ID); err != nil {
		t.Fatal(err)
	}
	lva := mustMember(t, s, "LVA")
	if err := s.SetRole(ctx, u.ID, models.RoleDelegate, &lva.ID, fac.ID); err != nil {
		t.Fatal(err)
	}
	after, err := s.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Approver {
		t.Error("a delegate moved to another member is still head of delegation")
	}
}

func TestInvitationApprover(t *testing.T) {
	ctx := context.Background()
	s, _ := freshStore(t)
	fac := mustUser(t, s, "fac", models.RoleFacilitator, "")
	est := mustMember(t, s, "EST")
	tests := []struct {
		name    string
		role    string
		member  *uint
		opts    []models.InvitationOption
		invalid bool
		want    bool
	}{
		{"delegate as head of delegation", models.RoleDelegate, &est.ID, []models.InvitationOption{models.InviteApprover}, false, true},
		{"plain delegate", models.RoleDelegate, &est.ID, nil, false, false},
		{"observer cannot be head of delegation", models.RoleObserver, nil, []models.InvitationOption{models.InviteApprover}, true, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token, inv, err := s.CreateInvitation(ctx, tc.role, tc.member, &fac.ID, time.Hour, tc.opts...)
			var verr *models.ValidationError
			if tc.invalid {
				if !errors.As(err, &verr) || verr.Fields["approver"] == "" {
					t.Fatalf("err = %v, want a message on approver", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if inv.Approver != tc.want {
				t.Errorf("invitation approver %t, want %t", inv.Approver, tc.want)
			}
			u, err := s.AcceptInvitation(ctx, token, models.AccountInput{Username: "user" + string(rune('a'+i)),
				Name: "Someone", Password: strongPassword, Confirm: strongPassword})
			if err != nil {
				t.Fatal(err)
			}
			if u.Approver != tc.want {
				t.Errorf("account approver %t, want %t", u.Approver, tc.want)
			}
		})
	}
}

// TestImportWithApproval: a facilitator's import needs no further approval.
func TestImportWithApproval(t *testing.T) {
	f := newApprovalFixture(t)
	f.requireApproval(t, true)
	rows, err := models.ParsePositions(strings.NewReader("member_code,question_key,preferred\nEST,q1,4\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ImportPositions(context.Background(), f.c.ID, rows, f.fac.ID); err != nil {
		t.Fatal(err)
	}
	if r := f.latest(t, "q1"); r.State != models.StateApproved || !r.OnBehalf {
		t.Errorf("imported revision state %q on behalf %t, want approved on behalf", r.State, r.OnBehalf)
	}
	if got := preferredOf(t, f.s, f.c, 1, "q1"); got["EST"] != 4 {
		t.Errorf("current %v, want EST at 4", got)
	}
}
