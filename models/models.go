// Package models holds Concord's persistent types and the Store that owns
// every query and transaction against the database.
package models

import (
	"encoding/json"
	"slices"
	"time"
)

// Member is one ally of the alliance.
type Member struct {
	ID        uint   `gorm:"primaryKey" json:"-"`
	Code      string `gorm:"uniqueIndex;size:8;not null" json:"code"` // ISO 3166 alpha-3
	Name      string `gorm:"not null" json:"name"`
	Accession int    `json:"accession"`
}

// Consultation statuses. A consultation moves draft → open → closed; a
// closed consultation may be reopened.
const (
	StatusDraft  = "draft"
	StatusOpen   = "open"
	StatusClosed = "closed"
)

// Consultation is one gathering of positions on a set of questions.
type Consultation struct {
	ID          uint   `gorm:"primaryKey"`
	Key         string `gorm:"uniqueIndex;not null"`
	Title       string `gorm:"not null"`
	Description string
	Status      string `gorm:"not null;default:draft"`
	Deadline    *time.Time
	// Round is the round positions are currently gathered for; rounds
	// beyond the first are introduced without a data migration.
	Round int `gorm:"not null;default:1"`
	// ShareDistribution lets delegates see the anonymised distribution of
	// the consultation once it is closed. Off by default.
	ShareDistribution bool `gorm:"not null;default:false"`
	// Quorum is how many members must answer a question for its verdict to
	// speak for the alliance; 0 means every member of the roster.
	Quorum int `gorm:"not null;default:0"`
	// Marking is the classification marking printed on every page of the
	// report (e.g. "Restricted"); empty for none.
	Marking string `gorm:"not null;default:''"`
	// LastNumber is the highest question number given so far, so that the
	// number of a deleted question is never given again.
	LastNumber int `gorm:"not null;default:0"`
	// ShowPreviousRationales lets delegates read, in round N+1, the
	// rationales of round N without attribution (see PreviousRoundFeedback).
	// Off by default, and off again whenever a new round opens.
	ShowPreviousRationales bool `gorm:"not null;default:false"`
	// RequireApproval makes a delegate's save a draft until the member's
	// head of delegation (or a facilitator) approves it (see approval.go).
	RequireApproval bool `gorm:"not null;default:false"`
	// Timezone is the IANA name of the zone deadlines of silence
	// procedures are shown in beside UTC (e.g. "Europe/Brussels"); they
	// are stored in UTC. Default "UTC".
	Timezone  string `gorm:"not null;default:'UTC'"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Location is the consultation's time zone (UTC if unset or unknown to
// this binary, whose zone database is embedded).
func (c *Consultation) Location() *time.Location {
	if c.Timezone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// AcceptsPositions reports whether positions may be submitted at now.
func (c *Consultation) AcceptsPositions(now time.Time) bool {
	return c.Status == StatusOpen && !c.DeadlinePassed(now)
}

// DeadlinePassed reports whether the consultation has a deadline before now.
func (c *Consultation) DeadlinePassed(now time.Time) bool {
	return c.Deadline != nil && !now.Before(*c.Deadline)
}

// Section groups questions of a consultation.
type Section struct {
	ID             uint   `gorm:"primaryKey"`
	ConsultationID uint   `gorm:"not null;index"`
	Title          string `gorm:"not null"`
	Ord            int    `gorm:"not null"`
}

// Question kinds.
const (
	KindScale  = "scale"
	KindChoice = "choice"
	KindText   = "text"
)

// Scale sizes allowed for scale questions.
const (
	MinScalePoints = 3
	MaxScalePoints = 11
)

// Question is one strategy question. Labels and Options are stored as JSON
// arrays; use Points() and Choices() to read them.
type Question struct {
	ID             uint   `gorm:"primaryKey"`
	ConsultationID uint   `gorm:"not null;uniqueIndex:idx_question_key"`
	SectionID      uint   `gorm:"not null;index"`
	Key            string `gorm:"not null;uniqueIndex:idx_question_key"`
	Text           string `gorm:"not null"`
	Help           string
	Kind           string `gorm:"not null"`
	Ord            int    `gorm:"not null"`
	// Number is the question's stable number (Q1, Q2, …): given once at
	// creation, the next after the highest the consultation ever gave
	// (Consultation.LastNumber), never shifted by reordering or deleting
	// others, never given again.
	Number      int    `gorm:"not null;default:0"`
	LabelsJSON  string `gorm:"column:labels;not null;default:'[]'"`
	OptionsJSON string `gorm:"column:options;not null;default:'[]'"`
	// StatusQuo marks one scale point as the status quo; 0 means none.
	StatusQuo int `gorm:"not null;default:0"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Points returns the labels of the scale points 1..k.
func (q *Question) Points() []string { return decodeList(q.LabelsJSON) }

// Choices returns the options of a choice question, in order.
func (q *Question) Choices() []string { return decodeList(q.OptionsJSON) }

// K is the number of scale points (0 for other kinds).
func (q *Question) K() int {
	if q.Kind != KindScale {
		return 0
	}
	return countList(q.LabelsJSON)
}

// SetPoints stores the scale labels.
func (q *Question) SetPoints(labels []string) { q.LabelsJSON = encodeList(labels) }

// SetChoices stores the choice options.
func (q *Question) SetChoices(options []string) { q.OptionsJSON = encodeList(options) }

func decodeList(s string) []string {
	var out []string
	if s == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil
	}
	return out
}

