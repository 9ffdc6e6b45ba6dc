package models

import (
	"fmt"

	"gorm.io/gorm"
)

// The current positions of a round are kept in the table current_positions,
// one row per member, question and round that has a current position,
// pointing at the revision that is that position:
//
//	current_positions(consultation_id, round, member_id, question_id, revision_id)
//
// The row is maintained by triggers on revisions, inside the transaction
// that appends the revision, whatever writes it (a save, an import, an
// approval, the demo):
//
//   - a revision that counts (state '' or approved) and answers becomes the
//     current position: the row points at it;
//   - a revision that counts and withdraws the answer removes the row (a
//     withdrawn question is not answered);
//   - a draft or a returned draft leaves the row as it is (drafts are never
//     current positions, see PendingPositions).
//
// Revisions are only appended, each with the next sequence number of its
// member, question and round, so the newest revision that counts is always
// the latest appended one. Should a revision ever be deleted or changed,
// the row of its member, question and round is computed again from the
// history. Reading the current positions of a round therefore costs one
// row per current position, however long the history grows.

// currentFrom reads current positions: the pointer table drives (CROSS
// JOIN keeps SQLite from starting from the revisions), r is the revision.
// Callers join the two in their WHERE clause (r.id = cp.revision_id: a
// CROSS JOIN takes no ON clause on PostgreSQL) and filter on
// cp.consultation_id, cp.round and cp.member_id.
const currentFrom = ` FROM current_positions cp CROSS JOIN revisions r`

// latestCounting is the definition of a current position computed from the
// history: per member and question of the round, the revision that counts
// (approved, or made without approval: see countsAsPosition) with the
// highest sequence number, unless it withdraws the answer. It walks the
// history; the pointer table is maintained to give the same rows without
// doing so (the backfill uses it, and a test compares the two).
const latestCounting = ` AND r.state IN ('', 'approved') AND r.seq = (SELECT MAX(r2.seq) FROM revisions r2
	WHERE r2.member_id = r.member_id AND r2.question_id = r.question_id AND r2.round = r.round
	AND r2.state IN ('', 'approved'))
	AND NOT r.withdrawn`

// recompute is the trigger body that computes again, from the history, the
// row of a pointer table (current_positions or pending_positions) for one
// member, question and round: definition selects the revision the row
// points at (latestCounting or latestPending); K is OLD or NEW.
func recompute(table, definition, k string) string {
	return `DELETE FROM ` + table + ` WHERE consultation_id = ` + k + `.consultation_id AND round = ` + k + `.round
		AND member_id = ` + k + `.member_id AND question_id = ` + k + `.question_id;
	INSERT INTO ` + table + ` (consultation_id, round, member_id, question_id, revision_id)
		SELECT r.consultation_id, r.round, r.member_id, r.question_id, r.id FROM revisions r
		WHERE r.member_id = ` + k + `.member_id AND r.question_id = ` + k + `.question_id AND r.round = ` + k + `.round` +
		definition + `;`
}

// pointerTable creates a table pointing, per member, question and round,
// at one revision.
func pointerTable(name string) string {
	return `CREATE TABLE IF NOT EXISTS ` + name + ` (
		consultation_id INTEGER NOT NULL,
		round INTEGER NOT NULL,
		member_id INTEGER NOT NULL,
		question_id INTEGER NOT NULL,
		revision_id INTEGER NOT NULL,
		PRIMARY KEY (consultation_id, round, member_id, question_id)
	) WITHOUT ROWID`
}

// currentSchema creates the pointer table and its triggers.
var currentSchema = []string{
	pointerTable("current_positions"),
	`CREATE TRIGGER IF NOT EXISTS current_positions_append AFTER INSERT ON revisions
	WHEN NEW.state IN ('', 'approved')
	BEGIN
		DELETE FROM current_positions WHERE consultation_id = NEW.consultation_id AND round = NEW.round
			AND member_id = NEW.member_id AND question_id = NEW.question_id;
		INSERT INTO current_positions (consultation_id, round, member_id, question_id, revision_id)
			SELECT NEW.consultation_id, NEW.round, NEW.member_id, NEW.question_id, NEW.id WHERE NOT NEW.withdrawn;
	END`,
	`CREATE TRIGGER IF NOT EXISTS current_positions_delete AFTER DELETE ON revisions
	BEGIN ` + recompute("current_positions", latestCounting, "OLD") + ` END`,
	`CREATE TRIGGER IF NOT EXISTS current_positions_update
	AFTER UPDATE OF consultation_id, round, member_id, question_id, seq, state, withdrawn ON revisions
	BEGIN ` + recompute("current_positions", latestCounting, "OLD") +
		recompute("current_positions", latestCounting, "NEW") + ` END`,
}

