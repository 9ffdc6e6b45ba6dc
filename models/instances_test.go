package models_test

// Several instances of the server on one database: two stores opened on
// one DSN, each with its own connections, as two processes behind a load
// balancer would have. The tests run on the backend the test run selects
// (internal/testdb): on SQLite the two stores share one file and its lock,
// on PostgreSQL one database and its advisory locks (see postgres.go).

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"concord/internal/testdb"
	"concord/models"
)

// twoStores opens two stores on one new database, migrated by both at
// once and seeded with the default roster, sharing one still clock. Both
// are closed when the test ends.
func twoStores(t *testing.T) (a, b *models.Store, clock *fixedClock) {
	t.Helper()
	ctx := context.Background()
	dsn := testdb.DSN(t)
	clock = &fixedClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	stores := make([]*models.Store, 2)
	for i := range stores {
		s, err := models.Open(dsn)
		if err != nil {
			t.Fatalf("open store %d: %v", i, err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("close store %d: %v", i, err)
			}
		})
		if got, want := s.Backend(), map[bool]string{false: models.BackendSQLite, true: models.BackendPostgres}[testdb.Postgres()]; got != want {
			t.Fatalf("store %d runs on %s, want %s", i, got, want)
		}
		s.SetClock(clock.Now)
		s.SetPasswordCost(bcrypt.MinCost)
		stores[i] = s
	}
	// Two instances starting at once both migrate: on PostgreSQL one does,
	// holding the write lock, and the other then finds the schema in
	// place. SQLite's migration is not one transaction (a table rebuild
	// must turn foreign keys off, which a transaction ignores), so there
	// the second store migrates after the first.
	errs := make([]error, len(stores))
	if testdb.Postgres() {
		together(len(stores), func(i int) { errs[i] = stores[i].Migrate(ctx) })
	} else {
		for i, s := range stores {
			errs[i] = s.Migrate(ctx)
		}
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("migrate store %d: %v", i, err)
		}
	}
	roster, err := models.DefaultRoster()
	if err != nil {
		t.Fatal(err)
	}
	if err := stores[0].SeedMembers(ctx, roster); err != nil {
		t.Fatal(err)
	}
	return stores[0], stores[1], clock
}

// together runs f(i) for i in [0, n) in goroutines released at the same
// moment, and waits for them all.
func together(n int, f func(i int)) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	for i := range n {
		done.Go(func() {
			ready.Done()
			<-start
			f(i)
		})
	}
	ready.Wait()
	close(start)
	done.Wait()
}

// TestInstancesSaveConcurrently: saves of one member's positions, and of
// several members', made at once through two stores on one database. Every
// acknowledged save is stored exactly once; each member, question and
// round has revisions numbered 1..n in the order they were written (no
// duplicate, no gap); the current position is the last revision.
func TestInstancesSaveConcurrently(t *testing.T) {
	tests := []struct {
		name    string
		members []string
		workers int // goroutines per store per member
		saves   int // saves per goroutine
	}{
		{name: "one member, 2 stores × 8 goroutines × 25 saves", members: []string{"EST"}, workers: 8, saves: 25},
		{name: "four members, 2 stores × 3 goroutines × 10 saves each", members: []string{"EST", "LVA", "LTU", "FIN"}, workers: 3, saves: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			a, b, _ := twoStores(t)
			fac := mustUser(t, a, "chair", models.RoleFacilitator, "")
			cons := openConsultation(t, a, "posture", fac.ID, scale("north", "1", "2", "3", "4", "5"), scale("south", "1", "2", "3", "4", "5"))
			members := make([]*models.Member, len(tt.members))
			for i, code := range tt.members {
				members[i] = mustMember(t, a, code)
			}
			stores := []*models.Store{a, b}
			total := len(members) * len(stores) * tt.workers
			var mu sync.Mutex
			acked := map[uint][]string{} // member ID → rationales of acknowledged saves
			var failures []error
			together(total, func(i int) {
				m := members[i%len(members)]
				s := stores[(i/len(members))%len(stores)]
				for n := range tt.saves {
					// Each save changes the stance and its rationale is
					// unique, so every save appends one revision per question.
					why := fmt.Sprintf("worker %d save %d", i, n)
					res, err := s.SubmitPositions(ctx, models.Submission{ConsultationID: cons.ID, MemberID: m.ID,
						UserID: fac.ID, Source: models.SourceForm, OnBehalf: true, Inputs: []models.PositionInput{
							{QuestionKey: "north", Preferred: 1 + (i+n)%5, Rationale: why},
							{QuestionKey: "south", Preferred: 1 + (i+2*n)%5, Rationale: why},
						}})
					mu.Lock()
					switch {
					case err != nil:
						failures = append(failures, fmt.Errorf("worker %d save %d: %w", i, n, err))
					case res.Changed != 2 || res.Unchanged != 0:
						failures = append(failures, fmt.Errorf("worker %d save %d: %+v, want 2 changed", i, n, res))
					default:
						acked[m.ID] = append(acked[m.ID], why)
					}
					mu.Unlock()
				}
			})
			for _, err := range failures {
				t.Error(err)
			}
			perMember := len(stores) * tt.workers * tt.saves
			for _, m := range members {
				if got := len(acked[m.ID]); got != perMember {
					t.Errorf("%s: %d saves acknowledged, want %d", m.Code, got, perMember)
				}
				for _, s := range stores {
					checkHistory(t, s, cons.ID, m, acked[m.ID])
				}
			}
			if got, want := countRevisions(t, b, cons.ID), 2*len(members)*perMember; got != want {
				t.Errorf("%d revisions stored, want %d", got, want)
			}
		})
	}
}

