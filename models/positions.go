package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// PositionInput is one member's answer to one question as submitted by a
// form, an import row or the API. Zero values mean "not given".
type PositionInput struct {
	QuestionKey string `json:"question_key"`
	Preferred   int    `json:"preferred,omitempty"`
	AcceptMin   int    `json:"acceptable_min,omitempty"`
	AcceptMax   int    `json:"acceptable_max,omitempty"`
	Importance  string `json:"importance,omitempty"`
	Option      int    `json:"option,omitempty"` // 1-based index of the chosen option
	// AcceptOptions (choice): the other options the member could accept;
	// the chosen option is always added by Normalize.
	AcceptOptions []int  `json:"acceptable_options,omitempty"`
	Answer        string `json:"answer_text,omitempty"`
	Rationale     string `json:"rationale,omitempty"`
	// Conditions (scale, choice): the conditions of the member's
	// acceptance ("can accept point 4 provided …"); at most MaxConditions
	// characters of text.
	Conditions string `json:"conditions,omitempty"`
	// Withdrawn withdraws the member's answer: a revision is appended that
	// marks the question not answered. It gives no other value.
	Withdrawn bool `json:"withdrawn,omitempty"`
	// Keep confirms the member's answer of the previous round as its answer
	// in this round: the previous round's current revision (values,
	// rationale, conditions) is copied into the current round. It gives no
	// other value; without a previous-round answer it is refused (a message
	// on FieldKeep).
	Keep bool `json:"keep,omitempty"`
}

// MaxConditions is the longest statement of conditions, in characters (the
// validate tags of the answers say the same).
const MaxConditions = 2000

// Empty reports whether nothing was given (the question is left unanswered).
func (in PositionInput) Empty() bool {
	return in.Preferred == 0 && in.AcceptMin == 0 && in.AcceptMax == 0 && in.Option == 0 &&
		len(in.AcceptOptions) == 0 && in.Answer == "" && in.Rationale == "" && in.Conditions == "" &&
		!in.Withdrawn && !in.Keep
}

// hasAnswer reports whether any answer value is given (besides Withdrawn
// and Keep), an importance included: a withdrawal or a keep gives no value
// at all.
func (in PositionInput) hasAnswer() bool {
	w := in
	w.Withdrawn, w.Keep = false, false
	return !w.Empty() || in.Importance != ""
}

// Field names used as keys of position validation messages.
const (
	FieldPreferred  = "preferred"
	FieldAcceptMin  = "acceptable_min"
	FieldAcceptMax  = "acceptable_max"
	FieldImportance = "importance"
	FieldOption     = "option"
	FieldAcceptOpts = "acceptable_options"
	FieldWithdrawn  = "withdrawn"
	FieldAnswer     = "answer_text"
	FieldRationale  = "rationale"
	FieldConditions = "conditions"
	FieldKeep       = "keep"
)

// scaleAnswer carries the validation rules of a scale position.
type scaleAnswer struct {
	K          int    `field:"k" validate:"min=3,max=11"`
	Preferred  int    `field:"preferred" validate:"required,min=1,ltefield=K"`
	AcceptMin  int    `field:"acceptable_min" validate:"min=1,ltefield=Preferred"`
	AcceptMax  int    `field:"acceptable_max" validate:"gtefield=Preferred,ltefield=K"`
	Importance string `field:"importance" validate:"oneof=low medium high 'red line'"`
	Rationale  string `field:"rationale" validate:"max=4000,text"`
	Conditions string `field:"conditions" validate:"max=2000,text"`
}

type choiceAnswer struct {
	Options    int    `field:"options" validate:"min=2"`
	Option     int    `field:"option" validate:"required,min=1,ltefield=Options"`
	Rationale  string `field:"rationale" validate:"max=4000,text"`
	Conditions string `field:"conditions" validate:"max=2000,text"`
}

type textAnswer struct {
	Answer string `field:"answer_text" validate:"required,max=4000,text"`
}

