package models

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// A copy moves a whole database from one store to another, across
// backends (SQLite to PostgreSQL and back, or SQLite to SQLite): every
// row of every base table, with its ID and every column as stored —
// times in UTC, booleans, NULLs — so that the target serves exactly what
// the source served, the audit chain verifies on it, and sessions, tokens
// and invitations keep working.
//
// The tables derived from others are not copied: the target's own
// triggers fill them as the base rows are inserted (current_positions and
// pending_positions from revisions, questionnaire_versions from
// questions, change_counters from the tables they count), and the copy
// then checks that the current and pending positions match the source's.

// copyTables lists every base table, as its model, in the order a copy
// inserts them: each after the tables its rows refer to. A table missing
// here would be silently left behind: a test checks that every table of
// the migrated schema is in this list or in derivedTables.
var copyTables = []any{
	&Member{}, &User{},
	&Consultation{}, &Section{}, &Question{}, &RoundRecord{},
	&Revision{}, &HiddenRationale{},
	&Session{}, &Invitation{}, &APIToken{}, &LoginFailure{}, &KnownAddress{},
	&Draft{}, &DraftVersion{}, &Paragraph{}, &Procedure{}, &ProcedureAction{},
	&AuditEvent{}, &AuditLink{},
}

// derivedTables are kept by triggers from the base tables (current.go,
// counters.go).
var derivedTables = []string{"current_positions", "pending_positions", "questionnaire_versions", "change_counters"}

// comparedDerived are the derived tables whose rows must be the same in
// the copy as in the source. questionnaire_versions and change_counters
// are not among them: their numbers only need to move when what they
// count changes, and the copy starts them afresh.
var comparedDerived = []string{"current_positions", "pending_positions"}

// copyBatch is how many rows a copy reads, and inserts, at a time: a large
// database is never held in memory.
const copyBatch = 500

// copyMaxVars bounds the values of one INSERT (SQLite accepts 32,766,
// PostgreSQL 65,535).
const copyMaxVars = 10000

// TableCount is the number of rows of one table.
type TableCount struct {
	Table string
	Rows  int64
}

// CopyReport says what a copy wrote.
type CopyReport struct {
	// Tables are the base tables, in the order copied, with the rows
	// copied (the same number as in the source: the copy checks it).
	Tables []TableCount
	// Derived are the tables the target's triggers filled from them.
	Derived []TableCount
}

// Rows is the number of rows copied, derived tables left out.
func (r *CopyReport) Rows() int64 {
	var n int64
	for _, t := range r.Tables {
		n += t.Rows
	}
	return n
}

// TargetNotEmptyError is the refusal to copy into a database that already
// holds rows: a copy never merges two databases.
type TargetNotEmptyError struct {
	Tables []TableCount // the tables holding rows, with their counts
}

// shownFullTables is how many of the tables holding rows the message of a
// TargetNotEmptyError names.
const shownFullTables = 3

func (e *TargetNotEmptyError) Error() string {
	var parts []string
	for _, t := range e.Tables[:min(len(e.Tables), shownFullTables)] {
		parts = append(parts, fmt.Sprintf("%d %s in %s", t.Rows, pluralRows(t.Rows), t.Table))
	}
	list := strings.Join(parts, ", ")
	if more := len(e.Tables) - shownFullTables; more == 1 {
		list += " and rows in 1 more table"
	} else if more > 1 {
		list += fmt.Sprintf(" and rows in %d more tables", more)
	}
	return "the target database already holds data: " + list + "; copy only into a new, empty database"
}

func pluralRows(n int64) string {
	if n == 1 {
		return "row"
	}
	return "rows"
}

// CopyTableNames returns the tables a copy writes, in order, and the
// derived tables it lets the target's triggers fill.
func CopyTableNames() (copied, derived []string, err error) {
	specs, err := copySpecs()
	if err != nil {
		return nil, nil, err
	}
	for _, t := range specs {
		copied = append(copied, t.table)
	}
	return copied, append([]string(nil), derivedTables...), nil
}