// The drafts awaiting approval are kept the same way, in pending_positions:
// one row per member, question and round whose latest revision is a draft
// or a returned draft, pointing at it. A draft (or a returned draft)
// appended sets the row; a revision that counts (approved, or made without
// approval) removes it, as it supersedes the draft. Reading the pending
// drafts therefore costs one row per pending draft, not the history.

// latestPending is the definition of a pending draft computed from the
// history: the latest revision of the member, question and round, when it
// is a draft or a returned draft.
const latestPending = ` AND r.state IN ('draft', 'returned') AND r.seq = (SELECT MAX(r2.seq) FROM revisions r2
	WHERE r2.member_id = r.member_id AND r2.question_id = r.question_id AND r2.round = r.round)`

// pendingSchema creates the pointer table of pending drafts and its
// triggers.
var pendingSchema = []string{
	pointerTable("pending_positions"),
	`CREATE TRIGGER IF NOT EXISTS pending_positions_append AFTER INSERT ON revisions
	BEGIN
		DELETE FROM pending_positions WHERE consultation_id = NEW.consultation_id AND round = NEW.round
			AND member_id = NEW.member_id AND question_id = NEW.question_id;
		INSERT INTO pending_positions (consultation_id, round, member_id, question_id, revision_id)
			SELECT NEW.consultation_id, NEW.round, NEW.member_id, NEW.question_id, NEW.id
			WHERE NEW.state IN ('draft', 'returned');
	END`,
	`CREATE TRIGGER IF NOT EXISTS pending_positions_delete AFTER DELETE ON revisions
	BEGIN ` + recompute("pending_positions", latestPending, "OLD") + ` END`,
	`CREATE TRIGGER IF NOT EXISTS pending_positions_update
	AFTER UPDATE OF consultation_id, round, member_id, question_id, seq, state ON revisions
	BEGIN ` + recompute("pending_positions", latestPending, "OLD") +
		recompute("pending_positions", latestPending, "NEW") + ` END`,
}

// questionnaireSchema keeps a version number per consultation that every
// change of its questions or sections raises (triggers, so that a change
// made by any writer, another process included, is seen): the save path
// and Store.Questionnaire cache a consultation's questionnaire and reload
// it when the version moves.
var questionnaireSchema = append([]string{
	`CREATE TABLE IF NOT EXISTS questionnaire_versions (
		consultation_id INTEGER PRIMARY KEY,
		version INTEGER NOT NULL DEFAULT 0
	)`,
}, append(versionTriggers("questions", "questionnaire_version"), versionTriggers("sections", "questionnaire_version_section")...)...)

// versionTriggers raises the questionnaire version of the consultation of
// every row of table inserted, updated (the old and the new consultation)
// or deleted; the triggers are named prefix_insert, _update and _delete.
func versionTriggers(table, prefix string) []string {
	bump := func(k string) string {
		return `INSERT INTO questionnaire_versions (consultation_id, version) VALUES (` + k + `.consultation_id, 1)
			ON CONFLICT (consultation_id) DO UPDATE SET version = version + 1;`
	}
	return []string{
		`CREATE TRIGGER IF NOT EXISTS ` + prefix + `_insert AFTER INSERT ON ` + table + ` BEGIN ` + bump("NEW") + ` END`,
		`CREATE TRIGGER IF NOT EXISTS ` + prefix + `_update AFTER UPDATE ON ` + table + ` BEGIN ` + bump("OLD") + bump("NEW") + ` END`,
		`CREATE TRIGGER IF NOT EXISTS ` + prefix + `_delete AFTER DELETE ON ` + table + ` BEGIN ` + bump("OLD") + ` END`,
	}
}

// The same pointer tables on PostgreSQL: a plpgsql trigger function per
// table, with the same rules, fired for each row.
var (
	currentSchemaPostgres = pointerSchemaPostgres("current_positions", latestCounting,
		"NEW.state IN ('', 'approved')", "NEW.state IN ('', 'approved') AND NOT NEW.withdrawn",
		"consultation_id, round, member_id, question_id, seq, state, withdrawn")
	pendingSchemaPostgres = pointerSchemaPostgres("pending_positions", latestPending,
		"TRUE", "NEW.state IN ('draft', 'returned')",
		"consultation_id, round, member_id, question_id, seq, state")
)

