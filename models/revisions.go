package models

import (
	"context"
	"fmt"
)

// RevisionRecord is a revision with the names a reader needs.
type RevisionRecord struct {
	Revision
	MemberCode    string
	MemberName    string
	QuestionKey   string
	SubmitterName string
	SubmitterUser string
}

const revisionSelect = `SELECT r.*, m.code AS member_code, m.name AS member_name, q.key AS question_key,
	COALESCE(u.name, '') AS submitter_name, COALESCE(u.username, '') AS submitter_user
	FROM revisions r
	JOIN members m ON m.id = r.member_id
	JOIN questions q ON q.id = r.question_id
	LEFT JOIN users u ON u.id = r.submitted_by`

// currentSelect reads current positions (see current.go) with the names a
// reader needs; callers add the WHERE clause on cp.
const currentSelect = `SELECT r.*, m.code AS member_code, m.name AS member_name, q.key AS question_key,
	COALESCE(u.name, '') AS submitter_name, COALESCE(u.username, '') AS submitter_user` + currentFrom + `
	JOIN members m ON m.id = r.member_id
	JOIN questions q ON q.id = r.question_id
	LEFT JOIN users u ON u.id = r.submitted_by`

// CurrentPositions returns every member's current position in a round of a
// consultation, ordered by member code and question order.
func (s *Store) CurrentPositions(ctx context.Context, consultationID uint, round int) ([]RevisionRecord, error) {
	var out []RevisionRecord
	err := s.r.WithContext(ctx).Raw(currentSelect+` WHERE r.id = cp.revision_id AND cp.consultation_id = ? AND cp.round = ?
		ORDER BY m.code, q.ord, q.id`, consultationID, round).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("load current positions of consultation %d: %w", consultationID, err)
	}
	return out, nil
}

// MemberPositions returns one member's current positions in a round, keyed
// by question ID.
func (s *Store) MemberPositions(ctx context.Context, consultationID uint, round int, memberID uint) (map[uint]RevisionRecord, error) {
	var list []RevisionRecord
	err := s.r.WithContext(ctx).Raw(currentSelect+` WHERE r.id = cp.revision_id AND cp.consultation_id = ? AND cp.round = ? AND cp.member_id = ?`,
		consultationID, round, memberID).Scan(&list).Error
	if err != nil {
		return nil, fmt.Errorf("load positions of member %d: %w", memberID, err)
	}
	out := make(map[uint]RevisionRecord, len(list))
	for _, r := range list {
		out[r.QuestionID] = r
	}
	return out, nil
}

// History returns every revision of a consultation, oldest first; when
// memberID is not zero, only that member's.
func (s *Store) History(ctx context.Context, consultationID uint, memberID uint) ([]RevisionRecord, error) {
	var out []RevisionRecord
	where := ` WHERE r.consultation_id = ?`
	args := []any{consultationID}
	if memberID != 0 {
		where += ` AND r.member_id = ?`
		args = append(args, memberID)
	}
	err := s.r.WithContext(ctx).Raw(revisionSelect+where+` ORDER BY r.id`, args...).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("load history of consultation %d: %w", consultationID, err)
	}
	return out, nil
}

// AnsweredCounts returns, per member ID, how many questions of the
// consultation's current round the member has answered.
func (s *Store) AnsweredCounts(ctx context.Context, consultationID uint, round int) (map[uint]int, error) {
	type row struct {
		MemberID uint
		N        int
	}
	var rows []row
	err := s.r.WithContext(ctx).Raw(`SELECT cp.member_id, COUNT(*) AS n FROM current_positions cp
		WHERE cp.consultation_id = ? AND cp.round = ? GROUP BY cp.member_id`, consultationID, round).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count answers of consultation %d: %w", consultationID, err)
	}
	out := make(map[uint]int, len(rows))
	for _, r := range rows {
		out[r.MemberID] = r.N
	}
	return out, nil
}

// Progress is one consultation with how far a member has answered it.
type Progress struct {
	Consultation
	Total    int // questions of the consultation
	Answered int // questions the member has answered in the current round
}

// MemberProgress lists the consultations with the given statuses, newest
// first, each with the member's progress in its current round, in one query.
func (s *Store) MemberProgress(ctx context.Context, memberID uint, statuses ...string) ([]Progress, error) {
	var out []Progress
	err := s.r.WithContext(ctx).Raw(`SELECT c.*,
		(SELECT COUNT(*) FROM questions q WHERE q.consultation_id = c.id) AS total,
		(SELECT COUNT(*) FROM current_positions cp
			WHERE cp.consultation_id = c.id AND cp.round = c.round AND cp.member_id = ?) AS answered
		FROM consultations c WHERE c.status IN ? ORDER BY c.id DESC`, memberID, statuses).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("load progress of member %d: %w", memberID, err)
	}
	return out, nil
}