// Tables lists the tables of the database, sorted (SQLite's own
// bookkeeping tables left out).
func (s *Store) Tables(ctx context.Context) ([]string, error) {
	all, err := s.r.WithContext(ctx).Migrator().GetTables()
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var out []string
	for _, t := range all {
		if !strings.HasPrefix(t, "sqlite_") {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out, nil
}

// CopyDatabase copies every row of src into dst, whose schema must be
// migrated and whose tables must all be empty (else a
// *TargetNotEmptyError). It reads src in one snapshot (a read
// transaction) and writes dst in one transaction: either the whole
// database is copied or nothing is. Each table is copied in batches in
// primary-key order, IDs kept; on PostgreSQL each ID sequence is then set
// past the largest ID copied, so that new rows do not collide with copied
// ones. Before committing, the copy compares the number of rows of every
// table, and the current and pending positions, with the source.
func CopyDatabase(ctx context.Context, src, dst *Store) (*CopyReport, error) {
	specs, err := copySpecs()
	if err != nil {
		return nil, err
	}
	var report *CopyReport
	err = src.r.WithContext(ctx).Transaction(func(rtx *gorm.DB) error {
		return dst.w.WithContext(ctx).Transaction(func(wtx *gorm.DB) error {
			report = &CopyReport{}
			if err := requireEmpty(wtx, specs); err != nil {
				return err
			}
			for _, t := range specs {
				n, err := t.copy(rtx, wtx)
				if err != nil {
					return err
				}
				report.Tables = append(report.Tables, TableCount{Table: t.table, Rows: n})
			}
			if isPostgres(wtx) {
				if err := resetSequences(wtx, specs); err != nil {
					return err
				}
			}
			return compareCopy(rtx, wtx, report)
		})
	}, snapshot(src.r))
	if err != nil {
		return nil, fmt.Errorf("copy database: %w", err)
	}
	return report, nil
}

// snapshot is how the source is read: on PostgreSQL a read-only
// transaction at REPEATABLE READ, which sees one snapshot throughout;
// SQLite's read transaction sees one snapshot (of its WAL) as it is.
func snapshot(db *gorm.DB) *sql.TxOptions {
	if isPostgres(db) {
		return &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	return nil
}

// copySpec is how one table is copied: its columns, read and written as
// the model declares them.
type copySpec struct {
	table  string
	pk     string
	autoID bool // the primary key is an ID the database assigns
	cols   []*schema.Field
}

// copySpecs parses the models of copyTables.
func copySpecs() ([]copySpec, error) {
	out := make([]copySpec, 0, len(copyTables))
	cache := &sync.Map{}
	for _, m := range copyTables {
		sch, err := schema.Parse(m, cache, schema.NamingStrategy{})
		if err != nil {
			return nil, fmt.Errorf("read the model of %T: %w", m, err)
		}
		pk := sch.PrioritizedPrimaryField
		if pk == nil || len(sch.PrimaryFields) != 1 {
			return nil, fmt.Errorf("copy %s: the table needs a primary key of one column", sch.Table)
		}
		spec := copySpec{table: sch.Table, pk: pk.DBName, autoID: pk.AutoIncrement}
		for _, name := range sch.DBNames {
			f := sch.FieldsByDBName[name]
			if _, err := scanTarget(f); err != nil {
				return nil, fmt.Errorf("copy %s: %w", sch.Table, err)
			}
			spec.cols = append(spec.cols, f)
		}
		out = append(out, spec)
	}
	return out, nil
}

// scanTarget returns a new value to scan a column of field into: a
// nullable type, so that NULL stays NULL.
func scanTarget(f *schema.Field) (any, error) {
	switch f.DataType {
	case schema.Bool:
		return new(sql.NullBool), nil
	case schema.Int, schema.Uint:
		return new(sql.NullInt64), nil
	case schema.Float:
		return new(sql.NullFloat64), nil
	case schema.String:
		return new(sql.NullString), nil
	case schema.Time:
		return new(sql.NullTime), nil
	case schema.Bytes:
		return new([]byte), nil
	}
	return nil, fmt.Errorf("column %s has the type %q, which the copy does not know", f.DBName, f.DataType)
}

// plainValue is the value scanned into target, as passed to an INSERT:
// nil for NULL, times in UTC.
func plainValue(target any) any {
	switch v := target.(type) {
	case *sql.NullBool:
		if v.Valid {
			return v.Bool
		}
	case *sql.NullInt64:
		if v.Valid {
			return v.Int64
		}
	case *sql.NullFloat64:
		if v.Valid {
			return v.Float64
		}
	case *sql.NullString:
		if v.Valid {
			return v.String
		}
	case *sql.NullTime:
		if v.Valid {
			return v.Time.UTC()
		}
	case *[]byte:
		if *v != nil {
			return *v
		}
	}
	return nil
}

// quoteList quotes each column name for db's dialect and joins them.
func quoteList(db *gorm.DB, cols []*schema.Field) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = db.Statement.Quote(c.DBName)
	}
	return strings.Join(names, ", ")
}

// copy copies the table's rows from rtx to wtx, copyBatch at a time in
// primary-key order, and returns how many it copied.
func (t *copySpec) copy(rtx, wtx *gorm.DB) (int64, error) {
	read := "SELECT " + quoteList(rtx, t.cols) + " FROM " + rtx.Statement.Quote(t.table) +
		" WHERE " + rtx.Statement.Quote(t.pk) + " > ? ORDER BY " + rtx.Statement.Quote(t.pk) + " LIMIT ?"
	pkIndex := -1
	for i, c := range t.cols {
		if c.DBName == t.pk {
			pkIndex = i
		}
	}
	var copied int64
	last := int64(-1)
	for {
		batch, err := t.readBatch(rtx, read, last)
		if err != nil {
			return copied, err
		}
		if len(batch) == 0 {
			return copied, nil
		}
		if err := t.insert(wtx, batch); err != nil {
			return copied, err
		}
		copied += int64(len(batch))
		id, ok := batch[len(batch)-1][pkIndex].(int64)
		if !ok {
			return copied, fmt.Errorf("copy %s: a row has no %s", t.table, t.pk)
		}
		last = id
		if len(batch) < copyBatch {
			return copied, nil
		}
	}
}

// readBatch reads the next rows after the primary key last.
func (t *copySpec) readBatch(rtx *gorm.DB, read string, last int64) ([][]any, error) {
	rows, err := rtx.Raw(read, last, copyBatch).Rows()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", t.table, err)
	}
	defer rows.Close()
	var batch [][]any
	targets := make([]any, len(t.cols))
	for rows.Next() {
		for i, c := range t.cols {
			targets[i], _ = scanTarget(c) // every column's type was checked by copySpecs
		}
		if err := rows.Scan(targets...); err != nil {
			return nil, fmt.Errorf("read %s: %w", t.table, err)
		}
		row := make([]any, len(t.cols))
		for i := range targets {
			row[i] = plainValue(targets[i])
		}
		batch = append(batch, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", t.table, err)
	}
	return batch, rows.Close()
}

// insert writes rows, as many per INSERT as copyMaxVars allows.
func (t *copySpec) insert(wtx *gorm.DB, rows [][]any) error {
	head := "INSERT INTO " + wtx.Statement.Quote(t.table) + " (" + quoteList(wtx, t.cols) + ") VALUES "
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(t.cols)), ", ") + ")"
	per := max(1, copyMaxVars/len(t.cols))
	for from := 0; from < len(rows); from += per {
		chunk := rows[from:min(from+per, len(rows))]
		var b strings.Builder
		b.WriteString(head)
		args := make([]any, 0, len(chunk)*len(t.cols))
		for i, row := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(one)
			args = append(args, row...)
		}
		if err := wtx.Exec(b.String(), args...).Error; err != nil {
			return fmt.Errorf("write %s: %w", t.table, err)
		}
	}
	return nil
}

