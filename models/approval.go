package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// National approval. When a consultation requires it (RequireApproval), a
// delegate's save is a draft; the member's head of delegation (a delegate
// account marked Approver) approves it, which makes it the member's
// position, or returns it with a comment the drafter sees. Every step is a
// revision: a draft, then an approved or a returned copy of it. The
// member's current position is its latest revision that counts
// (countsAsPosition); positions that exist when approval is switched on
// have the empty state and count as approved.

// Revision states.
const (
	StateDraft    = "draft"
	StateApproved = "approved"
	StateReturned = "returned"
)

// Audit actions of approval.
const (
	AuditApprovalSetting  = "consultation.approval"
	AuditApproverChanged  = "account.approver_changed"
	AuditPositionApproved = "position.approved"
	AuditPositionReturned = "position.returned"
)

// MaxReviewComment is the longest comment of a returned draft, in
// characters.
const MaxReviewComment = 2000

// ErrNotApprover: the account may not approve or return the member's
// drafts — only the member's head of delegation and facilitators may.
var ErrNotApprover = errors.New("only the member's head of delegation or a facilitator may approve or return its drafts")

// countsAsPosition reports whether a revision in this state can be a
// member's current position: approved, or made where approval was not
// required (empty).
func countsAsPosition(state string) bool { return state == "" || state == StateApproved }

// stateText describes a revision state for the audit log.
func stateText(state string) string {
	switch state {
	case StateDraft:
		return "draft awaiting approval"
	case StateReturned:
		return "returned to the drafter"
	default:
		return state
	}
}

// saveState decides, inside tx, the state of the revisions a submission
// appends and whether they are entered on the member's behalf: without
// required approval, "" (as always); with it, StateApproved for the
// member's head of delegation and for a facilitator (on the member's
// behalf), StateDraft for anyone else.
func saveState(tx *gorm.DB, c *Consultation, sub Submission) (string, bool, error) {
	if !c.RequireApproval {
		return "", false, nil
	}
	var u User
	if err := tx.Where("id = ?", sub.UserID).Limit(1).Find(&u).Error; err != nil {
		return "", false, fmt.Errorf("load submitting account %d: %w", sub.UserID, err)
	}
	switch {
	case u.ID != 0 && u.Role == RoleFacilitator:
		return StateApproved, true, nil
	case mayApprove(&u, sub.MemberID):
		return StateApproved, false, nil
	}
	return StateDraft, false, nil
}

// mayApprove reports whether u is the active head of delegation of the
// member.
func mayApprove(u *User, memberID uint) bool {
	return u.ID != 0 && u.Active() && u.Role == RoleDelegate && u.Approver && u.MemberID != nil && *u.MemberID == memberID
}

// SetRequireApproval switches national approval on or off for a
// consultation (audited). Switching it on leaves the existing positions as
// they are: they count as approved. Switching it off leaves drafts pending:
// they can still be approved or returned, and new saves count at once.
func (s *Store) SetRequireApproval(ctx context.Context, id uint, require bool, by uint) error {
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Consultation
		if err := tx.First(&c, id).Error; err != nil {
			return notFound(err, "load consultation")
		}
		if c.RequireApproval == require {
			return nil
		}
		if err := tx.Model(&c).Update("require_approval", require).Error; err != nil {
			return err
		}
		return tx.Create(&AuditEvent{At: s.Now(), UserID: &by, Action: AuditApprovalSetting,
			Subject: "consultation " + c.Key, Detail: fmt.Sprintf("national approval required: %t", require)}).Error
	})
	if err != nil {
		return fmt.Errorf("set approval of consultation %d: %w", id, err)
	}
	return nil
}

