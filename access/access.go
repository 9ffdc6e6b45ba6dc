// Package access is Concord's access policy: every decision about who may
// see or do what is one of the pure functions below, and the web handlers
// and the JSON API only call them (the route tables' access levels map to
// them too). The functions read the account and the consultation they are
// handed and nothing else: no request, no database.
//
// The rules:
//
//   - Anonymous callers (a nil account) and revoked accounts have no rights.
//
//   - Facilitators run consultations and accounts, see every consultation
//     (drafts included), read attributed results and act for any member,
//     entering positions on the member's behalf.
//
//   - Observers see every consultation and read attributed results
//     (reports, exports, every member's positions), and change nothing.
//
//   - Delegates act for their own member only (its position form, history
//     and API positions), see consultations once they are open (never a
//     draft), and read no attributed results; once a consultation is closed
//     and its facilitators share the distribution, delegates see it
//     anonymised (with the small-count protection of handlers'
//     MinOthersForDistribution).
//
//   - A delegate marked as its member's head of delegation (approver)
//     approves or returns the drafts of its member's delegates when the
//     consultation requires national approval; facilitators may approve on
//     a member's behalf, so that a member without an approver is never
//     stuck. Nobody approves for another member.
//
//   - Drafts and the silence procedure: facilitators write drafts and run
//     procedures (CanDraft); facilitators and observers see every draft
//     and version; delegates see a draft, and each of its versions, only
//     once it has been circulated. A member acts in a procedure through its
//     head of delegation, or any of its delegates where the consultation
//     does not require national approval; facilitators act on a member's
//     behalf. Objections and footnotes are seen by facilitators and
//     observers, by each member for itself, and by every delegate only
//     when the facilitators share them for that procedure.
//
// New rights go into this package as functions of the same kind, with their rows in the table test
// (access_test.go), so that the policy stays in one place.
package access

import (
	"slices"

	"concord/models"
)

// SignedIn reports whether u is an account that may use Concord at all:
// present and not revoked.
func SignedIn(u *models.User) bool {
	return u != nil && u.Active()
}

func hasRole(u *models.User, role string) bool {
	return SignedIn(u) && u.Role == role
}

// delegateOf reports whether u is a delegate of the member.
func delegateOf(u *models.User, memberID uint) bool {
	return hasRole(u, models.RoleDelegate) && u.MemberID != nil && *u.MemberID == memberID
}

// IsDelegate reports whether u is a delegate attached to a member: the
// accounts whose home is their member's dashboard.
func IsDelegate(u *models.User) bool {
	return hasRole(u, models.RoleDelegate) && u.MemberID != nil
}

// CanManage reports whether u may run Concord: create and edit
// consultations and their questions, open and close them, share their
// distribution, import definitions and positions, invite and revoke
// accounts, and read the audit log. Facilitators only.
func CanManage(u *models.User) bool {
	return hasRole(u, models.RoleFacilitator)
}

// CanReadAttributed reports whether u may read results attributed to
// members: every member's positions and rationales, the reports, the
// coverage and the exports. Facilitators and observers.
func CanReadAttributed(u *models.User) bool {
	return hasRole(u, models.RoleFacilitator) || hasRole(u, models.RoleObserver)
}

// VisibleStatuses lists the statuses of the consultations u may see:
// every status for facilitators and observers, open and closed for
// delegates (a draft is still being written), none otherwise. It is the
// rule of CanSeeConsultation in the form a store query takes.
func VisibleStatuses(u *models.User) []string {
	switch {
	case CanReadAttributed(u):
		return []string{models.StatusDraft, models.StatusOpen, models.StatusClosed}
	case IsDelegate(u):
		return []string{models.StatusOpen, models.StatusClosed}
	}
	return nil
}

// CanSeeConsultation reports whether u may see the consultation at all
// (its questions; what else depends on the other rules). A consultation u
// may not see is answered as not found, so that its key leaks nothing.
func CanSeeConsultation(u *models.User, c *models.Consultation) bool {
	return c != nil && slices.Contains(VisibleStatuses(u), c.Status)
}

// CanWritePositions reports whether u's role enters positions at all:
// facilitators and delegates (for whom: CanActForMember). Observers never do.
func CanWritePositions(u *models.User) bool {
	return hasRole(u, models.RoleFacilitator) || hasRole(u, models.RoleDelegate)
}

