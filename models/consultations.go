package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// DeadlineLayout is the format of deadlines in forms (HTML datetime-local), in UTC.
const DeadlineLayout = "2006-01-02T15:04"

// ConsultationInput is the editable part of a consultation.
type ConsultationInput struct {
	Key         string `form:"key" json:"key" field:"key" validate:"required,slug"`
	Title       string `form:"title" json:"title" field:"title" validate:"required,max=200,text"`
	Description string `form:"description" json:"description" field:"description" validate:"max=4000,text"`
	Deadline    string `form:"deadline" json:"deadline" field:"deadline" validate:"omitempty,datetime=2006-01-02T15:04"`
	// Quorum is how many members must answer a question for its verdict to
	// speak for the alliance, as typed in the form: empty (or 0) means every
	// member of the roster, else a whole number from 1 to the roster size.
	// It is a string so that a form with a mistyped number re-renders with
	// what the user typed and a message, never a failed binding.
	Quorum string `form:"quorum" json:"quorum" field:"quorum"`
	// Marking is the classification marking printed on the report pages
	// (e.g. "Restricted"); empty for none. One line, at most MaxMarking
	// characters.
	Marking string `form:"marking" json:"marking" field:"marking" validate:"max=40,text"`
	// RequireApproval makes delegates' saves drafts until the member's
	// head of delegation approves them (see Store.SetRequireApproval).
	RequireApproval bool `form:"-" json:"require_approval"`
	// Timezone is the IANA name of the zone deadlines of silence
	// procedures are shown in (e.g. Europe/Brussels), checked against the
	// zone database embedded in the binary. Empty means UTC when creating
	// and "keep the current zone" when updating, so that a form or an
	// import that does not offer the setting never resets it.
	Timezone string `form:"timezone" json:"timezone,omitempty" field:"timezone"`
}

// CheckTimezone reports whether name is a time zone this binary knows (an
// IANA name such as Europe/Brussels, or UTC), returning a message for the
// field otherwise. Empty is accepted (the default).
func CheckTimezone(name string) string {
	if name == "" {
		return ""
	}
	// LoadLocation also accepts "Local", which means the server's zone:
	// not a setting that travels.
	if _, err := time.LoadLocation(name); err != nil || name == "Local" || !IsText(name) {
		return "Give a time zone by its IANA name, such as Europe/Brussels or UTC."
	}
	return ""
}

// MaxMarking is the longest classification marking, in characters (the
// validate tag of ConsultationInput.Marking says the same).
const MaxMarking = 40

// QuorumInput renders a stored quorum for the consultation form: empty for
// the default (every member).
func QuorumInput(q int) string {
	if q <= 0 {
		return ""
	}
	return strconv.Itoa(q)
}

// EffectiveQuorum is the number of responses a question needs for its
// verdict to be quorate, given the roster size: the consultation's quorum,
// or the whole roster when it is 0 or larger than the roster.
func (c *Consultation) EffectiveQuorum(roster int) int {
	if c.Quorum <= 0 || c.Quorum > roster {
		return roster
	}
	return c.Quorum
}

func (in *ConsultationInput) trim() {
	in.Key = strings.TrimSpace(in.Key)
	in.Title = strings.TrimSpace(in.Title)
	in.Description = strings.TrimSpace(in.Description)
	in.Deadline = strings.TrimSpace(in.Deadline)
	in.Quorum = strings.TrimSpace(in.Quorum)
	in.Marking = strings.Join(strings.Fields(in.Marking), " ")
	in.Timezone = strings.TrimSpace(in.Timezone)
}

func (in *ConsultationInput) deadline() *time.Time {
	if in.Deadline == "" {
		return nil
	}
	t, err := time.ParseInLocation(DeadlineLayout, in.Deadline, time.UTC)
	if err != nil {
		return nil // validated before
	}
	return &t
}

func (s *Store) checkConsultation(in *ConsultationInput) error {
	in.trim()
	if err := s.validate.Struct(in); err != nil {
		msgs := FieldMessages(err)
		if _, bad := msgs["deadline"]; bad {
			msgs["deadline"] = "Give a date and time such as 2026-12-15T17:00 (UTC)."
		}
		if _, bad := msgs["marking"]; bad {
			msgs["marking"] = fmt.Sprintf("Give a marking of at most %d characters, such as Restricted, or leave it empty.", MaxMarking)
		}
		return &ValidationError{Fields: msgs}
	}
	return nil
}

