package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The silence procedure. A facilitator circulates a version of a draft to
// every member with a deadline (Circulate). Until the deadline each member
// may break silence on paragraphs (an objection, with an optional
// amendment), withdraw such an objection, join silence explicitly
// ("confirmed"), and attach national footnotes to paragraphs (statements,
// not blocks). When the deadline passes with no objection standing the
// version is adopted; with one standing, the procedure ends broken, and the
// facilitator revises and recirculates (a new procedure on a new version)
// or, before the deadline, extends it. A facilitator may cancel a running
// procedure with a reason.
//
// States: running → adopted | broken (at the deadline, by the server's
// clock) | cancelled (by a facilitator). The end of a procedure at its
// deadline is a conditional UPDATE (… WHERE state = 'running' AND deadline
// <= now) stamped with the deadline's time, so it is idempotent, correct
// after a restart and safe when several instances run it at once: the one
// whose update changes the row writes the audit event. CloseDueProcedures
// runs it (the server's deadline job calls it every few seconds); every
// read of a procedure shows its effective state meanwhile (see settle), so
// no page shows "running" after the deadline.
//
// Who may act for a member: its head of delegation (a delegate marked
// approver); any delegate of the member where the consultation does not
// require national approval; a facilitator, on the member's behalf
// (recorded as such). The Store decides this from the acting account
// (access.CanActInProcedure states the same rule for pages).

// Procedure states.
const (
	ProcedureRunning   = "running"
	ProcedureAdopted   = "adopted"
	ProcedureBroken    = "broken"
	ProcedureCancelled = "cancelled"
)

// Procedure actions.
const (
	ActionBroke     = "broke"     // an objection on one paragraph
	ActionWithdrew  = "withdrew"  // withdraws the member's objection on a paragraph
	ActionConfirmed = "confirmed" // "no objection": joins silence explicitly
	ActionFootnote  = "footnote"  // a national footnote on a paragraph
)

// ProcedureActions lists the actions, in the order forms offer them.
var ProcedureActions = []string{ActionConfirmed, ActionBroke, ActionWithdrew, ActionFootnote}

// A member's stand in a procedure (MemberStand.Stand).
const (
	StandSilent    = "silent"    // has said nothing (or withdrew every objection without confirming)
	StandConfirmed = "confirmed" // joined silence explicitly, no objection standing
	StandBroke     = "broke"     // at least one objection standing
)

// Limits of procedure texts, in characters.
const (
	MaxObjection    = 4000
	MaxAmendment    = MaxParagraphText
	MaxFootnote     = 2000
	MaxCancelReason = 1000
)

// Audit actions of the silence procedure.
const (
	AuditProcedureCirculated = "procedure.circulated"
	AuditProcedureAction     = "procedure.action"
	AuditProcedureExtended   = "procedure.extended"
	AuditProcedureCancelled  = "procedure.cancelled"
	AuditProcedureClosed     = "procedure.closed" // adopted or broken at the deadline
	AuditProcedureSharing    = "procedure.share_objections"
)

// Errors of the silence procedure.
var (
	// ErrProcedureNotRunning: the procedure has ended (adopted, broken,
	// cancelled) or its deadline has passed.
	ErrProcedureNotRunning = errors.New("the silence procedure is no longer running")
	// ErrCannotAct: the account may not act for the member in a procedure.
	ErrCannotAct = errors.New("only the member's head of delegation (or any of its delegates where national approval is not required) or a facilitator may act for it in a silence procedure")
)

// Procedure is one silence procedure: a version circulated with a
// deadline. Deadline and ClosedAt are UTC. ClosedAt is the deadline for a
// procedure adopted or broken, the time of cancellation for a cancelled
// one. AdoptedHash is the version's hash when adopted (VersionHash).
// ShareObjections lets delegates of every member see the objections (off
// by default: facilitators and observers see them, and each member its
// own).
type Procedure struct {
	ID              uint       `gorm:"primaryKey" json:"id"`
	ConsultationID  uint       `gorm:"not null;index" json:"-"`
	DraftID         uint       `gorm:"not null;index" json:"-"`
	VersionID       uint       `gorm:"not null;index" json:"-"`
	Version         int        `gorm:"not null" json:"version"`
	Hash            string     `gorm:"not null;size:64" json:"hash"` // the circulated version's hash
	Deadline        time.Time  `gorm:"not null;index" json:"deadline"`
	State           string     `gorm:"not null;index" json:"state"`
	ShareObjections bool       `gorm:"not null;default:false" json:"share_objections"`
	CancelReason    string     `gorm:"not null;default:''" json:"cancel_reason,omitempty"`
	CreatedBy       uint       `gorm:"not null" json:"-"`
	CreatedAt       time.Time  `gorm:"not null" json:"created_at"`
	ClosedAt        *time.Time `json:"closed_at"`
	AdoptedHash     string     `gorm:"not null;default:''" json:"adopted_hash,omitempty"`
}

