package models

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The statements every save runs are written by hand: the session read,
// the consultation and its questionnaire's version, the writer's read of
// the latest revisions and its appends of revisions and their audit
// events. gorm's Create and Raw build each statement by
// reflection, byte by byte, and run the hooks, which cost a save more than
// SQLite's own work; these take their values field by field. Tests keep
// the column lists in step with the models (rawsql_internal_test.go) and
// check that what is read or written here is what gorm reads or writes.

// rawQuery runs query, written with ? placeholders, on db's connection
// pool or transaction as it is: gorm's Raw rebuilds a statement byte by
// byte and copies its settings on every call, which for the few
// statements of every save cost more than running them. PostgreSQL gets
// its numbered placeholders.
func rawQuery(db *gorm.DB, query string, args ...any) (*sql.Rows, error) {
	return db.Statement.ConnPool.QueryContext(db.Statement.Context, placeholders(db, query), args...)
}

// rawExec is rawQuery for a statement that returns no rows.
func rawExec(db *gorm.DB, query string, args ...any) error {
	_, err := db.Statement.ConnPool.ExecContext(db.Statement.Context, placeholders(db, query), args...)
	return err
}

// placeholders turns the ? of query into $1, $2, … on PostgreSQL. The
// statements given hold no ? of their own (in a string or a comment).
func placeholders(db *gorm.DB, query string) string {
	if !isPostgres(db) {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + len(query)/4)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] != '?' {
			b.WriteByte(query[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// revisionInsertColumns are the columns of a new revision, in the order
// revisionValues gives them.
var revisionInsertColumns = []string{"consultation_id", "round", "member_id", "question_id", "seq",
	"preferred", "accept_min", "accept_max", "importance", "choice", "accept_options",
	"answer", "rationale", "conditions", "withdrawn", "on_behalf",
	"submitted_by", "submitted_at", "source", "state", "review_comment", "reviewed_by"}

func revisionValues(r *Revision, args []any) []any {
	var reviewedBy any // NULL
	if r.ReviewedBy != nil {
		reviewedBy = *r.ReviewedBy
	}
	return append(args, r.ConsultationID, r.Round, r.MemberID, r.QuestionID, r.Seq,
		r.Preferred, r.AcceptMin, r.AcceptMax, r.Importance, r.Choice, r.AcceptOptions,
		r.Answer, r.Rationale, r.Conditions, r.Withdrawn, r.OnBehalf,
		r.SubmittedBy, r.SubmittedAt, r.Source, r.State, r.ReviewComment, reviewedBy)
}

// auditInsertColumns are the columns of a new audit event, in the order
// auditValues gives them.
var auditInsertColumns = []string{"at", "user_id", "action", "member_id", "subject", "detail"}

func auditValues(ev *AuditEvent, args []any) []any {
	var user, member any // NULL
	if ev.UserID != nil {
		user = *ev.UserID
	}
	if ev.MemberID != nil {
		member = *ev.MemberID
	}
	// As the BeforeCreate hook does for gorm's inserts: the time hashed
	// into the audit chain is exactly the time stored.
	ev.At = ev.At.UTC().Truncate(time.Microsecond)
	return append(args, ev.At, user, ev.Action, member, ev.Subject, ev.Detail)
}

// insertValues is an INSERT of n rows of the given columns into table.
func insertValues(table string, columns []string, n int) string {
	var b strings.Builder
	row := "(" + strings.Repeat("?, ", len(columns)-1) + "?)"
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

// insertRevisions appends revs, each with its audit event (events[i] is
// that of revs[i]), a batch at a time, and sets the revisions' IDs. The
// IDs are matched to the revisions by (member, question, round, seq),
// unique in the table, rather than by the order RETURNING gives them in,
// which neither SQLite nor PostgreSQL promises.
func insertRevisions(tx *gorm.DB, revs []*Revision, events []*AuditEvent) error {
	for len(revs) > 0 {
		n := min(insertBatch, len(revs))
		part := revs[:n]
		args := make([]any, 0, n*len(revisionInsertColumns))
		byKey := make(map[revisionSeq]*Revision, n)
		for _, r := range part {
			args = revisionValues(r, args)
			byKey[revisionSeq{keyOf(r), r.Seq}] = r
		}
		rows, err := rawQuery(tx, insertValues("revisions", revisionInsertColumns, n)+
			" RETURNING id, member_id, question_id, round, seq", args...)
		if err != nil {
			return fmt.Errorf("append revision: %w", err)
		}
		got := 0
		for rows.Next() {
			var id uint
			var k revisionSeq
			if err := rows.Scan(&id, &k.member, &k.question, &k.round, &k.seq); err != nil {
				rows.Close()
				return fmt.Errorf("append revision: %w", err)
			}
			if r := byKey[k]; r != nil {
				r.ID = id
				got++
			}
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("append revision: %w", err)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("append revision: %w", err)
		}
		if got != n {
			return fmt.Errorf("append revision: %d of %d revisions came back with their IDs", got, n)
		}
		args = args[:0]
		for _, ev := range events[:n] {
			args = auditValues(ev, args)
		}
		if err := rawExec(tx, insertValues("audit_events", auditInsertColumns, n), args...); err != nil {
			return fmt.Errorf("audit revision: %w", err)
		}
		revs, events = revs[n:], events[n:]
	}
	return nil
}

// revisionSeq names one revision: its answer and its number.
type revisionSeq struct {
	revisionKey
	seq int
}

// scanOne reads the single row of rows into dest and closes them;
// gorm.ErrRecordNotFound when there is none.
func scanOne(rows *sql.Rows, dest ...any) error {
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return gorm.ErrRecordNotFound
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// consultationColumns lists the columns of a consultation c in the order
// scanConsultation reads them.
const consultationColumns = `c.id, c.key, c.title, COALESCE(c.description, ''), c.status, c.deadline, c.round,
	c.share_distribution, c.quorum, c.marking, c.last_number, c.show_previous_rationales, c.require_approval,
	c.timezone, c.created_at, c.updated_at`

// scanConsultation reads the one consultation rows select
// (consultationColumns, then one column per extra destination) and closes
// them; gorm.ErrRecordNotFound when there is none.
func scanConsultation(rows *sql.Rows, extra ...any) (*Consultation, error) {
	var c Consultation
	var deadline, created, updated sql.NullTime
	err := scanOne(rows, append([]any{&c.ID, &c.Key, &c.Title, &c.Description, &c.Status, &deadline, &c.Round,
		&c.ShareDistribution, &c.Quorum, &c.Marking, &c.LastNumber, &c.ShowPreviousRationales, &c.RequireApproval,
		&c.Timezone, &created, &updated}, extra...)...)
	if err != nil {
		return nil, err
	}
	if deadline.Valid {
		t := deadline.Time
		c.Deadline = &t
	}
	c.CreatedAt, c.UpdatedAt = created.Time, updated.Time
	return &c, nil
}
