package models

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"concord/consensus"
)

// EachRevision hands every revision of a consultation to fn, oldest first
// (the order of History), in batches of at most batch revisions read one
// query at a time, so that a reader of a long history (the export of
// history.csv) holds one batch in memory, not the whole history. It stops
// at fn's first error and returns it. fn may keep nothing of a batch
// after it returns: the next batch is read into new memory, but callers
// should not rely on that.
func (s *Store) EachRevision(ctx context.Context, consultationID uint, batch int, fn func([]RevisionRecord) error) error {
	if batch < 1 {
		batch = 1000
	}
	var after uint
	for {
		var list []RevisionRecord
		// "+r.consultation_id" keeps SQLite from reading the batch through
		// the consultation's index, which would sort the consultation's
		// whole history for every batch: the primary key gives the
		// revisions after `after` in order, one batch at a time.
		err := s.r.WithContext(ctx).Raw(revisionSelect+` WHERE +r.consultation_id = ? AND r.id > ? ORDER BY r.id LIMIT ?`,
			consultationID, after, batch).Scan(&list).Error
		if err != nil {
			return fmt.Errorf("read history of consultation %d after revision %d: %w", consultationID, after, err)
		}
		if len(list) == 0 {
			return nil
		}
		if err := fn(list); err != nil {
			return err
		}
		if len(list) < batch {
			return nil
		}
		after = list[len(list)-1].ID
	}
}

// RevisionsByID returns the revisions with the given IDs, in the order of
// ids (an ID of no revision is left out), read in one query. Revisions are
// never changed once written, so a list of IDs taken from an analysis
// reads back exactly the positions analysed, however much was saved since.
func (s *Store) RevisionsByID(ctx context.Context, ids []uint) ([]RevisionRecord, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var list []RevisionRecord
	if err := s.r.WithContext(ctx).Raw(revisionSelect+` WHERE r.id IN ?`, ids).Scan(&list).Error; err != nil {
		return nil, fmt.Errorf("read %d revisions: %w", len(ids), err)
	}
	byID := make(map[uint]int, len(list))
	for i := range list {
		byID[list[i].ID] = i
	}
	out := make([]RevisionRecord, 0, len(list))
	for _, id := range ids {
		if i, ok := byID[id]; ok {
			out = append(out, list[i])
		}
	}
	return out, nil
}

// LoadAnalysisIDs loads round `round` of a consultation as LoadAnalysis
// does — the same questionnaire, roster and analysis input, the previous
// round's positions included — but keeps of the current revisions only
// their IDs, in the order of positions.csv (by member code, then question
// order), and leaves Analysis.Positions empty. The positions are read
// member by member inside one read transaction (one snapshot of the
// database), each member's revisions let go once converted, so that
// loading a round of 100,000 positions holds the analysis input alone.
// For readers that read the revisions back by ID as they need them (see
// RevisionsByID).
func (s *Store) LoadAnalysisIDs(ctx context.Context, c *Consultation, round int) (*Analysis, []uint, error) {
	var a *Analysis
	var ids []uint
	err := s.r.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var qn Questionnaire
		if err := tx.Where("consultation_id = ?", c.ID).Order("ord, id").Find(&qn.Sections).Error; err != nil {
			return fmt.Errorf("load sections: %w", err)
		}
		err := tx.Table("questions").Select("questions.*").
			Joins("JOIN sections ON sections.id = questions.section_id").
			Where("questions.consultation_id = ?", c.ID).
			Order("sections.ord, sections.id, questions.ord, questions.id").Find(&qn.Questions).Error
		if err != nil {
			return fmt.Errorf("load questions: %w", err)
		}
		var members []Member
		if err := tx.Order("name").Find(&members).Error; err != nil {
			return fmt.Errorf("load members: %w", err)
		}
		a = &Analysis{Consultation: c, Round: round, Questionnaire: &qn, Members: members}
		sections := map[uint]string{}
		for _, sec := range qn.Sections {
			sections[sec.ID] = sec.Title
		}
		byID := map[uint]*Question{}
		for i := range qn.Questions {
			q := &qn.Questions[i]
			byID[q.ID] = q
			a.Input.Questions = append(a.Input.Questions, consensus.Question{
				Number: q.Number, Key: q.Key, Section: sections[q.SectionID], Text: q.Text, Kind: consensus.Kind(q.Kind),
				Points: q.Points(), Options: q.Choices(),
			})
		}
		for _, m := range members {
			a.Input.Members = append(a.Input.Members, consensus.Member{Code: m.Code, Name: m.Name})
		}
		a.Input.Quorum = c.Quorum
		byCode := slices.Clone(members)
		slices.SortFunc(byCode, func(x, y Member) int { return strings.Compare(x.Code, y.Code) })
		for _, m := range byCode {
			var revs []RevisionRecord
			err := tx.Raw(currentSelect+` WHERE r.id = cp.revision_id AND cp.consultation_id = ? AND cp.round = ? AND cp.member_id = ?
				ORDER BY q.ord, q.id`, c.ID, round, m.ID).Scan(&revs).Error
			if err != nil {
				return fmt.Errorf("load positions of member %s: %w", m.Code, err)
			}
			for _, r := range revs {
				ids = append(ids, r.ID)
			}
			a.Input.Positions = append(a.Input.Positions, toPositions(revs, byID)...)
			if round > 1 {
				var prev []RevisionRecord
				err := tx.Raw(currentSelect+` WHERE r.id = cp.revision_id AND cp.consultation_id = ? AND cp.round = ? AND cp.member_id = ?
					ORDER BY q.ord, q.id`, c.ID, round-1, m.ID).Scan(&prev).Error
				if err != nil {
					return fmt.Errorf("load previous round of member %s: %w", m.Code, err)
				}
				a.Input.Previous = append(a.Input.Previous, toPositions(prev, byID)...)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("load round %d of consultation %d: %w", round, c.ID, err)
	}
	return a, ids, nil
}
