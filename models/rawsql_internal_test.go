package models

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// The hot paths read and write some rows with hand-written SQL and scan
// them field by field. These tests keep that SQL in step with the models:
// a column added to a model and not to the statement fails here.

// modelColumns lists the database columns of a model, as gorm maps them.
func modelColumns(t *testing.T, model any) []string {
	t.Helper()
	sch, err := schema.Parse(model, &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		t.Fatal(err)
	}
	out := slices.Clone(sch.DBNames)
	slices.Sort(out)
	return out
}

// selectedColumns lists the columns a SELECT statement reads of the table
// with the given alias (alias.column in the list before FROM).
func selectedColumns(query, alias string) []string {
	list := query[:strings.Index(query, "FROM")]
	var out []string
	for _, m := range regexp.MustCompile(`\b`+alias+`\.(\w+)`).FindAllStringSubmatch(list, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return out
}

func TestSessionQueryColumns(t *testing.T) {
	for _, tc := range []struct {
		alias string
		model any
	}{{"s", &Session{}}, {"u", &User{}}, {"m", &Member{}}} {
		if got, want := selectedColumns(sessionQuery, tc.alias), modelColumns(t, tc.model); !slices.Equal(got, want) {
			t.Errorf("sessionQuery reads %s.%v, the model has %v", tc.alias, got, want)
		}
	}
}

// TestSessionWithUserMatchesGorm checks that the one-statement read gives
// what gorm reads of the same rows: accounts with and without a member,
// an approver, a revoked account.
func TestSessionWithUserMatchesGorm(t *testing.T) {
	f := newAccountsFixture(t)
	ctx := context.Background()
	revoked, err := f.s.CreateUser(ctx, NewUser{Username: "gone", Name: "Gone Away", Role: RoleDelegate,
		Password: fixtureDelPassword, MemberID: &f.lva.ID})
	if err != nil {
		t.Fatal(err)
	}
	at := f.now.Add(-time.Hour)
	if err := f.s.w.Model(&User{}).Where("id = ?", revoked.ID).
		Updates(map[string]any{"approver": true, "revoked_at": at}).Error; err != nil {
		t.Fatal(err)
	}
	for _, u := range []*User{f.facilitator, f.delegate, revoked} {
		t.Run(u.Username, func(t *testing.T) {
			tok, created := f.session(t, u)
			sess, got, err := f.s.sessionWithUser(ctx, HashToken(tok))
			if err != nil {
				t.Fatal(err)
			}
			var wantSess Session
			if err := f.s.r.First(&wantSess, created.ID).Error; err != nil {
				t.Fatal(err)
			}
			var want User
			if err := f.s.r.Preload("Member").First(&want, u.ID).Error; err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*sess, wantSess) {
				t.Errorf("session = %+v, want %+v", *sess, wantSess)
			}
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("user = %+v (member %+v), want %+v (member %+v)", *got, got.Member, want, want.Member)
			}
		})
	}
	// A session from before the user agent was recorded.
	tok, created := f.session(t, f.delegate)
	if err := f.s.w.Exec("UPDATE sessions SET user_agent = NULL WHERE id = ?", created.ID).Error; err != nil {
		t.Fatal(err)
	}
	if sess, u, err := f.s.sessionWithUser(ctx, HashToken(tok)); err != nil || sess.UserAgent != "" || u == nil {
		t.Errorf("session without a user agent: %+v, %+v, %v; want it with an empty agent", sess, u, err)
	}
	if _, _, err := f.s.sessionWithUser(ctx, HashToken("no such token")); err != ErrNotFound {
		t.Errorf("unknown token: err = %v, want ErrNotFound", err)
	}
}

func TestRevisionColumns(t *testing.T) {
	if got, want := selectedColumns(revisionColumns+" FROM", "r"), modelColumns(t, &Revision{}); !slices.Equal(got, want) {
		t.Errorf("revisionColumns reads %v, the model has %v", got, want)
	}
}