// quorum checks the typed quorum against the roster size and returns the
// number to store (0 for every member), or a message for the field. The
// rule: empty or 0 means every member; otherwise a whole number from 1 to
// the roster size.
func quorum(in string, roster int) (int, string) {
	if in == "" {
		return 0, ""
	}
	n, err := strconv.Atoi(in)
	if err != nil || n < 0 || n > roster {
		return 0, fmt.Sprintf("Give a whole number of members from 1 to %d, or leave it empty for every member.", roster)
	}
	return n, ""
}

// checkSettings validates the consultation input, quorum included (against
// the roster size read in tx), and returns the quorum to store. Every
// invalid field is reported in one *ValidationError.
func (s *Store) checkSettings(tx *gorm.DB, in *ConsultationInput) (int, error) {
	var roster int64
	if err := tx.Model(&Member{}).Count(&roster).Error; err != nil {
		return 0, fmt.Errorf("count members: %w", err)
	}
	err := s.checkConsultation(in)
	q, msg := quorum(in.Quorum, int(roster))
	tzMsg := CheckTimezone(in.Timezone)
	if msg == "" && tzMsg == "" {
		return q, err
	}
	var verr *ValidationError
	if !errors.As(err, &verr) {
		verr = &ValidationError{Fields: map[string]string{}}
	}
	if msg != "" {
		verr.Fields["quorum"] = msg
	}
	if tzMsg != "" {
		verr.Fields["timezone"] = tzMsg
	}
	return 0, verr
}

// CreateConsultation creates a draft consultation.
func (s *Store) CreateConsultation(ctx context.Context, in ConsultationInput, by uint) (*Consultation, error) {
	var c *Consultation
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q, err := s.checkSettings(tx, &in)
		if err != nil {
			return err
		}
		tz := in.Timezone
		if tz == "" {
			tz = "UTC"
		}
		c = &Consultation{Key: in.Key, Title: in.Title, Description: in.Description, Deadline: in.deadline(),
			Quorum: q, Marking: in.Marking, RequireApproval: in.RequireApproval, Timezone: tz, Status: StatusDraft, Round: 1}
		if err := tx.Create(c).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return &ConflictError{Field: "key", Message: "Another consultation already uses this key."}
			}
			return err
		}
		if err := recordFirstRound(tx, c, &by, s.Now()); err != nil {
			return err
		}
		if c.RequireApproval {
			if err := tx.Create(&AuditEvent{At: s.Now(), UserID: &by, Action: AuditApprovalSetting,
				Subject: "consultation " + c.Key, Detail: "national approval required: true"}).Error; err != nil {
				return err
			}
		}
		return tx.Create(&AuditEvent{At: s.Now(), UserID: &by, Action: AuditConsultationEdit,
			Subject: "consultation " + c.Key, Detail: "created"}).Error
	})
	if err != nil {
		var verr *ValidationError
		if errors.As(err, &verr) {
			return nil, verr
		}
		return nil, fmt.Errorf("create consultation %s: %w", in.Key, err)
	}
	return c, nil
}

// UpdateConsultation changes title, description, deadline, quorum,
// marking, time zone (empty keeps it) and the approval setting, in one transaction, recording what
// changed in the audit log. The key is stable and
// cannot change.
func (s *Store) UpdateConsultation(ctx context.Context, id uint, in ConsultationInput, by uint) error {
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Consultation
		if err := tx.First(&c, id).Error; err != nil {
			return notFound(err, "load consultation")
		}
		in.Key = c.Key
		q, err := s.checkSettings(tx, &in)
		if err != nil {
			return err
		}
		var changes []string
		if c.Title != in.Title {
			changes = append(changes, fmt.Sprintf("title %q → %q", c.Title, in.Title))
		}
		if c.Description != in.Description {
			changes = append(changes, "description changed")
		}
		if fmtDeadline(c.Deadline) != in.Deadline {
			changes = append(changes, fmt.Sprintf("deadline %q → %q", fmtDeadline(c.Deadline), in.Deadline))
		}
		if c.Quorum != q {
			changes = append(changes, fmt.Sprintf("quorum %s → %s", quorumText(c.Quorum), quorumText(q)))
		}
		if c.Marking != in.Marking {
			changes = append(changes, fmt.Sprintf("marking %q → %q", c.Marking, in.Marking))
		}
		if in.Timezone == "" {
			in.Timezone = c.Timezone
		}
		if c.Timezone != in.Timezone {
			changes = append(changes, fmt.Sprintf("time zone %q → %q", c.Timezone, in.Timezone))
		}
		if c.RequireApproval != in.RequireApproval {
			// Audited as the approval setting, as SetRequireApproval does.
			if err := tx.Create(&AuditEvent{At: s.Now(), UserID: &by, Action: AuditApprovalSetting,
				Subject: "consultation " + c.Key, Detail: fmt.Sprintf("national approval required: %t", in.RequireApproval)}).Error; err != nil {
				return err
			}
			c.RequireApproval = in.RequireApproval
			if len(changes) == 0 {
				return tx.Model(&c).Update("require_approval", c.RequireApproval).Error
			}
		}
		if len(changes) == 0 {
			return nil
		}
		c.Title, c.Description, c.Deadline = in.Title, in.Description, in.deadline()
		c.Quorum, c.Marking, c.Timezone = q, in.Marking, in.Timezone
		if err := tx.Save(&c).Error; err != nil {
			return err
		}
		return tx.Create(&AuditEvent{At: s.Now(), UserID: &by, Action: AuditConsultationEdit,
			Subject: "consultation " + c.Key, Detail: strings.Join(changes, "; ")}).Error
	})
	if err != nil {
		return fmt.Errorf("update consultation %d: %w", id, err)
	}
	return nil
}

