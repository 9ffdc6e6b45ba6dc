package models

import (
	"context"
	"fmt"
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
		err := s.r.WithContext(ctx).Raw(revisionSelect+` WHERE r.consultation_id = ? AND r.id > ? ORDER BY r.id LIMIT ?`,
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