// Normalize fills the defaults of an answer: on a scale the acceptable
// range defaults to the preferred point alone and importance to medium; on
// a choice the chosen option is added to the acceptable options, which are
// sorted without repeats (a number that names no option, zero included, is
// kept for Check to refuse). A withdrawal and a keep are left as they are.
func (in PositionInput) Normalize(q *Question) PositionInput {
	if in.Withdrawn || in.Keep {
		return in
	}
	if q.Kind == KindChoice && (in.Option != 0 || len(in.AcceptOptions) > 0) {
		list := slices.Clone(in.AcceptOptions)
		if in.Option != 0 {
			list = append(list, in.Option)
		}
		slices.Sort(list)
		in.AcceptOptions = slices.Compact(list)
	}
	if q.Kind == KindScale {
		if in.AcceptMin == 0 {
			in.AcceptMin = in.Preferred
		}
		if in.AcceptMax == 0 {
			in.AcceptMax = in.Preferred
		}
		if in.Importance == "" {
			in.Importance = ImportanceMedium
		}
	}
	return in
}

// Check validates a normalized input against its question and returns one
// message per invalid field (nil when valid).
func (s *Store) Check(in PositionInput, q *Question) map[string]string {
	if in.Keep {
		if in.hasAnswer() || in.Withdrawn {
			return map[string]string{FieldKeep: "Keep the previous round's answer or give a new one, not both."}
		}
		return nil
	}
	if in.Withdrawn {
		if in.hasAnswer() {
			return map[string]string{FieldWithdrawn: "Withdraw the answer or give one, not both."}
		}
		return nil
	}
	var err error
	switch q.Kind {
	case KindScale:
		err = s.validate.Struct(scaleAnswer{K: q.K(), Preferred: in.Preferred, AcceptMin: in.AcceptMin,
			AcceptMax: in.AcceptMax, Importance: in.Importance, Rationale: in.Rationale, Conditions: in.Conditions})
	case KindChoice:
		err = s.validate.Struct(choiceAnswer{Options: len(q.Choices()), Option: in.Option, Rationale: in.Rationale,
			Conditions: in.Conditions})
	case KindText:
		err = s.validate.Struct(textAnswer{Answer: in.Answer})
	default:
		return map[string]string{"": "Unknown question kind."}
	}
	var msgs map[string]string
	if err != nil {
		msgs = FieldMessages(err)
	}
	if q.Kind == KindText && in.Conditions != "" {
		if msgs == nil {
			msgs = map[string]string{}
		}
		msgs[FieldConditions] = "A text question takes no conditions: put everything in the answer."
	}
	if q.Kind == KindChoice {
		n := len(q.Choices())
		for _, o := range in.AcceptOptions {
			if o != in.Option && (o < 1 || o > n) { // a bad chosen option has its own message
				if msgs == nil {
					msgs = map[string]string{}
				}
				msgs[FieldAcceptOpts] = fmt.Sprintf("Acceptable options are numbered 1 to %d.", n)
				break
			}
		}
	}
	if msgs == nil {
		return nil
	}
	k := q.K()
	for field := range msgs {
		switch field {
		case FieldPreferred:
			if in.Preferred == 0 {
				msgs[field] = "Choose a preferred point."
			} else {
				msgs[field] = fmt.Sprintf("Choose a point between 1 and %d.", k)
			}
		case FieldAcceptMin:
			msgs[field] = "The lowest acceptable point must be at or below the preferred point."
		case FieldAcceptMax:
			if in.AcceptMax > k {
				msgs[field] = fmt.Sprintf("The highest acceptable point must be at most %d.", k)
			} else {
				msgs[field] = "The highest acceptable point must be at or above the preferred point."
			}
		case FieldImportance:
			msgs[field] = "Choose low, medium, high or red line."
		case FieldOption:
			msgs[field] = "Choose one of the options."
		case FieldRationale:
			if !IsText(in.Rationale) {
				msgs[field] = "The rationale contains characters that are not valid text."
			} else {
				msgs[field] = fmt.Sprintf("The rationale must be at most %d characters.", MaxRationale)
			}
		case FieldConditions:
			switch {
			case q.Kind == KindText:
			case !IsText(in.Conditions):
				msgs[field] = "The conditions contain characters that are not valid text."
			default:
				msgs[field] = fmt.Sprintf("The conditions must be at most %d characters.", MaxConditions)
			}
		case FieldAnswer:
			switch {
			case in.Answer == "":
				msgs[field] = "Write an answer, or leave the question for later."
			case !IsText(in.Answer):
				msgs[field] = "The answer contains characters that are not valid text."
			default:
				msgs[field] = fmt.Sprintf("The answer must be at most %d characters.", MaxRationale)
			}
		case "k", "options":
			msgs[""] = "This question is misconfigured; tell the facilitator."
			delete(msgs, field)
		}
	}
	// A range bound equal to an invalid preferred point is either the
	// default derived from it or repeats the same mistake: the message on
	// the preferred point says it all.
	if _, bad := msgs[FieldPreferred]; bad {
		if in.AcceptMin == in.Preferred {
			delete(msgs, FieldAcceptMin)
		}
		if in.AcceptMax == in.Preferred {
			delete(msgs, FieldAcceptMax)
		}
	}
	return msgs
}