// migrateProcedures adds the storage-level guard of "one running silence
// procedure per draft": Circulate checks it inside its write transaction,
// and this partial unique index makes any other writer (another instance,
// a future code path) fail rather than start a second one.
func migrateProcedures(db *gorm.DB) error {
	if err := db.Exec(`CREATE UNIQUE INDEX IF NOT EXISTS idx_procedures_one_running
		ON procedures (draft_id) WHERE state = 'running'`).Error; err != nil {
		return fmt.Errorf("guard one running procedure per draft: %w", err)
	}
	return nil
}

// Running reports whether the procedure accepts actions at now: running
// and before its deadline.
func (p *Procedure) Running(now time.Time) bool {
	return p.State == ProcedureRunning && now.Before(p.Deadline)
}

// ProcedureAction is one action of a member in a procedure, in the order
// recorded. Paragraph is 0 for "confirmed". Text is the objection, the
// footnote, or an optional remark (a withdrawal's or a confirmation's, or
// how a facilitator received it, e.g. "received by telegram"). OnBehalf
// marks an action a facilitator recorded for the member.
type ProcedureAction struct {
	ID          uint      `gorm:"primaryKey" json:"-"`
	ProcedureID uint      `gorm:"not null;index" json:"-"`
	MemberID    uint      `gorm:"not null;index" json:"-"`
	Action      string    `gorm:"not null" json:"action"`
	Paragraph   int       `gorm:"not null;default:0" json:"paragraph,omitempty"`
	Text        string    `gorm:"not null;default:''" json:"text,omitempty"`
	Amendment   string    `gorm:"not null;default:''" json:"amendment,omitempty"`
	By          uint      `gorm:"not null" json:"-"`
	OnBehalf    bool      `gorm:"not null;default:false" json:"on_behalf"`
	At          time.Time `gorm:"not null" json:"at"`
}

// ActionInput is one action as a form or the API gives it, for the member
// MemberID.
type ActionInput struct {
	MemberID  uint   `form:"-" json:"-"`
	Action    string `form:"action" json:"action"`
	Paragraph int    `form:"paragraph" json:"paragraph"`
	Text      string `form:"text" json:"text"`
	Amendment string `form:"amendment" json:"amendment"`
}

// CirculationError is a refusal to circulate because some members have no
// active account able to act for them (see Circulate). Members lists them
// by name; the message is a plain sentence naming them.
type CirculationError struct {
	Members []Member
}

func (e *CirculationError) Error() string {
	names := make([]string, len(e.Members))
	for i, m := range e.Members {
		names[i] = m.Name + " (" + m.Code + ")"
	}
	return "Every member needs an active account able to act for it before a version is circulated; none can act for " +
		strings.Join(names, ", ") + "."
}

// Unwrap makes a CirculationError an ErrConflict.
func (e *CirculationError) Unwrap() error { return ErrConflict }

// Circulate starts a silence procedure on a version, with a deadline (UTC;
// it must be after the store's now, else a *ValidationError on
// "deadline"). It is refused with a *ConflictError while another procedure
// on the same draft is running (or when the consultation is still a
// draft), and with a *CirculationError unless every member of the roster
// has at least one active account able to act for it: a delegate of the
// member — its head of delegation where the consultation requires national
// approval. Audited.
func (s *Store) Circulate(ctx context.Context, versionID uint, deadline time.Time, by uint) (*Procedure, error) {
	now := s.Now()
	deadline = deadline.UTC().Truncate(time.Second)
	if !deadline.After(now) {
		return nil, &ValidationError{Fields: map[string]string{"deadline": "The deadline must be in the future."}}
	}
	var p *Procedure
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var v DraftVersion
		if err := tx.First(&v, versionID).Error; err != nil {
			return notFound(err, fmt.Sprintf("load version %d", versionID))
		}
		var d Draft
		if err := tx.First(&d, v.DraftID).Error; err != nil {
			return notFound(err, fmt.Sprintf("load draft %d", v.DraftID))
		}
		var c Consultation
		if err := tx.First(&c, d.ConsultationID).Error; err != nil {
			return notFound(err, fmt.Sprintf("load consultation %d", d.ConsultationID))
		}
		if c.Status == StatusDraft {
			return &ConflictError{Field: "deadline", Message: "Open the consultation before circulating a draft: delegates cannot see it yet."}
		}
		if _, err := s.settleDue(tx, now, "draft_id = ?", d.ID); err != nil {
			return err
		}
		var running int64
		if err := tx.Model(&Procedure{}).Where("draft_id = ? AND state = ?", d.ID, ProcedureRunning).Count(&running).Error; err != nil {
			return fmt.Errorf("count running procedures: %w", err)
		}
		if running > 0 {
			return &ConflictError{Field: "deadline", Message: "A silence procedure on this draft is already running: let it end, extend it or cancel it first."}
		}
		missing, err := membersWithoutActor(tx, c.RequireApproval)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			return &CirculationError{Members: missing}
		}
		p = &Procedure{ConsultationID: c.ID, DraftID: d.ID, VersionID: v.ID, Version: v.Version, Hash: v.Hash,
			Deadline: deadline, State: ProcedureRunning, CreatedBy: by, CreatedAt: now}
		if err := tx.Create(p).Error; err != nil {
			return fmt.Errorf("insert procedure: %w", err)
		}
		return tx.Create(&AuditEvent{At: now, UserID: &by, Action: AuditProcedureCirculated,
			Subject: procedureSubject(&c, &d, p),
			Detail:  fmt.Sprintf("version %d (hash %s) circulated; deadline %s", v.Version, v.Hash, deadline.Format(time.RFC3339))}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("circulate version %d: %w", versionID, err)
	}
	return p, nil
}