// countRows counts the rows of a table.
func countRows(db *gorm.DB, table string) (int64, error) {
	var n int64
	if err := db.Raw("SELECT COUNT(*) FROM " + db.Statement.Quote(table)).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("count the rows of %s: %w", table, err)
	}
	return n, nil
}

// RequireEmpty returns a *TargetNotEmptyError when any table of the
// database holds a row: a copy may go into it. A database without tables
// (a new file, a new PostgreSQL database) is empty.
func (s *Store) RequireEmpty(ctx context.Context) error {
	specs, err := copySpecs()
	if err != nil {
		return err
	}
	return requireEmpty(s.r.WithContext(ctx), specs)
}

// requireEmpty refuses a database with a row in any table: Concord's, in
// the order of a copy, then any other. The change counters are not data:
// they keep counting after the rows they counted are gone.
func requireEmpty(db *gorm.DB, specs []copySpec) error {
	present, err := db.Migrator().GetTables()
	if err != nil {
		return fmt.Errorf("check that the target is empty: list tables: %w", err)
	}
	var order []string
	for _, t := range specs {
		order = append(order, t.table)
	}
	order = append(order, derivedTables...)
	var others []string
	for _, t := range present {
		if !strings.HasPrefix(t, "sqlite_") && !slices.Contains(order, t) {
			others = append(others, t)
		}
	}
	sort.Strings(others)
	var full []TableCount
	for _, table := range append(order, others...) {
		if !slices.Contains(present, table) || table == "change_counters" {
			continue
		}
		n, err := countRows(db, table)
		if err != nil {
			return fmt.Errorf("check that the target is empty: %w", err)
		}
		if n > 0 {
			full = append(full, TableCount{Table: table, Rows: n})
		}
	}
	if len(full) > 0 {
		return &TargetNotEmptyError{Tables: full}
	}
	return nil
}