// Submission is a set of answers of one member to questions of one
// consultation, saved all together or not at all.
type Submission struct {
	ConsultationID uint
	MemberID       uint
	UserID         uint
	Source         string
	// OnBehalf marks answers a facilitator enters for the member.
	OnBehalf bool
	Inputs   []PositionInput
	// IgnoreWindow skips the check that the consultation is open and
	// before its deadline, to seed positions into any consultation. No
	// request sets it: forms and the API submit within the window, and the
	// import of a file has its own rule (see ImportPositions).
	IgnoreWindow bool
}

// SubmissionError lists, per question key, the invalid fields: field name
// (the Field constants, "" for the answer as a whole) → message. Callers
// place the messages themselves: the form beside each question's fields,
// the API at the JSON path of the position that answered the question.
type SubmissionError struct {
	Questions map[string]map[string]string
}

func (e *SubmissionError) Error() string {
	return fmt.Sprintf("invalid answers to %d question(s)", len(e.Questions))
}

// SubmitResult tells what a submission changed.
type SubmitResult struct {
	Changed   int // revisions appended
	Unchanged int // answers identical to the current position
}

// SubmitPositions validates every input and appends a revision for each
// answer that differs from the member's current position, in one
// transaction. Nothing is written unless every input is valid and the
// consultation accepts positions. Revisions are written into the
// consultation's current round; an input with Keep copies the member's
// answer of the previous round (see PositionInput.Keep).
//
// When the consultation requires approval, the revisions of a delegate who
// is not its member's head of delegation are drafts (StateDraft); those of
// the head of delegation, and of a facilitator (recorded OnBehalf), are
// approved at once (see saveState).
//
// Saves are durable when SubmitPositions returns without error: the
// submission has been committed with synchronous=FULL. Concurrent saves
// share one commit (see groupcommit.go); each still succeeds or fails on
// its own. On PostgreSQL each save commits in its own transaction, beside
// the saves of other members (see postgres.go).
func (s *Store) SubmitPositions(ctx context.Context, sub Submission) (SubmitResult, error) {
	var res SubmitResult
	var err error
	if s.pg != nil {
		res, err = s.submitConcurrently(ctx, sub)
	} else {
		res, err = s.gw.submit(ctx, sub)
	}
	if err != nil {
		var se *SubmissionError
		if errors.Is(err, ErrClosed) || errors.Is(err, ErrNotFound) || errors.As(err, &se) {
			return SubmitResult{}, err
		}
		return SubmitResult{}, fmt.Errorf("submit positions: %w", err)
	}
	return res, nil
}