// TestScanRevisionsMatchesGorm checks the field-by-field scan against gorm's
// reading of the same revisions: every field set, a reviewed one included.
func TestScanRevisionsMatchesGorm(t *testing.T) {
	f := newAccountsFixture(t)
	reviewer := f.facilitator.ID
	at := time.Date(2026, 3, 1, 9, 30, 15, 123456000, time.UTC)
	base := Revision{ConsultationID: 0, Round: 2, MemberID: f.est.ID, Seq: 1, Preferred: 4, AcceptMin: 2,
		AcceptMax: 5, Importance: ImportanceHigh, Choice: 3, AcceptOptions: "1 3", Answer: "an answer",
		Rationale: "because", Conditions: "only if", Withdrawn: true, OnBehalf: true, SubmittedBy: f.delegate.ID,
		SubmittedAt: at, Source: "form", State: StateReturned, ReviewComment: "not yet", ReviewedBy: &reviewer}
	ctx := context.Background()
	c, err := f.s.CreateConsultation(ctx, ConsultationInput{Key: "scan", Title: "Scan"}, f.facilitator.ID)
	if err != nil {
		t.Fatal(err)
	}
	var questions []uint
	for _, key := range []string{"one", "two"} {
		q, err := f.s.CreateQuestion(ctx, c.ID, QuestionInput{Key: key, Section: "S", Text: "Text?", Kind: "scale",
			Labels: []string{"a", "b", "c", "d", "e"}}, f.facilitator.ID)
		if err != nil {
			t.Fatal(err)
		}
		questions = append(questions, q.ID)
	}
	base.ConsultationID = c.ID
	plain := base
	plain.ReviewedBy, plain.State, plain.ReviewComment, plain.QuestionID = nil, "", "", questions[1]
	base.QuestionID = questions[0]
	for _, r := range []*Revision{&base, &plain} {
		if err := f.s.w.Create(r).Error; err != nil {
			t.Fatal(err)
		}
	}
	var want []Revision
	if err := f.s.r.Order("id").Find(&want, "consultation_id = ?", c.ID).Error; err != nil {
		t.Fatal(err)
	}
	var got []Revision
	rows, err := rawQuery(f.s.r, `SELECT `+revisionColumns+` FROM revisions r WHERE r.consultation_id = ? ORDER BY r.id`, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := scanRevisions(rows, func(r *Revision) { got = append(got, *r) }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("scanned %+v\nwant    %+v", got, want)
	}

	// What a save reads of the same revisions: the answer columns, the
	// others zero.
	var answers, wantAnswers []Revision
	rows, err = rawQuery(f.s.r, `SELECT `+answerColumns+` FROM revisions r WHERE r.consultation_id = ? ORDER BY r.id`, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := scanAnswers(rows, func(r *Revision) { answers = append(answers, *r) }); err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		wantAnswers = append(wantAnswers, Revision{ID: w.ID, Round: w.Round, MemberID: w.MemberID, QuestionID: w.QuestionID,
			Seq: w.Seq, Preferred: w.Preferred, AcceptMin: w.AcceptMin, AcceptMax: w.AcceptMax, Importance: w.Importance,
			Choice: w.Choice, AcceptOptions: w.AcceptOptions, Answer: w.Answer, Rationale: w.Rationale,
			Conditions: w.Conditions, Withdrawn: w.Withdrawn, State: w.State})
	}
	if !reflect.DeepEqual(answers, wantAnswers) {
		t.Errorf("answers scanned %+v\nwant            %+v", answers, wantAnswers)
	}
}

// TestAnswerColumnsCoverSameAnswer changes each column of a revision in
// turn: every change SameAnswer notices must be of a column a save reads
// (answerColumns), or a save would take a changed answer for the same.
func TestAnswerColumnsCoverSameAnswer(t *testing.T) {
	sch, err := schema.Parse(&Revision{}, &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		t.Fatal(err)
	}
	read := selectedColumns(answerColumns+" FROM", "r")
	base := Revision{Preferred: 3, AcceptMin: 2, AcceptMax: 4, Importance: ImportanceHigh, Choice: 2,
		AcceptOptions: "1 2", Answer: "an answer", Rationale: "because", Conditions: "if", State: StateDraft}
	noticed := 0
	for _, field := range sch.Fields {
		if field.DBName == "" {
			continue
		}
		changed := base
		v := reflect.ValueOf(&changed).Elem().FieldByName(field.Name)
		switch {
		case v.Kind() == reflect.Int:
			v.SetInt(v.Int() + 1)
		case v.Kind() == reflect.Uint:
			v.SetUint(v.Uint() + 1)
		case v.Kind() == reflect.String:
			v.SetString("3")
		case v.Kind() == reflect.Bool:
			v.SetBool(!v.Bool())
		case v.Kind() == reflect.Pointer:
			v.Set(reflect.New(v.Type().Elem()))
		case v.Type() == reflect.TypeFor[time.Time]():
			v.Set(reflect.ValueOf(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)))
		default:
			t.Fatalf("field %s of kind %s: the test does not know how to change it", field.Name, v.Kind())
		}
		if !base.SameAnswer(&changed) {
			noticed++
			if !slices.Contains(read, field.DBName) {
				t.Errorf("SameAnswer compares %s, which a save does not read (answerColumns)", field.DBName)
			}
		}
	}
	if noticed < 10 {
		t.Errorf("SameAnswer noticed a change of %d columns, want the 10 of an answer", noticed)
	}
}