func procedureSubject(c *Consultation, d *Draft, p *Procedure) string {
	return fmt.Sprintf("consultation %s draft %d procedure %d", c.Key, d.Number, p.ID)
}

// membersWithoutActor lists, by name, the members of the roster with no
// active delegate account able to act for them in a procedure: any
// delegate, or a head of delegation when approval is required.
func membersWithoutActor(tx *gorm.DB, requireApproval bool) ([]Member, error) {
	sub := tx.Model(&User{}).Select("member_id").
		Where("role = ? AND revoked_at IS NULL AND member_id IS NOT NULL", RoleDelegate)
	if requireApproval {
		sub = sub.Where("approver = ?", true)
	}
	var out []Member
	if err := tx.Where("id NOT IN (?)", sub).Order("name").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("find members without an account: %w", err)
	}
	return out, nil
}

// mayActInProcedure reports whether u may act for the member in a
// procedure of a consultation requiring approval or not, and whether it
// acts on the member's behalf (a facilitator).
func mayActInProcedure(u *User, memberID uint, requireApproval bool) (ok, onBehalf bool) {
	switch {
	case u.ID == 0 || !u.Active():
		return false, false
	case u.Role == RoleFacilitator:
		return true, true
	case u.Role == RoleDelegate && u.MemberID != nil && *u.MemberID == memberID:
		return u.Approver || !requireApproval, false
	}
	return false, false
}

// openObjections returns, for each member, its standing objections by
// paragraph: the latest "broke" on the paragraph not followed by a
// "withdrew" on it. acts must be in the order recorded.
func openObjections(acts []ProcedureAction) map[uint]map[int]ProcedureAction {
	out := map[uint]map[int]ProcedureAction{}
	for _, a := range acts {
		switch a.Action {
		case ActionBroke:
			if out[a.MemberID] == nil {
				out[a.MemberID] = map[int]ProcedureAction{}
			}
			out[a.MemberID][a.Paragraph] = a
		case ActionWithdrew:
			delete(out[a.MemberID], a.Paragraph)
			if len(out[a.MemberID]) == 0 {
				delete(out, a.MemberID)
			}
		}
	}
	return out
}

// settle sets the effective state of a procedure at now, given its
// actions: a running procedure whose deadline has passed is adopted (no
// objection standing) or broken, closed at the deadline. It changes only
// the value, not the database; CloseDueProcedures writes the same outcome.
func settle(p *Procedure, now time.Time, acts []ProcedureAction) {
	if p.State != ProcedureRunning || now.Before(p.Deadline) {
		return
	}
	closed := p.Deadline
	p.ClosedAt = &closed
	if len(openObjections(acts)) > 0 {
		p.State = ProcedureBroken
		return
	}
	p.State, p.AdoptedHash = ProcedureAdopted, p.Hash
}

// CloseDueProcedures ends every running procedure whose deadline has
// passed by the store's clock: adopted if no objection stands at the
// deadline (AdoptedHash = the version's hash), broken otherwise; ClosedAt
// is the deadline, not now. It returns how many it ended. Each end is a
// conditional update (WHERE state = 'running' AND deadline <= now) in its
// own transaction: running it again, or from several instances at once,
// changes nothing more, and only the instance whose update took effect
// writes the audit event.
func (s *Store) CloseDueProcedures(ctx context.Context) (int, error) {
	n := 0
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		n, err = s.settleDue(tx, s.Now(), "1 = 1")
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("close procedures past their deadline: %w", err)
	}
	return n, nil
}

