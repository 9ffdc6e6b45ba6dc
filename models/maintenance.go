package models

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gorm.io/gorm"
)

// AuditAccountCreated: an account created directly on the server's
// machine (concord user create -password-stdin), not from an invitation.
const AuditAccountCreated = "account.created"

// CreateAccountByCommand creates an account from the command line and
// records it in the audit log, in one transaction. The username, name and
// password follow the rules of the invitation form (CheckAccount); a
// delegate names its member and only a delegate can be the head of
// delegation. The audit event has no acting user: it was the operator of
// the server's machine.
func (s *Store) CreateAccountByCommand(ctx context.Context, nu NewUser) (*User, error) {
	in := AccountInput{Username: nu.Username, Name: nu.Name, Password: nu.Password, Confirm: nu.Password}
	if msgs := s.CheckAccount(&in); msgs != nil {
		return nil, &ValidationError{Fields: msgs}
	}
	if nu.Approver && nu.Role != RoleDelegate {
		return nil, &ValidationError{Fields: map[string]string{"approver": "Only a delegate can be the head of delegation."}}
	}
	nu.Username, nu.Name = in.Username, in.Name
	var u *User
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if u, err = s.createUser(tx, nu); err != nil {
			return err
		}
		var m *Member
		if u.MemberID != nil {
			m = &Member{}
			if err := tx.First(m, *u.MemberID).Error; err != nil {
				return fmt.Errorf("load member %d: %w", *u.MemberID, err)
			}
		}
		detail := "created on the command line as " + describeRole(u.Role, m)
		if u.Approver {
			detail += " (head of delegation)"
		}
		return tx.Create(&AuditEvent{At: s.Now(), MemberID: u.MemberID, Action: AuditAccountCreated,
			Subject: "account " + u.Username, Detail: detail}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("create account %s: %w", nu.Username, err)
	}
	return u, nil
}

// Backup writes a consistent copy of the database at src to the new file
// dest with VACUUM INTO, while other connections (a running server) keep
// reading and writing: the copy is the database as of one moment, holding
// every transaction committed before the copy began. It uses its own
// read-only connection and never changes src. dest must not exist. The copy
// is synced to disk before Backup returns. It returns the copy's size in
// bytes.
func Backup(ctx context.Context, src, dest string) (int64, error) {
	if _, err := os.Stat(src); err != nil {
		return 0, fmt.Errorf("back up %s: %w", src, err)
	}
	// Claim dest first: O_EXCL refuses an existing file, and the copy is
	// readable by its owner only (it holds password hashes). VACUUM INTO
	// writes into an empty file.
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("back up to %s: %w", dest, err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("back up to %s: %w", dest, err)
	}
	if err := vacuumInto(ctx, src, dest); err != nil {
		return 0, errors.Join(err, os.Remove(dest))
	}
	// VACUUM INTO does not sync what it wrote: do it, so that a backup
	// reported as made survives a power cut.
	size, err := syncFile(dest)
	if err != nil {
		return 0, fmt.Errorf("back up to %s: %w", dest, err)
	}
	if err := SyncDir(filepath.Dir(dest)); err != nil {
		return 0, fmt.Errorf("back up to %s: %w", dest, err)
	}
	return size, nil
}

// vacuumInto copies src into the empty file dest through a read-only
// connection of its own.
func vacuumInto(ctx context.Context, src, dest string) error {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("_busy_timeout", "10000")
	db, err := openGorm(sqliteURI(src, q), 1)
	if err != nil {
		return fmt.Errorf("open %s to back it up: %w", src, err)
	}
	defer closeGorm(db)
	if err := db.WithContext(ctx).Exec("VACUUM INTO ?", dest).Error; err != nil {
		return fmt.Errorf("back up %s to %s: %w", src, dest, err)
	}
	return nil
}

// syncFile flushes a file to disk and returns its size.
func syncFile(path string) (int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("sync %s: %w", path, err)
	}
	info, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return info.Size(), f.Close()
}

// SyncDir flushes a folder's entries (a new or renamed file) to disk.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}

// IntegrityReport is what CheckIntegrity found. A sound database has no
// problem of any kind.
type IntegrityReport struct {
	// Integrity lists what PRAGMA integrity_check found (damaged pages,
	// indexes that disagree with their table, …); empty when it said ok.
	Integrity []string
	// ForeignKeys lists the rows that refer to a row that does not exist,
	// from PRAGMA foreign_key_check.
	ForeignKeys []ForeignKeyViolation
	// MissingTables lists the tables every Concord database has that this
	// one lacks: the file is not a Concord database, or a damaged one.
	MissingTables []string
	// Unreadable is SQLite's message when the file is too damaged for the
	// checks to run at all, or is not a database; "" otherwise.
	Unreadable string
}

// ForeignKeyViolation is a row that refers to a missing row.
type ForeignKeyViolation struct {
	Table  string
	RowID  int64
	Parent string
}

func (v ForeignKeyViolation) String() string {
	return fmt.Sprintf("row %d of %s refers to a row of %s that does not exist", v.RowID, v.Table, v.Parent)
}

// OK reports whether the database passed every check.
func (r *IntegrityReport) OK() bool {
	return len(r.Integrity) == 0 && len(r.ForeignKeys) == 0 && len(r.MissingTables) == 0 && r.Unreadable == ""
}

