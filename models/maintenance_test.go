package models_test

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"concord/models"
)

func TestCreateAccountByCommand(t *testing.T) {
	s, _ := freshStore(t)
	ctx := context.Background()
	est := mustMember(t, s, "EST")
	mustUser(t, s, "taken", models.RoleObserver, "")
	tests := []struct {
		name   string
		in     models.NewUser
		fields []string // the refused fields, none when created
		detail string   // the audit event's detail when created
	}{
		{"facilitator", models.NewUser{Username: " Fran ", Name: "Fran Facilitator", Role: models.RoleFacilitator, Password: strongPassword},
			nil, "created on the command line as facilitator"},
		{"head of delegation", models.NewUser{Username: "kadri", Name: "Kadri Tamm", Role: models.RoleDelegate, MemberID: &est.ID,
			Approver: true, Password: strongPassword}, nil, "created on the command line as delegate of EST (head of delegation)"},
		{"delegate without a member", models.NewUser{Username: "nomember", Name: "No Member", Role: models.RoleDelegate, Password: strongPassword},
			[]string{"member"}, ""},
		{"observer as approver", models.NewUser{Username: "olga", Name: "Olga", Role: models.RoleObserver, Approver: true, Password: strongPassword},
			[]string{"approver"}, ""},
		{"weak password", models.NewUser{Username: "weak", Name: "Weak", Role: models.RoleObserver, Password: "password1"},
			[]string{"password"}, ""},
		{"password made of the username", models.NewUser{Username: "marguerite", Name: "M", Role: models.RoleObserver, Password: "marguerite-marguerite"},
			[]string{"password"}, ""},
		{"taken username", models.NewUser{Username: "Taken", Name: "Taken Again", Role: models.RoleObserver, Password: strongPassword},
			[]string{"username"}, ""},
		{"username with a space", models.NewUser{Username: "two words", Name: "Two Words", Role: models.RoleObserver, Password: strongPassword},
			[]string{"username"}, ""},
		{"username read as a formula", models.NewUser{Username: "=cmd", Name: "Formula", Role: models.RoleObserver, Password: strongPassword},
			[]string{"username"}, ""},
		{"no name", models.NewUser{Username: "noname", Role: models.RoleObserver, Password: strongPassword},
			[]string{"name"}, ""},
		{"unknown role", models.NewUser{Username: "root", Name: "Root", Role: "admin", Password: strongPassword},
			[]string{"role"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := countAuditEvents(t, s, models.AuditAccountCreated)
			u, err := s.CreateAccountByCommand(ctx, tc.in)
			if tc.fields != nil {
				var verr *models.ValidationError
				if !errors.As(err, &verr) {
					t.Fatalf("err = %v, want a ValidationError on %v", err, tc.fields)
				}
				var got []string
				for f := range verr.Fields {
					got = append(got, f)
				}
				slices.Sort(got)
				if !slices.Equal(got, tc.fields) {
					t.Errorf("refused fields %v (%v), want %v", got, verr.Fields, tc.fields)
				}
				if n := countAuditEvents(t, s, models.AuditAccountCreated); n != before {
					t.Errorf("%d audit events after a refusal, want %d", n, before)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := strings.ToLower(strings.TrimSpace(tc.in.Username))
			if u.Username != want || u.Role != tc.in.Role || u.Approver != tc.in.Approver {
				t.Errorf("account %+v", u)
			}
			if _, err := s.Authenticate(ctx, want, tc.in.Password); err != nil {
				t.Errorf("cannot sign in: %v", err)
			}
			events, err := s.Audit(ctx, models.AuditFilter{Action: models.AuditAccountCreated, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 1 || events[0].Subject != "account "+want || events[0].Detail != tc.detail || events[0].UserID != nil {
				t.Errorf("audit %+v, want subject %q, detail %q and no acting user", events, "account "+want, tc.detail)
			}
		})
	}
}

// storeAt opens a new migrated database at path with the default roster.
func storeAt(t *testing.T, path string) *models.Store {
	t.Helper()
	s, err := models.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.SetPasswordCost(bcrypt.MinCost)
	ctx := context.Background()
	roster, err := models.DefaultRoster()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.SeedMembers(ctx, roster); err != nil {
		t.Fatal(err)
	}
	return s
}

func revisionIDs(t *testing.T, s *models.Store, consultationID uint) map[uint]bool {
	t.Helper()
	revs, err := s.History(context.Background(), consultationID, 0)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[uint]bool{}
	for _, r := range revs {
		ids[r.ID] = true
	}
	return ids
}

// TestBackupUnderLoad backs up a database while delegates of four members
// keep saving positions through the Store: the copy passes the integrity
// check and holds every revision committed before the backup began.
func TestBackupUnderLoad(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "concord.db")
	s := storeAt(t, src)
	ctx := context.Background()
	fac := mustUser(t, s, "fran", models.RoleFacilitator, "")
	c := openConsultation(t, s, "load", fac.ID, scale("posture", "1", "2", "3", "4", "5"), scale("budget", "1", "2", "3"))
	members := []string{"EST", "LVA", "LTU", "POL"}

	var acked atomic.Int64
	stop := make(chan struct{})
	errs := make(chan error, len(members))
	var wg sync.WaitGroup
	for i, code := range members {
		d := mustUser(t, s, strings.ToLower(code)+"-delegate", models.RoleDelegate, code)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
				// Every save changes both answers, so each appends revisions.
				_, err := s.SubmitPositions(ctx, models.Submission{ConsultationID: c.ID, MemberID: *d.MemberID, UserID: d.ID,
					Source: models.SourceForm, Inputs: []models.PositionInput{
						{QuestionKey: "posture", Preferred: 1 + (n+i)%5},
						{QuestionKey: "budget", Preferred: 1 + (n+i)%3},
					}})
				if err != nil {
					errs <- err
					return
				}
				acked.Add(1)
			}
		}()
	}
	waitFor := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for acked.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("only %d saves acknowledged", acked.Load())
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitFor(40)
	committed := revisionIDs(t, s, c.ID) // every revision committed before the backup begins
	ackedBefore := acked.Load()
	dest := filepath.Join(dir, "backup.db")
	size, err := models.Backup(ctx, src, dest)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(ackedBefore + 20) // the saves went on during and after the backup
	close(stop)
	wg.Wait()
	for range members {
		if err := <-errs; err != nil {
			t.Fatalf("save under load: %v", err)
		}
	}

	info, err := os.Stat(dest)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() != size || size == 0 {
		t.Errorf("Backup reported %d bytes, the file has %d", size, info.Size())
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("backup permissions %v, want -rw------- (it holds password hashes)", perm)
	}
	b, err := models.OpenReadOnly(dest)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	report, err := b.CheckIntegrity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK() {
		t.Fatalf("backup has problems: %v", report.Problems())
	}
	inBackup := revisionIDs(t, b, c.ID)
	for id := range committed {
		if !inBackup[id] {
			t.Errorf("revision %d, committed before the backup began, is not in it", id)
		}
	}
	final := revisionIDs(t, s, c.ID)
	for id := range inBackup {
		if !final[id] {
			t.Errorf("the backup holds revision %d, which the database does not", id)
		}
	}
	if len(inBackup) < len(committed) || len(final) <= len(inBackup) {
		t.Errorf("revisions: %d committed before the backup, %d in it, %d at the end; want the backup in between",
			len(committed), len(inBackup), len(final))
	}
}

func TestBackupRefusesAnExistingFile(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "concord.db")
	storeAt(t, src)
	ctx := context.Background()
	tests := []struct {
		name    string
		src     string
		dest    string
		prepare func(dest string)
		want    error
	}{
		{"an existing backup", src, filepath.Join(dir, "old.db"), func(dest string) {
			if err := os.WriteFile(dest, []byte("an older backup"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, fs.ErrExist},
		{"an existing empty file", src, filepath.Join(dir, "empty.db"), func(dest string) {
			if err := os.WriteFile(dest, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, fs.ErrExist},
		{"no database", filepath.Join(dir, "missing.db"), filepath.Join(dir, "never.db"), func(string) {}, fs.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.prepare(tc.dest)
			before, _ := os.ReadFile(tc.dest)
			if _, err := models.Backup(ctx, tc.src, tc.dest); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			after, _ := os.ReadFile(tc.dest)
			if string(after) != string(before) {
				t.Errorf("the file was changed: %q, was %q", after, before)
			}
		})
	}
}

func TestCheckIntegrity(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		damage   func(t *testing.T, path string)
		problems []string
	}{
		{"sound", func(*testing.T, string) {}, nil},
		{"an account of a member that does not exist", func(t *testing.T, path string) {
			rawExec(t, path, `INSERT INTO users (id, username, name, role, member_id, password_hash, approver)
				VALUES (900, 'ghost', 'Ghost', 'delegate', 4242, 'x', 0)`)
		}, []string{"foreign key: row 900 of users refers to a row of members that does not exist"}},
		{"not a Concord database", func(t *testing.T, path string) {
			rawExec(t, path, `DROP TABLE revisions`, `DROP TABLE audit_events`)
		}, []string{
			"the table revisions is missing: this is not a Concord database, or it is damaged",
			"the table audit_events is missing: this is not a Concord database, or it is damaged",
		}},
		{"an index that disagrees with its table", func(t *testing.T, path string) {
			// The index holds fran's username; its changed definition says
			// it holds names, so fran's row is missing from it.
			rawExec(t, path, `PRAGMA writable_schema = ON`,
				`UPDATE sqlite_master SET sql = replace(replace(sql, char(96), char(34)), '("username")', '("name")')
					WHERE name = 'idx_users_username'`)
		}, []string{"integrity check: row 1 missing from index idx_users_username"}},
		{"a damaged page", func(t *testing.T, path string) {
			page := rootPage(t, path, "login_failures")
			overwrite(t, path, (page-1)*pageSize, 8)
		}, []string{"SQLite cannot read the file: database disk image is malformed"}},
		{"not a database", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte(strings.Repeat("not a database ", 400)), 0o600); err != nil {
				t.Fatal(err)
			}
		}, []string{"SQLite cannot read the file: file is not a database"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "concord.db")
			s := storeAt(t, path)
			mustUser(t, s, "fran", models.RoleFacilitator, "")
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			tc.damage(t, path)
			report, err := models.CheckDatabaseFile(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			if got := report.Problems(); !slices.Equal(got, tc.problems) {
				t.Errorf("problems %q, want %q", got, tc.problems)
			}
			if report.OK() != (tc.problems == nil) {
				t.Errorf("OK() = %v with problems %q", report.OK(), tc.problems)
			}
		})
	}
}

// rawExec runs statements on the database file through a plain connection
// with foreign keys off, as a damaged or hand-edited file would have them.
func rawExec(t *testing.T, path string, statements ...string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=off")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: a PRAGMA holds for the statements after it
	for _, st := range statements {
		if _, err := db.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
}

const pageSize = 4096 // SQLite's default page size

// rootPage is the number of the page holding a table's b-tree root.
func rootPage(t *testing.T, path, table string) int64 {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var page int64
	var size int64
	if err := db.QueryRow("PRAGMA page_size").Scan(&size); err != nil || size != pageSize {
		t.Fatalf("page size %d (%v), want %d", size, err, pageSize)
	}
	if err := db.QueryRow("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?", table).Scan(&page); err != nil {
		t.Fatal(err)
	}
	return page
}

// overwrite writes n bytes of 0x5a at offset, as a failing disk would.
func overwrite(t *testing.T, path string, offset int64, n int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte(strings.Repeat("Z", n)), offset); err != nil {
		t.Fatal(err)
	}
}
