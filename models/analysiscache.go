package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// AnalysisVersion tells whether the analysis of a consultation may have
// changed, cheaply enough to be read on every view of a report page, so
// that the report is computed once per change rather than once per view.
//
// Revisions are only ever appended, with increasing IDs, so a new position,
// withdrawal, approval or return shows as a higher revision ID. The
// questionnaire (questions, their wording, order, sections and section
// titles) and the roster are summed up by Questionnaire.
type AnalysisVersion struct {
	// LatestRevision is the highest revision ID of the whole database: a
	// read of the primary key's last entry, whatever the size of the
	// table. While it stays the same, no revision was written anywhere.
	//
	// On PostgreSQL concurrent saves may commit out of ID order (a
	// revision with a smaller ID committing after a larger one was seen),
	// so there it is the highest ID plus the number of revisions: each
	// revision committed raises it, whatever its ID. Counting reads the
	// primary key's index (an index-only scan), which grows with the
	// history but stays cheap beside computing an analysis.
	LatestRevision uint
	// Questionnaire fingerprints the questions and sections of the
	// consultation and the roster (a SHA-256 of their counts, IDs, order,
	// last update times and titles).
	Questionnaire string
}

// AnalysisVersion reads the version of a consultation's analysis (see
// [AnalysisVersion]) in one query of small aggregates: nothing in it grows
// with the revision history.
func (s *Store) AnalysisVersion(ctx context.Context, consultationID uint) (AnalysisVersion, error) {
	var row struct {
		LatestRevision uint
		Questions      string
		Sections       string
		Members        string
	}
	// SUM(id * ord) changes when two questions (or sections) swap places;
	// updated_at changes with every edit of a question; section titles
	// and member names are few and short, and listed whole.
	latest, list := `SELECT COALESCE(MAX(id), 0) FROM revisions`, `group_concat(%s, char(31))`
	if s.pg != nil {
		latest, list = `SELECT COALESCE(MAX(id), 0) + COUNT(*) FROM revisions`, `string_agg(%s, chr(31) ORDER BY id)`
	}
	err := s.r.WithContext(ctx).Raw(`SELECT
		(`+latest+`) AS latest_revision,
		(SELECT COUNT(*) || '/' || COALESCE(MAX(id), 0) || '/' || COALESCE(CAST(MAX(updated_at) AS TEXT), '') || '/' ||
			COALESCE(SUM(id * ord), 0) || '/' || COALESCE(SUM(id * section_id), 0) || '/' || COALESCE(SUM(id * number), 0)
			FROM questions WHERE consultation_id = ?) AS questions,
		(SELECT COUNT(*) || '/' || COALESCE(SUM(id * ord), 0) || '/' || COALESCE(`+fmt.Sprintf(list, `id || ':' || title`)+`, '')
			FROM sections WHERE consultation_id = ?) AS sections,
		(SELECT COUNT(*) || '/' || COALESCE(`+fmt.Sprintf(list, `id || ':' || code || ':' || name`)+`, '')
			FROM members) AS members`, consultationID, consultationID).Scan(&row).Error
	if err != nil {
		return AnalysisVersion{}, fmt.Errorf("read the analysis version of consultation %d: %w", consultationID, err)
	}
	sum := sha256.Sum256([]byte(row.Questions + "\x1e" + row.Sections + "\x1e" + row.Members))
	return AnalysisVersion{LatestRevision: row.LatestRevision, Questionnaire: hex.EncodeToString(sum[:])}, nil
}

// LatestRevisionOf returns the highest revision ID of a consultation (0
// without revisions; on PostgreSQL plus the consultation's number of
// revisions, see AnalysisVersion.LatestRevision). It reads the consultation's entries of an index, so
// its cost grows with the consultation's history: read it only when
// [AnalysisVersion.LatestRevision] has moved.
func (s *Store) LatestRevisionOf(ctx context.Context, consultationID uint) (uint, error) {
	var id uint
	latest := `SELECT COALESCE(MAX(id), 0) FROM revisions WHERE consultation_id = ?`
	if s.pg != nil {
		latest = `SELECT COALESCE(MAX(id), 0) + COUNT(*) FROM revisions WHERE consultation_id = ?`
	}
	err := s.r.WithContext(ctx).Raw(latest, consultationID).Scan(&id).Error
	if err != nil {
		return 0, fmt.Errorf("read the latest revision of consultation %d: %w", consultationID, err)
	}
	return id, nil
}