// settleDue ends, inside tx, the running procedures past their deadline at
// now that match the condition (a gorm Where with its arguments), as
// CloseDueProcedures says.
func (s *Store) settleDue(tx *gorm.DB, now time.Time, cond string, args ...any) (int, error) {
	var due []Procedure
	if err := tx.Where("state = ? AND deadline <= ?", ProcedureRunning, now).Where(cond, args...).
		Order("id").Find(&due).Error; err != nil {
		return 0, fmt.Errorf("find procedures past their deadline: %w", err)
	}
	n := 0
	for _, p := range due {
		var acts []ProcedureAction
		if err := tx.Where("procedure_id = ? AND action IN ?", p.ID, []string{ActionBroke, ActionWithdrew}).
			Order("id").Find(&acts).Error; err != nil {
			return n, fmt.Errorf("load objections of procedure %d: %w", p.ID, err)
		}
		settle(&p, now, acts)
		res := tx.Model(&Procedure{}).Where("id = ? AND state = ? AND deadline <= ?", p.ID, ProcedureRunning, now).
			Updates(map[string]any{"state": p.State, "closed_at": *p.ClosedAt, "adopted_hash": p.AdoptedHash})
		if res.Error != nil {
			return n, fmt.Errorf("close procedure %d: %w", p.ID, res.Error)
		}
		if res.RowsAffected == 0 {
			continue // another instance closed it first
		}
		n++
		var c Consultation
		var d Draft
		if err := tx.Select("id", "key").First(&c, p.ConsultationID).Error; err != nil {
			return n, fmt.Errorf("load consultation %d: %w", p.ConsultationID, err)
		}
		if err := tx.Select("id", "number").First(&d, p.DraftID).Error; err != nil {
			return n, fmt.Errorf("load draft %d: %w", p.DraftID, err)
		}
		detail := fmt.Sprintf("version %d adopted at the deadline %s (hash %s)", p.Version, p.Deadline.Format(time.RFC3339), p.AdoptedHash)
		if p.State == ProcedureBroken {
			detail = fmt.Sprintf("version %d not adopted: silence broken at the deadline %s", p.Version, p.Deadline.Format(time.RFC3339))
		}
		if err := tx.Create(&AuditEvent{At: now, Action: AuditProcedureClosed, Subject: procedureSubject(&c, &d, &p), Detail: detail}).Error; err != nil {
			return n, fmt.Errorf("audit end of procedure %d: %w", p.ID, err)
		}
	}
	return n, nil
}

// loadRunning loads a procedure inside tx for a change that needs it
// running at now, ending it first if its deadline has passed: a
// *ConflictError wrapping ErrProcedureNotRunning otherwise.
func (s *Store) loadRunning(tx *gorm.DB, id uint, now time.Time) (*Procedure, *Consultation, *Draft, error) {
	if _, err := s.settleDue(tx, now, "id = ?", id); err != nil {
		return nil, nil, nil, err
	}
	var p Procedure
	if err := tx.First(&p, id).Error; err != nil {
		return nil, nil, nil, notFound(err, fmt.Sprintf("load procedure %d", id))
	}
	var c Consultation
	if err := tx.First(&c, p.ConsultationID).Error; err != nil {
		return nil, nil, nil, notFound(err, fmt.Sprintf("load consultation %d", p.ConsultationID))
	}
	var d Draft
	if err := tx.First(&d, p.DraftID).Error; err != nil {
		return nil, nil, nil, notFound(err, fmt.Sprintf("load draft %d", p.DraftID))
	}
	if !p.Running(now) {
		return nil, nil, nil, fmt.Errorf("procedure %d is %s: %w", p.ID, p.State, ErrProcedureNotRunning)
	}
	return &p, &c, &d, nil
}

// cleanText trims a text and makes its line ends line feeds.
func cleanText(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n"))
}

// checkText validates an optional or required text of at most max
// characters, returning a message for its field or "".
func checkText(s string, required bool, max int, what string) string {
	switch {
	case s == "" && required:
		return "Write the " + what + "."
	case !IsText(s):
		return "The " + what + " contains characters that are not valid text."
	case len([]rune(s)) > max:
		return fmt.Sprintf("The %s must be at most %d characters.", what, max)
	}
	return ""
}

