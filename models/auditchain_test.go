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

	"gorm.io/gorm"

	"concord/internal/testdb"
)

// chainStore opens a fresh, migrated database for the audit chain tests
// and returns it with its DSN.
func chainStore(t *testing.T) (*Store, string) {
	t.Helper()
	dsn := testdb.DSN(t)
	s := openChainStore(t, dsn)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, dsn
}

func openChainStore(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	s.SetClock(func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) })
	return s
}

// recordN appends n events "e1", "e2", … (numbered from first).
func recordN(t *testing.T, s *Store, first, n int) {
	t.Helper()
	for i := first; i < first+n; i++ {
		user := uint(i)
		ev := AuditEvent{Action: "test.event", UserID: &user, Subject: fmt.Sprintf("e%d", i),
			At: time.Date(2026, 3, 2, 9, 0, i, 1500, time.UTC)}
		if err := s.Record(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
}

func links(t *testing.T, s *Store) []AuditLink {
	t.Helper()
	var out []AuditLink
	if err := s.r.Order("event_id").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

func linkAll(t *testing.T, s *Store) int {
	t.Helper()
	total := 0
	for {
		n, err := s.LinkAudit(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
}

// attack runs statements on the database through a connection of its own,
// as someone with access to the file (or, on PostgreSQL, a superuser)
// could: the append-only triggers are dropped first (on PostgreSQL every
// trigger of the two tables is disabled, foreign keys included, as a
// SQLite connection of its own does not enforce them).
func attack(t *testing.T, dsn string, stmts ...string) {
	t.Helper()
	db := testdb.OpenDB(t, dsn)
	defer db.Close()
	disarm := []string{
		"DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete",
		"DROP TRIGGER audit_links_no_update", "DROP TRIGGER audit_links_no_delete",
	}
	if testdb.Postgres() {
		disarm = []string{"ALTER TABLE audit_events DISABLE TRIGGER ALL", "ALTER TABLE audit_links DISABLE TRIGGER ALL"}
	}
	for _, stmt := range append(disarm, stmts...) {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// TestCanonicalAuditContent pins the encoding and the hash of a fixed
// event. The expected bytes were written out by hand from the rules in
// CanonicalAuditContent (1772442000 is 2026-03-02 09:00:00 UTC; the detail
// is 44 bytes: "→" and "–" take three each); the hashes were computed
// independently of this code (Python's hashlib over the same bytes).
func TestCanonicalAuditContent(t *testing.T) {
	user := uint(3)
	base := AuditEvent{ID: 7, At: time.Date(2026, 3, 2, 9, 0, 0, 123456789, time.UTC), UserID: &user,
		Action: AuditPosition, Subject: "question q1 revision 2 (web)", Detail: "none → preferred 4, acceptable 3–5, high"}
	want := "concord-audit-v1\nid=1:7\nat=16:1772442000123456\nuser_id=1:3\naction=16:position.revised\n" +
		"member_id=0:\nsubject=28:question q1 revision 2 (web)\ndetail=44:none → preferred 4, acceptable 3–5, high\n"
	const first = "6593ff8fc1c53e4b3f9a5ce1193560247859e385e257910a6131eae4064dea1d"
	const second = "d4a83d8af1e534cd914137b4c91caa28001b1974b0ef73a9146c8eadfc718771"
	paris := time.FixedZone("CET", 3600)
	cases := []struct {
		name string
		ev   AuditEvent
		prev string
		hash string
	}{
		{"first entry (genesis predecessor)", base, "", first},
		{"same event after it", base, first, second},
		{"same instant in another zone", func() AuditEvent { e := base; e.At = base.At.In(paris); return e }(), "", first},
		{"nanoseconds below a microsecond are not hashed", func() AuditEvent { e := base; e.At = base.At.Add(-789); return e }(), "", first},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(CanonicalAuditContent(&tc.ev)); got != want {
				t.Errorf("canonical content:\n%q\nwant\n%q", got, want)
			}
			got, err := ChainAuditHash(tc.prev, &tc.ev)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.hash {
				t.Errorf("hash %s, want %s", got, tc.hash)
			}
		})
	}
	t.Run("lengths keep fields apart", func(t *testing.T) {
		a, b := base, base
		a.Subject, a.Detail = "x\ndetail=1:y", ""
		b.Subject, b.Detail = "x", "y"
		if string(CanonicalAuditContent(&a)) == string(CanonicalAuditContent(&b)) {
			t.Error("two different events encode alike")
		}
	})
	t.Run("a malformed predecessor is refused", func(t *testing.T) {
		if _, err := ChainAuditHash("abc", &base); err == nil {
			t.Error("no error")
		}
	})
}

func TestParseAuditHead(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	cases := []struct {
		name, in string
		want     AuditHead
		ok       bool
	}{
		{"valid", "12:" + hash, AuditHead{ID: 12, Hash: hash}, true},
		{"upper case hash", " 12:" + strings.ToUpper(hash) + " ", AuditHead{ID: 12, Hash: hash}, true},
		{"no colon", "12" + hash, AuditHead{}, false},
		{"id zero", "0:" + hash, AuditHead{}, false},
		{"short hash", "12:abcd", AuditHead{}, false},
		{"not hex", "12:" + strings.Repeat("zz", 32), AuditHead{}, false},
		{"negative id", "-1:" + hash, AuditHead{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAuditHead(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("ParseAuditHead(%q) = %+v, %v; want %+v, ok %v", tc.in, got, err, tc.want, tc.ok)
			}
			if tc.ok && got.String() != strings.TrimSpace(strings.ToLower(tc.in)) {
				t.Errorf("String() = %q", got.String())
			}
		})
	}
}

// TestLinkAuditInIDOrder links across several calls and checks every link
// against the chain rule.
func TestLinkAuditInIDOrder(t *testing.T) {
	s, _ := chainStore(t)
	ctx := context.Background()
	steps := []struct {
		name   string
		record int
		linked int
		head   uint
	}{
		{"nothing to link", 0, 0, 0},
		{"three new entries", 3, 3, 3},
		{"nothing new", 0, 0, 3},
		{"two more", 2, 2, 5},
	}
	next := 1
	for _, st := range steps {
		recordN(t, s, next, st.record)
		next += st.record
		n, err := s.LinkAudit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		head, err := s.AuditChainHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != st.linked || head.ID != st.head || head.Pending != 0 {
			t.Errorf("%s: linked %d, head %d (pending %d); want %d, head %d", st.name, n, head.ID, head.Pending, st.linked, st.head)
		}
	}
	ls := links(t, s)
	prev := AuditLink{}
	for i, l := range ls {
		var ev AuditEvent
		if err := s.r.First(&ev, l.EventID).Error; err != nil {
			t.Fatal(err)
		}
		want, _ := ChainAuditHash(prev.Hash, &ev)
		if l.EventID != uint(i+1) || l.PrevID != prev.EventID || l.Hash != want {
			t.Errorf("link %d = %+v; want event %d after %d with hash %s", i, l, i+1, prev.EventID, want)
		}
		prev = l
	}
	if len(ls) != 5 {
		t.Errorf("%d links, want 5", len(ls))
	}

	t.Run("stored times are whole microseconds", func(t *testing.T) {
		var ev AuditEvent
		if err := s.r.First(&ev, 1).Error; err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2026, 3, 2, 9, 0, 1, 1000, time.UTC); !ev.At.Equal(want) {
			t.Errorf("stored time %v, want %v", ev.At, want)
		}
	})

	t.Run("batches of at most auditLinkBatch", func(t *testing.T) {
		err := s.w.Transaction(func(tx *gorm.DB) error {
			for i := range auditLinkBatch + 7 {
				if err := tx.Create(&AuditEvent{At: s.Now(), Action: "bulk", Subject: fmt.Sprint(i)}).Error; err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []int{auditLinkBatch, 7, 0} {
			if n, err := s.LinkAudit(ctx); err != nil || n != want {
				t.Errorf("LinkAudit = %d, %v; want %d", n, err, want)
			}
		}
	})

	t.Run("the chain table is append-only", func(t *testing.T) {
		for _, stmt := range []string{"UPDATE audit_links SET hash = 'x'", "DELETE FROM audit_links"} {
			err := s.w.Exec(stmt).Error
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v, want the append-only refusal", stmt, err)
			}
		}
	})

	t.Run("listing carries each entry's link hash", func(t *testing.T) {
		recordN(t, s, 1000, 1)
		list, err := s.Audit(ctx, AuditFilter{Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		last := links(t, s)
		if len(list) != 2 || list[0].ChainHash != "" || list[1].ChainHash != last[len(last)-1].Hash {
			t.Errorf("listing %+v; want the newest unlinked and the one before with hash %s", list, last[len(last)-1].Hash)
		}
	})
}

// TestConcurrentLinkersNeverFork runs two stores on one database file,
// each linking while both write, and checks that the result is one chain.
func TestConcurrentLinkersNeverFork(t *testing.T) {
	a, path := chainStore(t)
	b := openChainStore(t, path)
	ctx := context.Background()
	const perStore = 60
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for _, s := range []*Store{a, b} {
		wg.Go(func() { // writer
			for i := range perStore {
				if err := s.Record(ctx, AuditEvent{Action: "test.event", Subject: fmt.Sprint(i)}); err != nil {
					errs <- err
					return
				}
			}
		})
		wg.Go(func() { // linker
			for range perStore {
				if _, err := s.LinkAudit(ctx); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	linkAll(t, a)
	ls := links(t, a)
	if len(ls) != 2*perStore {
		t.Fatalf("%d links, want %d", len(ls), 2*perStore)
	}
	for i, l := range ls {
		if l.EventID != uint(i+1) || l.PrevID != uint(i) {
			t.Fatalf("link %d = event %d after %d: the chain is not one line", i, l.EventID, l.PrevID)
		}
	}
	v, err := b.VerifyAudit(ctx, AuditHead{})
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() || v.Verified != 2*perStore {
		t.Errorf("verification %+v", v)
	}

	t.Run("a linker with a stale head links nothing", func(t *testing.T) {
		recordN(t, a, 1, 2)
		var stale AuditLink
		var pending []AuditEvent
		if err := a.r.Transaction(func(tx *gorm.DB) error {
			var err error
			if stale, err = lastLink(tx); err != nil {
				return err
			}
			return tx.Where("id > ?", stale.EventID).Order("id").Find(&pending).Error
		}); err != nil {
			t.Fatal(err)
		}
		if n := linkAll(t, b); n != 2 {
			t.Fatalf("the other linker linked %d, want 2", n)
		}
		err := a.w.Transaction(func(tx *gorm.DB) error {
			_, err := insertLinks(tx, stale, pending, a.Now())
			return err
		})
		if !errors.Is(err, errLinkRace) {
			t.Errorf("stale insert: %v, want errLinkRace", err)
		}
		if n := len(links(t, a)); n != 2*perStore+2 {
			t.Errorf("%d links after the stale attempt, want %d", n, 2*perStore+2)
		}
	})
}

// setup is the database of a TestVerifyAudit case.
type setup struct {
	s      *Store
	path   string
	before AuditHead // the head of the intact chain (entry 5)
	early  AuditHead // entry 2, recorded when it was the head
}

// TestVerifyAudit tampers with the database file as an attacker with
// access to it could, and checks what verification names.
func TestVerifyAudit(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		tamper   func(t *testing.T, f setup)
		expect   func(f setup) AuditHead
		ok       bool
		problem  uint // the entry named
		verified int
		head     uint
	}{
		{name: "intact", tamper: func(*testing.T, setup) {}, ok: true, verified: 5, head: 5},
		{name: "intact, expected head matches", tamper: func(*testing.T, setup) {},
			expect: func(f setup) AuditHead { return f.before }, ok: true, verified: 5, head: 5},
		{name: "intact, earlier head matches", tamper: func(*testing.T, setup) {},
			expect: func(f setup) AuditHead { return f.early }, ok: true, verified: 5, head: 5},
		{name: "edited entry", tamper: func(t *testing.T, f setup) {
			attack(t, f.path, "UPDATE audit_events SET subject = 'forged' WHERE id = 3")
		}, problem: 3, verified: 2, head: 2},
		{name: "edited time", tamper: func(t *testing.T, f setup) {
			attack(t, f.path, "UPDATE audit_events SET at = '2020-01-01 00:00:00+00:00' WHERE id = 4")
		}, problem: 4, verified: 3, head: 3},
		{name: "deleted entry, link left", tamper: func(t *testing.T, f setup) {
			attack(t, f.path, "DELETE FROM audit_events WHERE id = 3")
		}, problem: 3, verified: 2, head: 2},
		{name: "deleted entry and its link", tamper: func(t *testing.T, f setup) {
			attack(t, f.path, "DELETE FROM audit_events WHERE id = 3", "DELETE FROM audit_links WHERE event_id = 3")
		}, problem: 4, verified: 2, head: 2},
		{name: "removed link", tamper: func(t *testing.T, f setup) {
			attack(t, f.path, "DELETE FROM audit_links WHERE event_id = 3")
		}, problem: 3, verified: 2, head: 2},
		{name: "edit and every later hash recomputed", tamper: recomputeAfterEdit, ok: true, verified: 5, head: 5},
		{name: "edit and recomputation, caught by the recorded head", tamper: recomputeAfterEdit,
			expect: func(f setup) AuditHead { return f.before }, problem: 5, verified: 4, head: 4},
		{name: "edit and recomputation, head recorded before the edited entry still matches", tamper: recomputeAfterEdit,
			expect: func(f setup) AuditHead { return f.early }, ok: true, verified: 5, head: 5},
		{name: "last entry and link deleted, caught by the recorded head", tamper: func(t *testing.T, f setup) {
			attack(t, f.path, "DELETE FROM audit_events WHERE id = 5", "DELETE FROM audit_links WHERE event_id = 5")
		}, expect: func(f setup) AuditHead { return f.before }, problem: 5, verified: 4, head: 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, path := chainStore(t)
			recordN(t, s, 1, 2)
			linkAll(t, s)
			early, err := s.AuditChainHead(ctx)
			if err != nil {
				t.Fatal(err)
			}
			recordN(t, s, 3, 3)
			linkAll(t, s)
			before, err := s.AuditChainHead(ctx)
			if err != nil {
				t.Fatal(err)
			}
			recordN(t, s, 6, 2) // not linked: reported, not verified
			f := setup{s: s, path: path, before: before, early: early}
			tc.tamper(t, f)
			var expect AuditHead
			if tc.expect != nil {
				expect = tc.expect(f)
			}
			v, err := s.VerifyAudit(ctx, expect)
			if err != nil {
				t.Fatal(err)
			}
			if v.OK() != tc.ok || v.ProblemID != tc.problem || v.Verified != tc.verified || v.Head.ID != tc.head {
				t.Errorf("verification %+v; want ok %v, problem at %d, %d verified, head %d", v, tc.ok, tc.problem, tc.verified, tc.head)
			}
			if v.Unlinked != 2 { // entries 6 and 7, whatever the outcome
				t.Errorf("%d unlinked, want 2", v.Unlinked)
			}
			if tc.expect != nil && tc.ok && !v.ExpectChecked {
				t.Error("the expected head was not compared")
			}
		})
	}
}

// recomputeAfterEdit edits entry 3 and recomputes the links of entries 3
// to 5, as an attacker who knows the algorithm would.
func recomputeAfterEdit(t *testing.T, f setup) {
	attack(t, f.path, "UPDATE audit_events SET subject = 'forged' WHERE id = 3", "DELETE FROM audit_links WHERE event_id >= 3")
	err := f.s.w.Transaction(func(tx *gorm.DB) error {
		var head AuditLink
		if err := tx.First(&head, 2).Error; err != nil {
			return err
		}
		var evs []AuditEvent
		if err := tx.Where("id BETWEEN 3 AND 5").Order("id").Find(&evs).Error; err != nil {
			return err
		}
		_, err := insertLinks(tx, head, evs, f.s.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestVerifyAuditReadOnly(t *testing.T) {
	ctx := context.Background()
	s, path := chainStore(t)
	recordN(t, s, 1, 3)
	linkAll(t, s)
	recordN(t, s, 4, 1)
	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	v, err := ro.VerifyAudit(ctx, AuditHead{})
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() || v.Verified != 3 || v.Unlinked != 1 {
		t.Errorf("verification %+v; want 3 verified, 1 unlinked", v)
	}
	if n, err := ro.LinkAudit(ctx); err == nil {
		t.Errorf("a read-only store linked %d entries", n)
	}
	if _, err := OpenReadOnly(filepath.Join(t.TempDir(), "missing.db")); err == nil {
		t.Error("a missing file opened")
	}
}

// TestAuditLinkerRun drives the background linker with a tick channel of
// the test's own: it links at start, on each tick, and once more on stop.
func TestAuditLinkerRun(t *testing.T) {
	s, _ := chainStore(t)
	ticks := make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	recordN(t, s, 1, 1)
	l := &AuditLinker{Store: s, Ticks: ticks}
	go func() { defer close(done); l.Run(ctx) }()
	headID := func() uint {
		h, err := s.AuditChainHead(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return h.ID
	}
	ticks <- time.Time{} // received: the pass at start is over
	if got := headID(); got != 1 {
		t.Errorf("after start, head %d, want 1", got)
	}
	recordN(t, s, 2, 2)
	ticks <- time.Time{}
	ticks <- time.Time{} // the pass of the first tick is over
	if got := headID(); got != 3 {
		t.Errorf("after a tick, head %d, want 3", got)
	}
	recordN(t, s, 4, 1)
	cancel()
	<-done
	if got := headID(); got != 4 {
		t.Errorf("after stop, head %d, want 4 (the last pass)", got)
	}
}

// On PostgreSQL an audit event may commit after one with a larger id. The
// linker must not link past an event still being written: it links only
// up to a horizon read while no writing transaction is under way.
func TestLinkAuditWaitsForEarlierIDs(t *testing.T) {
	if !testdb.Postgres() {
		t.Skip("on SQLite ids are given out under the single write lock: nothing commits out of id order")
	}
	ctx := context.Background()
	a, dsn := chainStore(t)
	b := openChainStore(t, dsn)
	recordN(t, a, 1, 2)
	// A save-like transaction takes id N for its event and stays open …
	slow := a.pg.saver.WithContext(ctx).Begin()
	if slow.Error != nil {
		t.Fatal(slow.Error)
	}
	defer slow.Rollback()
	if err := slow.Create(&AuditEvent{At: a.Now(), Action: "test.event", Subject: "slow"}).Error; err != nil {
		t.Fatal(err)
	}
	// … while another commits id N+1.
	fast := b.pg.saver.WithContext(ctx).Begin()
	if err := fast.Create(&AuditEvent{At: b.Now(), Action: "test.event", Subject: "fast"}).Error; err != nil {
		t.Fatal(err)
	}
	if err := fast.Commit().Error; err != nil {
		t.Fatal(err)
	}
	linked := make(chan error, 1)
	go func() {
		_, err := b.LinkAudit(ctx)
		linked <- err
	}()
	time.Sleep(300 * time.Millisecond) // time enough to link past the open event, if it would
	if err := slow.Commit().Error; err != nil {
		t.Fatal(err)
	}
	if err := <-linked; err != nil {
		t.Fatal(err)
	}
	linkAll(t, b)
	v, err := b.VerifyAudit(ctx, AuditHead{})
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() || v.Unlinked != 0 || v.Verified != 4 {
		t.Errorf("verification %+v; want all 4 entries linked in id order", v)
	}
}
