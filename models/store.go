package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Errors the Store returns; handlers map them to status codes.
var (
	ErrNotFound = errors.New("not found")
	// ErrConflict: the request is well-formed but clashes with the stored
	// state (duplicate key, positions that a change would invalidate, …).
	ErrConflict = errors.New("conflict")
	// ErrClosed: the consultation does not accept positions now.
	ErrClosed = errors.New("consultation is not accepting positions")
)

// ValidationError carries a message per invalid field.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k, v := range e.Fields {
		keys = append(keys, k+": "+v)
	}
	return "invalid input: " + strings.Join(keys, "; ")
}

// ConflictError explains a conflict in words a user can act on.
type ConflictError struct {
	Field   string
	Message string
}

func (e *ConflictError) Error() string { return e.Message }
func (e *ConflictError) Unwrap() error { return ErrConflict }

// Store owns the database. On SQLite, writes go through a single
// connection, so concurrent writers queue in Go instead of failing with
// "database is locked"; reads use a separate pool and see WAL snapshots.
// Saves of positions go through the group writer (groupcommit.go), which
// shares one durable commit among the saves waiting. On PostgreSQL one
// pool serves both, and advisory locks keep the writes in order across
// instances (postgres.go).
type Store struct {
	w  *gorm.DB
	r  *gorm.DB
	gw *groupWriter
	// pg holds what only a PostgreSQL store has (nil on SQLite): see
	// postgres.go.
	pg *pgState
	// questionnaires caches Store.Questionnaire by questionnaire version;
	// its questionnaires are never handed out, only copies of them.
	questionnaires versionCache[uint, *Questionnaire]
	// sessions caches a session with its account by token hash, and
	// consultations a consultation by key, under change counters (see
	// counters.go); neither is handed out, only copies.
	sessions      versionCache[string, sessionWithAccount]
	consultations versionCache[string, *Consultation]
	validate      *validator.Validate
	now           func() time.Time
	// bcryptCost is the password hashing cost; 0 means bcrypt.DefaultCost.
	bcryptCost int
}

// Options are the settings of a store; the zero value is the defaults.
type Options struct {
	// MaxConns is the most connections the store opens to a PostgreSQL
	// server (default 10). SQLite ignores it: its writer is one connection
	// and its readers are eight.
	MaxConns int
	// StatementTimeout ends a PostgreSQL statement that runs longer
	// (default 60 s; negative: no limit). SQLite ignores it.
	StatementTimeout time.Duration
	// readOnly opens a PostgreSQL store whose transactions are all
	// read-only (OpenReadOnly).
	readOnly bool
}

// Open opens the database named by dsn: a PostgreSQL URL (postgres://… or
// postgresql://…, see IsPostgresDSN) or else the path of a SQLite file,
// created if needed. The store is not migrated: see Migrate.
func Open(dsn string) (*Store, error) { return OpenWith(dsn, Options{}) }

// OpenWith is Open with settings.
func OpenWith(dsn string, o Options) (*Store, error) {
	if IsPostgresDSN(dsn) {
		return openPostgres(dsn, o)
	}
	return openSQLite(dsn)
}

// Backend names the kind of database the store runs on: "sqlite" or
// "postgres".
func (s *Store) Backend() string {
	if s.pg != nil {
		return BackendPostgres
	}
	return BackendSQLite
}

// The backends a store runs on.
const (
	BackendSQLite   = "sqlite"
	BackendPostgres = "postgres"
)

// openSQLite opens (creating if needed) the SQLite database at path.
func openSQLite(path string) (*Store, error) {
	writer, err := openGorm(storeURI(path, SynchronousFull, true), 1)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	reader, err := openGorm(storeURI(path, SynchronousFull, false), 8)
	if err != nil {
		closeGorm(writer)
		return nil, fmt.Errorf("open database %s for reading: %w", path, err)
	}
	s := &Store{w: writer, r: reader, validate: NewValidator(), now: time.Now}
	s.gw = startGroupWriter(s)
	return s, nil
}

