package models

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// QuestionInput is the definition of a question as a facilitator writes it.
// Labels holds the scale point labels (points 1..k), Options the choices.
type QuestionInput struct {
	Key       string   `form:"key" json:"key" field:"key" validate:"required,slug"`
	Section   string   `form:"section" json:"section" field:"section" validate:"required,max=200,text"`
	Text      string   `form:"text" json:"text" field:"text" validate:"required,max=1000,text"`
	Help      string   `form:"help" json:"help,omitempty" field:"help" validate:"max=2000,text"`
	Kind      string   `form:"kind" json:"kind" field:"kind" validate:"required,oneof=scale choice text"`
	Labels    []string `form:"labels" json:"points,omitempty" field:"points" validate:"required_if=Kind scale,omitempty,min=3,max=11,dive,required,max=120,text"`
	Options   []string `form:"options" json:"options,omitempty" field:"options" validate:"required_if=Kind choice,omitempty,min=2,max=20,dive,required,max=200,text"`
	StatusQuo int      `form:"status_quo" json:"status_quo,omitempty" field:"status_quo" validate:"min=0,max=11"`
}

// Normalize trims the input and drops what does not belong to its kind.
// Blank trailing labels and blank options are removed, so a form with
// spare empty rows is accepted.
func (in QuestionInput) Normalize() QuestionInput {
	in.Key = strings.TrimSpace(in.Key)
	in.Section = strings.TrimSpace(in.Section)
	in.Text = strings.TrimSpace(in.Text)
	in.Help = strings.TrimSpace(in.Help)
	in.Labels = trimList(in.Labels)
	in.Options = trimList(in.Options)
	switch in.Kind {
	case KindScale:
		in.Options = nil
	case KindChoice:
		in.Labels, in.StatusQuo = nil, 0
	default:
		in.Labels, in.Options, in.StatusQuo = nil, nil, 0
	}
	return in
}

func trimList(list []string) []string {
	var out []string
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// CheckQuestion validates a normalized question definition.
func (s *Store) CheckQuestion(in QuestionInput) map[string]string {
	var msgs map[string]string
	if err := s.validate.Struct(in); err != nil {
		msgs = FieldMessages(err)
	}
	add := func(field, msg string) {
		if msgs == nil {
			msgs = map[string]string{}
		}
		msgs[field] = msg
	}
	for field := range msgs {
		switch {
		case field == "points" || strings.HasPrefix(field, "points["):
			delete(msgs, field)
			add("points", fmt.Sprintf("A scale needs %d to %d points, each with a label of at most 120 characters.", MinScalePoints, MaxScalePoints))
		case field == "options" || strings.HasPrefix(field, "options["):
			delete(msgs, field)
			add("options", "A choice needs 2 to 20 options, each at most 200 characters.")
		case field == "kind":
			msgs[field] = "Choose scale, choice or text."
		}
	}
	if !allText(in.Labels) {
		add("points", "A point's label contains characters that are not valid text.")
	}
	if !allText(in.Options) {
		add("options", "An option contains characters that are not valid text.")
	}
	if in.Kind == KindScale && in.StatusQuo > len(in.Labels) {
		add("status_quo", "The status quo must be one of the scale's points.")
	}
	if in.Kind == KindChoice && hasDuplicate(in.Options) {
		add("options", "Each option must be different.")
	}
	return msgs
}

func allText(list []string) bool {
	for _, s := range list {
		if !IsText(s) {
			return false
		}
	}
	return true
}

func hasDuplicate(list []string) bool {
	seen := map[string]bool{}
	for _, s := range list {
		k := strings.ToLower(s)
		if seen[k] {
			return true
		}
		seen[k] = true
	}
	return false
}

// QuestionByID loads a question.
func (s *Store) QuestionByID(ctx context.Context, id uint) (*Question, error) {
	var q Question
	if err := s.r.WithContext(ctx).First(&q, id).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load question %d", id))
	}
	return &q, nil
}

// SectionTitle returns the title of a question's section.
func (s *Store) SectionTitle(ctx context.Context, sectionID uint) (string, error) {
	var sec Section
	if err := s.r.WithContext(ctx).First(&sec, sectionID).Error; err != nil {
		return "", notFound(err, "load section")
	}
	return sec.Title, nil
}

// sectionFor finds the section titled title, creating it at the end.
func sectionFor(tx *gorm.DB, consultationID uint, title string) (*Section, error) {
	var sec Section
	err := tx.Where("consultation_id = ? AND title = ?", consultationID, title).Limit(1).Find(&sec).Error
	if err != nil {
		return nil, err
	}
	if sec.ID != 0 {
		return &sec, nil
	}
	var maxOrd int
	if err := tx.Model(&Section{}).Where("consultation_id = ?", consultationID).
		Select("COALESCE(MAX(ord), 0)").Scan(&maxOrd).Error; err != nil {
		return nil, err
	}
	sec = Section{ConsultationID: consultationID, Title: title, Ord: maxOrd + 1}
	if err := tx.Create(&sec).Error; err != nil {
		return nil, err
	}
	return &sec, nil
}

