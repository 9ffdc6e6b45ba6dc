package models

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// The benchmarks of the save path report ratios to baselines measured in
// the same run, so that they mean the same on any machine:
//
//	go test -run '^$' -bench 'FormSave' -benchtime 3000x ./models/
//
// BenchmarkFormSave: a whole-form save (7 questions, one changed) by 32
// members at once, against the one-row durable insert (same settings) and
// the same with synchronous=NORMAL, with the commits per save.
// BenchmarkFormSaveHistory: the same saves with 1,000 revisions of history
// per member against 10.

const (
	benchMembers   = 32
	benchQuestions = 7
)

// benchStore is a store with an open consultation of seven scale
// questions, answered by 32 members with history revisions each (spread
// over the questions, the last answer 3 everywhere).
func benchStore(b *testing.B, history int) (*Store, *Consultation, []uint, uint) {
	b.Helper()
	ctx := context.Background()
	s, err := Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	s.SetPasswordCost(bcrypt.MinCost)
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	roster, err := DefaultRoster()
	if err != nil {
		b.Fatal(err)
	}
	if err := s.SeedMembers(ctx, roster); err != nil {
		b.Fatal(err)
	}
	fac, err := s.CreateUser(ctx, NewUser{Username: "fran", Name: "Fran", Role: RoleFacilitator, Password: "amber lantern over quiet fjords"})
	if err != nil {
		b.Fatal(err)
	}
	c, err := s.CreateConsultation(ctx, ConsultationInput{Key: "bench", Title: "Bench"}, fac.ID)
	if err != nil {
		b.Fatal(err)
	}
	for i := range benchQuestions {
		if _, err := s.CreateQuestion(ctx, c.ID, QuestionInput{Key: fmt.Sprintf("q%d", i+1), Section: "Posture", Kind: KindScale,
			Text: "Where?", Labels: []string{"1", "2", "3", "4", "5"}}, fac.ID); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.SetStatus(ctx, c.ID, StatusOpen, fac.ID); err != nil {
		b.Fatal(err)
	}
	var members []uint
	if err := s.r.Raw(`SELECT id FROM members ORDER BY code LIMIT ?`, benchMembers).Scan(&members).Error; err != nil {
		b.Fatal(err)
	}
	perQuestion := max(1, history/benchQuestions)
	err = s.w.Exec(`WITH RECURSIVE n(seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM n WHERE seq < ?)
		INSERT INTO revisions (consultation_id, round, member_id, question_id, seq, preferred, accept_min, accept_max,
			importance, rationale, submitted_by, submitted_at, source)
		SELECT ?, 1, m.id, q.id, n.seq, CASE WHEN n.seq = ? THEN 3 ELSE 1 + n.seq % 5 END,
			CASE WHEN n.seq = ? THEN 3 ELSE 1 + n.seq % 5 END, CASE WHEN n.seq = ? THEN 3 ELSE 1 + n.seq % 5 END,
			'medium', 'An earlier rationale of some length, as delegates write them.', ?, '2026-01-01 00:00:00', 'import'
		FROM members m CROSS JOIN questions q CROSS JOIN n WHERE m.id IN ? AND q.consultation_id = ?
		ORDER BY m.id, q.id, n.seq`,
		perQuestion, c.ID, perQuestion, perQuestion, perQuestion, fac.ID, members, c.ID).Error
	if err != nil {
		b.Fatal(err)
	}
	return s, c, members, fac.ID
}

// runFormSaves has each of the 32 members save the whole form, with one
// answer changed, until ops saves are done.
// saved counts each member's saves into s across runs, so that every save
// changes the answer.
func runFormSaves(b *testing.B, s *Store, c *Consultation, members []uint, by uint, saved []int, ops int) Throughput {
	b.Helper()
	t, err := RunLoad(context.Background(), len(members), ops, 0, func(ctx context.Context, w, i int) error {
		in := make([]PositionInput, benchQuestions)
		for q := range in {
			in[q] = PositionInput{QuestionKey: fmt.Sprintf("q%d", q+1), Preferred: 3, Rationale: "An earlier rationale of some length, as delegates write them."}
		}
		saved[w]++                           // one worker per member: no other goroutine touches saved[w]
		in[0].Preferred = 2 + 2*(saved[w]%2) // 4, 2, 4, …: changed on every save
		res, err := s.SubmitPositions(ctx, Submission{ConsultationID: c.ID, MemberID: members[w], UserID: by, Source: SourceForm,
			OnBehalf: true, Inputs: in})
		if err == nil && res.Changed != 1 {
			err = fmt.Errorf("save changed %d answers, want 1", res.Changed)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return t
}

func baseline(b *testing.B, sync string, ops int) Throughput {
	b.Helper()
	if ops == 0 {
		return Throughput{}
	}
	t, err := OneRowBaseline(context.Background(), BaselineSpec{Path: filepath.Join(b.TempDir(), "baseline-"+sync+".db"),
		Synchronous: sync, Workers: benchMembers, Ops: ops})
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// benchSlices is how many alternating slices the compared runs are cut
// into, so that a change of the machine's load during the run weighs on
// each alike.
const benchSlices = 6

// sliceOps is the share of n done in slice i.
func sliceOps(n, i int) int { return n/benchSlices + min(1, max(0, n%benchSlices-i)) }

func add(t *Throughput, u Throughput) { t.Ops, t.Elapsed = t.Ops+u.Ops, t.Elapsed+u.Elapsed }

func BenchmarkFormSave(b *testing.B) {
	s, c, members, by := benchStore(b, 10)
	saved := make([]int, len(members))
	before := s.WriteStats()
	b.ResetTimer()
	var saves, full, normal Throughput
	for i := range benchSlices {
		add(&saves, runFormSaves(b, s, c, members, by, saved, sliceOps(b.N, i)))
		add(&full, baseline(b, SynchronousFull, sliceOps(b.N, i)))
		add(&normal, baseline(b, SynchronousNormal, sliceOps(b.N, i)))
	}
	b.StopTimer()
	after := s.WriteStats()
	b.ReportMetric(saves.PerSecond(), "saves/s")
	b.ReportMetric(saves.PerSecond()/full.PerSecond(), "x_durable_row")
	b.ReportMetric(saves.PerSecond()/normal.PerSecond(), "x_normal_row")
	b.ReportMetric(float64(after.Commits-before.Commits)/float64(after.Saves-before.Saves), "commits/save")
}

func BenchmarkFormSaveHistory(b *testing.B) {
	s10, c10, m10, by10 := benchStore(b, 10)
	s1000, c1000, m1000, by1000 := benchStore(b, 1000)
	b.ResetTimer()
	var short, long Throughput
	saved10, saved1000 := make([]int, len(m10)), make([]int, len(m1000))
	for i := range benchSlices {
		add(&short, runFormSaves(b, s10, c10, m10, by10, saved10, sliceOps(b.N, i)))
		add(&long, runFormSaves(b, s1000, c1000, m1000, by1000, saved1000, sliceOps(b.N, i)))
	}
	b.ReportMetric(short.PerSecond(), "saves/s_history10")
	b.ReportMetric(long.PerSecond()/short.PerSecond(), "x_history1000")
}