// SQLite synchronous settings: FULL is the Store's (an acknowledged
// commit survives power loss); NORMAL exists for comparisons only (in WAL
// mode a commit may be lost on power loss, though not on a crash of the
// process).
const (
	SynchronousFull   = "FULL"
	SynchronousNormal = "NORMAL"
)

// storeURI is the URI the Store opens the database at path with: WAL,
// foreign keys, a busy timeout and the given synchronous setting; the
// writer takes its lock when a transaction begins (_txlock=immediate, so a
// transaction never fails half-way on an upgrade from read to write), the
// readers are read-only.
func storeURI(path, synchronous string, writer bool) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	q.Set("_synchronous", synchronous)
	if writer {
		// The writer keeps more of the database in memory than SQLite's
		// default 2 MB: a save touches the indexes of revisions and
		// audit events, which grow with the history.
		q.Set("_cache_size", "-32000")
		q.Set("_txlock", "immediate")
	} else {
		q.Set("_txlock", "deferred")
		q.Set("_query_only", "true")
	}
	return sqliteURI(path, q)
}

// sqliteURI is the URI that opens the database file at path with the
// options of q. The characters that end or escape a URI's path (?, #, %)
// are escaped, so that a path holding them names that very file rather
// than a shorter one.
func sqliteURI(path string, q url.Values) string {
	escaped := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(filepath.Clean(path))
	return "file:" + escaped + "?" + q.Encode()
}

// openGorm opens a pool of at most maxConns connections.
func openGorm(dsn string, maxConns int) (*gorm.DB, error) {
	db, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{
		Logger:         logger.Discard,
		NowFunc:        func() time.Time { return time.Now().UTC() },
		TranslateError: true,
		// Statements are prepared once per connection and kept (the most
		// used ones: a page or a save runs the same few every time).
		PrepareStmt:        true,
		PrepareStmtMaxSize: 512,
		PrepareStmtTTL:     time.Hour,
	})
	if err != nil {
		return nil, err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(maxConns)
	// Every connection the pool opens stays open: a connection closed
	// when more than the default two are idle is opened again at the next
	// burst of requests, its settings applied and every statement it runs
	// prepared anew.
	sqlDB.SetMaxIdleConns(maxConns)
	return db, nil
}

// promotePrepared prepares on db's pool the statements gorm has cached as
// a transaction's. gorm caches a statement first met inside a transaction
// as bound to that transaction, and database/sql prepares such a statement
// again on each later use in a transaction (Tx.StmtContext re-prepares a
// statement bound to a transaction): the statements of a save, met only
// in transactions, would be compiled anew on every save. Prepared on the
// pool, a transaction reuses the statement its connection has compiled.
// It must run outside db's transactions (it may wait for a connection of
// the pool); it holds no lock of the cache while it waits, so that a
// transaction of another goroutine meeting the statement goes on with the
// one cached. Once every cached statement is the pool's it prepares
// nothing. It does nothing when db caches no statements (PostgreSQL).
func promotePrepared(ctx context.Context, db *gorm.DB) {
	p, ok := db.ConnPool.(*gorm.PreparedStmtDB)
	if !ok {
		return
	}
	for _, key := range p.Stmts.Keys() {
		st, ok := p.Stmts.Get(key)
		if !ok || st == nil || !st.Transaction {
			continue
		}
		stmt, err := p.ConnPool.PrepareContext(ctx, key)
		if err != nil {
			continue // the statement stays as it was, prepared on each use
		}
		p.Mux.Lock()
		if cur, ok := p.Stmts.Get(key); !ok || cur != st {
			p.Mux.Unlock()
			stmt.Close()
			continue
		}
		// New unlocks Mux and caches the statement prepared above.
		_, _ = p.Stmts.New(ctx, key, false, preparedStmt{stmt}, p.Mux)
	}
}