// CreateQuestion adds a question at the end of its section (created if new).
func (s *Store) CreateQuestion(ctx context.Context, consultationID uint, in QuestionInput, by uint) (*Question, error) {
	var q *Question
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		q, err = s.createQuestion(tx, consultationID, in, by)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create question: %w", err)
	}
	return q, nil
}

func (s *Store) createQuestion(tx *gorm.DB, consultationID uint, in QuestionInput, by uint) (*Question, error) {
	in = in.Normalize()
	if msgs := s.CheckQuestion(in); msgs != nil {
		return nil, &ValidationError{Fields: msgs}
	}
	var c Consultation
	if err := tx.First(&c, consultationID).Error; err != nil {
		return nil, notFound(err, "load consultation")
	}
	sec, err := sectionFor(tx, consultationID, in.Section)
	if err != nil {
		return nil, err
	}
	var top struct{ Ord, Number int }
	if err := tx.Model(&Question{}).Where("consultation_id = ?", consultationID).
		Select("COALESCE(MAX(ord), 0) AS ord, COALESCE(MAX(number), 0) AS number").Scan(&top).Error; err != nil {
		return nil, err
	}
	number := max(top.Number, c.LastNumber) + 1
	if err := tx.Model(&Consultation{}).Where("id = ?", c.ID).Update("last_number", number).Error; err != nil {
		return nil, fmt.Errorf("number question: %w", err)
	}
	q := &Question{ConsultationID: consultationID, SectionID: sec.ID, Key: in.Key, Text: in.Text,
		Help: in.Help, Kind: in.Kind, Ord: top.Ord + 1, Number: number, StatusQuo: in.StatusQuo}
	q.SetPoints(in.Labels)
	q.SetChoices(in.Options)
	if err := tx.Create(q).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, &ValidationError{Fields: map[string]string{"key": "Another question of this consultation already uses this key."}}
		}
		return nil, err
	}
	ev := AuditEvent{At: s.Now(), UserID: &by, Action: AuditQuestionEdit,
		Subject: "consultation " + c.Key + " question " + q.Key, Detail: "created"}
	if err := tx.Create(&ev).Error; err != nil {
		return nil, err
	}
	return q, nil
}

// UpdateQuestion changes a question. Once the question has positions,
// changes that would invalidate them (kind, key, number of scale points or
// options) are refused; wording changes are allowed and recorded.
func (s *Store) UpdateQuestion(ctx context.Context, id uint, in QuestionInput, by uint) error {
	in = in.Normalize()
	if msgs := s.CheckQuestion(in); msgs != nil {
		return &ValidationError{Fields: msgs}
	}
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var q Question
		if err := tx.First(&q, id).Error; err != nil {
			return notFound(err, "load question")
		}
		var answered int64
		if err := tx.Model(&Revision{}).Where("question_id = ?", id).Count(&answered).Error; err != nil {
			return err
		}
		if answered > 0 {
			msgs := map[string]string{}
			if in.Kind != q.Kind {
				msgs["kind"] = "Members have answered this question, so its kind can no longer change."
			}
			if in.Key != q.Key {
				msgs["key"] = "Members have answered this question, so its key can no longer change."
			}
			if in.Kind == KindScale && q.Kind == KindScale && len(in.Labels) != q.K() {
				msgs["points"] = fmt.Sprintf("Members have answered on a %d-point scale; the number of points can no longer change (the labels can).", q.K())
			}
			if in.Kind == KindChoice && q.Kind == KindChoice && len(in.Options) != len(q.Choices()) {
				msgs["options"] = fmt.Sprintf("Members have chosen among %d options; the number of options can no longer change (their wording can).", len(q.Choices()))
			}
			if len(msgs) > 0 {
				return &ValidationError{Fields: msgs}
			}
		}
		sec, err := sectionFor(tx, q.ConsultationID, in.Section)
		if err != nil {
			return err
		}
		changes := questionChanges(&q, in)
		if sec.ID != q.SectionID {
			changes = append(changes, "section changed to "+fmt.Sprintf("%q", sec.Title))
		}
		if len(changes) == 0 {
			return nil
		}
		q.Key, q.Text, q.Help, q.Kind, q.StatusQuo, q.SectionID = in.Key, in.Text, in.Help, in.Kind, in.StatusQuo, sec.ID
		q.SetPoints(in.Labels)
		q.SetChoices(in.Options)
		if err := tx.Save(&q).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return &ValidationError{Fields: map[string]string{"key": "Another question of this consultation already uses this key."}}
			}
			return err
		}
		return tx.Create(&AuditEvent{At: s.Now(), UserID: &by, Action: AuditQuestionEdit,
			Subject: "question " + q.Key, Detail: strings.Join(changes, "; ")}).Error
	})
	if err != nil {
		return fmt.Errorf("update question %d: %w", id, err)
	}
	return nil
}

