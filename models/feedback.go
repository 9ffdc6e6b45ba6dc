package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"concord/consensus"
)

// Controlled feedback between rounds (a Delphi round): in round N+1 each
// delegate sees, beside each question, the anonymised result of round N
// and their own round-N answer; the round-N rationales of all members,
// without attribution, only when a facilitator enables it after reviewing
// them (and may hide single rationales that would identify their author).

// Audit actions of the feedback of the previous round.
const (
	AuditFeedbackSetting  = "consultation.feedback"
	AuditRationaleHidden  = "rationale.hidden"
	AuditRationaleVisible = "rationale.shown"
)

// HiddenRationale marks the rationale of one revision as withheld from the
// unattributed feedback of the next round. Showing it again deletes the
// row (both steps are audited).
type HiddenRationale struct {
	ID         uint      `gorm:"primaryKey"`
	RevisionID uint      `gorm:"not null;uniqueIndex"`
	HiddenBy   uint      `gorm:"not null"`
	HiddenAt   time.Time `gorm:"not null"`
}

// SetShowPreviousRationales switches whether delegates see the previous
// round's rationales, without attribution, beside each question (audited).
// It is reset whenever a new round opens.
func (s *Store) SetShowPreviousRationales(ctx context.Context, id uint, show bool, by uint) error {
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Consultation
		if err := tx.First(&c, id).Error; err != nil {
			return notFound(err, "load consultation")
		}
		if c.ShowPreviousRationales == show {
			return nil
		}
		if err := tx.Model(&c).Update("show_previous_rationales", show).Error; err != nil {
			return err
		}
		return tx.Create(&AuditEvent{At: s.Now(), UserID: &by, Action: AuditFeedbackSetting, Subject: "consultation " + c.Key,
			Detail: fmt.Sprintf("round %d rationales shown to delegates without attribution in round %d: %t", c.Round-1, c.Round, show)}).Error
	})
	if err != nil {
		return fmt.Errorf("set rationale feedback of consultation %d: %w", id, err)
	}
	return nil
}

// HideRationale withholds the rationale of a revision of the consultation
// from the unattributed feedback (audited); hiding a hidden one changes
// nothing. A revision of another consultation is ErrNotFound.
func (s *Store) HideRationale(ctx context.Context, consultationID, revisionID, by uint) error {
	return s.setRationaleHidden(ctx, consultationID, revisionID, true, by)
}

// ShowRationale undoes HideRationale (audited); showing one that is not
// hidden changes nothing.
func (s *Store) ShowRationale(ctx context.Context, consultationID, revisionID, by uint) error {
	return s.setRationaleHidden(ctx, consultationID, revisionID, false, by)
}

func (s *Store) setRationaleHidden(ctx context.Context, consultationID, revisionID uint, hide bool, by uint) error {
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rec struct {
			Revision
			MemberCode  string
			QuestionKey string
		}
		err := tx.Raw(`SELECT r.*, m.code AS member_code, q.key AS question_key FROM revisions r
			JOIN members m ON m.id = r.member_id JOIN questions q ON q.id = r.question_id
			WHERE r.id = ? AND r.consultation_id = ?`, revisionID, consultationID).Scan(&rec).Error
		if err != nil {
			return err
		}
		if rec.ID == 0 {
			return ErrNotFound
		}
		now := s.Now()
		var res *gorm.DB
		action := AuditRationaleHidden
		if hide {
			var n int64
			if err := tx.Model(&HiddenRationale{}).Where("revision_id = ?", revisionID).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			res = tx.Create(&HiddenRationale{RevisionID: revisionID, HiddenBy: by, HiddenAt: now})
		} else {
			action = AuditRationaleVisible
			res = tx.Where("revision_id = ?", revisionID).Delete(&HiddenRationale{})
		}
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return nil
		}
		member := rec.MemberID
		return tx.Create(&AuditEvent{At: now, UserID: &by, MemberID: &member, Action: action,
			Subject: fmt.Sprintf("question %s round %d revision %d", rec.QuestionKey, rec.Round, rec.Seq),
			Detail:  fmt.Sprintf("rationale of %s (%d characters)", rec.MemberCode, len([]rune(rec.Rationale)))}).Error
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("revision %d of consultation %d: %w", revisionID, consultationID, err)
		}
		return fmt.Errorf("set rationale of revision %d hidden=%t: %w", revisionID, hide, err)
	}
	return nil
}

// RoundFeedback is what a delegate may see, in round N+1, of round N.
type RoundFeedback struct {
	Round int // the previous round, N
	// Rationales tells whether QuestionFeedback.Rationales are filled
	// (Consultation.ShowPreviousRationales).
	Rationales bool
	Questions  []QuestionFeedback // scale and choice questions, questionnaire order
}

// Question returns the feedback on a question, or nil.
func (f *RoundFeedback) Question(id uint) *QuestionFeedback {
	if f == nil {
		return nil
	}
	for i := range f.Questions {
		if f.Questions[i].QuestionID == id {
			return &f.Questions[i]
		}
	}
	return nil
}