// SetApprover marks (or unmarks) a delegate account as its member's head of
// delegation. It is a change of rights: audited, and every API token of
// the account is revoked, so none made under the old rights survives. Only
// an active delegate account other than the facilitator's own can be
// marked (a *ConflictError otherwise); setting what is already set changes
// nothing.
func (s *Store) SetApprover(ctx context.Context, userID uint, approver bool, by uint) error {
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		u, err := loadActiveOther(tx, userID, by)
		if err != nil {
			return err
		}
		if u.Role != RoleDelegate {
			return &ConflictError{Field: "approver", Message: "Only a delegate account can be its member's head of delegation."}
		}
		if u.Approver == approver {
			return nil
		}
		now := s.Now()
		if err := tx.Model(&User{}).Where("id = ?", u.ID).Update("approver", approver).Error; err != nil {
			return err
		}
		change := "granted"
		if !approver {
			change = "withdrawn"
		}
		revoked, err := revokeAllAPITokens(tx, u, by, now, "head of delegation "+change)
		if err != nil {
			return err
		}
		return tx.Create(&AuditEvent{At: now, UserID: &by, MemberID: u.MemberID, Action: AuditApproverChanged,
			Subject: "user " + u.Username,
			Detail:  fmt.Sprintf("head of delegation of %s %s; %d API token(s) revoked", memberCode(u), change, revoked)}).Error
	})
	if err != nil {
		return fmt.Errorf("set approver of user %d: %w", userID, err)
	}
	return nil
}

func memberCode(u *User) string {
	if u.Member != nil && u.Member.ID != 0 {
		return u.Member.Code
	}
	return "its member"
}

// Approve makes the member's drafts of the current round its positions:
// for each question named (every question with a draft when keys is
// empty), an approved copy of the member's latest draft is appended. A
// returned draft is not approved (the drafter revises it, or the approver
// saves an answer, approved at once). It returns how many were approved.
//
// by must be the member's head of delegation or a facilitator (recorded as
// on the member's behalf), else ErrNotApprover; a named question without a
// draft is a *ConflictError; the consultation must accept positions
// (ErrClosed).
func (s *Store) Approve(ctx context.Context, consultationID, memberID uint, questionKeys []string, by uint) (int, error) {
	return s.review(ctx, consultationID, memberID, questionKeys, StateApproved, "", by)
}

// Return sends the member's drafts back to the drafter with a comment (1 to
// MaxReviewComment characters, a *ValidationError on "comment" otherwise):
// for each question named (every question with a draft when keys is
// empty), a returned copy of the latest draft is appended, carrying the
// comment; the position stays what it was. The rules of Approve apply.
func (s *Store) Return(ctx context.Context, consultationID, memberID uint, questionKeys []string, comment string, by uint) (int, error) {
	comment = strings.TrimSpace(strings.ReplaceAll(comment, "\r\n", "\n"))
	switch {
	case comment == "":
		return 0, &ValidationError{Fields: map[string]string{"comment": "Say why the draft goes back, so the drafter can revise it."}}
	case !IsText(comment):
		return 0, &ValidationError{Fields: map[string]string{"comment": "The comment contains characters that are not valid text."}}
	case len([]rune(comment)) > MaxReviewComment:
		return 0, &ValidationError{Fields: map[string]string{"comment": fmt.Sprintf("The comment must be at most %d characters.", MaxReviewComment)}}
	}
	return s.review(ctx, consultationID, memberID, questionKeys, StateReturned, comment, by)
}

