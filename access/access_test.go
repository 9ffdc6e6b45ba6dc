package access_test

import (
	"slices"
	"testing"
	"time"

	"concord/access"
	"concord/models"
)

// Members A and B, by ID.
const (
	memberA uint = 1
	memberB uint = 2
)

// The consultation states every rule is checked against.
const (
	draft        = "draft"
	open         = "open"
	openShared   = "open, distribution shared (reopened after sharing)"
	closed       = "closed"
	closedShared = "closed, distribution shared"
)

var states = []string{draft, open, openShared, closed, closedShared}

func consultation(state string) *models.Consultation {
	c := &models.Consultation{Key: "c", Round: 1}
	switch state {
	case draft:
		c.Status = models.StatusDraft
	case open:
		c.Status = models.StatusOpen
	case openShared:
		c.Status, c.ShareDistribution = models.StatusOpen, true
	case closed:
		c.Status = models.StatusClosed
	case closedShared:
		c.Status, c.ShareDistribution = models.StatusClosed, true
	}
	return c
}

func user(role string, member uint, revoked bool) *models.User {
	u := &models.User{ID: 9, Username: "u", Role: role}
	if role == "head of delegation" { // a delegate marked as approver
		u.Role, u.Approver = models.RoleDelegate, true
	}
	if member != 0 {
		m := member
		u.MemberID = &m
	}
	if revoked {
		t := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		u.RevokedAt = &t
	}
	return u
}

// want is what one account may do. Per-member rights list members A and B;
// per-consultation rights list the states in which they hold.
type want struct {
	signedIn, delegate, manage, attributed, write, anyMember bool
	actFor, onBehalf, readPositions, approve                 [2]bool // members A, B
	see, shared                                              []string

	// Drafts and the silence procedure, in an open consultation: CanDraft;
	// CanSeeDraft before and after circulation; CanActInProcedure for A
	// and B without and with required approval; CanSeeObjections unshared
	// and shared; CanSeeActionsOf A and B, unshared.
	draft                        bool
	seeDraft                     [2]bool // not circulated, circulated
	actInProc, actInProcApproval [2]bool // members A, B
	objections                   [2]bool // not shared, shared
	actionsOf                    [2]bool // members A, B (not shared)
}

var everyState = []string{draft, open, openShared, closed, closedShared}

