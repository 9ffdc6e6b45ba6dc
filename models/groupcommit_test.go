package models

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// groupFixture is a store with an open consultation of three scale
// questions (q1, q2, q3), a facilitator and the default roster.
type groupFixture struct {
	s   *Store
	c   *Consultation
	fac *User
	ids map[string]uint // member code → ID
}

func newGroupFixture(t *testing.T) *groupFixture {
	t.Helper()
	return newGroupFixtureOn(t, filepath.Join(t.TempDir(), "group.db"))
}

// newGroupFixtureOn is newGroupFixture on the database dsn names.
func newGroupFixtureOn(t *testing.T, dsn string) *groupFixture {
	t.Helper()
	ctx := context.Background()
	s := openTestStore(t, dsn)
	s.SetPasswordCost(bcrypt.MinCost)
	roster, err := DefaultRoster()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SeedMembers(ctx, roster); err != nil {
		t.Fatal(err)
	}
	fac, err := s.CreateUser(ctx, NewUser{Username: "fran", Name: "Fran", Role: RoleFacilitator, Password: "amber lantern over quiet fjords"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateConsultation(ctx, ConsultationInput{Key: "review", Title: "Review"}, fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"q1", "q2", "q3"} {
		if _, err := s.CreateQuestion(ctx, c.ID, QuestionInput{Key: k, Section: "Posture", Kind: KindScale,
			Text: "Where on " + k + "?", Labels: []string{"Less", "Same", "More", "Much more", "All"}}, fac.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetStatus(ctx, c.ID, StatusOpen, fac.ID); err != nil {
		t.Fatal(err)
	}
	f := &groupFixture{s: s, c: c, fac: fac, ids: map[string]uint{}}
	for _, m := range roster {
		mm, err := s.MemberByCode(ctx, m.Code)
		if err != nil {
			t.Fatal(err)
		}
		f.ids[m.Code] = mm.ID
	}
	return f
}

func (f *groupFixture) sub(code string, in ...PositionInput) Submission {
	return Submission{ConsultationID: f.c.ID, MemberID: f.ids[code], UserID: f.fac.ID, Source: SourceForm, OnBehalf: true, Inputs: in}
}

// holdWriter occupies the writer connection with a transaction of its own
// until release is called, so that submissions queue behind it.
func holdWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	started, stop, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- s.w.Transaction(func(*gorm.DB) error {
			close(started)
			<-stop
			return nil
		})
	}()
	<-started
	return func() {
		close(stop)
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// waitFor polls cond until it holds (or fails the test after 10 s).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

type outcome struct {
	res SubmitResult
	err error
}

// submitAsync submits in the background; the outcome arrives on the channel.
func submitAsync(s *Store, sub Submission) <-chan outcome {
	ch := make(chan outcome, 1)
	go func() {
		res, err := s.SubmitPositions(context.Background(), sub)
		ch <- outcome{res, err}
	}()
	return ch
}

// queueBehindHeldWriter holds the writer, submits first alone (the writer
// takes it and waits for the connection), then queues rest, and releases:
// first is committed alone, rest together in one transaction.
func queueBehindHeldWriter(t *testing.T, s *Store, first Submission, rest []Submission) []outcome {
	t.Helper()
	release := holdWriter(t, s)
	before := s.gw.received.Load()
	chans := []<-chan outcome{submitAsync(s, first)}
	waitFor(t, "the writer to take the first submission", func() bool { return s.gw.received.Load() == before+1 })
	for _, sub := range rest {
		chans = append(chans, submitAsync(s, sub))
	}
	waitFor(t, "the other submissions to queue", func() bool { return len(s.gw.queue) == len(rest) })
	release()
	out := make([]outcome, len(chans))
	for i, ch := range chans {
		out[i] = <-ch
	}
	return out
}

func TestGroupCommitSharesOneCommit(t *testing.T) {
	f := newGroupFixture(t)
	codes := []string{"ALB", "BEL", "BGR", "CAN", "HRV", "CZE", "DNK", "EST", "FIN", "FRA"}
	var rest []Submission
	for i, code := range codes[1:] {
		rest = append(rest, f.sub(code, PositionInput{QuestionKey: "q1", Preferred: 1 + i%5}))
	}
	before := f.s.WriteStats()
	out := queueBehindHeldWriter(t, f.s, f.sub(codes[0], PositionInput{QuestionKey: "q1", Preferred: 3}), rest)
	for i, o := range out {
		if o.err != nil || o.res.Changed != 1 {
			t.Errorf("submission %d: %+v, %v; want 1 revision saved", i, o.res, o.err)
		}
	}
	st := f.s.WriteStats()
	if got := st.Commits - before.Commits; got != 2 {
		t.Errorf("%d commits for 10 saves; want 2 (the first alone, then the nine queued behind it)", got)
	}
	if got := st.Saves - before.Saves; got != 10 {
		t.Errorf("%d saves acknowledged; want 10", got)
	}
	if st.LargestGroup != 9 {
		t.Errorf("largest group %d; want 9", st.LargestGroup)
	}
	current, err := f.s.CurrentPositions(context.Background(), f.c.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(current) != 10 {
		t.Errorf("%d current positions; want 10", len(current))
	}
}

// TestGroupCommitIsolatesFailures: in one transaction, a submission that
// is invalid and one the database refuses each get their own error and
// leave nothing behind; the others of the same transaction are saved.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	f := newGroupFixture(t)
	ctx := context.Background()
	if err := f.s.w.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON revisions
		WHEN NEW.member_id = ` + fmt.Sprint(f.ids["CAN"]) + ` BEGIN SELECT RAISE(ABORT, 'refused'); END`).Error; err != nil {
		t.Fatal(err)
	}
	out := queueBehindHeldWriter(t, f.s, f.sub("ALB", PositionInput{QuestionKey: "q1", Preferred: 2}), []Submission{
		f.sub("BEL", PositionInput{QuestionKey: "q1", Preferred: 4}, PositionInput{QuestionKey: "q2", Preferred: 1}),
		f.sub("BGR", PositionInput{QuestionKey: "q1", Preferred: 9}), // beyond the scale
		f.sub("CAN", PositionInput{QuestionKey: "q1", Preferred: 2}, PositionInput{QuestionKey: "q2", Preferred: 2}),
		f.sub("HRV", PositionInput{QuestionKey: "q3", Preferred: 5}),
		f.sub("CZE", PositionInput{QuestionKey: "nope", Preferred: 1}),
	})
	tests := []struct {
		name    string
		o       outcome
		changed int
		check   func(error) bool
	}{
		{"saved alone", out[0], 1, func(err error) bool { return err == nil }},
		{"saved in the group", out[1], 2, func(err error) bool { return err == nil }},
		{"invalid", out[2], 0, func(err error) bool {
			var se *SubmissionError
			return errors.As(err, &se) && se.Questions["q1"][FieldPreferred] != ""
		}},
		{"refused by the database", out[3], 0, func(err error) bool { return err != nil && strings.Contains(err.Error(), "refused") }},
		{"saved after the refusals", out[4], 1, func(err error) bool { return err == nil }},
		{"unknown question", out[5], 0, func(err error) bool { return errors.Is(err, ErrNotFound) }},
	}
	for _, tc := range tests {
		if !tc.check(tc.o.err) || tc.o.res.Changed != tc.changed {
			t.Errorf("%s: %+v, %v", tc.name, tc.o.res, tc.o.err)
		}
	}
	current, err := f.s.CurrentPositions(ctx, f.c.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range current {
		got = append(got, fmt.Sprintf("%s/%s=%d", r.MemberCode, r.QuestionKey, r.Preferred))
	}
	want := "ALB/q1=2 BEL/q1=4 BEL/q2=1 HRV/q3=5"
	if strings.Join(got, " ") != want {
		t.Errorf("current positions %q; want %q", strings.Join(got, " "), want)
	}
	var events int64
	if err := f.s.r.Model(&AuditEvent{}).Where("action = ?", AuditPosition).Count(&events).Error; err != nil {
		t.Fatal(err)
	}
	if events != 4 {
		t.Errorf("%d position audit events; want 4 (one per saved revision)", events)
	}
}

// TestGroupCommitFailureFailsTheGroup makes the commit itself fail (a
// deferred foreign key checked at COMMIT): every submission of the group
// gets the error, and nothing of it is stored.
func TestGroupCommitFailureFailsTheGroup(t *testing.T) {
	f := newGroupFixture(t)
	ctx := context.Background()
	for _, stmt := range []string{
		`CREATE TABLE commit_guard (question_id INTEGER REFERENCES questions(id) DEFERRABLE INITIALLY DEFERRED)`,
		`CREATE TRIGGER guard AFTER INSERT ON revisions WHEN NEW.member_id = ` + fmt.Sprint(f.ids["DNK"]) +
			` BEGIN INSERT INTO commit_guard VALUES (-1); END`,
	} {
		if err := f.s.w.Exec(stmt).Error; err != nil {
			t.Fatal(err)
		}
	}
	out := queueBehindHeldWriter(t, f.s, f.sub("ALB", PositionInput{QuestionKey: "q1", Preferred: 2}), []Submission{
		f.sub("BEL", PositionInput{QuestionKey: "q1", Preferred: 4}),
		f.sub("DNK", PositionInput{QuestionKey: "q1", Preferred: 3}),
		f.sub("EST", PositionInput{QuestionKey: "q2", Preferred: 1}),
	})
	if out[0].err != nil {
		t.Errorf("the first save, committed alone: %v", out[0].err)
	}
	for i, o := range out[1:] {
		if o.err == nil || !strings.Contains(o.err.Error(), "commit") {
			t.Errorf("submission %d of the failed group: %+v, %v; want the commit's error", i+1, o.res, o.err)
		}
	}
	current, err := f.s.CurrentPositions(ctx, f.c.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(current) != 1 || current[0].MemberCode != "ALB" {
		t.Errorf("current positions %+v; want ALB's alone", current)
	}
	// The writer goes on: the next save commits.
	if _, err := f.s.SubmitPositions(ctx, f.sub("EST", PositionInput{QuestionKey: "q2", Preferred: 1})); err != nil {
		t.Errorf("a save after the failed commit: %v", err)
	}
}

// TestGroupCommitCloseDrains: Close answers every submission already
// queued (they are saved), and refuses those made afterwards.
func TestGroupCommitCloseDrains(t *testing.T) {
	ctx := context.Background()
	f := newGroupFixture(t)
	release := holdWriter(t, f.s)
	var chans []<-chan outcome
	for i, code := range []string{"ALB", "BEL", "BGR", "CAN"} {
		chans = append(chans, submitAsync(f.s, f.sub(code, PositionInput{QuestionKey: "q1", Preferred: 1 + i})))
	}
	waitFor(t, "the submissions to reach the writer", func() bool { return int(f.s.gw.received.Load())+len(f.s.gw.queue) == 4 })
	closed := make(chan error, 1)
	go func() { closed <- f.s.Close() }()
	waitFor(t, "Close to stop taking submissions", func() bool {
		f.s.gw.mu.RLock()
		defer f.s.gw.mu.RUnlock()
		return f.s.gw.closed
	})
	if _, err := f.s.SubmitPositions(ctx, f.sub("DNK", PositionInput{QuestionKey: "q1", Preferred: 1})); !errors.Is(err, errStoreClosed) {
		t.Errorf("a save after Close: %v; want errStoreClosed", err)
	}
	release()
	for i, ch := range chans {
		if o := <-ch; o.err != nil {
			t.Errorf("queued submission %d: %v; want it saved before Close returns", i, o.err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if got := f.s.WriteStats().Saves; got != 4 {
		t.Errorf("%d saves acknowledged; want 4", got)
	}
}

// TestGroupCommitCancelledBeforeStart: a submission whose context ends
// while it waits is not run.
func TestGroupCommitCancelledBeforeStart(t *testing.T) {
	f := newGroupFixture(t)
	release := holdWriter(t, f.s)
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan outcome, 1)
	go func() {
		res, err := f.s.SubmitPositions(ctx, f.sub("ALB", PositionInput{QuestionKey: "q1", Preferred: 2}))
		ch <- outcome{res, err}
	}()
	waitFor(t, "the submission to reach the writer", func() bool { return f.s.gw.received.Load()+uint64(len(f.s.gw.queue)) == 1 })
	cancel()
	release()
	if o := <-ch; !errors.Is(o.err, context.Canceled) {
		t.Errorf("outcome %+v, %v; want context.Canceled", o.res, o.err)
	}
	if n := len(mustCurrent(t, f.s, f.c.ID, 1)); n != 0 {
		t.Errorf("%d current positions; want none", n)
	}
}

// TestGroupCommitConcurrentSaves: many members saving at once all get
// their saves, with fewer commits than saves.
func TestGroupCommitConcurrentSaves(t *testing.T) {
	f := newGroupFixture(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	codes := []string{"ALB", "BEL", "BGR", "CAN", "HRV", "CZE", "DNK", "EST"}
	errs := make(chan error, len(codes)*20)
	for _, code := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				_, err := f.s.SubmitPositions(ctx, f.sub(code, PositionInput{QuestionKey: "q1", Preferred: 1 + i%5},
					PositionInput{QuestionKey: "q2", Preferred: 1 + (i+1)%5}))
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := f.s.WriteStats()
	if st.Saves != 160 || st.Commits > st.Saves {
		t.Errorf("stats %+v; want 160 saves in at most 160 commits", st)
	}
	for _, r := range mustCurrent(t, f.s, f.c.ID, 1) {
		want := map[string]int{"q1": 5, "q2": 1}[r.QuestionKey] // the 20th save: i = 19
		if r.Preferred != want {
			t.Errorf("%s/%s = %d; want %d", r.MemberCode, r.QuestionKey, r.Preferred, want)
		}
	}
}

func mustCurrent(t *testing.T, s *Store, consultationID uint, round int) []RevisionRecord {
	t.Helper()
	list, err := s.CurrentPositions(context.Background(), consultationID, round)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// txStatements returns the statements db's cache holds as bound to a
// transaction (prepared again on every use in a later transaction).
func txStatements(t *testing.T, db *gorm.DB) []string {
	t.Helper()
	p, ok := db.ConnPool.(*gorm.PreparedStmtDB)
	if !ok {
		t.Fatalf("the pool caches no statements (%T)", db.ConnPool)
	}
	var keys []string
	for _, key := range p.Stmts.Keys() {
		if st, ok := p.Stmts.Get(key); ok && st != nil && st.Transaction {
			keys = append(keys, key)
		}
	}
	return keys
}

// TestGroupCommitPreparesOnThePool checks that the statements a save runs
// in the writer's transaction end up cached as the pool's, so that the
// next saves reuse them instead of preparing them again, and that a later
// save of the same shape adds no statement to the cache.
func TestGroupCommitPreparesOnThePool(t *testing.T) {
	f := newGroupFixture(t)
	ctx := context.Background()
	cases := []struct {
		name string
		sub  Submission
	}{
		{"first save of a member", f.sub("ALB", PositionInput{QuestionKey: "q1", Preferred: 2})},
		{"second save of the member", f.sub("ALB", PositionInput{QuestionKey: "q1", Preferred: 4})},
		{"first save of another member", f.sub("BEL", PositionInput{QuestionKey: "q1", Preferred: 3})},
	}
	p := f.s.w.ConnPool.(*gorm.PreparedStmtDB)
	cached := 0
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.s.SubmitPositions(ctx, tc.sub); err != nil {
				t.Fatal(err)
			}
			// The writer prepares them once the save is answered.
			waitFor(t, "the save's statements to be the pool's", func() bool { return len(txStatements(t, f.s.w)) == 0 })
			n := len(p.Stmts.Keys())
			if i > 0 && n != cached {
				t.Errorf("%d statements cached after the save, want the %d cached before it", n, cached)
			}
			cached = n
		})
	}
	if cached == 0 {
		t.Error("no statement cached: the saves ran none through the cache")
	}
}

// TestReaderPoolKeepsItsConnections checks that the reader pool keeps
// every connection it opened idle rather than closing all but two (each
// reopened connection would apply its settings and prepare its statements
// again).
func TestReaderPoolKeepsItsConnections(t *testing.T) {
	s := openTestStore(t, filepath.Join(t.TempDir(), "concord.db"))
	ctx := context.Background()
	sqlDB, err := s.r.DB()
	if err != nil {
		t.Fatal(err)
	}
	var conns []interface{ Close() error }
	for range 8 { // the pool's most
		c, err := sqlDB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	st := sqlDB.Stats()
	if st.Idle != 8 || st.MaxIdleClosed != 0 {
		t.Errorf("after 8 connections returned: %d idle, %d closed for exceeding the idle limit; want 8 and 0", st.Idle, st.MaxIdleClosed)
	}
}