// countList is len(decodeList(s)) without decoding: K is asked on every
// answer a save checks, and decoding the labels only to count them was a
// noticeable share of a save. It scans s as a JSON array of strings; on
// anything else (which encodeList never writes) it decodes.
func countList(s string) int {
	if n, ok := countStrings(s); ok {
		return n
	}
	return len(decodeList(s))
}

// countStrings counts the elements of s, a JSON array of strings with no
// space between its tokens (as json.Marshal writes it); ok is false when s
// is not exactly that.
func countStrings(s string) (n int, ok bool) {
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return 0, false
	}
	body := s[1 : len(s)-1]
	for len(body) > 0 {
		if n > 0 {
			if body[0] != ',' {
				return 0, false
			}
			body = body[1:]
		}
		rest, ok := skipString(body)
		if !ok {
			return 0, false
		}
		body = rest
		n++
	}
	return n, true
}

// skipString returns what follows the JSON string at the start of s, or
// false when s does not start with a valid one.
func skipString(s string) (string, bool) {
	if len(s) == 0 || s[0] != '"' {
		return "", false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return s[i+1:], true
		case c < 0x20:
			return "", false
		case c == '\\':
			if i+1 >= len(s) {
				return "", false
			}
			i++
			switch s[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(s) {
					return "", false
				}
				for _, h := range []byte(s[i+1 : i+5]) {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return "", false
					}
				}
				i += 4
			default:
				return "", false
			}
		}
	}
	return "", false
}

func encodeList(list []string) string {
	if list == nil {
		list = []string{}
	}
	b, _ := json.Marshal(list) // a []string always marshals
	return string(b)
}

// Importance levels of a scale position.
const (
	ImportanceLow     = "low"
	ImportanceMedium  = "medium"
	ImportanceHigh    = "high"
	ImportanceRedLine = "red line"
)

// Importances lists the importance levels in ascending order.
var Importances = []string{ImportanceLow, ImportanceMedium, ImportanceHigh, ImportanceRedLine}

// Revision sources.
const (
	SourceForm   = "form"
	SourceImport = "import"
	SourceAPI    = "api"
	SourceDemo   = "demo"
)

// Revision is one saved version of a member's position on a question in a
// round. Revisions are only ever appended; the one with the highest Seq
// among those that count (approved, or made without approval: State "" or
// StateApproved) is the member's current position.
//
// Two indexes, both paid by every save: idx_rev_seq (member, question,
// round, seq) keeps sequence numbers unique and finds an answer's latest
// revision; idx_rev_consultation lists a consultation's revisions in the
// order they were written, and grows at its end as saves come in (an
// index by consultation, round, member and question, as earlier versions
// had, took a page of its own in a commit for each save, a cost that grew
// with the history; Migrate drops it).
type Revision struct {
	ID             uint `gorm:"primaryKey"`
	ConsultationID uint `gorm:"not null;index:idx_rev_consultation"`
	Round          int  `gorm:"not null;uniqueIndex:idx_rev_seq,priority:3"`
	MemberID       uint `gorm:"not null;uniqueIndex:idx_rev_seq,priority:1"`
	QuestionID     uint `gorm:"not null;uniqueIndex:idx_rev_seq,priority:2"`
	Seq            int  `gorm:"not null;uniqueIndex:idx_rev_seq,priority:4"`
	// Scale answers.
	Preferred  int `gorm:"not null;default:0"`
	AcceptMin  int `gorm:"not null;default:0"`
	AcceptMax  int `gorm:"not null;default:0"`
	Importance string
	// Choice answers: the 1-based index of the option, so that rewording an
	// option keeps the answers attached to it.
	Choice int `gorm:"not null;default:0"`
	// AcceptOptions (choice): the 1-based numbers of every option the
	// member could accept, the chosen one included, ascending and separated
	// by single spaces (e.g. "1 3").
	AcceptOptions string `gorm:"not null;default:''"`
	// Text answers.
	Answer    string
	Rationale string
	// Conditions (scale, choice) are the conditions of the member's
	// acceptance, in its own words; empty for none.
	Conditions string `gorm:"not null;default:''"`
	// Withdrawn marks a revision that withdraws the member's answer: the
	// question counts as not answered until a later revision answers it.
	Withdrawn bool `gorm:"not null;default:false"`
	// OnBehalf marks a revision entered by a facilitator for the member.
	OnBehalf bool `gorm:"not null;default:false"`
	// Who and how.
	SubmittedBy uint      `gorm:"not null"`
	SubmittedAt time.Time `gorm:"not null"`
	Source      string    `gorm:"not null"`
	// State is the approval state (StateDraft, StateApproved,
	// StateReturned); empty counts as approved: revisions made before
	// approval existed or where it is not required.
	State string `gorm:"not null;default:''"`
	// ReviewComment is the comment of the approver who returned a draft.
	ReviewComment string `gorm:"not null;default:''"`
	// ReviewedBy is the account that approved or returned the draft this
	// revision copies; nil for a revision that was not reviewed.
	ReviewedBy *uint
}