// Act records one action of a member in a running procedure, by the
// account by, at the store's now (before the deadline: else
// ErrProcedureNotRunning). by must be able to act for the member (the
// member's head of delegation; any delegate of it where approval is not
// required; a facilitator, whose action is recorded on the member's
// behalf), else ErrCannotAct. The rules of each action (a
// *ValidationError keyed "action", "paragraph", "text" or "amendment", or a
// *ConflictError, otherwise):
//
//   - broke: an objection on one paragraph of the version (1..n), text
//     required (at most MaxObjection characters), amendment optional (the
//     paragraph as the member proposes it, at most MaxAmendment). Breaking
//     again on the same paragraph replaces the standing objection there.
//     Several paragraphs are several actions.
//   - withdrew: withdraws the member's standing objection on the paragraph
//     (a *ConflictError if there is none); text optional.
//   - confirmed: "no objection" (paragraph 0); refused while the member
//     has an objection standing (withdraw it first); text optional.
//   - footnote: a national footnote on a paragraph, text required (at most
//     MaxFootnote characters); not a block. A later footnote of the same
//     member on the same paragraph replaces the earlier in the adopted
//     text; the record keeps both.
//
// Audited.
func (s *Store) Act(ctx context.Context, procedureID uint, in ActionInput, by uint) (*ProcedureAction, error) {
	in.Action = strings.TrimSpace(in.Action)
	in.Text, in.Amendment = cleanText(in.Text), cleanText(in.Amendment)
	fields := map[string]string{}
	switch in.Action {
	case ActionBroke:
		if m := checkText(in.Text, true, MaxObjection, "objection"); m != "" {
			fields["text"] = m
		}
		if m := checkText(in.Amendment, false, MaxAmendment, "amendment"); m != "" {
			fields["amendment"] = m
		}
	case ActionFootnote:
		if m := checkText(in.Text, true, MaxFootnote, "footnote"); m != "" {
			fields["text"] = m
		}
	case ActionWithdrew, ActionConfirmed:
		if m := checkText(in.Text, false, MaxObjection, "remark"); m != "" {
			fields["text"] = m
		}
	default:
		fields["action"] = "Choose one of: " + strings.Join(ProcedureActions, ", ") + "."
	}
	if in.Action == ActionConfirmed {
		in.Paragraph = 0
	}
	if in.Action != ActionBroke {
		in.Amendment = ""
	}
	if len(fields) > 0 {
		return nil, &ValidationError{Fields: fields}
	}
	var act *ProcedureAction
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.Now()
		p, c, d, err := s.loadRunning(tx, procedureID, now)
		if err != nil {
			return err
		}
		var u User
		if err := tx.Where("id = ?", by).Limit(1).Find(&u).Error; err != nil {
			return fmt.Errorf("load account %d: %w", by, err)
		}
		ok, onBehalf := mayActInProcedure(&u, in.MemberID, c.RequireApproval)
		if !ok {
			return ErrCannotAct
		}
		var m Member
		if err := tx.First(&m, in.MemberID).Error; err != nil {
			return notFound(err, fmt.Sprintf("load member %d", in.MemberID))
		}
		if in.Action != ActionConfirmed {
			var paras int64
			if err := tx.Model(&Paragraph{}).Where("version_id = ?", p.VersionID).Count(&paras).Error; err != nil {
				return fmt.Errorf("count paragraphs: %w", err)
			}
			if in.Paragraph < 1 || int64(in.Paragraph) > paras {
				return &ValidationError{Fields: map[string]string{"paragraph": fmt.Sprintf("Choose a paragraph from 1 to %d.", paras)}}
			}
		}
		var prior []ProcedureAction
		if err := tx.Where("procedure_id = ? AND member_id = ? AND action IN ?", p.ID, m.ID,
			[]string{ActionBroke, ActionWithdrew}).Order("id").Find(&prior).Error; err != nil {
			return fmt.Errorf("load earlier actions: %w", err)
		}
		open := openObjections(prior)[m.ID]
		switch {
		case in.Action == ActionWithdrew && open[in.Paragraph].ID == 0:
			return &ConflictError{Field: "paragraph", Message: fmt.Sprintf("%s has no objection standing on paragraph %d to withdraw.", m.Name, in.Paragraph)}
		case in.Action == ActionConfirmed && len(open) > 0:
			return &ConflictError{Field: "action", Message: fmt.Sprintf("%s has objections standing on paragraph(s) %s: withdraw them before confirming.", m.Name, paragraphList(open))}
		}
		act = &ProcedureAction{ProcedureID: p.ID, MemberID: m.ID, Action: in.Action, Paragraph: in.Paragraph,
			Text: in.Text, Amendment: in.Amendment, By: u.ID, OnBehalf: onBehalf, At: now}
		if err := tx.Create(act).Error; err != nil {
			return fmt.Errorf("insert action: %w", err)
		}
		detail := in.Action
		if in.Paragraph > 0 {
			detail += fmt.Sprintf(" on paragraph %d", in.Paragraph)
		}
		if onBehalf {
			detail += " (on the member's behalf)"
		}
		return tx.Create(&AuditEvent{At: now, UserID: &u.ID, MemberID: &m.ID, Action: AuditProcedureAction,
			Subject: procedureSubject(c, d, p), Detail: m.Code + " " + detail}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("record %s in procedure %d: %w", in.Action, procedureID, err)
	}
	return act, nil
}

func paragraphList(open map[int]ProcedureAction) string {
	var ns []int
	for n := range open {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, ", ")
}

// Extend moves the deadline of a running procedure (before its deadline:
// else ErrProcedureNotRunning) to a later time: after the current deadline
// and after now, else a *ValidationError on "deadline". Audited.
func (s *Store) Extend(ctx context.Context, procedureID uint, deadline time.Time, by uint) error {
	deadline = deadline.UTC().Truncate(time.Second)
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.Now()
		p, c, d, err := s.loadRunning(tx, procedureID, now)
		if err != nil {
			return err
		}
		if !deadline.After(p.Deadline) || !deadline.After(now) {
			return &ValidationError{Fields: map[string]string{"deadline": "The new deadline must be later than the current one, " +
				p.Deadline.Format(DeadlineLayout) + " UTC."}}
		}
		res := tx.Model(&Procedure{}).Where("id = ? AND state = ? AND deadline > ?", p.ID, ProcedureRunning, now).
			Update("deadline", deadline)
		if res.Error != nil {
			return fmt.Errorf("update deadline: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrProcedureNotRunning
		}
		return tx.Create(&AuditEvent{At: now, UserID: &by, Action: AuditProcedureExtended, Subject: procedureSubject(c, d, p),
			Detail: fmt.Sprintf("deadline %s → %s", p.Deadline.Format(time.RFC3339), deadline.Format(time.RFC3339))}).Error
	})
	if err != nil {
		return fmt.Errorf("extend procedure %d: %w", procedureID, err)
	}
	return nil
}