// Problems lists every problem in words, one per item.
func (r *IntegrityReport) Problems() []string {
	var out []string
	if r.Unreadable != "" {
		out = append(out, "SQLite cannot read the file: "+r.Unreadable)
	}
	for _, t := range r.MissingTables {
		out = append(out, "the table "+t+" is missing: this is not a Concord database, or it is damaged")
	}
	for _, p := range r.Integrity {
		out = append(out, "integrity check: "+p)
	}
	for _, v := range r.ForeignKeys {
		out = append(out, "foreign key: "+v.String())
	}
	return out
}

// coreTables are tables every Concord database has had from its first
// version.
var coreTables = []string{"members", "consultations", "questions", "revisions", "users", "audit_events"}

// CheckDatabaseFile opens the database file at path read-only and runs
// CheckIntegrity on it. A file too damaged to open, or that is not a
// database, is a report with Unreadable set, not an error.
func CheckDatabaseFile(ctx context.Context, path string) (_ *IntegrityReport, err error) {
	s, err := OpenReadOnly(path)
	if err != nil {
		if msg, ok := unreadable(err); ok {
			return &IntegrityReport{Unreadable: msg}, nil
		}
		return nil, err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	return s.CheckIntegrity(ctx)
}

// CheckIntegrity runs SQLite's PRAGMA integrity_check (every page, index
// and constraint of the file) and PRAGMA foreign_key_check (every
// reference between rows), and checks that the core tables exist. It only
// reads, so it may run on a Store from OpenReadOnly, beside a running
// server. A file too damaged for the checks to run is a report with
// Unreadable set, not an error.
func (s *Store) CheckIntegrity(ctx context.Context) (*IntegrityReport, error) {
	var r IntegrityReport
	err := s.checkIntegrity(ctx, &r)
	if msg, ok := unreadable(err); ok {
		return &IntegrityReport{Unreadable: msg, Integrity: r.Integrity}, nil
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// unreadable tells whether err is SQLite's refusal to read a damaged file
// (SQLITE_CORRUPT) or a file that is not a database (SQLITE_NOTADB), and
// returns SQLite's message. SQLite words these two errors always the same.
func unreadable(err error) (string, bool) {
	if err == nil {
		return "", false
	}
	for _, msg := range []string{"database disk image is malformed", "file is not a database"} {
		if strings.Contains(err.Error(), msg) {
			return msg, true
		}
	}
	return "", false
}

func (s *Store) checkIntegrity(ctx context.Context, r *IntegrityReport) error {
	if s.pg != nil {
		return s.checkPostgres(ctx, r)
	}
	db := s.r.WithContext(ctx)
	var integrity []string
	if err := db.Raw("PRAGMA integrity_check").Scan(&integrity).Error; err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	for _, row := range integrity {
		for line := range strings.SplitSeq(row, "\n") {
			line = strings.TrimSpace(line)
			if line != "ok" && line != "" && !strings.HasPrefix(line, "*** in database") {
				r.Integrity = append(r.Integrity, line)
			}
		}
	}
	for _, t := range coreTables {
		var n int
		if err := db.Raw("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", t).Scan(&n).Error; err != nil {
			return fmt.Errorf("check the tables: %w", err)
		}
		if n == 0 {
			r.MissingTables = append(r.MissingTables, t)
		}
	}
	rows, err := db.Raw("PRAGMA foreign_key_check").Rows()
	if err != nil {
		return fmt.Errorf("foreign-key check: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v ForeignKeyViolation
		var rowID *int64 // NULL for a table without a rowid
		var fkid int
		if err := rows.Scan(&v.Table, &rowID, &v.Parent, &fkid); err != nil {
			return fmt.Errorf("foreign-key check: %w", err)
		}
		if rowID != nil {
			v.RowID = *rowID
		}
		r.ForeignKeys = append(r.ForeignKeys, v)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("foreign-key check: %w", err)
	}
	return nil
}

// checkPostgres is the check of a PostgreSQL database. The server keeps
// its own pages and enforces foreign keys itself (its checksums and
// amcheck are the administrator's tools), so what is checked here is
// Concord's part: the core tables exist, and the pointer tables of current
// positions and pending drafts agree with the history they are kept from
// (any difference is listed as an integrity problem).
func (s *Store) checkPostgres(ctx context.Context, r *IntegrityReport) error {
	db := s.r.WithContext(ctx)
	for _, t := range coreTables {
		if !db.Migrator().HasTable(t) {
			r.MissingTables = append(r.MissingTables, t)
		}
	}
	if len(r.MissingTables) > 0 {
		return nil
	}
	for _, c := range []struct{ table, definition string }{
		{"current_positions", latestCounting}, {"pending_positions", latestPending},
	} {
		var n int64
		err := db.Raw(`SELECT COUNT(*) FROM (
			(SELECT consultation_id, round, member_id, question_id, revision_id FROM ` + c.table + `
			EXCEPT SELECT r.consultation_id, r.round, r.member_id, r.question_id, r.id FROM revisions r WHERE 1 = 1` + c.definition + `)
			UNION ALL
			(SELECT r.consultation_id, r.round, r.member_id, r.question_id, r.id FROM revisions r WHERE 1 = 1` + c.definition + `
			EXCEPT SELECT consultation_id, round, member_id, question_id, revision_id FROM ` + c.table + `)) d`).Scan(&n).Error
		if err != nil {
			return fmt.Errorf("check %s: %w", c.table, err)
		}
		if n > 0 {
			r.Integrity = append(r.Integrity, fmt.Sprintf("%s disagrees with the history in %d rows", c.table, n))
		}
	}
	return nil
}