// TestPolicy is the table of every right over every kind of account,
// member and consultation state. A right added to the policy gets a column
// here.
func TestPolicy(t *testing.T) {
	tests := []struct {
		name string
		u    *models.User
		want want
	}{
		{"facilitator", user(models.RoleFacilitator, 0, false), want{
			signedIn: true, manage: true, attributed: true, write: true, anyMember: true,
			actFor: [2]bool{true, true}, onBehalf: [2]bool{true, true}, readPositions: [2]bool{true, true},
			approve: [2]bool{true, true},
			see:     everyState, shared: []string{closedShared},
			draft: true, seeDraft: [2]bool{true, true}, actInProc: [2]bool{true, true}, actInProcApproval: [2]bool{true, true},
			objections: [2]bool{true, true}, actionsOf: [2]bool{true, true}}},
		{"observer", user(models.RoleObserver, 0, false), want{
			signedIn: true, attributed: true,
			readPositions: [2]bool{true, true},
			see:           everyState, shared: []string{closedShared},
			seeDraft: [2]bool{true, true}, objections: [2]bool{true, true}, actionsOf: [2]bool{true, true}}},
		{"delegate of A", user(models.RoleDelegate, memberA, false), want{
			signedIn: true, delegate: true, write: true,
			actFor: [2]bool{true, false}, readPositions: [2]bool{true, false},
			see: []string{open, openShared, closed, closedShared}, shared: []string{closedShared},
			seeDraft: [2]bool{false, true}, actInProc: [2]bool{true, false},
			objections: [2]bool{false, true}, actionsOf: [2]bool{true, false}}},
		{"head of delegation of A", user("head of delegation", memberA, false), want{
			signedIn: true, delegate: true, write: true,
			actFor: [2]bool{true, false}, readPositions: [2]bool{true, false}, approve: [2]bool{true, false},
			see: []string{open, openShared, closed, closedShared}, shared: []string{closedShared},
			seeDraft: [2]bool{false, true}, actInProc: [2]bool{true, false}, actInProcApproval: [2]bool{true, false},
			objections: [2]bool{false, true}, actionsOf: [2]bool{true, false}}},
		{"revoked head of delegation of A", user("head of delegation", memberA, true), want{}},
		{"delegate of B", user(models.RoleDelegate, memberB, false), want{
			signedIn: true, delegate: true, write: true,
			actFor: [2]bool{false, true}, readPositions: [2]bool{false, true},
			see: []string{open, openShared, closed, closedShared}, shared: []string{closedShared},
			seeDraft: [2]bool{false, true}, actInProc: [2]bool{false, true},
			objections: [2]bool{false, true}, actionsOf: [2]bool{false, true}}},
		// The store never leaves a delegate without a member; should one
		// exist, it acts for nobody and sees nothing.
		{"delegate without a member", user(models.RoleDelegate, 0, false), want{signedIn: true, write: true}},
		{"revoked facilitator", user(models.RoleFacilitator, 0, true), want{}},
		{"revoked observer", user(models.RoleObserver, 0, true), want{}},
		{"revoked delegate of A", user(models.RoleDelegate, memberA, true), want{}},
		{"account of an unknown role", user("approver", 0, false), want{signedIn: true}},
		{"anonymous", nil, want{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, w := tt.u, tt.want
			check := func(right string, got, want bool) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %v, want %v", right, got, want)
				}
			}
			check("SignedIn", access.SignedIn(u), w.signedIn)
			check("IsDelegate", access.IsDelegate(u), w.delegate)
			check("CanManage", access.CanManage(u), w.manage)
			check("CanReadAttributed", access.CanReadAttributed(u), w.attributed)
			check("CanWritePositions", access.CanWritePositions(u), w.write)
			check("CanActForAnyMember", access.CanActForAnyMember(u), w.anyMember)
			for i, m := range []uint{memberA, memberB} {
				name := []string{"A", "B"}[i]
				check("CanActForMember "+name, access.CanActForMember(u, m), w.actFor[i])
				check("OnBehalf "+name, access.OnBehalf(u, m), w.onBehalf[i])
				check("CanReadPositions "+name, access.CanReadPositions(u, m), w.readPositions[i])
				check("CanApprove "+name, access.CanApprove(u, m), w.approve[i])
			}
			for _, s := range states {
				c := consultation(s)
				check("CanSeeConsultation "+s, access.CanSeeConsultation(u, c), slices.Contains(w.see, s))
				check("CanSeeSharedDistribution "+s, access.CanSeeSharedDistribution(u, c), slices.Contains(w.shared, s))
				// The store-query form of the rule agrees with it.
				check("VisibleStatuses contains "+s, slices.Contains(access.VisibleStatuses(u), c.Status), slices.Contains(w.see, s))
			}
			openC := consultation(open)
			approval := consultation(open)
			approval.RequireApproval = true
			unshared, shared := &models.Procedure{}, &models.Procedure{ShareObjections: true}
			check("CanDraft", access.CanDraft(u), w.draft)
			check("CanSeeDraft not circulated", access.CanSeeDraft(u, openC, false), w.seeDraft[0])
			check("CanSeeDraft circulated", access.CanSeeDraft(u, openC, true), w.seeDraft[1])
			check("CanSeeDraft circulated, consultation in draft", access.CanSeeDraft(u, consultation(draft), true), w.seeDraft[1] && slices.Contains(w.see, draft))
			check("CanSeeObjections not shared", access.CanSeeObjections(u, openC, unshared), w.objections[0])
			check("CanSeeObjections shared", access.CanSeeObjections(u, openC, shared), w.objections[1])
			check("CanSeeObjections without procedure", access.CanSeeObjections(u, openC, nil), false)
			for i, m := range []uint{memberA, memberB} {
				name := []string{"A", "B"}[i]
				check("CanActInProcedure "+name, access.CanActInProcedure(u, m, openC), w.actInProc[i])
				check("CanActInProcedure with approval "+name, access.CanActInProcedure(u, m, approval), w.actInProcApproval[i])
				check("CanSeeActionsOf "+name, access.CanSeeActionsOf(u, openC, unshared, m), w.actionsOf[i])
				check("CanSeeActionsOf shared "+name, access.CanSeeActionsOf(u, openC, shared, m), w.actionsOf[i] || w.objections[1])
			}
			check("CanSeeConsultation of no consultation", access.CanSeeConsultation(u, nil), false)
			check("CanSeeSharedDistribution of no consultation", access.CanSeeSharedDistribution(u, nil), false)
		})
	}
}