// quorumText writes a stored quorum for the audit log.
func quorumText(q int) string {
	if q <= 0 {
		return "every member"
	}
	return strconv.Itoa(q)
}

func fmtDeadline(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(DeadlineLayout)
}

// DeadlineInput renders a consultation's deadline for its edit form.
func (c *Consultation) DeadlineInput() string { return fmtDeadline(c.Deadline) }

// allowedTransitions maps a status to the statuses it may move to.
var allowedTransitions = map[string][]string{
	StatusDraft:  {StatusOpen},
	StatusOpen:   {StatusClosed},
	StatusClosed: {StatusOpen},
}

// SetStatus moves a consultation to another status. Opening requires at
// least one question.
func (s *Store) SetStatus(ctx context.Context, id uint, status string, by uint) error {
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Consultation
		if err := tx.First(&c, id).Error; err != nil {
			return notFound(err, "load consultation")
		}
		if !slices.Contains(allowedTransitions[c.Status], status) {
			article := "A"
			if c.Status == StatusOpen {
				article = "An"
			}
			return &ConflictError{Field: "status", Message: fmt.Sprintf("%s %s consultation cannot be set to %s.", article, c.Status, status)}
		}
		if status == StatusOpen {
			var n int64
			if err := tx.Model(&Question{}).Where("consultation_id = ?", id).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return &ConflictError{Field: "status", Message: "Add at least one question before opening the consultation."}
			}
		}
		old := c.Status
		if err := tx.Model(&c).Update("status", status).Error; err != nil {
			return err
		}
		return tx.Create(&AuditEvent{At: s.Now(), UserID: &by, Action: AuditConsultationEdit,
			Subject: "consultation " + c.Key, Detail: "status " + old + " → " + status}).Error
	})
	if err != nil {
		return fmt.Errorf("set status of consultation %d: %w", id, err)
	}
	return nil
}

// SetShareDistribution switches whether delegates may see the anonymised
// distribution of the closed consultation.
func (s *Store) SetShareDistribution(ctx context.Context, id uint, share bool, by uint) error {
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Consultation
		if err := tx.First(&c, id).Error; err != nil {
			return notFound(err, "load consultation")
		}
		if err := tx.Model(&c).Update("share_distribution", share).Error; err != nil {
			return err
		}
		return tx.Create(&AuditEvent{At: s.Now(), UserID: &by, Action: AuditConsultationEdit,
			Subject: "consultation " + c.Key, Detail: fmt.Sprintf("share distribution with delegates: %t", share)}).Error
	})
	if err != nil {
		return fmt.Errorf("set distribution sharing of consultation %d: %w", id, err)
	}
	return nil
}

// Consultations lists consultations, newest first; with statuses given,
// only those.
func (s *Store) Consultations(ctx context.Context, statuses ...string) ([]Consultation, error) {
	q := s.r.WithContext(ctx).Order("id DESC")
	if len(statuses) > 0 {
		q = q.Where("status IN ?", statuses)
	}
	var out []Consultation
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list consultations: %w", err)
	}
	return out, nil
}