// QuestionFeedback is the anonymised result of one question in the
// previous round. It names no member. The small-count rule (withhold the
// distribution when fewer than a few others answered) is the page's to
// apply: Responses counts the answers, the member's own included when Own
// is set.
type QuestionFeedback struct {
	QuestionID uint
	Key        string
	Kind       string
	Responses  int
	// Labels are the scale points' or options' texts; Counts the answers
	// per point or per option (as preferred or chosen), in the same order.
	Labels []string
	Counts []int
	// Median (scale) of the preferred points; 0 without responses.
	Median float64
	// CommonGround (scale): the points every respondent accepts; nil when
	// none. CommonOptions (choice): the 1-based numbers of the options
	// every respondent accepts; empty when none.
	CommonGround   *consensus.Range
	CommonOptions  []int
	Classification consensus.Classification
	// Own is the member's own current answer in the previous round; nil
	// when it did not answer.
	Own *RevisionRecord
	// Rationales of every member in the previous round, without
	// attribution, hidden ones left out, sorted by text (an order that
	// says nothing of who wrote what); nil unless rationales are shown.
	Rationales []string
}

// PreviousRoundFeedback returns, for the consultation's current round N+1,
// the anonymised result of round N a member may see beside each question;
// nil in round 1. Questions added in round N+1 have no responses.
func (s *Store) PreviousRoundFeedback(ctx context.Context, c *Consultation, memberID uint) (*RoundFeedback, error) {
	if c.Round < 2 {
		return nil, nil
	}
	prev := c.Round - 1
	a, err := s.LoadAnalysis(ctx, c, prev)
	if err != nil {
		return nil, fmt.Errorf("load round %d feedback: %w", prev, err)
	}
	report := consensus.Analyze(a.Input)
	hidden := map[uint]bool{}
	if c.ShowPreviousRationales {
		if hidden, err = s.hiddenRationales(ctx, c.ID, prev); err != nil {
			return nil, err
		}
	}
	out := &RoundFeedback{Round: prev, Rationales: c.ShowPreviousRationales}
	for _, q := range a.Questionnaire.Questions {
		if q.Kind != KindScale && q.Kind != KindChoice {
			continue
		}
		qr, ok := report.Question(q.Key)
		if !ok {
			continue
		}
		f := QuestionFeedback{QuestionID: q.ID, Key: q.Key, Kind: q.Kind, Responses: qr.Coverage.Responses,
			Classification: qr.Classification}
		switch {
		case qr.Scale != nil:
			f.Labels, f.Counts = q.Points(), slices.Clone(qr.Scale.Counts)
			f.Median, f.CommonGround = qr.Scale.Median, qr.Scale.CommonGround
		case qr.Choice != nil:
			f.Labels = q.Choices()
			for _, o := range qr.Choice.Options {
				f.Counts = append(f.Counts, o.Count)
			}
			f.CommonOptions = slices.Clone(qr.Choice.CommonGround)
		}
		for i := range a.Positions {
			r := &a.Positions[i]
			if r.QuestionID != q.ID {
				continue
			}
			if r.MemberID == memberID {
				own := *r
				f.Own = &own
			}
			if c.ShowPreviousRationales && strings.TrimSpace(r.Rationale) != "" && !hidden[r.ID] {
				f.Rationales = append(f.Rationales, r.Rationale)
			}
		}
		slices.Sort(f.Rationales)
		out.Questions = append(out.Questions, f)
	}
	return out, nil
}

// hiddenRationales returns the IDs of the hidden rationales of a round.
func (s *Store) hiddenRationales(ctx context.Context, consultationID uint, round int) (map[uint]bool, error) {
	var ids []uint
	err := s.r.WithContext(ctx).Raw(`SELECT h.revision_id FROM hidden_rationales h JOIN revisions r ON r.id = h.revision_id
		WHERE r.consultation_id = ? AND r.round = ?`, consultationID, round).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("load hidden rationales of consultation %d: %w", consultationID, err)
	}
	out := make(map[uint]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// ReviewedRationale is one rationale of the previous round as a facilitator
// reviews it before showing the rationales to delegates: attributed, with
// whether it is hidden. RevisionID names it for HideRationale and
// ShowRationale.
type ReviewedRationale struct {
	RevisionID  uint
	QuestionID  uint
	QuestionKey string
	MemberCode  string
	MemberName  string
	Rationale   string
	Hidden      bool
}

// ReviewRationales lists the rationales of the current positions of the
// previous round (scale and choice questions), by question order then
// member code, with attribution and the hidden flag; nil in round 1.
func (s *Store) ReviewRationales(ctx context.Context, c *Consultation) ([]ReviewedRationale, error) {
	if c.Round < 2 {
		return nil, nil
	}
	var out []ReviewedRationale
	err := s.r.WithContext(ctx).Raw(`SELECT r.id AS revision_id, r.question_id, q.key AS question_key,
		m.code AS member_code, m.name AS member_name, r.rationale,
		EXISTS (SELECT 1 FROM hidden_rationales h WHERE h.revision_id = r.id) AS hidden
		`+currentFrom+`
		JOIN members m ON m.id = r.member_id
		JOIN questions q ON q.id = r.question_id
		JOIN sections s ON s.id = q.section_id
		WHERE r.id = cp.revision_id AND cp.consultation_id = ? AND cp.round = ? AND q.kind IN (?, ?) AND TRIM(r.rationale) <> ''
		ORDER BY s.ord, s.id, q.ord, q.id, m.code`, c.ID, c.Round-1, KindScale, KindChoice).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("load rationales of consultation %d round %d: %w", c.ID, c.Round-1, err)
	}
	return out, nil
}