// Cancel ends a running procedure (before its deadline: else
// ErrProcedureNotRunning) without adopting its version, with a reason (1
// to MaxCancelReason characters, a *ValidationError on "reason"
// otherwise); ClosedAt is now. Audited.
func (s *Store) Cancel(ctx context.Context, procedureID uint, reason string, by uint) error {
	reason = cleanText(reason)
	if m := checkText(reason, true, MaxCancelReason, "reason"); m != "" {
		return &ValidationError{Fields: map[string]string{"reason": m}}
	}
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.Now()
		p, c, d, err := s.loadRunning(tx, procedureID, now)
		if err != nil {
			return err
		}
		res := tx.Model(&Procedure{}).Where("id = ? AND state = ? AND deadline > ?", p.ID, ProcedureRunning, now).
			Updates(map[string]any{"state": ProcedureCancelled, "closed_at": now, "cancel_reason": reason})
		if res.Error != nil {
			return fmt.Errorf("cancel: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrProcedureNotRunning
		}
		return tx.Create(&AuditEvent{At: now, UserID: &by, Action: AuditProcedureCancelled, Subject: procedureSubject(c, d, p),
			Detail: "cancelled: " + reason}).Error
	})
	if err != nil {
		return fmt.Errorf("cancel procedure %d: %w", procedureID, err)
	}
	return nil
}

// SetShareObjections lets delegates of every member see the objections of
// the procedure (or stops it). Allowed in any state. Audited when changed.
func (s *Store) SetShareObjections(ctx context.Context, procedureID uint, share bool, by uint) error {
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var p Procedure
		if err := tx.First(&p, procedureID).Error; err != nil {
			return notFound(err, fmt.Sprintf("load procedure %d", procedureID))
		}
		if p.ShareObjections == share {
			return nil
		}
		if err := tx.Model(&p).Update("share_objections", share).Error; err != nil {
			return err
		}
		var c Consultation
		var d Draft
		if err := tx.First(&c, p.ConsultationID).Error; err != nil {
			return err
		}
		if err := tx.First(&d, p.DraftID).Error; err != nil {
			return err
		}
		return tx.Create(&AuditEvent{At: s.Now(), UserID: &by, Action: AuditProcedureSharing, Subject: procedureSubject(&c, &d, &p),
			Detail: fmt.Sprintf("objections shared with delegates: %t", share)}).Error
	})
	if err != nil {
		return fmt.Errorf("share objections of procedure %d: %w", procedureID, err)
	}
	return nil
}

// procedures loads the procedures matching q (a gorm query on the read
// pool), oldest first, each in its effective state at the store's now.
func (s *Store) procedures(q *gorm.DB) ([]Procedure, error) {
	out := []Procedure{}
	if err := q.Order("id").Find(&out).Error; err != nil {
		return nil, err
	}
	now := s.Now()
	var due []uint
	for _, p := range out {
		if p.State == ProcedureRunning && !now.Before(p.Deadline) {
			due = append(due, p.ID)
		}
	}
	if len(due) == 0 {
		return out, nil
	}
	var acts []ProcedureAction
	if err := q.Session(&gorm.Session{NewDB: true}).Where("procedure_id IN ? AND action IN ?", due,
		[]string{ActionBroke, ActionWithdrew}).Order("id").Find(&acts).Error; err != nil {
		return nil, err
	}
	byProc := map[uint][]ProcedureAction{}
	for _, a := range acts {
		byProc[a.ProcedureID] = append(byProc[a.ProcedureID], a)
	}
	for i := range out {
		settle(&out[i], now, byProc[out[i].ID])
	}
	return out, nil
}

// ActionRecord is an action with the names a page or an export shows.
type ActionRecord struct {
	ProcedureAction
	MemberCode string
	MemberName string
	ByUsername string
	ByName     string
}

// MemberStand is where one member stands in a procedure: its stand
// (StandSilent, StandConfirmed, StandBroke), its standing objections (by
// paragraph), its footnotes (the latest per paragraph, by paragraph), and
// the time of its last action (nil if none).
type MemberStand struct {
	Member     Member
	Stand      string
	Objections []ProcedureAction
	Footnotes  []ProcedureAction
	LastAt     *time.Time
}

// ProcedureView is everything a procedure's page shows: the procedure (in
// its effective state), its consultation, draft and version (with
// paragraphs), every member of the roster (by name) with its stand, every
// action oldest first, and the counts of stands.
type ProcedureView struct {
	Procedure    Procedure
	Consultation Consultation
	Draft        Draft
	Version      DraftVersion
	Members      []MemberStand
	Actions      []ActionRecord
	Silent       int
	Confirmed    int
	Broke        int
}

// Stand returns the stand of the member with the ID, nil if not on the roster.
func (v *ProcedureView) Stand(memberID uint) *MemberStand {
	for i := range v.Members {
		if v.Members[i].Member.ID == memberID {
			return &v.Members[i]
		}
	}
	return nil
}

