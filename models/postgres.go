package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// PostgreSQL.
//
// Several instances of the server may share one PostgreSQL database, each
// with its own pool of connections, and PostgreSQL runs their transactions
// at once under READ COMMITTED. What SQLite's single writer gave for free
// is kept with advisory locks, taken by every write transaction as it
// begins and held until it ends:
//
//   - A save of positions (SubmitPositions) takes the store's write lock
//     shared and its member's lock exclusively: saves of different members
//     run at once, on any instance; two saves of one member queue, so that
//     each revision gets the next sequence number of its member, question
//     and round (the unique index on those four refuses a duplicate should
//     anything else ever race, and the save is then run again).
//   - Every other write (accounts, sessions, sign-in throttling, one-time
//     links, questions, rounds, approval, imports, drafts, the silence
//     procedure, the audit chain's linker, migrations) takes the store's
//     write lock exclusively: such writes run one at a time across all
//     instances, as on SQLite, and never beside a save. They are few and
//     short; the saves are the load.
//
// The audit chain's linker relies on it: holding the write lock
// exclusively for one read, it knows that no transaction that could still
// commit an audit event with a smaller id is under way, so the events it
// sees are all those it will ever see below the largest, and a missing id
// is one a rolled-back transaction used (see LinkAudit).
//
// Group commit is not used: each save commits in its own transaction, and
// PostgreSQL itself flushes the write-ahead log once for the commits that
// arrive together.

// Advisory lock keys (PostgreSQL's two-integer form): the store's write
// lock, and a lock per member for its saves.
const (
	lockStore  = 0x436f6e63 // the store's write lock, object 0
	lockMember = 0x436f6e64 // a member's saves, object = member ID
)

// pgState is what a PostgreSQL store has beside the writer and reader.
type pgState struct {
	db *sql.DB
	// saver begins each transaction with the store's write lock shared.
	saver *gorm.DB
	// questionnaires is shared by concurrent saves.
	questionnaires versionCache[uint, *cachedQuestionnaire]
}

func (p *pgState) close() error { return p.db.Close() }

// IsPostgresDSN reports whether dsn names a PostgreSQL database (a URL
// beginning postgres:// or postgresql://) rather than a SQLite file.
func IsPostgresDSN(dsn string) bool {
	lower := strings.ToLower(dsn)
	return strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://")
}

// RedactDSN returns dsn fit to print: a PostgreSQL URL with its password
// (in the user part or as a password= parameter) replaced by xxxxx; a
// SQLite path as it is.
func RedactDSN(dsn string) string {
	if !IsPostgresDSN(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		// Unparseable: print the scheme only, never what follows.
		scheme, _, _ := strings.Cut(dsn, "://")
		return scheme + "://(unreadable URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	for k := range q {
		if strings.EqualFold(k, "password") {
			q.Set(k, "xxxxx")
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

// redactError replaces any appearance of dsn's password in err's text.
func redactError(err error, dsn string) error {
	if err == nil {
		return nil
	}
	u, perr := url.Parse(dsn)
	if perr != nil {
		return errors.New(strings.ReplaceAll(err.Error(), dsn, RedactDSN(dsn)))
	}
	msg := err.Error()
	if u.User != nil {
		if pw, has := u.User.Password(); has && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	if pw := u.Query().Get("password"); pw != "" {
		msg = strings.ReplaceAll(msg, pw, "xxxxx")
	}
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

// openPostgres opens a pool of connections to the database dsn names. The
// password may be in the URL, or better in PGPASSWORD or ~/.pgpass (pgx
// reads both), so that it is not on a command line.
func openPostgres(dsn string, o Options) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", RedactDSN(dsn), redactError(err, dsn))
	}
	// Times are read and written in UTC; a statement that runs away is
	// ended rather than holding its locks.
	cfg.RuntimeParams["timezone"] = "UTC"
	timeout := o.StatementTimeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	if timeout > 0 {
		cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(timeout.Milliseconds(), 10)
	}
	if o.readOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "concord"
	}
	db := stdlib.OpenDB(*cfg)
	maxConns := o.MaxConns
	if maxConns <= 0 {
		maxConns = 10
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", RedactDSN(dsn), redactError(err, dsn))
	}
	open := func(lock string) (*gorm.DB, error) {
		var pool gorm.ConnPool = snapshotPool{db}
		if lock != "" {
			pool = lockingPool{DB: db, lock: lock}
		}
		return gorm.Open(postgres.New(postgres.Config{Conn: pool}), &gorm.Config{
			Logger:         logger.Discard,
			NowFunc:        func() time.Time { return time.Now().UTC() },
			TranslateError: true,
		})
	}
	writer, err := open(fmt.Sprintf("SELECT pg_advisory_xact_lock(%d, 0)", lockStore))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", RedactDSN(dsn), err)
	}
	saver, err := open(fmt.Sprintf("SELECT pg_advisory_xact_lock_shared(%d, 0)", lockStore))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", RedactDSN(dsn), err)
	}
	reader, err := open("")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", RedactDSN(dsn), err)
	}
	s := &Store{w: writer, r: reader, pg: &pgState{db: db, saver: saver}, validate: NewValidator(), now: time.Now}
	if o.readOnly {
		s.w = reader
	}
	return s, nil
}