func TestInsertColumns(t *testing.T) {
	for _, tc := range []struct {
		columns []string
		model   any
	}{{revisionInsertColumns, &Revision{}}, {auditInsertColumns, &AuditEvent{}}} {
		got := slices.Sorted(slices.Values(tc.columns))
		want := slices.DeleteFunc(modelColumns(t, tc.model), func(c string) bool { return c == "id" })
		if !slices.Equal(got, want) {
			t.Errorf("insert columns %v, the model has %v (and id)", got, want)
		}
	}
}

// TestInsertRevisionsMatchesGorm writes revisions and audit events with
// insertRevisions and with gorm's Create, every field set or nil, and
// checks that both read back the same (IDs and keys apart), that each
// revision got its own ID, and that the audit events keep the revisions'
// order.
func TestInsertRevisionsMatchesGorm(t *testing.T) {
	f := newAccountsFixture(t)
	ctx := context.Background()
	c, err := f.s.CreateConsultation(ctx, ConsultationInput{Key: "ins", Title: "Insert"}, f.facilitator.ID)
	if err != nil {
		t.Fatal(err)
	}
	var questions []uint
	for _, key := range []string{"one", "two", "three", "four"} {
		q, err := f.s.CreateQuestion(ctx, c.ID, QuestionInput{Key: key, Section: "S", Text: "Text?", Kind: "scale",
			Labels: []string{"a", "b", "c", "d", "e"}}, f.facilitator.ID)
		if err != nil {
			t.Fatal(err)
		}
		questions = append(questions, q.ID)
	}
	reviewer := f.facilitator.ID
	at := time.Date(2026, 3, 1, 9, 30, 15, 123456789, time.FixedZone("CET", 3600))
	mk := func(q uint, reviewed bool) (*Revision, *AuditEvent) {
		r := &Revision{ConsultationID: c.ID, Round: 1, MemberID: f.est.ID, QuestionID: q, Seq: 1, Preferred: 4,
			AcceptMin: 2, AcceptMax: 5, Importance: ImportanceHigh, Choice: 3, AcceptOptions: "1 3", Answer: "an answer",
			Rationale: "because", Conditions: "only if", Withdrawn: true, OnBehalf: true, SubmittedBy: f.delegate.ID,
			SubmittedAt: at.UTC(), Source: "form"}
		ev := &AuditEvent{At: at, Action: AuditPosition, Subject: fmt.Sprintf("question %d", q), Detail: "none → some"}
		if reviewed {
			r.State, r.ReviewComment, r.ReviewedBy = StateReturned, "not yet", &reviewer
			ev.UserID, ev.MemberID = &f.delegate.ID, &f.est.ID
		}
		return r, ev
	}
	r1, e1 := mk(questions[0], true)
	r2, e2 := mk(questions[1], false)
	if err := f.s.w.Transaction(func(tx *gorm.DB) error {
		return insertRevisions(tx, []*Revision{r1, r2}, []*AuditEvent{e1, e2})
	}); err != nil {
		t.Fatal(err)
	}
	g1, ge1 := mk(questions[2], true)
	g2, ge2 := mk(questions[3], false)
	for _, v := range []any{g1, g2, ge1, ge2} {
		if err := f.s.w.Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	if r1.ID == 0 || r2.ID == 0 || r1.ID == r2.ID {
		t.Fatalf("revision IDs %d and %d, want two distinct", r1.ID, r2.ID)
	}
	load := func(id uint) Revision {
		var r Revision
		if err := f.s.r.First(&r, id).Error; err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, pair := range [][2]*Revision{{r1, g1}, {r2, g2}} {
		got, want := load(pair[0].ID), load(pair[1].ID)
		if got.QuestionID != pair[0].QuestionID {
			t.Errorf("revision %d holds question %d, want %d", got.ID, got.QuestionID, pair[0].QuestionID)
		}
		got.ID, got.QuestionID, want.ID, want.QuestionID = 0, 0, 0, 0
		if !reflect.DeepEqual(got, want) {
			t.Errorf("written %+v\ngorm    %+v", got, want)
		}
	}
	var events []AuditEvent
	if err := f.s.r.Where("action = ?", AuditPosition).Order("id").Find(&events).Error; err != nil {
		t.Fatal(err)
	}
	if len(events) != 4 || events[0].Subject != e1.Subject || events[1].Subject != e2.Subject {
		t.Fatalf("audit events %+v, want those of the two revisions in order, then gorm's", events)
	}
	for i := range 2 {
		got, want := events[i], events[i+2]
		got.ID, got.Subject, want.ID, want.Subject = 0, "", 0, ""
		if !reflect.DeepEqual(got, want) {
			t.Errorf("written %+v\ngorm    %+v", got, want)
		}
	}
}

func TestConsultationColumns(t *testing.T) {
	if got, want := selectedColumns(consultationColumns+" FROM", "c"), modelColumns(t, &Consultation{}); !slices.Equal(got, want) {
		t.Errorf("consultationColumns reads %v, the model has %v", got, want)
	}
}

// TestConsultationByKeyMatchesGorm checks the hand-written read against
// gorm's of the same row, with every field set, and of one with its
// optional fields empty.
func TestConsultationByKeyMatchesGorm(t *testing.T) {
	f := newAccountsFixture(t)
	ctx := context.Background()
	full, err := f.s.CreateConsultation(ctx, ConsultationInput{Key: "full", Title: "Full", Description: "All set"}, f.facilitator.ID)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Date(2026, 4, 1, 17, 0, 0, 0, time.UTC)
	if err := f.s.w.Model(&Consultation{}).Where("id = ?", full.ID).Updates(map[string]any{"status": StatusOpen,
		"deadline": deadline, "round": 3, "share_distribution": true, "quorum": 20, "marking": "NATO RESTRICTED",
		"last_number": 7, "show_previous_rationales": true, "require_approval": true, "timezone": "Europe/Brussels"}).Error; err != nil {
		t.Fatal(err)
	}
	bare, err := f.s.CreateConsultation(ctx, ConsultationInput{Key: "bare", Title: "Bare"}, f.facilitator.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.w.Exec("UPDATE consultations SET description = NULL WHERE id = ?", bare.ID).Error; err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"full", "bare"} {
		got, err := f.s.ConsultationByKey(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		var want Consultation
		if err := f.s.r.Where("key = ?", key).First(&want).Error; err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("%s: read %+v\ngorm %+v", key, *got, want)
		}
	}
	if _, err := f.s.ConsultationByKey(ctx, "none"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown key: err = %v, want ErrNotFound", err)
	}
}