// ProcedureState loads a procedure as its live page shows it (see
// ProcedureView), in its effective state at the store's now, in a few
// queries whatever the number of members and actions.
func (s *Store) ProcedureState(ctx context.Context, procedureID uint) (*ProcedureView, error) {
	db := s.r.WithContext(ctx)
	v := &ProcedureView{}
	if err := db.First(&v.Procedure, procedureID).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load procedure %d", procedureID))
	}
	p := &v.Procedure
	if err := db.First(&v.Consultation, p.ConsultationID).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load consultation %d", p.ConsultationID))
	}
	if err := db.First(&v.Draft, p.DraftID).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load draft %d", p.DraftID))
	}
	if err := db.First(&v.Version, p.VersionID).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load version %d", p.VersionID))
	}
	if err := loadParagraphs(db, &v.Version); err != nil {
		return nil, err
	}
	var members []Member
	if err := db.Order("name").Find(&members).Error; err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	acts, err := actionRecords(db.Where("a.procedure_id = ?", p.ID))
	if err != nil {
		return nil, fmt.Errorf("load actions of procedure %d: %w", p.ID, err)
	}
	v.Actions = acts
	plain := make([]ProcedureAction, len(acts))
	for i, a := range acts {
		plain[i] = a.ProcedureAction
	}
	settle(p, s.Now(), plain)
	open := openObjections(plain)
	confirmed := map[uint]bool{}
	last := map[uint]time.Time{}
	notes := map[uint]map[int]ProcedureAction{}
	for _, a := range plain {
		last[a.MemberID] = a.At
		switch a.Action {
		case ActionConfirmed:
			confirmed[a.MemberID] = true
		case ActionFootnote:
			if notes[a.MemberID] == nil {
				notes[a.MemberID] = map[int]ProcedureAction{}
			}
			notes[a.MemberID][a.Paragraph] = a
		}
	}
	for _, m := range members {
		ms := MemberStand{Member: m, Stand: StandSilent, Objections: byParagraph(open[m.ID]), Footnotes: byParagraph(notes[m.ID])}
		switch {
		case len(ms.Objections) > 0:
			ms.Stand = StandBroke
			v.Broke++
		case confirmed[m.ID]:
			ms.Stand = StandConfirmed
			v.Confirmed++
		default:
			v.Silent++
		}
		if t, ok := last[m.ID]; ok {
			ms.LastAt = &t
		}
		v.Members = append(v.Members, ms)
	}
	return v, nil
}

func byParagraph(m map[int]ProcedureAction) []ProcedureAction {
	out := []ProcedureAction{}
	for _, a := range m {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b ProcedureAction) int { return a.Paragraph - b.Paragraph })
	return out
}

// actionRecords loads actions with member and account names, oldest
// first; q may filter on the alias a (procedure_actions).
func actionRecords(q *gorm.DB) ([]ActionRecord, error) {
	var rows []struct {
		ProcedureAction
		MemberCode string
		MemberName string
		ByUsername string
		ByName     string
	}
	err := q.Table("procedure_actions a").
		Select("a.*, m.code AS member_code, m.name AS member_name, u.username AS by_username, u.name AS by_name").
		Joins("JOIN members m ON m.id = a.member_id").
		Joins("LEFT JOIN users u ON u.id = a.by").
		Order("a.id").Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]ActionRecord, len(rows))
	for i, r := range rows {
		out[i] = ActionRecord{ProcedureAction: r.ProcedureAction, MemberCode: r.MemberCode, MemberName: r.MemberName,
			ByUsername: r.ByUsername, ByName: r.ByName}
	}
	return out, nil
}

// Footnote is a national footnote as an adopted text shows it.
type Footnote struct {
	MemberCode string
	MemberName string
	Text       string
	At         time.Time
}

// AdoptedParagraph is a paragraph of an adopted text with its footnotes,
// in the order recorded.
type AdoptedParagraph struct {
	Paragraph
	Footnotes []Footnote
}

// AdoptedText is a version adopted by a silence procedure, with the
// footnotes members attached to its paragraphs in that procedure (the
// latest of each member on each paragraph): what the printable page, the
// PDF, the Markdown and the API render.
type AdoptedText struct {
	Consultation Consultation
	Draft        Draft
	Version      DraftVersion
	Procedure    Procedure
	Paragraphs   []AdoptedParagraph
}

// AdoptedAt is when the text was adopted: the procedure's deadline.
func (a *AdoptedText) AdoptedAt() time.Time { return *a.Procedure.ClosedAt }

