package models

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// Change counters let a process cache what nearly every request reads —
// the session with its account and member, the consultation named in the
// address — and still see every change at once, whoever makes it (another
// instance, a command-line tool): triggers raise a counter on every change
// of the tables a cached value comes from, and each use of a cached value
// first reads its counter, a one-row read, instead of the join of three
// tables or the consultation's row. (SQLite drops a reader connection's
// page cache whenever another connection has committed, which under a load
// of saves is nearly always, so those reads went to their pages again on
// every request.)
//
//	change_counters(name, version)
//
// A value is cached with the counter read before it: the value is at least
// as new as that version, and a later change raises the counter, so a
// value is used only while nothing it comes from has changed since it was
// read. The versions only need to move; their numbers mean nothing.
const (
	// counterAccounts moves with every change of sessions, users and
	// members, but a new session (which no cache holds) and a session's
	// last activity being recorded (see SessionByToken).
	counterAccounts = "accounts"
	// counterConsultations moves with every change of consultations.
	counterConsultations = "consultations"
)

// sessionColumnsCounted are the columns of sessions whose change moves
// counterAccounts: all but last_seen_at (TestCounterTriggerColumns checks
// the list against the model).
var sessionColumnsCounted = []string{"id", "token_hash", "user_id", "csrf_token", "created_at", "expires_at", "user_agent"}

// counterTriggers names, per table, the counter its changes move and the
// events that move it (SQLite and PostgreSQL trigger syntax alike).
var counterTriggers = []struct{ table, counter, name, event string }{
	{"sessions", counterAccounts, "update", "UPDATE OF " + strings.Join(sessionColumnsCounted, ", ")},
	{"sessions", counterAccounts, "delete", "DELETE"},
	{"users", counterAccounts, "insert", "INSERT"},
	{"users", counterAccounts, "update", "UPDATE"},
	{"users", counterAccounts, "delete", "DELETE"},
	{"members", counterAccounts, "insert", "INSERT"},
	{"members", counterAccounts, "update", "UPDATE"},
	{"members", counterAccounts, "delete", "DELETE"},
	{"consultations", counterConsultations, "insert", "INSERT"},
	{"consultations", counterConsultations, "update", "UPDATE"},
	{"consultations", counterConsultations, "delete", "DELETE"},
}

// counterSchema creates the counters and their triggers on SQLite (one
// per row changed: SQLite has no statement triggers).
func counterSchema() []string {
	out := []string{`CREATE TABLE IF NOT EXISTS change_counters (
		name TEXT PRIMARY KEY,
		version INTEGER NOT NULL DEFAULT 0
	) WITHOUT ROWID`}
	for _, t := range counterTriggers {
		out = append(out, `CREATE TRIGGER IF NOT EXISTS `+t.table+`_counter_`+t.name+` AFTER `+t.event+` ON `+t.table+`
			BEGIN INSERT INTO change_counters (name, version) VALUES ('`+t.counter+`', 1)
				ON CONFLICT (name) DO UPDATE SET version = change_counters.version + 1; END`)
	}
	return out
}

// counterSchemaPostgres creates them on PostgreSQL, fired once per
// statement: a statement changing many rows raises its counter once.
func counterSchemaPostgres() []string {
	out := []string{`CREATE TABLE IF NOT EXISTS change_counters (
		name TEXT PRIMARY KEY,
		version BIGINT NOT NULL DEFAULT 0
	)`,
		`CREATE OR REPLACE FUNCTION concord_change_counter() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			INSERT INTO change_counters (name, version) VALUES (TG_ARGV[0], 1)
				ON CONFLICT (name) DO UPDATE SET version = change_counters.version + 1;
			RETURN NULL;
		END $$`}
	for _, t := range counterTriggers {
		out = append(out, `CREATE OR REPLACE TRIGGER `+t.table+`_counter_`+t.name+` AFTER `+t.event+` ON `+t.table+`
			FOR EACH STATEMENT EXECUTE FUNCTION concord_change_counter('`+t.counter+`')`)
	}
	return out
}

// counter reads a change counter (0 before its first change).
func (s *Store) counter(ctx context.Context, name string) (int64, error) {
	var version int64
	rows, err := rawQuery(s.r.WithContext(ctx), `SELECT COALESCE((SELECT version FROM change_counters WHERE name = ?), 0)`, name)
	if err == nil {
		err = scanOne(rows, &version)
	}
	if err != nil {
		return 0, fmt.Errorf("read the %s change counter: %w", name, err)
	}
	return version, nil
}

// migrateCounters creates the change counters and their triggers.
func migrateCounters(db *gorm.DB) error {
	schema := counterSchema()
	if isPostgres(db) {
		schema = counterSchemaPostgres()
	}
	for _, stmt := range schema {
		if err := db.Exec(stmt).Error; err != nil {
			return fmt.Errorf("create the change counters: %w", err)
		}
	}
	return nil
}
