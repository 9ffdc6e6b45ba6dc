package models_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"concord/consensus"
	"concord/models"
)

func TestSeedDemoIdempotent(t *testing.T) {
	s, _ := freshStore(t)
	ctx := context.Background()
	count := func() (consultations, revisions, users int) {
		t.Helper()
		list, err := s.Consultations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range list {
			revisions += countRevisions(t, s, c.ID)
		}
		us, err := s.Users(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(list), revisions, len(us)
	}

	first, err := s.SeedDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c1, r1, u1 := count()
	// The four demo accounts, and a delegate account for each of the 30
	// other members, so that the demo draft could be circulated.
	if c1 != 1 || u1 != 34 || r1 == 0 {
		t.Fatalf("after the first seed: %d consultations, %d revisions, %d accounts", c1, r1, u1)
	}
	demo, err := s.ConsultationByKey(ctx, models.DemoKey)
	if err != nil {
		t.Fatal(err)
	}
	if demo.Status != models.StatusOpen {
		t.Errorf("demo consultation is %s, want open", demo.Status)
	}
	current, err := s.CurrentPositions(ctx, demo.ID, demo.Round)
	if err != nil {
		t.Fatal(err)
	}
	members := map[string]bool{}
	for _, r := range current {
		members[r.MemberCode] = true
	}
	if len(members) != 32 {
		t.Errorf("demo positions for %d members, want 32", len(members))
	}

	second, err := s.SeedDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c2, r2, u2 := count()
	if c2 != c1 || r2 != r1 || u2 != u1 {
		t.Errorf("second seed changed the data: %d/%d/%d, want %d/%d/%d", c2, r2, u2, c1, r1, u1)
	}
	if len(first) != len(second) {
		t.Fatalf("%d then %d credentials", len(first), len(second))
	}
	for i := range first {
		a, b := first[i], second[i]
		if a.Username != b.Username || a.Role != b.Role {
			t.Errorf("credential %d: %+v then %+v", i, a, b)
		}
		if a.Password == b.Password {
			t.Errorf("%s kept its password across seeds", a.Username)
		}
		if _, err := s.Authenticate(ctx, a.Username, a.Password); !errors.Is(err, models.ErrBadCredentials) {
			t.Errorf("%s: the old password still works (err %v)", a.Username, err)
		}
		u, err := s.Authenticate(ctx, b.Username, b.Password)
		if err != nil {
			t.Errorf("%s: the new password does not work: %v", b.Username, err)
			continue
		}
		if u.Role != b.Role || (b.Member != "" && (u.Member == nil || u.Member.Code != b.Member)) {
			t.Errorf("%s: role %s member %v, want %s %s", b.Username, u.Role, u.Member, b.Role, b.Member)
		}
	}
}

// TestSeedDemoPicture checks that the demonstration shows what the report
// is for: a question of each kind of outcome, members who block, a gap in
// coverage, and an audit event for every position; and, in round 2, that
// some allies moved toward the median while HUN and SVK held.
func TestSeedDemoPicture(t *testing.T) {
	s, _ := freshStore(t)
	ctx := context.Background()
	if _, err := s.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	demo, err := s.ConsultationByKey(ctx, models.DemoKey)
	if err != nil {
		t.Fatal(err)
	}
	if demo.Round != 2 || demo.Status != models.StatusOpen {
		t.Fatalf("demo in round %d, %s; want round 2, open", demo.Round, demo.Status)
	}
	rounds, err := s.Rounds(ctx, demo.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rounds) != 2 || rounds[0].ClosedAt == nil || rounds[1].ClosedAt != nil {
		t.Errorf("rounds %+v, want round 1 closed and round 2 open", rounds)
	}
	reports := map[int]*consensus.Report{}
	for round := 1; round <= 2; round++ {
		a, err := s.LoadAnalysis(ctx, demo, round)
		if err != nil {
			t.Fatal(err)
		}
		reports[round] = consensus.Analyze(a.Input)
	}
	tests := []struct {
		round    int
		key      string
		class    consensus.Classification
		blockers []string // nil: the question has common ground
		missing  []string
	}{
		{1, "founding-act", consensus.Consensus, nil, nil},
		{1, "nato-russia-council", consensus.Polarized, []string{"any"}, nil},
		{1, "arms-control", consensus.Consensus, nil, []string{"ISL"}},
		{1, "stance", consensus.Consensus, nil, nil},
		{1, "eastern-flank", consensus.Divided, []string{"any"}, nil},
		{1, "kremlin-contacts", consensus.NearConsensus, []string{"HUN", "SVK"}, nil},
		// Round 2: the council moves from polarized to divided (the
		// eastern allies and HUN, SVK still outside), the eastern flank
		// from divided to broad agreement; the rest keep their class.
		{2, "founding-act", consensus.Consensus, nil, nil},
		{2, "nato-russia-council", consensus.Divided, []string{"EST", "FIN", "HUN", "LTU", "LVA", "POL", "SVK"}, nil},
		{2, "arms-control", consensus.Consensus, nil, []string{"ISL"}},
		{2, "stance", consensus.Consensus, nil, nil},
		{2, "eastern-flank", consensus.BroadAgreement, []string{"EST", "HUN", "LTU", "LVA", "POL", "SVK"}, nil},
		{2, "kremlin-contacts", consensus.NearConsensus, []string{"HUN", "SVK"}, nil},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("round %d %s", tc.round, tc.key), func(t *testing.T) {
			q, ok := reports[tc.round].Question(tc.key)
			if !ok {
				t.Fatalf("no question %s in the demo", tc.key)
			}
			if q.Classification != tc.class {
				t.Errorf("classification %q, want %q", q.Classification, tc.class)
			}
			if !slices.Equal(q.Coverage.Missing, tc.missing) && !(len(q.Coverage.Missing) == 0 && tc.missing == nil) {
				t.Errorf("missing %v, want %v", q.Coverage.Missing, tc.missing)
			}
			if q.Scale == nil {
				return
			}
			switch {
			case tc.blockers == nil && q.Scale.Blocking != nil:
				t.Errorf("blocked by %v, want common ground", q.Scale.Blocking.Members)
			case tc.blockers != nil && q.Scale.Blocking == nil:
				t.Errorf("common ground %v, want members blocking", q.Scale.CommonGround)
			case tc.blockers != nil && tc.blockers[0] != "any" && !slices.Equal(q.Scale.Blocking.Members, tc.blockers):
				t.Errorf("blocked by %v, want %v", q.Scale.Blocking.Members, tc.blockers)
			}
			// Holdouts are the few a chair would try to bring along:
			// named only when they are 1 to 3 of 32.
			if tc.class == consensus.NearConsensus && !slices.Equal(q.Holdouts, tc.blockers) {
				t.Errorf("holdouts %v, want %v", q.Holdouts, tc.blockers)
			}
			if tc.class != consensus.NearConsensus && len(q.Holdouts) != 0 {
				t.Errorf("holdouts %v, want none", q.Holdouts)
			}
		})
	}

	// Movement in round 2: HUN, SVK and the allies leaning ±2 hold; the
	// others move one point toward the round-1 median when at least one
	// point from it. Counted from demoPreferred's round 1:
	//   council (median 3): 8 allies leaning +1 at 2, 11 leaning 0 and TUR at 4 → 20
	//   arms control (median 3): everyone who may move is at 3 → 0
	//   stance (median 4): 10 allies leaning 0 and TUR at 3 → 11
	//   eastern flank (median 4): 1 at 3, 1 at 5 and 3 of the 4 at 6 (leaning +1) → 5
	//   Kremlin contacts (median 3): 3 leaning +1 at 2, 1 at 4 → 4
	wantMoved := map[string]int{"nato-russia-council": 20, "arms-control": 0, "stance": 11, "eastern-flank": 5, "kremlin-contacts": 4}
	for key, want := range wantMoved {
		q, _ := reports[2].Question(key)
		if q == nil || q.Trend == nil {
			t.Errorf("%s: no trend in round 2", key)
			continue
		}
		moved := 0
		for _, m := range q.Trend.Movement {
			switch {
			case (m.Member == "HUN" || m.Member == "SVK") && m.Shift != 0:
				t.Errorf("%s: %s moved %d, want it to hold", key, m.Member, m.Shift)
			case m.Shift != 0 && m.Direction != "toward":
				t.Errorf("%s: %s moved %s the median", key, m.Member, m.Direction)
			case m.Shift != 0:
				moved++
			}
		}
		if moved != want {
			t.Errorf("%s: %d members moved, want %d", key, moved, want)
		}
	}

	revisions := countRevisions(t, s, demo.ID)
	if n := countAuditEvents(t, s, models.AuditPosition); n != revisions {
		t.Errorf("%d audit events for %d demo positions, want one each", n, revisions)
	}
}

