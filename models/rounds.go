package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// AuditRoundOpened records that a facilitator closed a round and opened the
// next.
const AuditRoundOpened = "round.opened"

// RoundRecord is one round of a consultation: when it opened and closed,
// its deadline and who opened it. There is one row per round, so the
// history of rounds is kept; Consultation.Round is the current one.
//
// Round 1 is recorded with the consultation (OpenedAt is the creation
// time); every later round by OpenNextRound. The deadline of the current
// round is the consultation's Deadline (a facilitator may change it while
// the round runs): Rounds reports that one, and it is stored in the row
// when the round closes.
type RoundRecord struct {
	ID             uint      `gorm:"primaryKey"`
	ConsultationID uint      `gorm:"not null;uniqueIndex:idx_round_number,priority:1"`
	Number         int       `gorm:"not null;uniqueIndex:idx_round_number,priority:2"`
	OpenedAt       time.Time `gorm:"not null"`
	ClosedAt       *time.Time
	Deadline       *time.Time
	// OpenedBy is the account that opened the round (created the
	// consultation, for round 1); nil for a round recorded by a migration.
	OpenedBy *uint
}

// migrateRounds creates the tables of rounds and hidden rationales and
// records the rounds of consultations made before rounds were recorded:
// rounds 1 to the current one, opened when the consultation was created;
// the earlier ones closed at its last change (the best time known).
func migrateRounds(db *gorm.DB) error {
	if err := db.AutoMigrate(&RoundRecord{}, &HiddenRationale{}); err != nil {
		return fmt.Errorf("migrate rounds: %w", err)
	}
	return db.Transaction(func(tx *gorm.DB) error {
		var todo []Consultation
		err := tx.Where("NOT EXISTS (SELECT 1 FROM round_records rr WHERE rr.consultation_id = consultations.id)").
			Order("id").Find(&todo).Error
		if err != nil {
			return fmt.Errorf("find consultations without rounds: %w", err)
		}
		for _, c := range todo {
			for n := 1; n <= max(c.Round, 1); n++ {
				rr := RoundRecord{ConsultationID: c.ID, Number: n, OpenedAt: c.CreatedAt}
				if n < c.Round {
					closed := c.UpdatedAt
					rr.ClosedAt = &closed
				}
				if err := tx.Create(&rr).Error; err != nil {
					return fmt.Errorf("record round %d of consultation %d: %w", n, c.ID, err)
				}
			}
		}
		return nil
	})
}

// recordFirstRound records, inside tx, round 1 of a consultation just
// created.
func recordFirstRound(tx *gorm.DB, c *Consultation, by *uint, now time.Time) error {
	if err := tx.Create(&RoundRecord{ConsultationID: c.ID, Number: 1, OpenedAt: now, OpenedBy: by}).Error; err != nil {
		return fmt.Errorf("record round 1 of consultation %s: %w", c.Key, err)
	}
	return nil
}

// ParseRoundDeadline reads the deadline of a new round as typed in a form
// or on the command line (DeadlineLayout, UTC); empty means none. A value
// that does not parse is a *ValidationError on the field "deadline".
func ParseRoundDeadline(s string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	t, err := time.ParseInLocation(DeadlineLayout, s, time.UTC)
	if err != nil {
		return nil, &ValidationError{Fields: map[string]string{"deadline": "Give a date and time such as 2026-12-15T17:00 (UTC)."}}
	}
	return &t, nil
}