func questionChanges(q *Question, in QuestionInput) []string {
	var out []string
	diff := func(what, old, new string) {
		if old != new {
			out = append(out, fmt.Sprintf("%s %q → %q", what, old, new))
		}
	}
	diff("key", q.Key, in.Key)
	diff("text", q.Text, in.Text)
	diff("help", q.Help, in.Help)
	diff("kind", q.Kind, in.Kind)
	diff("points", strings.Join(q.Points(), " | "), strings.Join(in.Labels, " | "))
	diff("options", strings.Join(q.Choices(), " | "), strings.Join(in.Options, " | "))
	diff("status quo", fmt.Sprint(q.StatusQuo), fmt.Sprint(in.StatusQuo))
	return out
}

// DeleteQuestion removes a question that no member has answered.
func (s *Store) DeleteQuestion(ctx context.Context, id uint, by uint) error {
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var q Question
		if err := tx.First(&q, id).Error; err != nil {
			return notFound(err, "load question")
		}
		var answered int64
		if err := tx.Model(&Revision{}).Where("question_id = ?", id).Count(&answered).Error; err != nil {
			return err
		}
		if answered > 0 {
			return &ConflictError{Message: "Members have answered this question; it cannot be deleted."}
		}
		if err := tx.Delete(&q).Error; err != nil {
			return err
		}
		return tx.Create(&AuditEvent{At: s.Now(), UserID: &by, Action: AuditQuestionEdit,
			Subject: "question " + q.Key, Detail: "deleted"}).Error
	})
	if err != nil {
		return fmt.Errorf("delete question %d: %w", id, err)
	}
	return nil
}

// MoveQuestion swaps a question with its neighbour in its section; up is
// towards the start.
func (s *Store) MoveQuestion(ctx context.Context, id uint, up bool) error {
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var q Question
		if err := tx.First(&q, id).Error; err != nil {
			return notFound(err, "load question")
		}
		var other Question
		cond, order := "ord > ?", "ord ASC"
		if up {
			cond, order = "ord < ?", "ord DESC"
		}
		err := tx.Where("section_id = ? AND "+cond, q.SectionID, q.Ord).Order(order).Limit(1).Find(&other).Error
		if err != nil || other.ID == 0 {
			return err // already first or last: nothing to do
		}
		// Update writes the new value back into its model: keep both
		// places before swapping.
		mine, theirs := q.Ord, other.Ord
		if err := tx.Model(&q).Update("ord", theirs).Error; err != nil {
			return err
		}
		return tx.Model(&other).Update("ord", mine).Error
	})
	if err != nil {
		return fmt.Errorf("move question %d: %w", id, err)
	}
	return nil
}

// MoveSection swaps a section with its neighbour.
func (s *Store) MoveSection(ctx context.Context, id uint, up bool) error {
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var sec Section
		if err := tx.First(&sec, id).Error; err != nil {
			return notFound(err, "load section")
		}
		var other Section
		cond, order := "ord > ?", "ord ASC"
		if up {
			cond, order = "ord < ?", "ord DESC"
		}
		err := tx.Where("consultation_id = ? AND "+cond, sec.ConsultationID, sec.Ord).Order(order).Limit(1).Find(&other).Error
		if err != nil || other.ID == 0 {
			return err
		}
		mine, theirs := sec.Ord, other.Ord
		if err := tx.Model(&sec).Update("ord", theirs).Error; err != nil {
			return err
		}
		return tx.Model(&other).Update("ord", mine).Error
	})
	if err != nil {
		return fmt.Errorf("move section %d: %w", id, err)
	}
	return nil
}

// RenameSection changes a section's title and records the change: the
// title frames every question of the section, as its wording does.
func (s *Store) RenameSection(ctx context.Context, id uint, title string, by uint) error {
	title = strings.TrimSpace(title)
	if title == "" || len([]rune(title)) > 200 || !IsText(title) {
		return &ValidationError{Fields: map[string]string{"title": "Give a title of 1 to 200 characters."}}
	}
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var sec Section
		if err := tx.First(&sec, id).Error; err != nil {
			return notFound(err, "load section")
		}
		if sec.Title == title {
			return nil
		}
		var c Consultation
		if err := tx.First(&c, sec.ConsultationID).Error; err != nil {
			return notFound(err, "load consultation")
		}
		if err := tx.Model(&Section{}).Where("id = ?", id).Update("title", title).Error; err != nil {
			return err
		}
		return tx.Create(&AuditEvent{At: s.Now(), UserID: &by, Action: AuditConsultationEdit,
			Subject: "consultation " + c.Key, Detail: fmt.Sprintf("section %q renamed %q", sec.Title, title)}).Error
	})
	if err != nil {
		return fmt.Errorf("rename section %d: %w", id, err)
	}
	return nil
}

// AnswerCount returns how many revisions a question has.
func (s *Store) AnswerCount(ctx context.Context, questionID uint) (int64, error) {
	var n int64
	if err := s.r.WithContext(ctx).Model(&Revision{}).Where("question_id = ?", questionID).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count answers of question %d: %w", questionID, err)
	}
	return n, nil
}

// SectionByID loads a section.
func (s *Store) SectionByID(ctx context.Context, id uint) (*Section, error) {
	var sec Section
	if err := s.r.WithContext(ctx).First(&sec, id).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load section %d", id))
	}
	return &sec, nil
}