// ConsultationByKey loads one consultation. Every page and save of a
// consultation starts here, so it is cached by the consultations change
// counter (see counters.go) and its statement is written by hand (see
// rawsql.go). Each caller gets its own copy.
func (s *Store) ConsultationByKey(ctx context.Context, key string) (*Consultation, error) {
	version, err := s.counter(ctx, counterConsultations)
	if err != nil {
		return nil, err
	}
	if c, ok := s.consultations.get(key, version); ok {
		return c.clone(), nil
	}
	c, err := s.readConsultationByKey(ctx, key)
	if err != nil {
		return nil, err
	}
	s.consultations.put(key, version, c.clone())
	return c, nil
}

// clone is a copy of the consultation that shares nothing with it.
func (c *Consultation) clone() *Consultation {
	out := *c
	if c.Deadline != nil {
		d := *c.Deadline
		out.Deadline = &d
	}
	return &out
}

// readConsultationByKey reads a consultation by key from the database.
func (s *Store) readConsultationByKey(ctx context.Context, key string) (*Consultation, error) {
	rows, err := rawQuery(s.r.WithContext(ctx), `SELECT `+consultationColumns+` FROM consultations c WHERE c.key = ?`, key)
	if err != nil {
		return nil, fmt.Errorf("load consultation %s: %w", key, err)
	}
	c, err := scanConsultation(rows)
	if err != nil {
		return nil, notFound(err, "load consultation "+key)
	}
	return c, nil
}

// Questionnaire is a consultation's sections and questions, in order.
type Questionnaire struct {
	Sections  []Section
	Questions []Question // ordered by section, then question order
}

// BySection groups the questions under their sections, skipping empty ones
// unless keepEmpty.
func (qn *Questionnaire) BySection(keepEmpty bool) []SectionQuestions {
	var out []SectionQuestions
	for _, sec := range qn.Sections {
		g := SectionQuestions{Section: sec}
		for _, q := range qn.Questions {
			if q.SectionID == sec.ID {
				g.Questions = append(g.Questions, q)
			}
		}
		if keepEmpty || len(g.Questions) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// SectionQuestions is one section with its questions.
type SectionQuestions struct {
	Section   Section
	Questions []Question
}

// Questionnaire returns the sections and questions of a consultation. It
// reads the questionnaire's version (raised by triggers on every change of
// its questions and sections, whoever makes it: see questionnaireSchema)
// and loads them again only when the version has moved since they were
// cached. The version is read before the questions, so a questionnaire is
// never cached under a version newer than itself. Each caller gets its own
// copy.
func (s *Store) Questionnaire(ctx context.Context, consultationID uint) (*Questionnaire, error) {
	var version int64
	rows, err := rawQuery(s.r.WithContext(ctx),
		`SELECT COALESCE((SELECT version FROM questionnaire_versions WHERE consultation_id = ?), 0)`, consultationID)
	if err == nil {
		err = scanOne(rows, &version)
	}
	if err != nil {
		return nil, fmt.Errorf("read the questionnaire version of consultation %d: %w", consultationID, err)
	}
	if qn, ok := s.questionnaires.get(consultationID, version); ok {
		return qn.clone(), nil
	}
	qn, err := s.loadQuestionnaire(ctx, consultationID)
	if err != nil {
		return nil, err
	}
	s.questionnaires.put(consultationID, version, qn)
	return qn.clone(), nil
}

// loadQuestionnaire reads the sections and questions of a consultation.
func (s *Store) loadQuestionnaire(ctx context.Context, consultationID uint) (*Questionnaire, error) {
	qn := &Questionnaire{}
	db := s.r.WithContext(ctx)
	if err := db.Where("consultation_id = ?", consultationID).Order("ord, id").Find(&qn.Sections).Error; err != nil {
		return nil, fmt.Errorf("load sections of consultation %d: %w", consultationID, err)
	}
	err := db.Table("questions").Select("questions.*").
		Joins("JOIN sections ON sections.id = questions.section_id").
		Where("questions.consultation_id = ?", consultationID).
		Order("sections.ord, sections.id, questions.ord, questions.id").Find(&qn.Questions).Error
	if err != nil {
		return nil, fmt.Errorf("load questions of consultation %d: %w", consultationID, err)
	}
	return qn, nil
}

// ConsultationByID loads one consultation.
func (s *Store) ConsultationByID(ctx context.Context, id uint) (*Consultation, error) {
	var c Consultation
	if err := s.r.WithContext(ctx).First(&c, id).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load consultation %d", id))
	}
	return &c, nil
}

// clone copies a questionnaire (its sections and questions hold no
// references, so copying the slices copies them whole).
func (qn *Questionnaire) clone() *Questionnaire {
	return &Questionnaire{Sections: slices.Clone(qn.Sections), Questions: slices.Clone(qn.Questions)}
}