// resetSequences sets, on PostgreSQL, the sequence of every table's ID
// past the largest ID copied: the next row inserted gets the next ID.
func resetSequences(wtx *gorm.DB, specs []copySpec) error {
	for _, t := range specs {
		if !t.autoID {
			continue
		}
		table, pk := wtx.Statement.Quote(t.table), wtx.Statement.Quote(t.pk)
		err := wtx.Exec(`SELECT setval(pg_get_serial_sequence(?, ?), MAX(`+pk+`)) FROM `+table+
			` HAVING MAX(`+pk+`) IS NOT NULL`, t.table, t.pk).Error
		if err != nil {
			return fmt.Errorf("set the ID sequence of %s: %w", t.table, err)
		}
	}
	return nil
}

// CopyMismatchError is a copy whose target does not hold what the source
// holds; nothing was copied (the copy's transaction was rolled back).
type CopyMismatchError struct {
	Table string
	// What differs: "rows" (the number of rows) or "revisions" (the sum of
	// the revisions a pointer table points at: same count, other rows).
	What           string
	Source, Target int64
}

func (e *CopyMismatchError) Error() string {
	return fmt.Sprintf("%s differs between the source and the copy (%s: %d in the source, %d in the copy); nothing was copied",
		e.Table, e.What, e.Source, e.Target)
}

// compareCopy counts the rows of every copied table in the target and in
// the source, checks that the current and pending positions point at the
// same revisions in both, and fills the report's derived counts. A
// difference is a *CopyMismatchError.
func compareCopy(rtx, wtx *gorm.DB, report *CopyReport) error {
	for _, t := range report.Tables {
		s, err := countRows(rtx, t.Table)
		if err != nil {
			return err
		}
		d, err := countRows(wtx, t.Table)
		if err != nil {
			return err
		}
		if s != d {
			return &CopyMismatchError{Table: t.Table, What: "rows", Source: s, Target: d}
		}
	}
	for _, table := range derivedTables {
		d, err := countRows(wtx, table)
		if err != nil {
			return err
		}
		report.Derived = append(report.Derived, TableCount{Table: table, Rows: d})
		if !slices.Contains(comparedDerived, table) {
			continue
		}
		s, err := countRows(rtx, table)
		if err != nil {
			return err
		}
		if s != d {
			return &CopyMismatchError{Table: table, What: "rows", Source: s, Target: d}
		}
		sumS, err := sumRevisions(rtx, table)
		if err != nil {
			return err
		}
		sumD, err := sumRevisions(wtx, table)
		if err != nil {
			return err
		}
		if sumS != sumD {
			return &CopyMismatchError{Table: table, What: "revisions", Source: sumS, Target: sumD}
		}
	}
	return nil
}

// sumRevisions is the sum of the revision IDs a pointer table holds: with
// the count, a cheap check that two pointer tables point at the same
// revisions.
func sumRevisions(db *gorm.DB, table string) (int64, error) {
	var n int64
	if err := db.Raw("SELECT COALESCE(SUM(revision_id), 0) FROM " + db.Statement.Quote(table)).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("sum the revisions of %s: %w", table, err)
	}
	return n, nil
}
