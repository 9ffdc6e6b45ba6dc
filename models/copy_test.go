package models_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"concord/export"
	"concord/models"
)

// copyStore opens the database at dsn (a SQLite path or a PostgreSQL URL)
// with the clock given, fast password hashing, and its schema migrated;
// nothing is seeded. It is closed when the test ends.
func copyStore(t *testing.T, dsn string, clock *fixedClock) *models.Store {
	t.Helper()
	s, err := models.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	s.SetClock(clock.Now)
	s.SetPasswordCost(bcrypt.MinCost)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// copySession is the session policy of the copy tests.
var copySession = models.SessionPolicy{Idle: time.Hour, Absolute: 12 * time.Hour}

// copyFixture is a SQLite database with a row in every table a copy
// writes (TestCopySQLite checks it), and the secrets that must work on a
// copy.
type copyFixture struct {
	src      *models.Store
	clock    *fixedClock
	session  string // cookie token of est-drafter's session
	apiToken string // fac's API token
}

func newCopyFixture(t *testing.T) *copyFixture {
	t.Helper()
	ctx := context.Background()
	clock := &fixedClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	s := copyStore(t, filepath.Join(t.TempDir(), "source.db"), clock)
	roster, err := models.DefaultRoster()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SeedMembers(ctx, roster); err != nil {
		t.Fatal(err)
	}
	// The demo: a consultation with every member's positions, demo
	// accounts, a draft and a silence procedure with its actions.
	if _, err := s.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	f := &copyFixture{src: s, clock: clock}
	fac := mustUser(t, s, "fac", models.RoleFacilitator, "")
	drafter := mustUser(t, s, "est-drafter", models.RoleDelegate, "EST")
	gone := mustUser(t, s, "gone", models.RoleObserver, "")
	if err := s.RevokeUser(ctx, gone.ID, fac.ID); err != nil {
		t.Fatal(err)
	}
	c := openConsultation(t, s, "copy", fac.ID, scale("q1", "a", "b", "c", "d", "e"),
		models.QuestionInput{Key: "ch", Section: "Posture", Kind: models.KindChoice, Text: "Which?", Options: []string{"x", "y", "z"}},
		models.QuestionInput{Key: "notes", Section: "Posture", Kind: models.KindText, Text: "Notes?"})
	clock.advance(time.Minute)
	submit(t, s, c, "EST", fac.ID,
		models.PositionInput{QuestionKey: "q1", Preferred: 2, AcceptMin: 1, AcceptMax: 3, Importance: models.ImportanceHigh,
			Rationale: "Deterrence first.", Conditions: "Provided the review is annual."},
		models.PositionInput{QuestionKey: "ch", Option: 1, AcceptOptions: []int{3}},
		models.PositionInput{QuestionKey: "notes", Answer: "Über «quotes», emoji 🛰, a\nnew line."})
	submit(t, s, c, "LVA", fac.ID, models.PositionInput{QuestionKey: "q1", Preferred: 4})
	clock.advance(time.Minute)
	// A withdrawal: LVA's question counts as not answered.
	submit(t, s, c, "LVA", fac.ID, models.PositionInput{QuestionKey: "q1", Withdrawn: true})
	hist, err := s.History(ctx, c.ID, mustMember(t, s, "EST").ID)
	if err != nil || len(hist) == 0 {
		t.Fatalf("history of EST: %d revisions, %v", len(hist), err)
	}
	if _, err := s.OpenNextRound(ctx, c.ID, nil, fac.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.HideRationale(ctx, c.ID, hist[0].ID, fac.ID); err != nil {
		t.Fatal(err)
	}
	// Round 2 under national approval: the drafter's save is a draft
	// awaiting its head of delegation (a pending position).
	if err := s.SetRequireApproval(ctx, c.ID, true, fac.ID); err != nil {
		t.Fatal(err)
	}
	clock.advance(time.Minute)
	if _, err := s.SubmitPositions(ctx, models.Submission{ConsultationID: c.ID, MemberID: mustMember(t, s, "EST").ID,
		UserID: drafter.ID, Source: models.SourceForm,
		Inputs: []models.PositionInput{{QuestionKey: "q1", Preferred: 3, Rationale: "Moving."}}}); err != nil {
		t.Fatal(err)
	}
	if f.session, _, err = s.CreateSession(ctx, drafter.ID, copySession, "Firefox (test)"); err != nil {
		t.Fatal(err)
	}
	if f.apiToken, _, err = s.CreateAPIToken(ctx, fac.ID, models.APITokenInput{Name: "reports", Expires: "never"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateInvitation(ctx, models.RoleObserver, nil, &fac.ID, 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoginFailed(ctx, models.DefaultThrottle(), models.Attempt{Username: "nobody", Address: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.LoginSucceeded(ctx, models.Attempt{Username: "est-drafter", Address: "192.0.2.7"}); err != nil {
		t.Fatal(err)
	}
	// The audit chain: every entry so far linked, one more not yet.
	if _, err := s.LinkAudit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, models.AuditEvent{Action: "test.unlinked", Subject: "after the last link", Detail: ""}); err != nil {
		t.Fatal(err)
	}
	return f
}

// zipPacks writes the export pack of every round of every consultation as
// a ZIP archive, by consultation key and round. The archive's time is
// fixed: the pack holds nothing else that depends on when or from where
// it is written.
func zipPacks(t *testing.T, s *models.Store) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	cons, err := s.Consultations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for i := range cons {
		c := &cons[i]
		for round := 1; round <= c.Round; round++ {
			pack, err := export.Load(ctx, s, c, round)
			if err != nil {
				t.Fatalf("load the pack of %s round %d: %v", c.Key, round, err)
			}
			var buf bytes.Buffer
			if err := export.WriteZIP(&buf, c.Key, pack.Tables(), false, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
				t.Fatal(err)
			}
			out[fmt.Sprintf("%s round %d", c.Key, round)] = buf.Bytes()
		}
	}
	return out
}

// samePacks fails unless the export packs of a and b are identical, byte
// for byte, file by file.
func samePacks(t *testing.T, a, b *models.Store) {
	t.Helper()
	pa, pb := zipPacks(t, a), zipPacks(t, b)
	if len(pa) != len(pb) {
		t.Fatalf("%d packs in the source, %d in the copy", len(pa), len(pb))
	}
	// Both rounds of both consultations.
	if want := 4; len(pa) != want {
		t.Errorf("%d packs compared, want %d", len(pa), want)
	}
	for name, za := range pa {
		if !bytes.Equal(za, pb[name]) {
			t.Errorf("the pack of %s differs in the copy (%d bytes, %d in the source)", name, len(pb[name]), len(za))
		}
	}
}

// accounts describes every account, with what a copy must keep of it.
// Times are written to the microsecond: what PostgreSQL keeps.
func accounts(t *testing.T, s *models.Store) []string {
	t.Helper()
	users, err := s.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, u := range users {
		member, revoked := "-", "-"
		if u.MemberID != nil {
			member = fmt.Sprint(*u.MemberID)
		}
		if u.RevokedAt != nil {
			revoked = u.RevokedAt.UTC().Format(microseconds)
		}
		out = append(out, fmt.Sprintf("%d %s %q %s member=%s approver=%v revoked=%s created=%s hash=%s", u.ID, u.Username,
			u.Name, u.Role, member, u.Approver, revoked, u.CreatedAt.UTC().Format(microseconds), u.PasswordHash))
	}
	return out
}

const microseconds = "2006-01-02T15:04:05.000000Z07:00"

// sameAudit fails unless the audit chain of the copy verifies, to the same
// head and with the same unlinked entries as the source's.
func sameAudit(t *testing.T, src, dst *models.Store) {
	t.Helper()
	ctx := context.Background()
	vs, err := src.VerifyAudit(ctx, models.AuditHead{})
	if err != nil {
		t.Fatal(err)
	}
	vd, err := dst.VerifyAudit(ctx, vs.Head)
	if err != nil {
		t.Fatal(err)
	}
	if !vs.OK() || vs.Verified == 0 || vs.Unlinked != 1 {
		t.Fatalf("source chain: ok %v, %d verified, %d unlinked; want ok, some verified, 1 unlinked", vs.OK(), vs.Verified, vs.Unlinked)
	}
	if !vd.OK() || !vd.ExpectChecked || vd.Verified != vs.Verified || vd.Head != vs.Head || vd.Unlinked != vs.Unlinked {
		t.Errorf("copy's chain: ok %v (%s), head %s checked %v, %d verified, %d unlinked; want ok, head %s, %d verified, %d unlinked",
			vd.OK(), vd.Problem, vd.Head, vd.ExpectChecked, vd.Verified, vd.Unlinked, vs.Head, vs.Verified, vs.Unlinked)
	}
	// The copy links its unlinked entry as the source would.
	if n, err := dst.LinkAudit(ctx); err != nil || n != 1 {
		t.Errorf("linking the copy's unlinked entry: %d linked, %v; want 1", n, err)
	}
}

// sameSecrets checks that a session and an API token made on the source
// work on the copy.
func sameSecrets(t *testing.T, f *copyFixture, dst *models.Store) {
	t.Helper()
	ctx := context.Background()
	if _, u, err := dst.SessionByToken(ctx, f.session, copySession); err != nil || u.Username != "est-drafter" {
		t.Errorf("the session on the copy: %v, %v; want est-drafter's", u, err)
	}
	if _, u, err := dst.AuthenticateAPIToken(ctx, f.apiToken); err != nil || u.Username != "fac" {
		t.Errorf("the API token on the copy: %v, %v; want fac's", u, err)
	}
}

// sameNextIDs checks that the next account created gets the same ID on the
// copy as on the source: IDs go on after the copied ones.
func sameNextIDs(t *testing.T, src, dst *models.Store, username string) {
	t.Helper()
	a := mustUser(t, src, username, models.RoleObserver, "")
	b := mustUser(t, dst, username, models.RoleObserver, "")
	if a.ID != b.ID {
		t.Errorf("the next account is %d on the copy, %d on the source", b.ID, a.ID)
	}
}

// counts is a report's counts by table.
func counts(r *models.CopyReport) map[string]int64 {
	out := map[string]int64{}
	for _, list := range [][]models.TableCount{r.Tables, r.Derived} {
		for _, tc := range list {
			out[tc.Table] = tc.Rows
		}
	}
	return out
}

// TestCopySQLite copies a database into a new SQLite database: the copy
// holds every row, serves the same export packs byte for byte, verifies its
// audit chain, keeps sessions and tokens, and a second copy into it is
// refused without changing it.
func TestCopySQLite(t *testing.T) {
	ctx := context.Background()
	f := newCopyFixture(t)
	dst := copyStore(t, filepath.Join(t.TempDir(), "copy.db"), f.clock)
	report, err := models.CopyDatabase(ctx, f.src, dst)
	if err != nil {
		t.Fatal(err)
	}
	copied, _, err := models.CopyTableNames()
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Tables) != len(copied) {
		t.Fatalf("%d tables in the report, want %d", len(report.Tables), len(copied))
	}
	for _, tc := range report.Tables {
		if tc.Rows == 0 {
			t.Errorf("%s: no row copied; the fixture must cover every table", tc.Table)
		}
	}
	n := counts(report)
	for table, want := range map[string]int64{
		"members": 32,
		// The demo's 34 accounts, fac, est-drafter and gone.
		"users": 37,
		// The demo consultation and "copy".
		"consultations": 2,
		// Rounds 1 and 2 of the demo and of "copy".
		"round_records": 4,
		// EST's draft in round 2 of "copy".
		"pending_positions": 1,
		"hidden_rationales": 1,
		"sessions":          1,
		"api_tokens":        1,
	} {
		if n[table] != want {
			t.Errorf("%s: %d rows copied, want %d", table, n[table], want)
		}
	}
	if report.Rows() <= n["members"] {
		t.Errorf("%d rows copied in all", report.Rows())
	}

	// A second copy into the same database is refused, and changes nothing.
	_, err = models.CopyDatabase(ctx, f.src, dst)
	var full *models.TargetNotEmptyError
	if !errors.As(err, &full) {
		t.Fatalf("second copy: %v; want a refusal", err)
	}
	if want := "copy database: the target database already holds data: 32 rows in members, 37 rows in users, " +
		"2 rows in consultations and rows in 20 more tables; copy only into a new, empty database"; err.Error() != want {
		t.Errorf("refusal: %q, want %q", err, want)
	}
	if len(full.Tables) != 23 {
		t.Errorf("the refusal lists %d tables holding rows, want every table: 23", len(full.Tables))
	}
	again, err := models.CopyDatabase(ctx, dst, copyStore(t, filepath.Join(t.TempDir(), "again.db"), f.clock))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := counts(report), counts(again); !mapsEqual(a, b) {
		t.Errorf("the target changed after the refused copy: %v, then %v", a, b)
	}

	// Checked before anything is written to the copy: using the token is
	// audited.
	sameAudit(t, f.src, dst)
	samePacks(t, f.src, dst)
	if a, b := accounts(t, f.src), accounts(t, dst); !slices.Equal(a, b) {
		t.Errorf("accounts differ:\nsource %q\ncopy   %q", a, b)
	}
	sameSecrets(t, f, dst)
	sameNextIDs(t, f.src, dst, "next-observer")
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// rawSQLite runs statements on a SQLite file through a connection of its
// own, behind the Store's back.
func rawSQLite(t *testing.T, path string, stmts ...string) {
	t.Helper()
	raw, err := gorm.Open(sqlite.Open(path), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := raw.DB()
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	for _, stmt := range stmts {
		if err := raw.Exec(stmt).Error; err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// TestCopyRefusesNonEmptyTarget: a target that holds anything at all, even
// only the roster that serve seeds, or rows of a table that is not
// Concord's, is refused by table and count, and left as it was.
func TestCopyRefusesNonEmptyTarget(t *testing.T) {
	ctx := context.Background()
	clock := &fixedClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	src := copyStore(t, filepath.Join(t.TempDir(), "source.db"), clock)
	mustUser(t, src, "fac", models.RoleFacilitator, "")
	tests := []struct {
		name string
		fill func(t *testing.T, path string, s *models.Store)
		want string
	}{
		{"the roster", func(t *testing.T, _ string, s *models.Store) {
			if err := s.SeedMembers(ctx, []models.Member{{Code: "EST", Name: "Estonia", Accession: 2004}}); err != nil {
				t.Fatal(err)
			}
		}, "1 row in members"},
		{"another table", func(t *testing.T, path string, _ *models.Store) {
			rawSQLite(t, path, "CREATE TABLE notes (body TEXT)", "INSERT INTO notes VALUES ('a'), ('b')")
		}, "2 rows in notes"},
		{"a session and the roster", func(t *testing.T, path string, s *models.Store) {
			if err := s.SeedMembers(ctx, []models.Member{{Code: "EST", Name: "Estonia", Accession: 2004}}); err != nil {
				t.Fatal(err)
			}
			u := mustUser(t, s, "fac", models.RoleFacilitator, "")
			if _, _, err := s.CreateSession(ctx, u.ID, copySession, ""); err != nil {
				t.Fatal(err)
			}
		}, "1 row in members, 1 row in users, 1 row in sessions"},
		{"four tables", func(t *testing.T, path string, s *models.Store) {
			if err := s.SeedMembers(ctx, []models.Member{{Code: "EST", Name: "Estonia", Accession: 2004}}); err != nil {
				t.Fatal(err)
			}
			u := mustUser(t, s, "fac", models.RoleFacilitator, "")
			if _, _, err := s.CreateSession(ctx, u.ID, copySession, ""); err != nil {
				t.Fatal(err)
			}
			rawSQLite(t, path, "CREATE TABLE notes (body TEXT)", "INSERT INTO notes VALUES ('a')")
		}, "1 row in members, 1 row in users, 1 row in sessions and rows in 1 more table"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "target.db")
			dst := copyStore(t, path, clock)
			tc.fill(t, path, dst)
			want := "the target database already holds data: " + tc.want + "; copy only into a new, empty database"
			if err := dst.RequireEmpty(ctx); err == nil || err.Error() != want {
				t.Errorf("RequireEmpty: %v; want %q", err, want)
			}
			_, err := models.CopyDatabase(ctx, src, dst)
			if err == nil || err.Error() != "copy database: "+want {
				t.Errorf("copy: %v; want %q", err, "copy database: "+want)
			}
			if users, err := dst.Users(ctx); err != nil || len(users) > 1 {
				t.Errorf("the target has %d accounts after the refusal (%v); want at most its own", len(users), err)
			}
		})
	}
	empty := copyStore(t, filepath.Join(t.TempDir(), "empty.db"), clock)
	if err := empty.RequireEmpty(ctx); err != nil {
		t.Errorf("a new database: %v; want it empty", err)
	}
}

// TestCopyAllOrNothing: a copy that fails on its last table leaves the
// target empty, and a later copy into it succeeds.
func TestCopyAllOrNothing(t *testing.T) {
	ctx := context.Background()
	f := newCopyFixture(t)
	path := filepath.Join(t.TempDir(), "target.db")
	dst := copyStore(t, path, f.clock)
	rawSQLite(t, path, `CREATE TRIGGER refuse_links BEFORE INSERT ON audit_links BEGIN SELECT RAISE(ABORT, 'links refused'); END`)
	if _, err := models.CopyDatabase(ctx, f.src, dst); err == nil || !strings.Contains(err.Error(), "links refused") {
		t.Fatalf("copy with audit links refused: %v; want the refusal", err)
	}
	empty, err := models.CopyDatabase(ctx, dst, copyStore(t, filepath.Join(t.TempDir(), "empty.db"), f.clock))
	if err != nil {
		t.Fatal(err)
	}
	if empty.Rows() != 0 {
		t.Errorf("the failed copy left %d rows in the target: %v", empty.Rows(), counts(empty))
	}
	rawSQLite(t, path, `DROP TRIGGER refuse_links`)
	if _, err := models.CopyDatabase(ctx, f.src, dst); err != nil {
		t.Fatalf("copy after the failed one: %v", err)
	}
	samePacks(t, f.src, dst)
}

// TestCopyCoversEveryTable fails when a table of the migrated schema is
// neither copied nor derived (add its model to copyTables, in the order of
// its references), or when the copy names a table the schema lacks.
func TestCopyCoversEveryTable(t *testing.T) {
	clock := &fixedClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	s := copyStore(t, filepath.Join(t.TempDir(), "concord.db"), clock)
	tables, err := s.Tables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	copied, derived, err := models.CopyTableNames()
	if err != nil {
		t.Fatal(err)
	}
	known := append(append([]string{}, copied...), derived...)
	for _, table := range tables {
		if !slices.Contains(known, table) {
			t.Errorf("the table %s is in the schema but a copy neither copies nor derives it", table)
		}
	}
	for _, table := range known {
		if !slices.Contains(tables, table) {
			t.Errorf("a copy names the table %s, which the schema does not have", table)
		}
	}
	if n := len(copied); n != len(slices.Compact(slices.Sorted(slices.Values(copied)))) {
		t.Errorf("a table is copied twice: %v", copied)
	}
}

// postgresDatabase creates a new database on the PostgreSQL server whose
// admin URL is in CONCORD_TEST_POSTGRES, dropped when the test ends, and
// returns its URL; it skips the test when the variable is not set.
func postgresDatabase(t *testing.T, name string) string {
	t.Helper()
	admin := os.Getenv("CONCORD_TEST_POSTGRES")
	if admin == "" {
		t.Skip("CONCORD_TEST_POSTGRES is not set: the copy through PostgreSQL is not tested")
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("CONCORD_TEST_POSTGRES: %v", err)
	}
	name = fmt.Sprintf("%s_%d", name, time.Now().UnixNano())
	psql := func(stmt string) error {
		out, err := exec.Command("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", admin, "-c", stmt).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %v: %s", stmt, err, out)
		}
		return nil
	}
	if err := psql("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := psql("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Error(err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// TestCopyThroughPostgres copies a SQLite database into PostgreSQL and
// back into SQLite: both copies serve the same export packs, byte for
// byte, as the original, and verify its audit chain; IDs go on after the
// copied ones on PostgreSQL too.
func TestCopyThroughPostgres(t *testing.T) {
	ctx := context.Background()
	dsn := postgresDatabase(t, "concord_copy_test")
	f := newCopyFixture(t)
	pg := copyStore(t, dsn, f.clock)
	there, err := models.CopyDatabase(ctx, f.src, pg)
	if err != nil {
		t.Fatalf("copy into PostgreSQL: %v", err)
	}
	back := copyStore(t, filepath.Join(t.TempDir(), "back.db"), f.clock)
	again, err := models.CopyDatabase(ctx, pg, back)
	if err != nil {
		t.Fatalf("copy back from PostgreSQL: %v", err)
	}
	if a, b := counts(there), counts(again); !mapsEqual(a, b) {
		t.Errorf("rows copied there %v, back %v", a, b)
	}
	if _, err := models.CopyDatabase(ctx, back, pg); !errors.As(err, new(*models.TargetNotEmptyError)) {
		t.Errorf("copy into the PostgreSQL database again: %v; want a refusal", err)
	}
	for _, s := range []*models.Store{pg, back} {
		sameAudit(t, f.src, s)
		samePacks(t, f.src, s)
		if a, b := accounts(t, f.src), accounts(t, s); !slices.Equal(a, b) {
			t.Errorf("accounts differ:\nsource %q\ncopy   %q", a, b)
		}
		sameSecrets(t, f, s)
	}
	sameNextIDs(t, f.src, pg, "next-observer")
}