// SameAnswer reports whether r and o record the same position. Acceptable
// options are compared as sets, so that a choice stored before they were
// recorded ("" = the chosen option alone) equals the same choice with its
// own option listed.
func (r *Revision) SameAnswer(o *Revision) bool {
	return r.Preferred == o.Preferred && r.AcceptMin == o.AcceptMin && r.AcceptMax == o.AcceptMax &&
		r.Importance == o.Importance && r.Choice == o.Choice && slices.Equal(r.AcceptedOptions(), o.AcceptedOptions()) &&
		r.Answer == o.Answer && r.Rationale == o.Rationale && r.Conditions == o.Conditions && r.Withdrawn == o.Withdrawn
}

// AcceptedOptions returns the 1-based numbers of the options the member
// could accept (choice), ascending; the chosen option alone when none were
// recorded.
func (r *Revision) AcceptedOptions() []int {
	out := ParseOptionList(r.AcceptOptions)
	if len(out) == 0 && r.Choice > 0 {
		out = []int{r.Choice}
	}
	return out
}

// Roles of accounts.
const (
	RoleFacilitator = "facilitator"
	RoleObserver    = "observer"
	RoleDelegate    = "delegate"
)

// User is an account. A delegate belongs to exactly one member.
type User struct {
	ID           uint   `gorm:"primaryKey"`
	Username     string `gorm:"uniqueIndex;not null"`
	Name         string `gorm:"not null"`
	Role         string `gorm:"not null"`
	MemberID     *uint  `gorm:"index"`
	Member       *Member
	PasswordHash string `gorm:"not null"`
	// Approver marks a delegate as its member's head of delegation, who
	// approves or returns the member's drafts (see SetApprover).
	Approver  bool `gorm:"not null;default:false"`
	RevokedAt *time.Time
	CreatedAt time.Time
}

// Active reports whether the account may sign in.
func (u *User) Active() bool { return u.RevokedAt == nil }

// Session is a server-side login session. Only the SHA-256 of the cookie
// token is stored, so a copy of the database does not yield live sessions.
type Session struct {
	ID         uint   `gorm:"primaryKey"`
	TokenHash  string `gorm:"uniqueIndex;not null"`
	UserID     uint   `gorm:"not null;index"`
	CSRFToken  string `gorm:"not null"`
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time `gorm:"not null"`
	UserAgent  string
}

// Invitation is a one-time link that lets its holder create an account with
// a given role (and member). Only the token's SHA-256 is stored.
type Invitation struct {
	ID        uint   `gorm:"primaryKey"`
	TokenHash string `gorm:"uniqueIndex;not null"`
	Role      string `gorm:"not null"`
	MemberID  *uint
	Member    *Member
	CreatedBy *uint
	CreatedAt time.Time
	ExpiresAt time.Time `gorm:"not null"`
	UsedAt    *time.Time
	UsedBy    *uint
	RevokedAt *time.Time
	// Approver: the account created from a delegate's invitation is its
	// member's head of delegation.
	Approver bool `gorm:"not null;default:false"`
}

// Usable reports whether the invitation can still be accepted at now.
func (i *Invitation) Usable(now time.Time) bool {
	return i.UsedAt == nil && i.RevokedAt == nil && now.Before(i.ExpiresAt)
}

// AuditEvent is one entry of the append-only audit log. It is indexed by
// time and action, which grow at the end as events are appended, but not
// by account or member: each save writes an event, and an index on either
// took a page of its own in every save's commit (about a sixth of the
// saves per second under load). The audit page's filters by account or
// member scan the log from the newest event instead: about 10 ms for
// 100,000 events (Migrate drops the indexes of older databases: see
// retiredIndexes).
type AuditEvent struct {
	ID       uint      `gorm:"primaryKey"`
	At       time.Time `gorm:"not null;index"`
	UserID   *uint
	Action   string `gorm:"not null;index"`
	MemberID *uint
	Subject  string
	Detail   string
}