// TestSeedDemoAccountsChangedByFacilitator checks that a new -demo start
// prints only accounts that work, as they now are: a revoked demo account
// stays revoked and is left out; one whose role changed is shown with it.
func TestSeedDemoAccountsChangedByFacilitator(t *testing.T) {
	s, _ := freshStore(t)
	ctx := context.Background()
	first, err := s.SeedDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := map[string]uint{}
	for _, u := range users {
		id[u.Username] = u.ID
	}
	if err := s.RevokeUser(ctx, id["demo-hun"], id["demo-facilitator"]); err != nil {
		t.Fatal(err)
	}
	lva := mustMember(t, s, "LVA")
	if err := s.SetRole(ctx, id["demo-est"], models.RoleDelegate, &lva.ID, id["demo-facilitator"]); err != nil {
		t.Fatal(err)
	}
	second, err := s.SeedDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"demo-facilitator": "facilitator ", "demo-observer": "observer ", "demo-est": "delegate LVA"}
	if len(second) != len(want) {
		t.Errorf("%d accounts printed, want %d: %+v", len(second), len(want), second)
	}
	for _, cr := range second {
		if got := cr.Role + " " + cr.Member; got != want[cr.Username] {
			t.Errorf("%s printed as %q, want %q", cr.Username, got, want[cr.Username])
		}
		if _, err := s.Authenticate(ctx, cr.Username, cr.Password); err != nil {
			t.Errorf("%s: the printed password does not work: %v", cr.Username, err)
		}
	}
	for _, cr := range first {
		if cr.Username == "demo-hun" {
			if _, err := s.Authenticate(ctx, cr.Username, cr.Password); !errors.Is(err, models.ErrBadCredentials) {
				t.Errorf("the revoked demo account signs in: %v", err)
			}
		}
	}
}

