package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Drafts. Once positions are gathered, a facilitator writes a draft: a text
// of numbered paragraphs, each optionally linked to the questions it
// settles. A draft is never edited in place: every change is a new version
// (DraftVersion), numbered 1, 2, … within the draft, holding the whole text
// (its paragraphs, in order). Versions are what the silence procedure
// circulates (silence.go), and what a hash pins down.

// Limits of drafts, in characters (runes).
const (
	MaxDraftTitle     = 200
	MaxParagraphText  = 10000
	MaxParagraphs     = 500
	MaxVersionNote    = 1000
	MaxLinkedQuestion = 50 // questions linked to one paragraph
)

// Audit actions of drafts.
const (
	AuditDraftCreated = "draft.created"
	AuditDraftVersion = "draft.version"
)

// Draft is one text being drafted in a consultation. Number is 1, 2, …
// within the consultation (addresses use it: …/drafts/{n}).
type Draft struct {
	ID             uint      `gorm:"primaryKey" json:"-"`
	ConsultationID uint      `gorm:"not null;uniqueIndex:idx_draft_number,priority:1" json:"-"`
	Number         int       `gorm:"not null;uniqueIndex:idx_draft_number,priority:2" json:"number"`
	Title          string    `gorm:"not null" json:"title"`
	CreatedBy      uint      `gorm:"not null" json:"-"`
	CreatedAt      time.Time `gorm:"not null" json:"created_at"`
}

// DraftVersion is one version of a draft's whole text. Version is 1, 2, …
// within the draft. Hash is VersionHash of its paragraphs' texts, in
// lower-case hexadecimal. Paragraphs is filled by the Store methods that
// say so (Version, LatestVersion), in order.
type DraftVersion struct {
	ID        uint      `gorm:"primaryKey" json:"-"`
	DraftID   uint      `gorm:"not null;uniqueIndex:idx_draft_version,priority:1" json:"-"`
	Version   int       `gorm:"not null;uniqueIndex:idx_draft_version,priority:2" json:"version"`
	Note      string    `gorm:"not null;default:''" json:"note"`
	Hash      string    `gorm:"not null;size:64" json:"hash"`
	CreatedBy uint      `gorm:"not null" json:"-"`
	CreatedAt time.Time `gorm:"not null" json:"created_at"`

	Paragraphs []Paragraph `gorm:"-" json:"paragraphs,omitempty"`
}

// Paragraph is one numbered paragraph (1, 2, … in order) of a version: plain
// text with light formatting kept as typed (line feeds for line ends), and
// the questions it settles, stored as a JSON list of question IDs (IDs, so
// that linking survives a change of a question's key). QuestionKeys is
// filled on load, in the order stored; a linked question deleted since is
// left out.
type Paragraph struct {
	ID              uint   `gorm:"primaryKey" json:"-"`
	VersionID       uint   `gorm:"not null;uniqueIndex:idx_paragraph_number,priority:1" json:"-"`
	Number          int    `gorm:"not null;uniqueIndex:idx_paragraph_number,priority:2" json:"number"`
	Text            string `gorm:"not null" json:"text"`
	QuestionIDsJSON string `gorm:"column:questions;not null;default:'[]'" json:"-"`

	QuestionKeys []string `gorm:"-" json:"questions"`
}

// QuestionIDs returns the IDs of the questions the paragraph is linked to.
func (p *Paragraph) QuestionIDs() []uint {
	var out []uint
	if err := json.Unmarshal([]byte(p.QuestionIDsJSON), &out); err != nil {
		return nil
	}
	return out
}

// ParagraphInput is one paragraph as a form or the API gives it: its text
// and the keys of the questions it settles (keys of the draft's
// consultation; empty for none).
type ParagraphInput struct {
	Text      string   `form:"text" json:"text"`
	Questions []string `form:"questions" json:"questions"`
}

// hashVersion is the first line of the canonical encoding of a version.
const hashVersion = "concord-draft-v1"