// submitIn runs one submission inside tx, the writer's transaction (within
// the submission's savepoint): the consultation's status and deadline are
// read inside it; its questionnaire comes from the batch's cache.
func (s *Store) submitIn(tx *gorm.DB, b *batchState, sub Submission) (SubmitResult, error) {
	cs, err := b.consultation(tx, sub.ConsultationID)
	if err != nil {
		return SubmitResult{}, err
	}
	c := cs.c
	now := s.Now()
	if !sub.IgnoreWindow && !c.AcceptsPositions(now) {
		return SubmitResult{}, ErrClosed
	}
	byKey, byID := cs.q.byKey, cs.q.byID
	state, onBehalf, err := saveState(tx, &c, sub)
	if err != nil {
		return SubmitResult{}, err
	}
	inputs, err := s.checkInputs(byKey, sub.Inputs)
	if errors.Is(err, ErrNotFound) {
		return SubmitResult{}, fmt.Errorf("consultation %s: %w", c.Key, err)
	}
	if err != nil {
		return SubmitResult{}, err // a *SubmissionError
	}
	var previous map[uint]Revision // the previous round's answers, read for the first Keep
	problems := map[string]map[string]string{}
	revs := make([]Revision, 0, len(inputs))
	for _, in := range inputs {
		q := byKey[in.QuestionKey]
		if !in.Keep {
			revs = append(revs, revisionFrom(in, q, c, sub, now))
			continue
		}
		if previous == nil {
			if previous, err = currentRevisions(tx, c.ID, c.Round-1, sub.MemberID); err != nil {
				return SubmitResult{}, err
			}
		}
		prev, ok := previous[q.ID]
		if !ok {
			msg := "This is the first round: there is no earlier answer to keep."
			if c.Round > 1 {
				msg = fmt.Sprintf("There is no answer from round %d to keep; give an answer instead.", c.Round-1)
			}
			problems[q.Key] = map[string]string{FieldKeep: msg}
			continue
		}
		revs = append(revs, keptRevision(prev, c, sub, now))
	}
	if len(problems) > 0 {
		return SubmitResult{}, &SubmissionError{Questions: problems}
	}
	for i := range revs {
		revs[i].State = state
		revs[i].OnBehalf = revs[i].OnBehalf || onBehalf
	}
	return appendRevisions(tx, revs, byID)
}

// CheckPositions validates answers to the questions as SubmitPositions
// does, and writes nothing: nil when all are valid, a *SubmissionError
// listing the invalid ones, or ErrNotFound for a question key the
// questions do not have. It lets a caller that refuses a request for its
// own reasons (the API, for a malformed position) still report what the
// Store finds wrong with the rest.
func (s *Store) CheckPositions(questions []Question, inputs []PositionInput) error {
	byKey := make(map[string]*Question, len(questions))
	for i := range questions {
		byKey[questions[i].Key] = &questions[i]
	}
	_, err := s.checkInputs(byKey, inputs)
	return err
}

// checkInputs is the validation of a submission, the one for every
// channel (form, API, import): each input must answer a known question,
// once, with valid values (Check, after Normalize). It returns the
// normalized inputs, or a *SubmissionError.
func (s *Store) checkInputs(byKey map[string]*Question, inputs []PositionInput) ([]PositionInput, error) {
	problems := map[string]map[string]string{}
	out := make([]PositionInput, 0, len(inputs))
	seen := map[string]bool{}
	for _, in := range inputs {
		q, ok := byKey[in.QuestionKey]
		if !ok {
			return nil, fmt.Errorf("question %q: %w", in.QuestionKey, ErrNotFound)
		}
		if seen[q.Key] {
			problems[q.Key] = map[string]string{"": "This question is answered twice."}
			continue
		}
		seen[q.Key] = true
		in = in.Normalize(q)
		if msgs := s.Check(in, q); msgs != nil {
			problems[q.Key] = msgs
			continue
		}
		out = append(out, in)
	}
	if len(problems) > 0 {
		return nil, &SubmissionError{Questions: problems}
	}
	return out, nil
}

// questionIndex loads, inside tx, the questions of a consultation by key
// and by ID.
func questionIndex(tx *gorm.DB, consultationID uint) (map[string]*Question, map[uint]*Question, error) {
	var questions []Question
	if err := tx.Where("consultation_id = ?", consultationID).Find(&questions).Error; err != nil {
		return nil, nil, fmt.Errorf("load questions: %w", err)
	}
	byKey := make(map[string]*Question, len(questions))
	byID := make(map[uint]*Question, len(questions))
	for i := range questions {
		byKey[questions[i].Key] = &questions[i]
		byID[questions[i].ID] = &questions[i]
	}
	return byKey, byID, nil
}

