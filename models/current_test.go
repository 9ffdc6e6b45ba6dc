package models

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"concord/internal/testdb"
)

// currentRows lists the current positions as "consultation/round/member/
// question → revision", by the pointer table (table true) or by the
// definition computed from the whole history.
func currentRows(t *testing.T, s *Store, table bool) []string {
	t.Helper()
	return pointerRows(t, s, table, "current_positions", latestCounting)
}

// pointerRows lists the rows of a pointer table (table true) or the rows
// its definition computes from the whole history.
func pointerRows(t *testing.T, s *Store, table bool, name, definition string) []string {
	t.Helper()
	type row struct {
		ConsultationID, MemberID, QuestionID, RevisionID uint
		Round                                            int
	}
	q := `SELECT r.consultation_id, r.round, r.member_id, r.question_id, r.id AS revision_id FROM revisions r WHERE 1 = 1` + definition
	if table {
		q = `SELECT consultation_id, round, member_id, question_id, revision_id FROM ` + name
	}
	var rows []row
	if err := s.r.Raw(q).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprintf("%d/%d/%d/%d→%d", r.ConsultationID, r.Round, r.MemberID, r.QuestionID, r.RevisionID)
	}
	slices.Sort(out)
	return out
}

func sameCurrent(t *testing.T, s *Store, when string) {
	t.Helper()
	table, history := currentRows(t, s, true), currentRows(t, s, false)
	if !slices.Equal(table, history) {
		t.Fatalf("%s: the pointer table holds\n%v\nthe history gives\n%v", when, table, history)
	}
	// The pending drafts follow the same history.
	table = pointerRows(t, s, true, "pending_positions", latestPending)
	history = pointerRows(t, s, false, "pending_positions", latestPending)
	if !slices.Equal(table, history) {
		t.Fatalf("%s: the pending drafts table holds\n%v\nthe history gives\n%v", when, table, history)
	}
}