func (s *Store) review(ctx context.Context, consultationID, memberID uint, keys []string, state, comment string, by uint) (int, error) {
	n := 0
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		n = 0
		var c Consultation
		if err := tx.First(&c, consultationID).Error; err != nil {
			return notFound(err, fmt.Sprintf("load consultation %d", consultationID))
		}
		var reviewer User
		if err := tx.Where("id = ?", by).Limit(1).Find(&reviewer).Error; err != nil {
			return fmt.Errorf("load account %d: %w", by, err)
		}
		facilitator := reviewer.ID != 0 && reviewer.Active() && reviewer.Role == RoleFacilitator
		if !facilitator && !mayApprove(&reviewer, memberID) {
			return ErrNotApprover
		}
		now := s.Now()
		if !c.AcceptsPositions(now) {
			return ErrClosed
		}
		byKey, byID, err := questionIndex(tx, c.ID)
		if err != nil {
			return err
		}
		latest, err := latestRevisions(tx, c.Round, memberID, byID)
		if err != nil {
			return err
		}
		var todo []Revision
		if len(keys) == 0 {
			for _, r := range latest {
				if r.State == StateDraft {
					todo = append(todo, r)
				}
			}
			if len(todo) == 0 {
				return &ConflictError{Field: "questions", Message: "No draft of this member awaits approval."}
			}
		}
		for _, key := range keys {
			q, ok := byKey[key]
			if !ok {
				return fmt.Errorf("question %q of consultation %s: %w", key, c.Key, ErrNotFound)
			}
			r, ok := latest[q.ID]
			if !ok || r.State != StateDraft {
				return &ConflictError{Field: "questions", Message: fmt.Sprintf("Question %s has no draft awaiting approval.", q.Key)}
			}
			if !slices.ContainsFunc(todo, func(t Revision) bool { return t.ID == r.ID }) {
				todo = append(todo, r)
			}
		}
		slices.SortFunc(todo, func(a, b Revision) int { return questionOrder(byID[a.QuestionID], byID[b.QuestionID]) })
		action := AuditPositionApproved
		if state == StateReturned {
			action = AuditPositionReturned
		}
		for _, d := range todo {
			r := d
			r.ID, r.Seq, r.State, r.ReviewComment, r.ReviewedBy, r.SubmittedAt = 0, d.Seq+1, state, comment, &by, now
			r.OnBehalf = d.OnBehalf || facilitator
			if err := tx.Create(&r).Error; err != nil {
				return fmt.Errorf("append %s revision: %w", state, err)
			}
			q := byID[r.QuestionID]
			detail := describeAnswer(&r, q)
			if r.Withdrawn {
				detail = "withdrawal of the answer"
			}
			detail += " (drafted in revision " + fmt.Sprint(d.Seq) + ")"
			if facilitator {
				detail += "; by a facilitator on the member's behalf"
			}
			if comment != "" {
				detail += "; comment: " + comment
			}
			if err := tx.Create(&AuditEvent{At: now, UserID: &by, MemberID: &r.MemberID, Action: action,
				Subject: fmt.Sprintf("question %s revision %d", q.Key, r.Seq), Detail: detail}).Error; err != nil {
				return fmt.Errorf("audit %s revision: %w", state, err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		var conflict *ConflictError
		if errors.Is(err, ErrNotApprover) || errors.Is(err, ErrClosed) || errors.Is(err, ErrNotFound) || errors.As(err, &conflict) {
			return 0, err
		}
		return 0, fmt.Errorf("review drafts of member %d: %w", memberID, err)
	}
	return n, nil
}

// questionOrder orders questions by number (questionnaire creation order),
// then ID.
func questionOrder(a, b *Question) int {
	if a.Number != b.Number {
		return a.Number - b.Number
	}
	return int(a.ID) - int(b.ID)
}

// latestRevisions returns, inside tx, the member's latest revision of any
// state per question of a round, keyed by question ID: one lookup per
// question through the unique index on member, question, round and
// sequence, however long the history.
func latestRevisions(tx *gorm.DB, round int, memberID uint, questions map[uint]*Question) (map[uint]Revision, error) {
	keys := make([]revisionKey, 0, len(questions))
	for id := range questions {
		keys = append(keys, revisionKey{member: memberID, question: id, round: round})
	}
	latest, err := latestByKey(tx, keys, revisionColumns, scanRevisions)
	if err != nil {
		return nil, fmt.Errorf("load latest revisions of member %d: %w", memberID, err)
	}
	out := make(map[uint]Revision, len(latest))
	for k, r := range latest {
		out[k.question] = r
	}
	return out, nil
}

// pendingSelect reads pending drafts through their pointer table (see
// pending_positions in current.go): one row per pending draft, however
// long the history. Callers filter on pp.consultation_id, pp.round and
// pp.member_id, and join the two (r.id = pp.revision_id).
var pendingSelect = `SELECT r.*, m.code AS member_code, m.name AS member_name, q.key AS question_key,
	COALESCE(u.name, '') AS submitter_name, COALESCE(u.username, '') AS submitter_user
	FROM pending_positions pp
	CROSS JOIN revisions r
	JOIN members m ON m.id = r.member_id
	JOIN questions q ON q.id = r.question_id
	LEFT JOIN users u ON u.id = r.submitted_by`

// PendingPositions returns, keyed by question ID, the member's drafts of a
// round that are not (yet) its position: per question, the latest revision
// when it is a draft awaiting approval (State StateDraft) or a draft
// returned with a comment (StateReturned, ReviewComment). The form shows
// them as the values being worked on; the approver's view lists them.
func (s *Store) PendingPositions(ctx context.Context, consultationID uint, round int, memberID uint) (map[uint]RevisionRecord, error) {
	var list []RevisionRecord
	err := s.r.WithContext(ctx).Raw(pendingSelect+` WHERE r.id = pp.revision_id AND pp.consultation_id = ? AND pp.round = ? AND pp.member_id = ?`,
		consultationID, round, memberID).Scan(&list).Error
	if err != nil {
		return nil, fmt.Errorf("load pending positions of member %d: %w", memberID, err)
	}
	out := make(map[uint]RevisionRecord, len(list))
	for _, r := range list {
		out[r.QuestionID] = r
	}
	return out, nil
}

// Awaiting is an open consultation with how many of a member's drafts in
// its current round await approval.
type Awaiting struct {
	Consultation
	Drafts int
}

// AwaitingApproval lists, for a head of delegation, the open consultations
// in which drafts of their member await their approval (newest first), in
// one query; nil for any other account.
func (s *Store) AwaitingApproval(ctx context.Context, userID uint) ([]Awaiting, error) {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if u.MemberID == nil || !mayApprove(u, *u.MemberID) {
		return nil, nil
	}
	var out []Awaiting
	err = s.r.WithContext(ctx).Raw(`SELECT c.*, COUNT(*) AS drafts FROM consultations c
		JOIN pending_positions pp ON pp.consultation_id = c.id AND pp.round = c.round
		JOIN revisions r ON r.id = pp.revision_id
		WHERE pp.member_id = ? AND c.status = ? AND r.state = 'draft'
		GROUP BY c.id ORDER BY c.id DESC`, *u.MemberID, StatusOpen).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list drafts awaiting approval of user %d: %w", userID, err)
	}
	return out, nil
}

// Approval statuses of a member in a round (MemberApproval.Status).
const (
	ApprovalApproved   = "approved"
	ApprovalAwaiting   = "awaiting approval"
	ApprovalReturned   = "returned"
	ApprovalNotStarted = "not started"
)

// MemberApproval is where one member stands in the current round of a
// consultation that requires approval.
type MemberApproval struct {
	Member   Member
	Approved int // questions with a current position (approved)
	Awaiting int // questions whose latest revision is a draft awaiting approval
	Returned int // questions whose latest revision is a returned draft
	// Status: ApprovalAwaiting when any draft awaits approval, else
	// ApprovalReturned when any draft was returned, else ApprovalApproved
	// when the member has any position, else ApprovalNotStarted.
	Status string
}

// ApprovalStatus lists, per member of the roster (by name), its approved
// positions and pending drafts in the consultation's current round, in two
// queries.
func (s *Store) ApprovalStatus(ctx context.Context, c *Consultation) ([]MemberApproval, error) {
	members, err := s.Members(ctx)
	if err != nil {
		return nil, err
	}
	approved, err := s.AnsweredCounts(ctx, c.ID, c.Round)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		MemberID uint
		State    string
		N        int
	}
	err = s.r.WithContext(ctx).Raw(`SELECT pp.member_id, r.state, COUNT(*) AS n FROM pending_positions pp
		CROSS JOIN revisions r
		WHERE r.id = pp.revision_id AND pp.consultation_id = ? AND pp.round = ?
		GROUP BY pp.member_id, r.state`, c.ID, c.Round).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count drafts of consultation %d: %w", c.ID, err)
	}
	pending := map[uint]map[string]int{}
	for _, r := range rows {
		if pending[r.MemberID] == nil {
			pending[r.MemberID] = map[string]int{}
		}
		pending[r.MemberID][r.State] = r.N
	}
	out := make([]MemberApproval, 0, len(members))
	for _, m := range members {
		a := MemberApproval{Member: m, Approved: approved[m.ID], Awaiting: pending[m.ID][StateDraft], Returned: pending[m.ID][StateReturned]}
		switch {
		case a.Awaiting > 0:
			a.Status = ApprovalAwaiting
		case a.Returned > 0:
			a.Status = ApprovalReturned
		case a.Approved > 0:
			a.Status = ApprovalApproved
		default:
			a.Status = ApprovalNotStarted
		}
		out = append(out, a)
	}
	return out, nil
}