// Adopted loads the text adopted by a procedure; a *ConflictError if the
// procedure has not (or not yet) adopted its version.
func (s *Store) Adopted(ctx context.Context, procedureID uint) (*AdoptedText, error) {
	v, err := s.ProcedureState(ctx, procedureID)
	if err != nil {
		return nil, err
	}
	if v.Procedure.State != ProcedureAdopted {
		return nil, &ConflictError{Message: fmt.Sprintf("This silence procedure has not adopted its version: it is %s.", v.Procedure.State)}
	}
	out := &AdoptedText{Consultation: v.Consultation, Draft: v.Draft, Version: v.Version, Procedure: v.Procedure}
	latest := map[[2]uint]int{} // (member, paragraph) → index of its latest footnote in v.Actions
	for i, a := range v.Actions {
		if a.Action == ActionFootnote {
			latest[[2]uint{a.MemberID, uint(a.Paragraph)}] = i
		}
	}
	for _, p := range v.Version.Paragraphs {
		ap := AdoptedParagraph{Paragraph: p, Footnotes: []Footnote{}}
		for i, a := range v.Actions {
			if a.Action == ActionFootnote && a.Paragraph == p.Number && latest[[2]uint{a.MemberID, uint(a.Paragraph)}] == i {
				ap.Footnotes = append(ap.Footnotes, Footnote{MemberCode: a.MemberCode, MemberName: a.MemberName, Text: a.Text, At: a.At})
			}
		}
		out.Paragraphs = append(out.Paragraphs, ap)
	}
	return out, nil
}

// LatestAdopted loads the text most recently adopted for the draft
// (ErrNotFound if none of its procedures adopted a version).
func (s *Store) LatestAdopted(ctx context.Context, draftID uint) (*AdoptedText, error) {
	ps, err := s.procedures(s.r.WithContext(ctx).Where("draft_id = ?", draftID))
	if err != nil {
		return nil, fmt.Errorf("list procedures of draft %d: %w", draftID, err)
	}
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i].State == ProcedureAdopted {
			return s.Adopted(ctx, ps[i].ID)
		}
	}
	return nil, fmt.Errorf("draft %d has no adopted text: %w", draftID, ErrNotFound)
}

// SilenceRecords lists every action of every procedure of the
// consultation, oldest first, for the export's silence.csv, with the
// draft number and version of its procedure.
func (s *Store) SilenceRecords(ctx context.Context, consultationID uint) ([]SilenceRecord, error) {
	db := s.r.WithContext(ctx)
	var rows []struct {
		ProcedureAction
		MemberCode  string
		MemberName  string
		ByUsername  string
		ByName      string
		DraftNumber int
		Version     int
	}
	err := db.Table("procedure_actions a").
		Select("a.*, m.code AS member_code, m.name AS member_name, u.username AS by_username, u.name AS by_name, d.number AS draft_number, p.version AS version").
		Joins("JOIN procedures p ON p.id = a.procedure_id").
		Joins("JOIN drafts d ON d.id = p.draft_id").
		Joins("JOIN members m ON m.id = a.member_id").
		Joins("LEFT JOIN users u ON u.id = a.by").
		Where("p.consultation_id = ?", consultationID).
		Order("a.at, a.id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list procedure actions of consultation %d: %w", consultationID, err)
	}
	out := make([]SilenceRecord, len(rows))
	for i, r := range rows {
		out[i] = SilenceRecord{ActionRecord: ActionRecord{ProcedureAction: r.ProcedureAction, MemberCode: r.MemberCode,
			MemberName: r.MemberName, ByUsername: r.ByUsername, ByName: r.ByName}, DraftNumber: r.DraftNumber, Version: r.Version}
	}
	return out, nil
}

// SilenceRecord is one action of the procedure record, with the draft and
// version of its procedure.
type SilenceRecord struct {
	ActionRecord
	DraftNumber int
	Version     int
}

// DeadlineJob ends silence procedures at their deadlines in the
// background (CloseDueProcedures): once at start — so that deadlines that
// passed while the server was down are applied, stamped with their own
// times — then on every tick, until ctx is done. Several instances may run
// it on one database: the conditional update decides.
type DeadlineJob struct {
	Store *Store
	Log   *slog.Logger
	// Ticks wakes the job; nil means a ticker of DeadlineCheckEvery.
	Ticks <-chan time.Time
	// Done, if set, receives the result of every pass (tests).
	Done chan<- int
}

// DeadlineCheckEvery is how often the server's deadline job runs: a
// procedure's stored state changes within about this long of its deadline
// (pages show the effective state at once).
const DeadlineCheckEvery = 5 * time.Second

// Run closes due procedures until ctx is done. Failures are logged and
// retried on the next tick.
func (j *DeadlineJob) Run(ctx context.Context) {
	ticks := j.Ticks
	if ticks == nil {
		t := time.NewTicker(DeadlineCheckEvery)
		defer t.Stop()
		ticks = t.C
	}
	for {
		n, err := j.Store.CloseDueProcedures(ctx)
		switch {
		case err != nil && ctx.Err() == nil && j.Log != nil:
			j.Log.Error("close silence procedures past their deadline", "err", err)
		case n > 0 && j.Log != nil:
			j.Log.Info("silence procedures ended at their deadline", "count", n)
		}
		if j.Done != nil {
			select {
			case j.Done <- n:
			case <-ctx.Done():
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-ticks:
		}
	}
}