// preparedStmt hands a statement already prepared to gorm's cache.
type preparedStmt struct{ stmt *sql.Stmt }

func (p preparedStmt) PrepareContext(context.Context, string) (*sql.Stmt, error) {
	return p.stmt, nil
}

func closeGorm(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Close stops taking saves, lets the writer finish those already queued
// (each is answered), then closes the connection pools.
func (s *Store) Close() error {
	s.gw.close()
	if s.pg != nil {
		return s.pg.close()
	}
	return errors.Join(closeGorm(s.r), closeGorm(s.w))
}

// SetClock replaces the store's clock (tests of deadlines and expiry).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Now is the store's current time, in UTC.
func (s *Store) Now() time.Time { return s.now().UTC() }

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.WithContext(ctx).Raw("SELECT 1").Scan(&one).Error; err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	if one != 1 {
		return errors.New("ping database: unexpected answer")
	}
	return nil
}

// Migrate brings the schema up to date. It is called once, from main. On
// PostgreSQL it runs in one transaction holding the store's write lock
// (see postgres.go), so that of several instances starting at once one
// migrates and the others then find the schema in place.
func (s *Store) Migrate(ctx context.Context) error {
	if s.pg != nil {
		return s.w.WithContext(ctx).Transaction(migrate)
	}
	return migrate(s.w.WithContext(ctx))
}

// retiredIndexes are indexes of earlier versions that every save paid for
// and nothing needs any more (see AuditEvent and Revision); Migrate drops
// them.
var retiredIndexes = []string{"idx_audit_events_user_id", "idx_audit_events_member_id", "idx_rev_current"}

func migrate(db *gorm.DB) error {
	err := db.AutoMigrate(
		&Member{}, &Consultation{}, &Section{}, &Question{}, &Revision{},
		&User{}, &Session{}, &Invitation{}, &AuditEvent{},
		&APIToken{},
		&LoginFailure{}, &KnownAddress{},
		&Draft{}, &DraftVersion{}, &Paragraph{}, &Procedure{}, &ProcedureAction{},
	)
	if err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	for _, index := range retiredIndexes {
		if err := db.Exec(`DROP INDEX IF EXISTS ` + index).Error; err != nil {
			return fmt.Errorf("drop index %s: %w", index, err)
		}
	}
	if err := numberQuestions(db); err != nil {
		return err
	}
	if err := migrateRounds(db); err != nil {
		return err
	}
	if err := migrateCurrent(db); err != nil {
		return err
	}
	if err := migrateCounters(db); err != nil {
		return err
	}
	if err := migrateProcedures(db); err != nil {
		return err
	}
	return migrateAudit(db)
}

// numberQuestions gives the questions created before questions had stable
// numbers (Number 0) the next numbers of their consultation, in
// questionnaire order (section order, then question order).
func numberQuestions(db *gorm.DB) error {
	return db.Transaction(func(tx *gorm.DB) error {
		var todo []Question
		err := tx.Table("questions q").Select("q.*").Joins("JOIN sections s ON s.id = q.section_id").
			Where("q.number = 0").Order("q.consultation_id, s.ord, q.ord, q.id").Find(&todo).Error
		if err != nil {
			return fmt.Errorf("find unnumbered questions: %w", err)
		}
		next := map[uint]int{}
		for _, q := range todo {
			if _, ok := next[q.ConsultationID]; !ok {
				var top int
				if err := tx.Model(&Question{}).Where("consultation_id = ?", q.ConsultationID).
					Select("COALESCE(MAX(number), 0)").Scan(&top).Error; err != nil {
					return fmt.Errorf("number questions: %w", err)
				}
				next[q.ConsultationID] = top
			}
			next[q.ConsultationID]++
			if err := tx.Model(&Question{}).Where("id = ?", q.ID).Update("number", next[q.ConsultationID]).Error; err != nil {
				return fmt.Errorf("number question %d: %w", q.ID, err)
			}
		}
		return nil
	})
}

func notFound(err error, what string) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}
