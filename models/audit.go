package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Audit actions.
const (
	AuditLoginOK          = "login.success"
	AuditLoginFailed      = "login.failure"
	AuditLogout           = "logout"
	AuditInvitationNew    = "invitation.created"
	AuditInvitationUsed   = "invitation.used"
	AuditConsultationEdit = "consultation.changed"
	AuditQuestionEdit     = "question.changed"
	AuditPosition         = "position.revised"
)

// Record appends an event to the audit log. The log has no update or
// delete path. The event is linked into the hash chain later, by LinkAudit.
func (s *Store) Record(ctx context.Context, ev AuditEvent) error {
	if ev.At.IsZero() {
		ev.At = s.Now()
	}
	if err := s.w.WithContext(ctx).Create(&ev).Error; err != nil {
		return fmt.Errorf("record audit event %s: %w", ev.Action, err)
	}
	return nil
}

// AuditFilter narrows a listing of the audit log.
type AuditFilter struct {
	Action   string
	UserID   uint
	MemberID uint
	Since    time.Time
	Until    time.Time // exclusive; zero means no bound
	BeforeID uint      // only events with a smaller ID (keyset paging); 0 means none
	Offset   int
	Limit    int
}

// AuditRecord is an audit event with readable names.
type AuditRecord struct {
	AuditEvent
	Username   string
	MemberCode string
	// ChainHash is the entry's hash in the audit chain, "" while it is not
	// linked yet (see AuditLink).
	ChainHash string
}

// Audit lists audit events, newest first.
func (s *Store) Audit(ctx context.Context, f AuditFilter) ([]AuditRecord, error) {
	q := s.r.WithContext(ctx).Table("audit_events a").
		Select("a.*, COALESCE(u.username, '') AS username, COALESCE(m.code, '') AS member_code, COALESCE(l.hash, '') AS chain_hash").
		Joins("LEFT JOIN users u ON u.id = a.user_id").
		Joins("LEFT JOIN audit_links l ON l.event_id = a.id").
		Joins("LEFT JOIN members m ON m.id = a.member_id")
	q = f.where(q)
	if f.Limit <= 0 {
		f.Limit = 500
	}
	var out []AuditRecord
	if err := q.Order("a.id DESC").Offset(max(f.Offset, 0)).Limit(f.Limit).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	return out, nil
}

func (f AuditFilter) where(q *gorm.DB) *gorm.DB {
	if f.Action != "" {
		q = q.Where("a.action = ?", f.Action)
	}
	if f.UserID != 0 {
		q = q.Where("a.user_id = ?", f.UserID)
	}
	if f.MemberID != 0 {
		q = q.Where("a.member_id = ?", f.MemberID)
	}
	if !f.Since.IsZero() {
		q = q.Where("a.at >= ?", f.Since.UTC())
	}
	if !f.Until.IsZero() {
		q = q.Where("a.at < ?", f.Until.UTC())
	}
	if f.BeforeID != 0 {
		q = q.Where("a.id < ?", f.BeforeID)
	}
	return q
}

// AuditCount counts the events a filter selects (Offset and Limit aside).
func (s *Store) AuditCount(ctx context.Context, f AuditFilter) (int64, error) {
	var n int64
	if err := f.where(s.r.WithContext(ctx).Table("audit_events a")).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count audit events: %w", err)
	}
	return n, nil
}

// AuditActions lists the distinct actions present in the log.
func (s *Store) AuditActions(ctx context.Context) ([]string, error) {
	var out []string
	if err := s.r.WithContext(ctx).Model(&AuditEvent{}).Distinct("action").Order("action").Pluck("action", &out).Error; err != nil {
		return nil, fmt.Errorf("list audit actions: %w", err)
	}
	return out, nil
}

// protectAudit makes the database itself refuse to change or remove audit
// rows, whatever code runs against it.
func protectAudit(tx *gorm.DB) error {
	if isPostgres(tx) {
		return appendOnlyPostgres(tx, "audit_events", "the audit log is append-only")
	}
	for _, stmt := range []string{
		`CREATE TRIGGER IF NOT EXISTS audit_events_no_update BEFORE UPDATE ON audit_events
			BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END`,
		`CREATE TRIGGER IF NOT EXISTS audit_events_no_delete BEFORE DELETE ON audit_events
			BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END`,
	} {
		if err := tx.Exec(stmt).Error; err != nil {
			return fmt.Errorf("protect audit log: %w", err)
		}
	}
	return nil
}

func positionAudit(r *Revision, q *Question, prev *Revision) *AuditEvent {
	old := "none"
	if prev.ID != 0 {
		old = describeAnswer(prev, q)
	}
	member := r.MemberID
	user := r.SubmittedBy
	return &AuditEvent{
		At: r.SubmittedAt, UserID: &user, Action: AuditPosition, MemberID: &member,
		Subject: fmt.Sprintf("question %s revision %d (%s)", q.Key, r.Seq, r.Source),
		Detail:  old + " → " + describeAnswer(r, q),
	}
}

// describeAnswer summarises a revision in one line, without the rationale.
func describeAnswer(r *Revision, q *Question) string {
	switch q.Kind {
	case KindScale:
		return fmt.Sprintf("preferred %d, acceptable %d–%d, %s", r.Preferred, r.AcceptMin, r.AcceptMax, r.Importance)
	case KindChoice:
		opts := q.Choices()
		if r.Choice >= 1 && r.Choice <= len(opts) {
			return fmt.Sprintf("option %d (%s)", r.Choice, opts[r.Choice-1])
		}
		return fmt.Sprintf("option %d", r.Choice)
	default:
		return fmt.Sprintf("text answer (%d characters)", len([]rune(r.Answer)))
	}
}

// appendOnlyPostgres makes PostgreSQL refuse to update, delete or truncate
// the rows of table, with message.
func appendOnlyPostgres(tx *gorm.DB, table, message string) error {
	for _, stmt := range []string{
		`CREATE OR REPLACE FUNCTION concord_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
		END $$`,
		`CREATE OR REPLACE TRIGGER ` + table + `_no_change BEFORE UPDATE OR DELETE ON ` + table + `
			FOR EACH ROW EXECUTE FUNCTION concord_append_only('` + message + `')`,
		`CREATE OR REPLACE TRIGGER ` + table + `_no_truncate BEFORE TRUNCATE ON ` + table + `
			FOR EACH STATEMENT EXECUTE FUNCTION concord_append_only('` + message + `')`,
	} {
		if err := tx.Exec(stmt).Error; err != nil {
			return fmt.Errorf("protect %s: %w", table, err)
		}
	}
	return nil
}