// appendRevisions appends, inside tx, each revision that differs from the
// member's latest revision on its question in the round, with its audit
// event. A revision that counts (approved, or made without approval) is
// also appended when the latest is a draft or a returned draft with the
// same answer: it supersedes it and becomes the current position. Without
// approval there are no drafts, and this is "differs from the current
// position".
//
// The latest revisions are read in one query, and the new revisions and
// their audit events are inserted a batch at a time (the triggers of
// current.go keep the current positions). The appended revisions get
// their Seq and ID in revs.
func appendRevisions(tx *gorm.DB, revs []Revision, byID map[uint]*Question) (SubmitResult, error) {
	var res SubmitResult
	latest, err := latestRevisionsOf(tx, revs)
	if err != nil {
		return res, err
	}
	var add []*Revision
	var events []*AuditEvent
	queued := map[revisionKey]bool{}
	flush := func() error {
		if len(add) == 0 {
			return nil
		}
		if err := insertRevisions(tx, add, events); err != nil {
			return err
		}
		for _, r := range add {
			latest[keyOf(r)] = *r
		}
		add, events = add[:0], events[:0]
		clear(queued)
		return nil
	}
	for i := range revs {
		r := &revs[i]
		k := keyOf(r)
		if queued[k] { // the same question twice: the first must be stored to compare with
			if err := flush(); err != nil {
				return res, err
			}
		}
		last := latest[k]
		pending := last.ID != 0 && !countsAsPosition(last.State)
		// Withdrawing an answer that is not there changes nothing.
		same := (last.ID != 0 && last.SameAnswer(r)) || (r.Withdrawn && (last.ID == 0 || last.Withdrawn))
		if same && !(pending && countsAsPosition(r.State)) {
			res.Unchanged++
			continue
		}
		r.Seq = last.Seq + 1
		ev := positionAudit(r, byID[r.QuestionID], &last)
		if r.State != "" {
			ev.Detail += "; " + stateText(r.State)
		}
		add = append(add, r)
		events = append(events, ev)
		queued[k] = true
		res.Changed++
	}
	return res, flush()
}

// insertBatch is how many rows one INSERT statement writes (SQLite allows
// 32,766 parameters per statement, PostgreSQL 65,535; a revision has 22
// columns).
const insertBatch = 200

// revisionKey names a member's answer to a question in a round.
type revisionKey struct {
	member, question uint
	round            int
}

func keyOf(r *Revision) revisionKey {
	return revisionKey{member: r.MemberID, question: r.QuestionID, round: r.Round}
}