// OpenNextRound closes the current round N of a consultation and opens
// round N+1, in one transaction: round N gets its closing time (and keeps
// its deadline), the consultation's Round becomes N+1, its status open and
// its deadline the new round's (nil for none); the unattributed rationales
// of round N are not shown until a facilitator enables them again
// (ShowPreviousRationales is reset); the new round is recorded and the
// step audited.
//
// Questions stay as they are; positions are always written into the
// consultation's current round, so once N+1 is open nothing can change a
// round-N position. A draft consultation is refused with a
// *ConflictError (open it first); a deadline that is not in the future
// with a *ValidationError on "deadline".
func (s *Store) OpenNextRound(ctx context.Context, consultationID uint, deadline *time.Time, by uint) (*Consultation, error) {
	var c Consultation
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.First(&c, consultationID).Error; err != nil {
			return notFound(err, "load consultation")
		}
		return s.openNextRound(tx, &c, deadline, by, s.Now())
	})
	if err != nil {
		var verr *ValidationError
		var conflict *ConflictError
		if errors.As(err, &verr) || errors.As(err, &conflict) || errors.Is(err, ErrNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("open next round of consultation %d: %w", consultationID, err)
	}
	return &c, nil
}

// openNextRound is OpenNextRound inside tx, on the loaded consultation c,
// which it updates.
func (s *Store) openNextRound(tx *gorm.DB, c *Consultation, deadline *time.Time, by uint, now time.Time) error {
	if c.Status == StatusDraft {
		return &ConflictError{Field: "round", Message: "This consultation is still a draft: open it for positions before starting another round."}
	}
	if deadline != nil && !deadline.After(now) {
		return &ValidationError{Fields: map[string]string{"deadline": "Give a deadline in the future, or none."}}
	}
	closing := c.Round
	res := tx.Model(&RoundRecord{}).Where("consultation_id = ? AND number = ?", c.ID, closing).
		Updates(map[string]any{"closed_at": now, "deadline": c.Deadline})
	if res.Error != nil {
		return fmt.Errorf("close round %d: %w", closing, res.Error)
	}
	if res.RowsAffected == 0 { // a round the records do not have: record it, closed
		rr := RoundRecord{ConsultationID: c.ID, Number: closing, OpenedAt: c.CreatedAt, ClosedAt: &now, Deadline: c.Deadline}
		if err := tx.Create(&rr).Error; err != nil {
			return fmt.Errorf("record round %d: %w", closing, err)
		}
	}
	oldStatus, oldDeadline := c.Status, c.Deadline
	c.Round, c.Status, c.Deadline, c.ShowPreviousRationales = closing+1, StatusOpen, deadline, false
	err := tx.Model(&Consultation{}).Where("id = ?", c.ID).Updates(map[string]any{
		"round": c.Round, "status": c.Status, "deadline": c.Deadline, "show_previous_rationales": false,
		"updated_at": now}).Error
	if err != nil {
		return fmt.Errorf("advance to round %d: %w", c.Round, err)
	}
	if err := tx.Create(&RoundRecord{ConsultationID: c.ID, Number: c.Round, OpenedAt: now, Deadline: deadline, OpenedBy: &by}).Error; err != nil {
		return fmt.Errorf("record round %d: %w", c.Round, err)
	}
	detail := fmt.Sprintf("round %d closed (deadline %s), round %d opened (deadline %s)",
		closing, deadlineText(oldDeadline), c.Round, deadlineText(deadline))
	if oldStatus != StatusOpen {
		detail += "; status " + oldStatus + " → " + StatusOpen
	}
	return tx.Create(&AuditEvent{At: now, UserID: &by, Action: AuditRoundOpened,
		Subject: "consultation " + c.Key, Detail: detail}).Error
}

func deadlineText(t *time.Time) string {
	if t == nil {
		return "none"
	}
	return fmtDeadline(t) + " UTC"
}

// Rounds lists the rounds of a consultation, first to current. The current
// round carries the consultation's deadline; a closed round the deadline it
// had when it closed.
func (s *Store) Rounds(ctx context.Context, consultationID uint) ([]RoundRecord, error) {
	c, err := s.ConsultationByID(ctx, consultationID)
	if err != nil {
		return nil, err
	}
	var out []RoundRecord
	if err := s.r.WithContext(ctx).Where("consultation_id = ?", consultationID).Order("number").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list rounds of consultation %d: %w", consultationID, err)
	}
	for i := range out {
		if out[i].Number == c.Round {
			out[i].Deadline = c.Deadline
		}
	}
	return out, nil
}