// checkHistory checks, as store s reads them, a member's revisions of each
// question after the saves with rationales acked: one revision per save,
// sequence numbers 1..n in the order of their IDs, and the current
// position (CurrentPositions, MemberPositions) the last of them.
func checkHistory(t *testing.T, s *models.Store, consultationID uint, m *models.Member, acked []string) {
	t.Helper()
	ctx := context.Background()
	hist, err := s.History(ctx, consultationID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	byQuestion := map[string][]models.RevisionRecord{}
	for _, r := range hist { // in ID order
		byQuestion[r.QuestionKey] = append(byQuestion[r.QuestionKey], r)
	}
	mine, err := s.MemberPositions(ctx, consultationID, 1, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.CurrentPositions(ctx, consultationID, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(acked))
	for _, key := range []string{"north", "south"} {
		revs := byQuestion[key]
		var whys []string
		for i, r := range revs {
			whys = append(whys, r.Rationale)
			if r.Seq != i+1 {
				t.Errorf("%s %s: revision %d (ID %d) has sequence number %d, want %d", m.Code, key, i+1, r.ID, r.Seq, i+1)
			}
		}
		sort.Strings(whys)
		if !slices.Equal(whys, want) {
			t.Errorf("%s %s: the stored revisions are not the acknowledged saves: %d stored, %d acknowledged", m.Code, key, len(whys), len(want))
		}
		if len(revs) == 0 {
			continue
		}
		last := revs[len(revs)-1]
		if cur, ok := mine[last.QuestionID]; !ok || cur.ID != last.ID {
			t.Errorf("%s %s: MemberPositions gives revision %d, want the last, %d (seq %d)", m.Code, key, cur.ID, last.ID, last.Seq)
		}
		found := 0
		for _, r := range all {
			if r.MemberID == m.ID && r.QuestionID == last.QuestionID {
				found++
				if r.ID != last.ID {
					t.Errorf("%s %s: CurrentPositions gives revision %d, want the last, %d", m.Code, key, r.ID, last.ID)
				}
			}
		}
		if found != 1 {
			t.Errorf("%s %s: CurrentPositions lists %d positions, want 1", m.Code, key, found)
		}
	}
}

// TestInstancesShareSignInThrottle: failed sign-ins counted through either
// store add up. With the default policy the pair of an account and an
// address is slowed after its first failure (1 s, 2 s, 4 s) and locked for
// 15 minutes at its fifth; the account name alone waits 10 s from its
// fourth failure. Three failures through one store and two through the
// other lock the pair, and both stores then refuse it.
func TestInstancesShareSignInThrottle(t *testing.T) {
	ctx := context.Background()
	a, b, clock := twoStores(t)
	p := models.DefaultThrottle()
	at := models.Attempt{Username: "kadri", Address: "192.0.2.7"}
	steps := []struct {
		name   string
		via    *models.Store
		wait   time.Duration
		locked bool
	}{
		{name: "1st failure, through A: free", via: a},
		{name: "2nd failure, through B: the pair waits 1 s", via: b, wait: time.Second},
		{name: "3rd failure, through A: the pair waits 2 s", via: a, wait: 2 * time.Second},
		{name: "4th failure, through B: the account waits 10 s", via: b, wait: 10 * time.Second},
		{name: "5th failure, through A: the pair is locked", via: a, wait: models.PairLock, locked: true},
	}
	for _, st := range steps {
		wait, out, err := st.via.BeginLogin(ctx, p, at)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if wait != 0 {
			t.Fatalf("%s: told to wait %v before the attempt, want none", st.name, wait)
		}
		if _, err := st.via.LoginFailed(ctx, p, at); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if out.Wait != st.wait || out.Locked != st.locked {
			t.Errorf("%s: %+v, want wait %v, locked %v", st.name, out, st.wait, st.locked)
		}
		if !st.locked {
			clock.advance(out.Wait) // the next attempt comes as soon as allowed
		}
	}
	// Ten seconds into the lock, both stores refuse the pair and count
	// nothing.
	clock.advance(10 * time.Second)
	for name, s := range map[string]*models.Store{"A": a, "B": b} {
		wait, out, err := s.BeginLogin(ctx, p, at)
		if err != nil {
			t.Fatal(err)
		}
		if wait != models.PairLock-10*time.Second || out != (models.Throttled{}) {
			t.Errorf("store %s after the lock: wait %v, %+v; want %v and nothing counted", name, wait, out, models.PairLock-10*time.Second)
		}
	}
}

// TestInstancesCountConcurrentFailures: failures counted at the same moment
// through both stores are all counted, none lost to a concurrent update. A
// policy that never slows down locks the pair at its 41st failure and the
// address at its 41st: after 40 concurrent failures (20 per store) nothing
// is locked, and the next failure locks both.
func TestInstancesCountConcurrentFailures(t *testing.T) {
	ctx := context.Background()
	a, b, _ := twoStores(t)
	const n = 40
	rule := models.ThrottleRule{MaxFailures: n + 1, Window: time.Hour, Lock: time.Hour, Forget: 24 * time.Hour}
	p := models.ThrottlePolicy{Pair: rule, Account: models.ThrottleRule{Window: time.Hour, Forget: 24 * time.Hour}, Address: rule}
	at := models.Attempt{Username: "kadri", Address: "192.0.2.7"}
	stores := []*models.Store{a, b}
	var mu sync.Mutex
	var problems []string
	together(n, func(i int) {
		s := stores[i%2]
		wait, early, err := s.BeginLogin(ctx, p, at)
		var late models.Throttled
		if err == nil {
			late, err = s.LoginFailed(ctx, p, at)
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			problems = append(problems, err.Error())
		case wait != 0 || early.Merge(late) != (models.Throttled{}):
			problems = append(problems, fmt.Sprintf("failure %d: wait %v, %+v, %+v; want none", i, wait, early, late))
		}
	})
	for _, p := range problems {
		t.Error(p)
	}
	wait, early, err := b.BeginLogin(ctx, p, at)
	if err != nil {
		t.Fatal(err)
	}
	late, err := a.LoginFailed(ctx, p, at)
	if err != nil {
		t.Fatal(err)
	}
	if wait != 0 || !early.Locked || !late.Locked {
		t.Errorf("failure %d: wait %v, pair %+v, address %+v; want both locked (failures were lost)", n+1, wait, early, late)
	}
}

// TestInstancesAcceptInvitationOnce: a one-time link accepted at the same
// moment through both stores creates one account; the other acceptance is
// refused as a link no longer usable.
func TestInstancesAcceptInvitationOnce(t *testing.T) {
	ctx := context.Background()
	a, b, _ := twoStores(t)
	fac := mustUser(t, a, "chair", models.RoleFacilitator, "")
	const rounds = 8
	for r := range rounds {
		token, _, err := a.CreateInvitation(ctx, models.RoleObserver, nil, &fac.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		names := []string{fmt.Sprintf("first%d", r), fmt.Sprintf("second%d", r)}
		errs := make([]error, 2)
		together(2, func(i int) {
			s := []*models.Store{a, b}[i]
			_, errs[i] = s.AcceptInvitation(ctx, token, models.AccountInput{Username: names[i], Name: "Observer " + names[i],
				Password: strongPassword, Confirm: strongPassword})
		})
		created := 0
		for i, err := range errs {
			switch {
			case err == nil:
				created++
			case !errors.Is(err, models.ErrNotFound):
				t.Errorf("round %d: acceptance through store %d: %v, want success or ErrNotFound", r, i, err)
			}
		}
		if created != 1 {
			t.Errorf("round %d: %d accounts created from one link, want 1 (errors %v)", r, created, errs)
		}
	}
	users, err := b.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(users); got != rounds+1 {
		t.Errorf("%d accounts, want %d (the facilitator and one per link)", got, rounds+1)
	}
	if got := countAuditEvents(t, b, models.AuditInvitationUsed); got != rounds {
		t.Errorf("%d %s events, want %d", got, models.AuditInvitationUsed, rounds)
	}
}

// TestInstancesEndSessions: what one store does to an account's sessions
// and API tokens holds at once on the other.
func TestInstancesEndSessions(t *testing.T) {
	policy := models.SessionPolicy{Idle: time.Hour, Absolute: 12 * time.Hour}
	tests := []struct {
		name string
		// end acts through store s on user u; keep is a session to spare.
		end func(s *models.Store, fac, u *models.User, keep uint) error
		// kept: the spared session goes on working.
		kept bool
	}{
		{name: "account revoked", end: func(s *models.Store, fac, u *models.User, _ uint) error {
			return s.RevokeUser(context.Background(), u.ID, fac.ID)
		}},
		{name: "signed out everywhere", end: func(s *models.Store, _, u *models.User, _ uint) error {
			_, err := s.EndSessions(context.Background(), u.ID, 0)
			return err
		}},
		{name: "password changed", kept: true, end: func(s *models.Store, _, u *models.User, keep uint) error {
			return s.ChangePassword(context.Background(), u.ID, models.PasswordChange{Current: strongPassword,
				Password: "violet harbour beneath slow rain", Confirm: "violet harbour beneath slow rain"}, keep)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			a, b, _ := twoStores(t)
			fac := mustUser(t, a, "chair", models.RoleFacilitator, "")
			u := mustUser(t, a, "kadri", models.RoleDelegate, "EST")
			onA, _, err := a.CreateSession(ctx, u.ID, policy, "browser A")
			if err != nil {
				t.Fatal(err)
			}
			onB, keep, err := b.CreateSession(ctx, u.ID, policy, "browser B")
			if err != nil {
				t.Fatal(err)
			}
			apiToken, _, err := a.CreateAPIToken(ctx, u.ID, models.APITokenInput{Name: "script", Expires: "30"})
			if err != nil {
				t.Fatal(err)
			}
			// Before: each store knows the sessions and the token made
			// through the other.
			for _, c := range []struct {
				name  string
				s     *models.Store
				token string
			}{{"A", b, onA}, {"B", a, onB}} {
				if _, got, err := c.s.SessionByToken(ctx, c.token, policy); err != nil || got.ID != u.ID {
					t.Fatalf("the session made through store %s is not found by the other: %v", c.name, err)
				}
			}
			if _, got, err := b.AuthenticateAPIToken(ctx, apiToken); err != nil || got.ID != u.ID {
				t.Fatalf("the API token made through store A is refused by store B: %v", err)
			}
			// Through B; then A and B see the result.
			if err := tt.end(b, fac, u, keep.ID); err != nil {
				t.Fatal(err)
			}
			for name, s := range map[string]*models.Store{"A": a, "B": b} {
				if _, _, err := s.SessionByToken(ctx, onA, policy); !errors.Is(err, models.ErrNotFound) {
					t.Errorf("store %s: the session made through A: err = %v, want ErrNotFound", name, err)
				}
				_, _, err := s.SessionByToken(ctx, onB, policy)
				if tt.kept && err != nil {
					t.Errorf("store %s: the session the change was made from ended: %v", name, err)
				}
				if !tt.kept && !errors.Is(err, models.ErrNotFound) {
					t.Errorf("store %s: the session made through B: err = %v, want ErrNotFound", name, err)
				}
				if _, _, err := s.AuthenticateAPIToken(ctx, apiToken); !errors.Is(err, models.ErrBadToken) {
					t.Errorf("store %s: the API token: err = %v, want ErrBadToken", name, err)
				}
			}
		})
	}
}

// TestInstancesPrintOneSetupLink: two instances starting at the same
// moment on a database without a facilitator make one setup link between
// them; the other is told a link was made moments ago. A start more than
// SetupLinkQuiet later makes a new link, which revokes the earlier one.
func TestInstancesPrintOneSetupLink(t *testing.T) {
	ctx := context.Background()
	a, b, clock := twoStores(t)
	const starts = 5
	var tokens []string
	for r := range starts {
		got := make([]string, 2)
		errs := make([]error, 2)
		together(2, func(i int) {
			got[i], _, errs[i] = []*models.Store{a, b}[i].CreateSetupInvitation(ctx, 24*time.Hour)
		})
		made := 0
		for i, err := range errs {
			switch {
			case err == nil:
				made++
				tokens = append(tokens, got[i])
			case !errors.Is(err, models.ErrSetupLinkRecent):
				t.Errorf("start %d, store %d: %v, want a link or ErrSetupLinkRecent", r, i, err)
			}
		}
		if made != 1 {
			t.Fatalf("start %d: %d setup links made, want 1", r, made)
		}
		clock.advance(models.SetupLinkQuiet + time.Second)
	}
	for i, token := range tokens {
		_, err := b.InvitationByToken(ctx, token)
		if last := i == len(tokens)-1; last && err != nil {
			t.Errorf("the last setup link does not work: %v", err)
		} else if !last && !errors.Is(err, models.ErrNotFound) {
			t.Errorf("setup link %d of %d: err = %v, want ErrNotFound (revoked by the later one)", i+1, len(tokens), err)
		}
	}
}

// TestInstancesLinkAuditConcurrently: while both stores write audit events
// (saves of several members at once, and events recorded directly) and
// both run the audit chain's linker over and over, the chain never forks
// nor skips an event: at the end every event is linked and verifies.
func TestInstancesLinkAuditConcurrently(t *testing.T) {
	ctx := context.Background()
	a, b, _ := twoStores(t)
	fac := mustUser(t, a, "chair", models.RoleFacilitator, "")
	cons := openConsultation(t, a, "posture", fac.ID, scale("north", "1", "2", "3", "4", "5"))
	codes := []string{"EST", "LVA", "LTU", "FIN", "SWE", "NOR"}
	stores := []*models.Store{a, b}
	const saves = 15
	stop := make(chan struct{})
	var linkers sync.WaitGroup
	var mu sync.Mutex
	var failures []error
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, err)
	}
	for _, s := range stores {
		linkers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.LinkAudit(ctx); err != nil {
					fail(fmt.Errorf("link: %w", err))
					return
				}
			}
		})
	}
	members := make([]*models.Member, len(codes))
	for i, code := range codes {
		members[i] = mustMember(t, a, code)
	}
	together(2*len(codes), func(i int) {
		s := stores[i%2]
		m := members[i/2]
		for n := range saves {
			if i%2 == 0 {
				_, err := s.SubmitPositions(ctx, models.Submission{ConsultationID: cons.ID, MemberID: m.ID, UserID: fac.ID,
					Source: models.SourceForm, OnBehalf: true, Inputs: []models.PositionInput{
						{QuestionKey: "north", Preferred: 1 + n%5, Rationale: fmt.Sprintf("save %d", n)}}})
				if err != nil {
					fail(err)
				}
				continue
			}
			if err := s.Record(ctx, models.AuditEvent{UserID: &fac.ID, Action: "test.event",
				Subject: fmt.Sprintf("writer %d", i), Detail: fmt.Sprintf("event %d", n)}); err != nil {
				fail(err)
			}
		}
	})
	close(stop)
	linkers.Wait()
	for _, err := range failures {
		t.Error(err)
	}
	for {
		n, err := b.LinkAudit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	total, err := a.AuditCount(ctx, models.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*models.Store{"A": a, "B": b} {
		v, err := s.VerifyAudit(ctx, models.AuditHead{})
		if err != nil {
			t.Fatal(err)
		}
		if !v.OK() || v.Unlinked != 0 || int64(v.Verified) != total {
			t.Errorf("store %s: verified %d of %d events, %d unlinked, problem %q; want all verified", name, v.Verified, total, v.Unlinked, v.Problem)
		}
	}
	if got, want := countAuditEvents(t, a, "test.event"), len(codes)*saves; got != want {
		t.Errorf("%d events recorded, want %d", got, want)
	}
}