// TestSeedDemoDraft checks the demonstration's draft: version 2 of the
// NATO–Russia strategy under a running silence procedure that HUN broke on
// the paragraph about the NATO–Russia Council, with footnotes from TUR and
// GRC (in Greek), seeded once.
func TestSeedDemoDraft(t *testing.T) {
	s, clock := freshStore(t)
	ctx := context.Background()
	for range 2 {
		if _, err := s.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
	}
	c, err := s.ConsultationByKey(ctx, models.DemoKey)
	if err != nil {
		t.Fatal(err)
	}
	if c.Timezone != "Europe/Brussels" {
		t.Errorf("demo time zone = %q, want Europe/Brussels", c.Timezone)
	}
	drafts, err := s.Drafts(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(drafts) != 1 || len(drafts[0].Versions) != 2 || len(drafts[0].Procedures) != 1 {
		t.Fatalf("demo drafts = %+v, want one draft with 2 versions and 1 procedure (seeded once)", drafts)
	}
	p := drafts[0].Procedures[0]
	if p.Version != 2 || p.State != models.ProcedureRunning || !p.Deadline.After(clock.Now()) {
		t.Errorf("procedure on version %d, %s, deadline %v; want version 2 running with a future deadline", p.Version, p.State, p.Deadline)
	}
	v, err := s.ProcedureState(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Version.Hash != models.VersionHash(paragraphTexts(v.Version.Paragraphs)) {
		t.Error("the demo version's hash is not the hash of its paragraphs")
	}
	hun := v.Stand(mustMember(t, s, "HUN").ID)
	if hun.Stand != models.StandBroke || len(hun.Objections) != 1 || hun.Objections[0].Amendment == "" {
		t.Fatalf("HUN = %+v, want broke once with an amendment", hun)
	}
	para := v.Version.Paragraphs[hun.Objections[0].Paragraph-1]
	if !strings.Contains(para.Text, "NATO–Russia Council") || !slices.Contains(para.QuestionKeys, "nato-russia-council") {
		t.Errorf("HUN broke on %q (%v), want the paragraph about the NATO–Russia Council", para.Text, para.QuestionKeys)
	}
	for code, want := range map[string]string{"TUR": "Türkiye", "GRC": "Η Ελλάδα"} {
		st := v.Stand(mustMember(t, s, code).ID)
		if len(st.Footnotes) != 1 || !strings.Contains(st.Footnotes[0].Text, want) || st.Stand != models.StandSilent {
			t.Errorf("%s = %+v, want one footnote containing %q and silence kept", code, st, want)
		}
	}
	if v.Broke != 1 || v.Confirmed != 2 || v.Silent != 29 {
		t.Errorf("stands = %d broke, %d confirmed, %d silent; want 1, 2, 29", v.Broke, v.Confirmed, v.Silent)
	}
	// Every member has an account able to act: once the procedure ends,
	// the next version can be circulated.
	clock.advance(8 * 24 * time.Hour)
	if _, err := s.Circulate(ctx, v.Version.ID, clock.Now().Add(time.Hour), v.Procedure.CreatedBy); err != nil {
		t.Errorf("circulating again after the demo procedure ended: %v", err)
	}
	d, err := s.Draft(ctx, drafts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Procedures[0].State != models.ProcedureBroken {
		t.Errorf("demo procedure after its deadline = %s, want broken (HUN's objection stands)", d.Procedures[0].State)
	}
}

func paragraphTexts(ps []models.Paragraph) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Text
	}
	return out
}