// pointerSchemaPostgres creates a pointer table and the trigger function
// that keeps it: an appended revision for which resets holds removes the
// row of its member, question and round, and one for which points holds
// then becomes the row; a deleted revision, or one whose columns named in
// updateOf change, has its row computed again from the history
// (definition, as recompute does).
func pointerSchemaPostgres(table, definition, resets, points, updateOf string) []string {
	fn := "concord_" + table
	return []string{
		pointerTablePostgres(table),
		`CREATE OR REPLACE FUNCTION ` + fn + `() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF TG_OP = 'INSERT' THEN
				IF ` + resets + ` THEN
					DELETE FROM ` + table + ` WHERE consultation_id = NEW.consultation_id AND round = NEW.round
						AND member_id = NEW.member_id AND question_id = NEW.question_id;
				END IF;
				IF ` + points + ` THEN
					INSERT INTO ` + table + ` (consultation_id, round, member_id, question_id, revision_id)
						VALUES (NEW.consultation_id, NEW.round, NEW.member_id, NEW.question_id, NEW.id);
				END IF;
				RETURN NULL;
			END IF;
			` + recompute(table, definition, "OLD") + `
			IF TG_OP = 'UPDATE' THEN
				` + recompute(table, definition, "NEW") + `
			END IF;
			RETURN NULL;
		END $$`,
		`CREATE OR REPLACE TRIGGER ` + table + `_append AFTER INSERT ON revisions
			FOR EACH ROW EXECUTE FUNCTION ` + fn + `()`,
		`CREATE OR REPLACE TRIGGER ` + table + `_delete AFTER DELETE ON revisions
			FOR EACH ROW EXECUTE FUNCTION ` + fn + `()`,
		`CREATE OR REPLACE TRIGGER ` + table + `_update AFTER UPDATE OF ` + updateOf + ` ON revisions
			FOR EACH ROW EXECUTE FUNCTION ` + fn + `()`,
	}
}

var questionnaireSchemaPostgres = []string{
	`CREATE TABLE IF NOT EXISTS questionnaire_versions (
		consultation_id BIGINT PRIMARY KEY,
		version BIGINT NOT NULL DEFAULT 0
	)`,
	`CREATE OR REPLACE FUNCTION concord_questionnaire_version() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF TG_OP IN ('UPDATE', 'DELETE') THEN
			INSERT INTO questionnaire_versions (consultation_id, version) VALUES (OLD.consultation_id, 1)
				ON CONFLICT (consultation_id) DO UPDATE SET version = questionnaire_versions.version + 1;
		END IF;
		IF TG_OP IN ('UPDATE', 'INSERT') THEN
			INSERT INTO questionnaire_versions (consultation_id, version) VALUES (NEW.consultation_id, 1)
				ON CONFLICT (consultation_id) DO UPDATE SET version = questionnaire_versions.version + 1;
		END IF;
		RETURN NULL;
	END $$`,
	`CREATE OR REPLACE TRIGGER questionnaire_version AFTER INSERT OR UPDATE OR DELETE ON questions
		FOR EACH ROW EXECUTE FUNCTION concord_questionnaire_version()`,
	`CREATE OR REPLACE TRIGGER questionnaire_version_sections AFTER INSERT OR UPDATE OR DELETE ON sections
		FOR EACH ROW EXECUTE FUNCTION concord_questionnaire_version()`,
}

// pointerTablePostgres is pointerTable for PostgreSQL (whose tables have no
// rowid to do without; IDs are 64-bit).
func pointerTablePostgres(name string) string {
	return `CREATE TABLE IF NOT EXISTS ` + name + ` (
		consultation_id BIGINT NOT NULL,
		round BIGINT NOT NULL,
		member_id BIGINT NOT NULL,
		question_id BIGINT NOT NULL,
		revision_id BIGINT NOT NULL,
		PRIMARY KEY (consultation_id, round, member_id, question_id)
	)`
}

// migrateCurrent creates the pointer table of current positions and the
// questionnaire versions. The first time (the table does not exist yet)
// the table is filled from the history, in the same transaction that
// creates the triggers, so no revision is missed; later runs only make
// sure the triggers exist.
func migrateCurrent(db *gorm.DB) error {
	return db.Transaction(func(tx *gorm.DB) error {
		exists := tx.Migrator().HasTable("current_positions")
		pendingExists := tx.Migrator().HasTable("pending_positions")
		schema := append(append(append([]string{}, currentSchema...), pendingSchema...), questionnaireSchema...)
		if isPostgres(tx) {
			schema = append(append(append([]string{}, currentSchemaPostgres...), pendingSchemaPostgres...),
				questionnaireSchemaPostgres...)
		}
		for _, stmt := range schema {
			if err := tx.Exec(stmt).Error; err != nil {
				return fmt.Errorf("create the current positions: %w", err)
			}
		}
		if !exists {
			err := tx.Exec(`INSERT INTO current_positions (consultation_id, round, member_id, question_id, revision_id)
				SELECT r.consultation_id, r.round, r.member_id, r.question_id, r.id FROM revisions r WHERE 1 = 1` + latestCounting).Error
			if err != nil {
				return fmt.Errorf("fill the current positions from the history: %w", err)
			}
		}
		if !pendingExists {
			err := tx.Exec(`INSERT INTO pending_positions (consultation_id, round, member_id, question_id, revision_id)
				SELECT r.consultation_id, r.round, r.member_id, r.question_id, r.id FROM revisions r WHERE 1 = 1` + latestPending).Error
			if err != nil {
				return fmt.Errorf("fill the pending drafts from the history: %w", err)
			}
		}
		return nil
	})
}