// VersionHash is the SHA-256, in lower-case hexadecimal, of a version's
// paragraph texts in order. The bytes hashed are the line
// "concord-draft-v1", then for each paragraph its length in bytes in
// decimal, ":", its text (UTF-8, line ends as line feeds, as stored) and a
// line feed. Paragraph numbers are implied by the order; the links to
// questions are drafting aids, not part of the text, and are not hashed.
// Lengths make the encoding unambiguous whatever the texts hold, so that
// anyone can recompute the hash of an adopted text from its paragraphs.
func VersionHash(texts []string) string {
	h := sha256.New()
	h.Write([]byte(hashVersion + "\n"))
	for _, t := range texts {
		h.Write([]byte(strconv.Itoa(len(t)) + ":" + t + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// normaliseParagraph makes line ends line feeds and trims the paragraph's
// surrounding space.
func normaliseParagraph(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimSpace(s)
}

// CreateDraft starts a draft in the consultation with the next number and
// no version yet (the first SaveDraftVersion makes version 1). The title is
// required, one line of at most MaxDraftTitle characters (a
// *ValidationError on "title" otherwise). Audited.
func (s *Store) CreateDraft(ctx context.Context, consultationID uint, title string, by uint) (*Draft, error) {
	title = strings.Join(strings.Fields(title), " ")
	switch {
	case title == "":
		return nil, &ValidationError{Fields: map[string]string{"title": "Give the draft a title."}}
	case !IsText(title):
		return nil, &ValidationError{Fields: map[string]string{"title": "The title contains characters that are not valid text."}}
	case len([]rune(title)) > MaxDraftTitle:
		return nil, &ValidationError{Fields: map[string]string{"title": fmt.Sprintf("The title must be at most %d characters.", MaxDraftTitle)}}
	}
	var d *Draft
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Consultation
		if err := tx.First(&c, consultationID).Error; err != nil {
			return notFound(err, fmt.Sprintf("load consultation %d", consultationID))
		}
		var top int
		if err := tx.Model(&Draft{}).Where("consultation_id = ?", c.ID).Select("COALESCE(MAX(number), 0)").Scan(&top).Error; err != nil {
			return fmt.Errorf("number draft: %w", err)
		}
		d = &Draft{ConsultationID: c.ID, Number: top + 1, Title: title, CreatedBy: by, CreatedAt: s.Now()}
		if err := tx.Create(d).Error; err != nil {
			return fmt.Errorf("insert draft: %w", err)
		}
		return tx.Create(&AuditEvent{At: s.Now(), UserID: &by, Action: AuditDraftCreated,
			Subject: fmt.Sprintf("consultation %s draft %d", c.Key, d.Number), Detail: fmt.Sprintf("title %q", title)}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("create draft in consultation %d: %w", consultationID, err)
	}
	return d, nil
}

// checkParagraphs validates and normalises the paragraphs of a new version
// and resolves their question keys (of the consultation, read in tx) to
// IDs. Every problem is one entry of a *ValidationError, keyed
// "paragraphs" (the whole list), "paragraph.N" (the text of paragraph N)
// or "paragraph.N.questions" (its links).
func checkParagraphs(tx *gorm.DB, consultationID uint, in []ParagraphInput) ([]Paragraph, error) {
	fields := map[string]string{}
	switch {
	case len(in) == 0:
		fields["paragraphs"] = "A version needs at least one paragraph."
	case len(in) > MaxParagraphs:
		fields["paragraphs"] = fmt.Sprintf("A version may have at most %d paragraphs.", MaxParagraphs)
	}
	if len(fields) > 0 {
		return nil, &ValidationError{Fields: fields}
	}
	var qs []Question
	if err := tx.Select("id", "key").Where("consultation_id = ?", consultationID).Find(&qs).Error; err != nil {
		return nil, fmt.Errorf("load questions of consultation %d: %w", consultationID, err)
	}
	byKey := make(map[string]uint, len(qs))
	for _, q := range qs {
		byKey[q.Key] = q.ID
	}
	out := make([]Paragraph, 0, len(in))
	for i, p := range in {
		n := i + 1
		key := "paragraph." + strconv.Itoa(n)
		text := normaliseParagraph(p.Text)
		switch {
		case text == "":
			fields[key] = fmt.Sprintf("Paragraph %d is empty: write it or remove it.", n)
		case !IsText(text):
			fields[key] = fmt.Sprintf("Paragraph %d contains characters that are not valid text.", n)
		case len([]rune(text)) > MaxParagraphText:
			fields[key] = fmt.Sprintf("Paragraph %d must be at most %d characters.", n, MaxParagraphText)
		}
		ids := []uint{}
		var unknown []string
		for _, k := range p.Questions {
			k = strings.TrimSpace(k)
			if k == "" {
				continue
			}
			id, ok := byKey[k]
			switch {
			case !ok:
				unknown = append(unknown, k)
			case !slices.Contains(ids, id):
				ids = append(ids, id)
			}
		}
		switch {
		case len(unknown) > 0:
			fields[key+".questions"] = fmt.Sprintf("Paragraph %d links to questions this consultation does not have: %s.", n, strings.Join(unknown, ", "))
		case len(ids) > MaxLinkedQuestion:
			fields[key+".questions"] = fmt.Sprintf("Paragraph %d may link to at most %d questions.", n, MaxLinkedQuestion)
		}
		b, _ := json.Marshal(ids) // a []uint always marshals
		out = append(out, Paragraph{Number: n, Text: text, QuestionIDsJSON: string(b)})
	}
	if len(fields) > 0 {
		return nil, &ValidationError{Fields: fields}
	}
	return out, nil
}

// sameParagraphs reports whether two versions hold the same text and links.
func sameParagraphs(a, b []Paragraph) bool {
	return slices.EqualFunc(a, b, func(x, y Paragraph) bool {
		return x.Text == y.Text && slices.Equal(x.QuestionIDs(), y.QuestionIDs())
	})
}

// SaveDraftVersion saves the draft's text as its next version: the
// paragraphs in order (numbered 1, 2, …), their links to questions, and a
// note saying what changed (optional, at most MaxVersionNote characters).
// Paragraph texts are trimmed, with line ends made line feeds; each must be
// non-empty valid text of at most MaxParagraphText characters, and link
// only to questions of the draft's consultation, by key (a
// *ValidationError keyed as checkParagraphs says otherwise).
//
// If the paragraphs (texts and links) are those of the latest version, no
// version is made and the latest is returned with created == false; else
// the new version is returned with created == true. Audited.
func (s *Store) SaveDraftVersion(ctx context.Context, draftID uint, paragraphs []ParagraphInput, note string, by uint) (v *DraftVersion, created bool, err error) {
	note = strings.TrimSpace(strings.ReplaceAll(note, "\r\n", "\n"))
	switch {
	case !IsText(note):
		return nil, false, &ValidationError{Fields: map[string]string{"note": "The note contains characters that are not valid text."}}
	case len([]rune(note)) > MaxVersionNote:
		return nil, false, &ValidationError{Fields: map[string]string{"note": fmt.Sprintf("The note must be at most %d characters.", MaxVersionNote)}}
	}
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		created = false
		var d Draft
		if err := tx.First(&d, draftID).Error; err != nil {
			return notFound(err, fmt.Sprintf("load draft %d", draftID))
		}
		paras, err := checkParagraphs(tx, d.ConsultationID, paragraphs)
		if err != nil {
			return err
		}
		latest, err := latestVersion(tx, d.ID)
		if err != nil {
			return err
		}
		if latest != nil {
			if err := loadParagraphs(tx, latest); err != nil {
				return err
			}
			if sameParagraphs(latest.Paragraphs, paras) {
				v = latest
				return nil
			}
		}
		texts := make([]string, len(paras))
		for i, p := range paras {
			texts[i] = p.Text
		}
		next := 1
		if latest != nil {
			next = latest.Version + 1
		}
		now := s.Now()
		v = &DraftVersion{DraftID: d.ID, Version: next, Note: note, Hash: VersionHash(texts), CreatedBy: by, CreatedAt: now}
		if err := tx.Create(v).Error; err != nil {
			return fmt.Errorf("insert version: %w", err)
		}
		for i := range paras {
			paras[i].VersionID = v.ID
		}
		if err := tx.CreateInBatches(paras, 100).Error; err != nil {
			return fmt.Errorf("insert paragraphs: %w", err)
		}
		v.Paragraphs = paras
		if err := fillQuestionKeys(tx, v.Paragraphs); err != nil {
			return err
		}
		var c Consultation
		if err := tx.Select("key").First(&c, d.ConsultationID).Error; err != nil {
			return fmt.Errorf("load consultation %d: %w", d.ConsultationID, err)
		}
		created = true
		return tx.Create(&AuditEvent{At: now, UserID: &by, Action: AuditDraftVersion,
			Subject: fmt.Sprintf("consultation %s draft %d version %d", c.Key, d.Number, v.Version),
			Detail:  fmt.Sprintf("%d paragraph(s); hash %s", len(paras), v.Hash)}).Error
	})
	if err != nil {
		return nil, false, fmt.Errorf("save version of draft %d: %w", draftID, err)
	}
	return v, created, nil
}

// latestVersion returns the draft's highest version (without paragraphs),
// nil if it has none.
func latestVersion(db *gorm.DB, draftID uint) (*DraftVersion, error) {
	var vs []DraftVersion
	if err := db.Where("draft_id = ?", draftID).Order("version DESC").Limit(1).Find(&vs).Error; err != nil {
		return nil, fmt.Errorf("load latest version of draft %d: %w", draftID, err)
	}
	if len(vs) == 0 {
		return nil, nil
	}
	return &vs[0], nil
}

// loadParagraphs fills v.Paragraphs, in order, with their question keys.
func loadParagraphs(db *gorm.DB, v *DraftVersion) error {
	v.Paragraphs = nil
	if err := db.Where("version_id = ?", v.ID).Order("number").Find(&v.Paragraphs).Error; err != nil {
		return fmt.Errorf("load paragraphs of version %d: %w", v.ID, err)
	}
	return fillQuestionKeys(db, v.Paragraphs)
}

// fillQuestionKeys sets QuestionKeys of each paragraph from its question
// IDs, in one query.
func fillQuestionKeys(db *gorm.DB, ps []Paragraph) error {
	var ids []uint
	for i := range ps {
		ids = append(ids, ps[i].QuestionIDs()...)
	}
	keys := map[uint]string{}
	if len(ids) > 0 {
		var qs []Question
		if err := db.Select("id", "key").Where("id IN ?", ids).Find(&qs).Error; err != nil {
			return fmt.Errorf("load linked questions: %w", err)
		}
		for _, q := range qs {
			keys[q.ID] = q.Key
		}
	}
	for i := range ps {
		ps[i].QuestionKeys = []string{}
		for _, id := range ps[i].QuestionIDs() {
			if k, ok := keys[id]; ok {
				ps[i].QuestionKeys = append(ps[i].QuestionKeys, k)
			}
		}
	}
	return nil
}

// DraftSummary is a draft with its versions (without paragraphs, oldest
// first) and its silence procedures (oldest first, in their effective
// state: see Procedure.State), as a list of drafts shows them.
type DraftSummary struct {
	Draft
	Versions   []DraftVersion
	Procedures []Procedure
}

// Circulated reports whether any version of the draft has been circulated
// (a procedure exists, whatever its state): delegates see a draft only then.
func (d *DraftSummary) Circulated() bool { return len(d.Procedures) > 0 }

// VersionCirculated reports whether version v of the draft has been
// circulated.
func (d *DraftSummary) VersionCirculated(v int) bool {
	return slices.ContainsFunc(d.Procedures, func(p Procedure) bool { return p.Version == v })
}

// Drafts lists the drafts of a consultation by number, each with its
// versions and procedures, in three queries.
func (s *Store) Drafts(ctx context.Context, consultationID uint) ([]DraftSummary, error) {
	db := s.r.WithContext(ctx)
	var ds []Draft
	if err := db.Where("consultation_id = ?", consultationID).Order("number").Find(&ds).Error; err != nil {
		return nil, fmt.Errorf("list drafts of consultation %d: %w", consultationID, err)
	}
	if len(ds) == 0 {
		return []DraftSummary{}, nil
	}
	ids := make([]uint, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	var vs []DraftVersion
	if err := db.Where("draft_id IN ?", ids).Order("draft_id, version").Find(&vs).Error; err != nil {
		return nil, fmt.Errorf("list versions of consultation %d: %w", consultationID, err)
	}
	ps, err := s.procedures(db.Where("draft_id IN ?", ids))
	if err != nil {
		return nil, fmt.Errorf("list procedures of consultation %d: %w", consultationID, err)
	}
	out := make([]DraftSummary, len(ds))
	at := map[uint]int{}
	for i, d := range ds {
		out[i] = DraftSummary{Draft: d, Versions: []DraftVersion{}, Procedures: []Procedure{}}
		at[d.ID] = i
	}
	for _, v := range vs {
		out[at[v.DraftID]].Versions = append(out[at[v.DraftID]].Versions, v)
	}
	for _, p := range ps {
		out[at[p.DraftID]].Procedures = append(out[at[p.DraftID]].Procedures, p)
	}
	return out, nil
}

// Draft loads one draft with its versions and procedures, by ID.
func (s *Store) Draft(ctx context.Context, id uint) (*DraftSummary, error) {
	var d Draft
	if err := s.r.WithContext(ctx).First(&d, id).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load draft %d", id))
	}
	return s.draftSummary(ctx, d)
}

// DraftByNumber loads draft number n of the consultation, with its
// versions and procedures (ErrNotFound if there is none).
func (s *Store) DraftByNumber(ctx context.Context, consultationID uint, n int) (*DraftSummary, error) {
	var d Draft
	if err := s.r.WithContext(ctx).Where("consultation_id = ? AND number = ?", consultationID, n).First(&d).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load draft %d of consultation %d", n, consultationID))
	}
	return s.draftSummary(ctx, d)
}

func (s *Store) draftSummary(ctx context.Context, d Draft) (*DraftSummary, error) {
	db := s.r.WithContext(ctx)
	out := &DraftSummary{Draft: d, Versions: []DraftVersion{}}
	if err := db.Where("draft_id = ?", d.ID).Order("version").Find(&out.Versions).Error; err != nil {
		return nil, fmt.Errorf("list versions of draft %d: %w", d.ID, err)
	}
	ps, err := s.procedures(db.Where("draft_id = ?", d.ID))
	if err != nil {
		return nil, fmt.Errorf("list procedures of draft %d: %w", d.ID, err)
	}
	out.Procedures = ps
	return out, nil
}

// Version loads version v of the draft with its paragraphs (ErrNotFound if
// there is none).
func (s *Store) Version(ctx context.Context, draftID uint, v int) (*DraftVersion, error) {
	db := s.r.WithContext(ctx)
	var dv DraftVersion
	if err := db.Where("draft_id = ? AND version = ?", draftID, v).First(&dv).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load version %d of draft %d", v, draftID))
	}
	if err := loadParagraphs(db, &dv); err != nil {
		return nil, err
	}
	return &dv, nil
}

// VersionByID loads a version by its ID, with its paragraphs.
func (s *Store) VersionByID(ctx context.Context, id uint) (*DraftVersion, error) {
	db := s.r.WithContext(ctx)
	var dv DraftVersion
	if err := db.First(&dv, id).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load version %d", id))
	}
	if err := loadParagraphs(db, &dv); err != nil {
		return nil, err
	}
	return &dv, nil
}

// LatestVersion loads the draft's highest version with its paragraphs;
// ErrNotFound if the draft has no version yet.
func (s *Store) LatestVersion(ctx context.Context, draftID uint) (*DraftVersion, error) {
	db := s.r.WithContext(ctx)
	v, err := latestVersion(db, draftID)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("draft %d has no version: %w", draftID, ErrNotFound)
	}
	if err := loadParagraphs(db, v); err != nil {
		return nil, err
	}
	return v, nil
}

// Versions lists the draft's versions, oldest first, without paragraphs.
func (s *Store) Versions(ctx context.Context, draftID uint) ([]DraftVersion, error) {
	out := []DraftVersion{}
	if err := s.r.WithContext(ctx).Where("draft_id = ?", draftID).Order("version").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list versions of draft %d: %w", draftID, err)
	}
	return out, nil
}