// CanActForAnyMember reports whether u may enter and read the positions of
// any member, naming it: facilitators, whose entries are marked as made
// on the member's behalf.
func CanActForAnyMember(u *models.User) bool {
	return hasRole(u, models.RoleFacilitator)
}

// CanActForMember reports whether u may open the member's position form,
// see its revision history and change its positions: the member's own
// delegates, and facilitators.
func CanActForMember(u *models.User, memberID uint) bool {
	return CanActForAnyMember(u) || delegateOf(u, memberID)
}

// OnBehalf reports whether positions u enters for the member are entered
// on its behalf, by someone allowed to act for it without being one of
// its delegates (a facilitator). Such revisions are marked so.
func OnBehalf(u *models.User, memberID uint) bool {
	return CanActForMember(u, memberID) && !delegateOf(u, memberID)
}

// CanReadPositions reports whether u may read the member's current
// positions: whoever may act for the member, and those who read
// attributed results.
func CanReadPositions(u *models.User, memberID uint) bool {
	return CanActForMember(u, memberID) || CanReadAttributed(u)
}

// CanSeeSharedDistribution reports whether u, on a member's position form,
// is shown the consultation's anonymised distribution: only once the
// consultation is closed and its facilitators chose to share it, and only
// for a consultation u may see. (Staff read the attributed report anyway.)
func CanSeeSharedDistribution(u *models.User, c *models.Consultation) bool {
	return CanSeeConsultation(u, c) && c.Status == models.StatusClosed && c.ShareDistribution
}

// CanApprove reports whether u may approve or return the member's draft
// positions (national approval): the member's head of delegation — a
// delegate of that member marked as approver — and facilitators (on the
// member's behalf). A delegate who is not an approver never can.
func CanApprove(u *models.User, memberID uint) bool {
	return CanActForAnyMember(u) || (delegateOf(u, memberID) && u.Approver)
}

// CanDraft reports whether u may write drafts and run silence procedures:
// create drafts, save versions, circulate a version, extend or cancel a
// procedure, share its objections. Facilitators only (CanManage).
func CanDraft(u *models.User) bool {
	return CanManage(u)
}

// CanSeeDraft reports whether u may see a draft of the consultation (its
// list entry, its versions' texts): facilitators and observers always;
// delegates once it has been circulated. For one version, pass whether
// that version has been circulated: delegates see only the versions put
// to a silence procedure, not the drafting in between.
func CanSeeDraft(u *models.User, c *models.Consultation, circulated bool) bool {
	if !CanSeeConsultation(u, c) {
		return false
	}
	return CanReadAttributed(u) || (IsDelegate(u) && circulated)
}

// CanActInProcedure reports whether u may act for the member in a silence
// procedure of the consultation (break or join silence, withdraw, add a
// footnote): the member's head of delegation; any delegate of the member
// where the consultation does not require national approval; a
// facilitator, on the member's behalf (OnBehalf says so). The Store
// applies the same rule (models.Store.Act).
func CanActInProcedure(u *models.User, memberID uint, c *models.Consultation) bool {
	if !CanSeeConsultation(u, c) {
		return false
	}
	return CanActForAnyMember(u) || (delegateOf(u, memberID) && (u.Approver || !c.RequireApproval))
}

// CanSeeObjections reports whether u may see every member's actions in the
// procedure — who broke silence on which paragraph and why, the
// amendments, confirmations and footnotes: facilitators and observers;
// delegates only when the facilitators share the procedure's objections
// (p.ShareObjections).
func CanSeeObjections(u *models.User, c *models.Consultation, p *models.Procedure) bool {
	if !CanSeeConsultation(u, c) || p == nil {
		return false
	}
	return CanReadAttributed(u) || (IsDelegate(u) && p.ShareObjections)
}

// CanSeeActionsOf reports whether u may see the member's own actions in
// the procedure: whoever sees every member's (CanSeeObjections), and the
// member's own delegates.
func CanSeeActionsOf(u *models.User, c *models.Consultation, p *models.Procedure, memberID uint) bool {
	return CanSeeObjections(u, c, p) || (p != nil && CanSeeConsultation(u, c) && delegateOf(u, memberID))
}