// lockingPool is a connection pool whose transactions each begin by
// running lock (taking an advisory lock held until the transaction ends).
// gorm runs every write in a transaction, so every write of a gorm.DB over
// this pool takes the lock.
type lockingPool struct {
	*sql.DB
	lock string
}

// BeginTx begins a transaction and takes the lock.
func (p lockingPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error) {
	tx, err := p.DB.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, p.lock); err != nil {
		_ = tx.Rollback()
		return nil, fmt.Errorf("take the write lock: %w", err)
	}
	return tx, nil
}

// GetDBConn gives gorm the pool underneath (gorm.DB.DB()).
func (p lockingPool) GetDBConn() (*sql.DB, error) { return p.DB, nil }

// snapshotPool is the readers' pool: a transaction of the reader sees one
// snapshot of the database from its first statement to its end
// (REPEATABLE READ, read-only), as a read transaction does on SQLite;
// under PostgreSQL's default, READ COMMITTED, each statement would see the
// commits made since the previous one, and a report read in several
// statements could mix two states of the positions.
type snapshotPool struct{ *sql.DB }

// BeginTx begins a read-only REPEATABLE READ transaction unless the caller
// asks for something else.
func (p snapshotPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error) {
	if opts == nil || opts.Isolation == sql.LevelDefault {
		o := sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
		if opts != nil {
			o.ReadOnly = o.ReadOnly || opts.ReadOnly
		}
		opts = &o
	}
	return p.DB.BeginTx(ctx, opts)
}

// GetDBConn gives gorm the pool underneath (gorm.DB.DB()).
func (p snapshotPool) GetDBConn() (*sql.DB, error) { return p.DB, nil }

// submitConcurrently runs one save in its own transaction on PostgreSQL:
// the store's write lock shared, the member's lock exclusive (see the top
// of this file). A save that meets a serialization failure, a deadlock or
// a duplicate sequence number is run again from the start, a few times.
func (s *Store) submitConcurrently(ctx context.Context, sub Submission) (SubmitResult, error) {
	const attempts = 5
	for attempt := 1; ; attempt++ {
		var res SubmitResult
		err := s.pg.saver.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?, ?)", lockMember, int32(sub.MemberID)).Error; err != nil {
				return fmt.Errorf("take the member's lock: %w", err)
			}
			b := &batchState{cache: &s.pg.questionnaires, cons: map[uint]*consultationState{}}
			var err error
			res, err = s.submitIn(tx, b, sub)
			if err != nil {
				b.forget()
			}
			return err
		})
		if err != nil && attempt < attempts && retryable(err) {
			continue
		}
		return res, err
	}
}

// retryable reports whether a PostgreSQL transaction failed only because
// another ran at the same time: a serialization failure, a deadlock, or a
// unique violation (a sequence number taken in between).
func retryable(err error) bool {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01", "23505":
			return true
		}
	}
	return false
}

// isPostgres reports whether db runs on PostgreSQL (for the few statements
// whose text differs between the backends).
func isPostgres(db *gorm.DB) bool { return db.Dialector.Name() == "postgres" }