// latestRevisionsOf reads, inside tx, the latest revision (of any state) of
// each member, question and round of revs, in one query per few hundred
// answers, as far as a save needs it: the columns of answerColumns, the
// others left zero. Each is found through the unique index on (member,
// question, round, seq), so the cost does not grow with the history.
func latestRevisionsOf(tx *gorm.DB, revs []Revision) (map[revisionKey]Revision, error) {
	keys := make([]revisionKey, 0, len(revs))
	seen := make(map[revisionKey]bool, len(revs))
	for i := range revs {
		if k := keyOf(&revs[i]); !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return latestByKey(tx, keys, answerColumns, scanAnswers)
}

// latestByKey reads, inside tx, the latest revision (of any state) of each
// of the given (distinct) answers that has one: the columns listed,
// scanned by scan.
func latestByKey(tx *gorm.DB, keys []revisionKey, columns string,
	scan func(*sql.Rows, func(*Revision)) error) (map[revisionKey]Revision, error) {
	out := make(map[revisionKey]Revision, len(keys))
	const chunk = 500
	for len(keys) > 0 {
		part := keys[:min(chunk, len(keys))]
		keys = keys[len(part):]
		var q strings.Builder
		args := make([]any, 0, 3*len(part))
		q.WriteString(`WITH k(member_id, question_id, round) AS (VALUES `)
		for i, k := range part {
			if i > 0 {
				q.WriteString(", ")
			}
			// Typed, for PostgreSQL, which cannot infer the type of a
			// parameter in VALUES.
			q.WriteString("(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT))")
			args = append(args, k.member, k.question, k.round)
		}
		q.WriteString(`) SELECT ` + columns + ` FROM k CROSS JOIN revisions r WHERE r.id = (SELECT r2.id FROM revisions r2
			WHERE r2.member_id = k.member_id AND r2.question_id = k.question_id AND r2.round = k.round
			ORDER BY r2.seq DESC LIMIT 1)`)
		rows, err := rawQuery(tx, q.String(), args...)
		if err != nil {
			return nil, fmt.Errorf("load current positions: %w", err)
		}
		if err := scan(rows, func(r *Revision) { out[keyOf(r)] = *r }); err != nil {
			return nil, fmt.Errorf("load current positions: %w", err)
		}
	}
	return out, nil
}

// answerColumns are the columns of a revision r a save compares its
// answers with and describes in the audit log (SameAnswer, describeAnswer,
// the sequence number and the state), in the order scanAnswers reads them:
// a save reads the latest revision of every answer posted, inside the
// writer's transaction, and the other columns (their times among them)
// cost it a twentieth of its throughput. TestAnswerColumnsCoverSameAnswer
// fails when SameAnswer compares a column missing here.
const answerColumns = `r.id, r.round, r.member_id, r.question_id, r.seq,
	r.preferred, r.accept_min, r.accept_max, COALESCE(r.importance, ''), r.choice, r.accept_options,
	COALESCE(r.answer, ''), COALESCE(r.rationale, ''), r.conditions, r.withdrawn, r.state`

// scanAnswers reads rows selecting answerColumns, handing each to each as
// a revision it may keep a copy of, and closes them.
func scanAnswers(rows *sql.Rows, each func(*Revision)) error {
	defer rows.Close()
	for rows.Next() {
		var r Revision
		err := rows.Scan(&r.ID, &r.Round, &r.MemberID, &r.QuestionID, &r.Seq,
			&r.Preferred, &r.AcceptMin, &r.AcceptMax, &r.Importance, &r.Choice, &r.AcceptOptions,
			&r.Answer, &r.Rationale, &r.Conditions, &r.Withdrawn, &r.State)
		if err != nil {
			return err
		}
		each(&r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}

// revisionColumns lists the columns of a revision r in the order
// scanRevisions reads them (TestRevisionColumns checks the list), for
// reads inside a write transaction that need whole revisions (an
// approver's approval copies its drafts); scanned field by field, they
// cost a fraction of gorm's reflection.
const revisionColumns = `r.id, r.consultation_id, r.round, r.member_id, r.question_id, r.seq,
	r.preferred, r.accept_min, r.accept_max, COALESCE(r.importance, ''), r.choice, r.accept_options,
	COALESCE(r.answer, ''), COALESCE(r.rationale, ''), r.conditions, r.withdrawn, r.on_behalf,
	r.submitted_by, r.submitted_at, r.source, r.state, r.review_comment, r.reviewed_by`

// scanRevisions reads rows selecting revisionColumns, handing each to
// each as a revision it may keep a copy of, and closes them.
func scanRevisions(rows *sql.Rows, each func(*Revision)) error {
	defer rows.Close()
	var r Revision
	var reviewedBy sql.NullInt64
	for rows.Next() {
		err := rows.Scan(&r.ID, &r.ConsultationID, &r.Round, &r.MemberID, &r.QuestionID, &r.Seq,
			&r.Preferred, &r.AcceptMin, &r.AcceptMax, &r.Importance, &r.Choice, &r.AcceptOptions,
			&r.Answer, &r.Rationale, &r.Conditions, &r.Withdrawn, &r.OnBehalf,
			&r.SubmittedBy, &r.SubmittedAt, &r.Source, &r.State, &r.ReviewComment, &reviewedBy)
		if err != nil {
			return err
		}
		r.ReviewedBy = nil
		if reviewedBy.Valid {
			id := uint(reviewedBy.Int64)
			r.ReviewedBy = &id
		}
		each(&r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}

// currentRevisions returns, inside tx, a member's current positions in a
// round keyed by question ID (none for a round before the first).
func currentRevisions(tx *gorm.DB, consultationID uint, round int, memberID uint) (map[uint]Revision, error) {
	out := map[uint]Revision{}
	if round < 1 {
		return out, nil
	}
	var list []Revision
	err := tx.Raw(`SELECT r.*`+currentFrom+` WHERE r.id = cp.revision_id AND cp.consultation_id = ? AND cp.round = ? AND cp.member_id = ?`,
		consultationID, round, memberID).Scan(&list).Error
	if err != nil {
		return nil, fmt.Errorf("load round %d positions of member %d: %w", round, memberID, err)
	}
	for _, r := range list {
		out[r.QuestionID] = r
	}
	return out, nil
}

// keptRevision copies a previous round's revision into the consultation's
// current round as the submission's answer.
func keptRevision(prev Revision, c Consultation, sub Submission, now time.Time) Revision {
	return Revision{
		ConsultationID: c.ID, Round: c.Round, MemberID: sub.MemberID, QuestionID: prev.QuestionID,
		Preferred: prev.Preferred, AcceptMin: prev.AcceptMin, AcceptMax: prev.AcceptMax, Importance: prev.Importance,
		Choice: prev.Choice, AcceptOptions: prev.AcceptOptions, Answer: prev.Answer, Rationale: prev.Rationale,
		Conditions: prev.Conditions, SubmittedBy: sub.UserID, SubmittedAt: now, Source: sub.Source, OnBehalf: sub.OnBehalf,
	}
}

func revisionFrom(in PositionInput, q *Question, c Consultation, sub Submission, now time.Time) Revision {
	r := Revision{
		ConsultationID: c.ID, Round: c.Round, MemberID: sub.MemberID, QuestionID: q.ID,
		Rationale: in.Rationale, Conditions: in.Conditions, SubmittedBy: sub.UserID, SubmittedAt: now, Source: sub.Source,
		OnBehalf: sub.OnBehalf,
	}
	if in.Withdrawn {
		r.Withdrawn, r.Rationale, r.Conditions = true, "", ""
		return r
	}
	switch q.Kind {
	case KindScale:
		r.Preferred, r.AcceptMin, r.AcceptMax, r.Importance = in.Preferred, in.AcceptMin, in.AcceptMax, in.Importance
	case KindChoice:
		r.Choice = in.Option
		r.AcceptOptions = FormatOptionList(in.AcceptOptions)
	case KindText:
		r.Answer, r.Rationale, r.Conditions = in.Answer, "", ""
	}
	return r
}

// normalizeOptionList sorts option numbers ascending and drops zeros and
// repeats.
func normalizeOptionList(list []int) []int {
	out := slices.DeleteFunc(slices.Clone(list), func(o int) bool { return o == 0 })
	slices.Sort(out)
	return slices.Compact(out)
}

// FormatOptionList writes option numbers as stored and exported: ascending,
// separated by single spaces ("1 3"); empty for none.
func FormatOptionList(list []int) string {
	list = normalizeOptionList(list)
	parts := make([]string, len(list))
	for i, o := range list {
		parts[i] = strconv.Itoa(o)
	}
	return strings.Join(parts, " ")
}

// ParseOptionList reads option numbers separated by spaces (or commas), as
// FormatOptionList writes them, skipping anything that is not a positive
// whole number (stored values are always valid).
func ParseOptionList(s string) []int {
	list, _ := ParseOptionListStrict(s)
	return list
}

// ParseOptionListStrict is ParseOptionList with an error for an item that is
// not a positive whole number.
func ParseOptionListStrict(s string) ([]int, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
	out := make([]int, 0, len(fields))
	for _, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not an option number", f)
		}
		out = append(out, n)
	}
	return normalizeOptionList(out), nil
}