// TestCurrentPositionsFollowHistory plays a random history — saves by a
// drafter (drafts), by heads of delegation and facilitators (approved),
// approvals, returns, withdrawals, keeps, approval switched on and off,
// several rounds — and checks after every step that the pointer table of
// current positions holds exactly the rows that the definition (the latest
// revision that counts, unless withdrawn) computes from the history. It
// then checks the backfill of Migrate and the recomputation after a
// revision is deleted.
func TestCurrentPositionsFollowHistory(t *testing.T) {
	f := newGroupFixtureOn(t, testdb.DSN(t))
	ctx := context.Background()
	s := f.s
	members := []string{"ALB", "BEL", "BGR", "CAN"}
	drafter, head := map[string]uint{}, map[string]uint{}
	for _, code := range members {
		id := f.ids[code]
		d, err := s.CreateUser(ctx, NewUser{Username: "draft-" + code, Name: "Drafter", Role: RoleDelegate, MemberID: &id,
			Password: "amber lantern over quiet fjords"})
		if err != nil {
			t.Fatal(err)
		}
		h, err := s.CreateUser(ctx, NewUser{Username: "head-" + code, Name: "Head", Role: RoleDelegate, MemberID: &id,
			Password: "amber lantern over quiet fjords"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetApprover(ctx, h.ID, true, f.fac.ID); err != nil {
			t.Fatal(err)
		}
		drafter[code], head[code] = d.ID, h.ID
	}
	if err := s.SetRequireApproval(ctx, f.c.ID, true, f.fac.ID); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, 42))
	keys := []string{"q1", "q2", "q3"}
	round := 1
	counts := map[string]int{}
	for step := range 400 {
		code := members[rng.IntN(len(members))]
		var inputs []PositionInput
		for _, k := range keys {
			switch rng.IntN(6) {
			case 0, 1:
				inputs = append(inputs, PositionInput{QuestionKey: k, Preferred: 1 + rng.IntN(5)})
			case 2:
				inputs = append(inputs, PositionInput{QuestionKey: k, Withdrawn: true})
			case 3:
				if round > 1 {
					inputs = append(inputs, PositionInput{QuestionKey: k, Keep: true})
				}
			}
		}
		var err error
		op := rng.IntN(10)
		switch {
		case step == 200 || step == 320:
			_, err = s.OpenNextRound(ctx, f.c.ID, nil, f.fac.ID)
			round++
			op = -1
		case op < 4 && len(inputs) > 0:
			_, err = s.SubmitPositions(ctx, Submission{ConsultationID: f.c.ID, MemberID: f.ids[code], UserID: drafter[code],
				Source: SourceForm, Inputs: inputs})
		case op < 6 && len(inputs) > 0:
			by := head[code]
			if op == 5 {
				by = f.fac.ID
			}
			_, err = s.SubmitPositions(ctx, Submission{ConsultationID: f.c.ID, MemberID: f.ids[code], UserID: by,
				Source: SourceForm, OnBehalf: by == f.fac.ID, Inputs: inputs})
		case op == 6:
			_, err = s.Approve(ctx, f.c.ID, f.ids[code], nil, head[code])
		case op == 7:
			_, err = s.Return(ctx, f.c.ID, f.ids[code], nil, "Not yet.", head[code])
		case op == 8:
			err = s.SetRequireApproval(ctx, f.c.ID, rng.IntN(2) == 0, f.fac.ID)
		default:
			op = -2
		}
		var se *SubmissionError
		var conflict *ConflictError
		switch {
		case errors.As(err, &se) && len(se.Questions) > 0: // a keep without an earlier answer
			counts["refused keep"]++
		case errors.As(err, &conflict): // nothing to approve or return
			counts["nothing to review"]++
		case err != nil:
			t.Fatalf("step %d (operation %d): %v", step, op, err)
		default:
			counts[fmt.Sprint("operation ", op)]++
		}
		sameCurrent(t, s, fmt.Sprintf("step %d", step))
	}
	var states []struct {
		State     string
		Withdrawn bool
		N         int
	}
	if err := s.r.Raw(`SELECT state, withdrawn, COUNT(*) AS n FROM revisions GROUP BY state, withdrawn`).Scan(&states).Error; err != nil {
		t.Fatal(err)
	}
	t.Logf("operations %v; revisions by state %+v", counts, states)
	if len(states) < 5 {
		t.Errorf("the random history covers too few kinds of revision: %+v", states)
	}
	if n := len(currentRows(t, s, true)); n == 0 {
		t.Fatal("no current position at all: the history tests nothing")
	}

	// The backfill of a database made before the table existed.
	on := "" // PostgreSQL names the table of a trigger
	if testdb.Postgres() {
		on = " ON revisions"
	}
	for _, stmt := range []string{"DROP TABLE current_positions", "DROP TRIGGER current_positions_append" + on,
		"DROP TRIGGER current_positions_delete" + on, "DROP TRIGGER current_positions_update" + on} {
		if err := s.w.Exec(stmt).Error; err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 { // the second run finds the table and changes nothing
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		sameCurrent(t, s, fmt.Sprintf("migration %d", i+1))
	}

	// Deleting revisions (which the Store never does) recomputes the rows.
	var ids []uint
	if err := s.r.Raw(`SELECT revision_id FROM current_positions ORDER BY revision_id`).Scan(&ids).Error; err != nil {
		t.Fatal(err)
	}
	for _, id := range ids[:min(5, len(ids))] {
		if err := s.w.Exec(`DELETE FROM revisions WHERE id = ?`, id).Error; err != nil {
			t.Fatal(err)
		}
		sameCurrent(t, s, fmt.Sprintf("deleting revision %d", id))
	}
}

// TestCurrentReadsMatchHistory compares the readers of current positions
// with the same reads computed from the history.
func TestCurrentReadsMatchHistory(t *testing.T) {
	f := newGroupFixtureOn(t, testdb.DSN(t))
	ctx := context.Background()
	s := f.s
	subs := []Submission{
		f.sub("ALB", PositionInput{QuestionKey: "q1", Preferred: 2}, PositionInput{QuestionKey: "q2", Preferred: 3}),
		f.sub("ALB", PositionInput{QuestionKey: "q1", Preferred: 4}),
		f.sub("BEL", PositionInput{QuestionKey: "q1", Preferred: 1, Rationale: "Cost."}),
		f.sub("BEL", PositionInput{QuestionKey: "q1", Withdrawn: true}),
		f.sub("BGR", PositionInput{QuestionKey: "q3", Preferred: 5}),
	}
	for _, sub := range subs {
		if _, err := s.SubmitPositions(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	var fromHistory []RevisionRecord
	if err := s.r.Raw(revisionSelect+` WHERE r.consultation_id = ? AND r.round = ?`+latestCounting+
		` ORDER BY m.code, q.ord, q.id`, f.c.ID, 1).Scan(&fromHistory).Error; err != nil {
		t.Fatal(err)
	}
	current := mustCurrent(t, s, f.c.ID, 1)
	describe := func(list []RevisionRecord) string {
		var out []string
		for _, r := range list {
			out = append(out, fmt.Sprintf("%s/%s=%d (seq %d)", r.MemberCode, r.QuestionKey, r.Preferred, r.Seq))
		}
		return fmt.Sprint(out)
	}
	if describe(current) != describe(fromHistory) || describe(current) != "[ALB/q1=4 (seq 2) ALB/q2=3 (seq 1) BGR/q3=5 (seq 1)]" {
		t.Errorf("CurrentPositions %s; history %s", describe(current), describe(fromHistory))
	}
	counts, err := s.AnsweredCounts(ctx, f.c.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 2 || counts[f.ids["ALB"]] != 2 || counts[f.ids["BGR"]] != 1 {
		t.Errorf("answered counts %v; want ALB 2, BGR 1, BEL none (withdrawn)", counts)
	}
	mine, err := s.MemberPositions(ctx, f.c.ID, 1, f.ids["ALB"])
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 2 {
		t.Errorf("ALB's positions %v; want 2", mine)
	}
	progress, err := s.MemberProgress(ctx, f.ids["ALB"], StatusOpen)
	if err != nil {
		t.Fatal(err)
	}
	if len(progress) != 1 || progress[0].Answered != 2 || progress[0].Total != 3 {
		t.Errorf("progress %+v; want 2 of 3", progress)
	}
}
