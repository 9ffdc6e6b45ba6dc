package models

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

func openTestStore(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// pragma reads one PRAGMA on a connection of its own, so that every
// connection of a pool, not only the first, is seen to carry the options.
func pragma(t *testing.T, conn *sql.Conn, name string) string {
	t.Helper()
	var v string
	if err := conn.QueryRowContext(context.Background(), "PRAGMA "+name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

// TestOpenConnectionOptions checks that the options of the DSN take effect
// on the writer and on every connection of the reader pool.
func TestOpenConnectionOptions(t *testing.T) {
	s := openTestStore(t, filepath.Join(t.TempDir(), "concord.db"))
	ctx := context.Background()
	pools := []struct {
		name      string
		db        *gorm.DB
		conns     int
		queryOnly string
	}{
		{"writer", s.w, 1, "0"},
		{"reader", s.r, 3, "1"},
	}
	for _, p := range pools {
		t.Run(p.name, func(t *testing.T) {
			sqlDB, err := p.db.DB()
			if err != nil {
				t.Fatal(err)
			}
			var conns []*sql.Conn
			for range p.conns {
				c, err := sqlDB.Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				conns = append(conns, c)
			}
			defer func() {
				for _, c := range conns {
					c.Close()
				}
			}()
			for i, c := range conns {
				for _, want := range []struct{ pragma, value string }{
					{"journal_mode", "wal"},
					{"foreign_keys", "1"},
					{"synchronous", "2"}, // FULL
					{"busy_timeout", "10000"},
					{"query_only", p.queryOnly},
				} {
					if got := pragma(t, c, want.pragma); got != want.value {
						t.Errorf("connection %d: PRAGMA %s = %s, want %s", i, want.pragma, got, want.value)
					}
				}
			}
		})
	}
}

// TestWriterHasOneConnection checks that writes queue on one connection
// in Go rather than contend for the database's lock.
func TestWriterHasOneConnection(t *testing.T) {
	s := openTestStore(t, filepath.Join(t.TempDir(), "concord.db"))
	for _, p := range []struct {
		name string
		db   *gorm.DB
		want int
	}{{"writer", s.w, 1}, {"reader", s.r, 8}} {
		sqlDB, err := p.db.DB()
		if err != nil {
			t.Fatal(err)
		}
		if n := sqlDB.Stats().MaxOpenConnections; n != p.want {
			t.Errorf("%s pool allows %d connections, want %d", p.name, n, p.want)
		}
	}
}

// TestWriteTransactionsLockUpFront checks _txlock=immediate: a write
// transaction holds the write lock from its start, so a writer from
// outside the Store (another process) cannot slip in between its read and
// its write; and that the reader pool refuses writes.
func TestWriteTransactionsLockUpFront(t *testing.T) {
	path := filepath.Join(t.TempDir(), "concord.db")
	s := openTestStore(t, path)
	ctx := context.Background()
	other, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Member{}).Count(&n).Error; err != nil {
			return err
		}
		_, err := other.ExecContext(ctx, "INSERT INTO members (code, name, accession) VALUES ('XXX', 'Outsider', 2000)")
		if err == nil || !strings.Contains(err.Error(), "database is locked") {
			t.Errorf("a write from outside during a write transaction: %v, want SQLITE_BUSY (database is locked)", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	err = s.r.WithContext(ctx).Exec("INSERT INTO members (code, name, accession) VALUES ('YYY', 'Reader', 2000)").Error
	if err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Errorf("a write through the reader pool: %v, want a read-only refusal", err)
	}
}

// TestOpenPathWithURICharacters checks that a database path with
// characters that mean something in a URI (#, ?, %) opens that very file.
func TestOpenPathWithURICharacters(t *testing.T) {
	dir := t.TempDir()
	name := "ministry #2 ?draft% 41.db"
	s := openTestStore(t, filepath.Join(dir, name))
	ctx := context.Background()
	if err := s.SeedMembers(ctx, []Member{{Code: "AAA", Name: "Alpha", Accession: 1949}}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	for _, n := range names {
		if !strings.HasPrefix(n, name) {
			t.Errorf("the database was opened at %q, want %q (folder holds %q)", n, name, names)
		}
	}
	if len(names) == 0 {
		t.Fatalf("no database file in the folder")
	}
}

// TestWritesAreOneTransaction makes the database refuse one row part-way
// through a multi-row write and checks that nothing of that write stays:
// SubmitPositions, ImportPositions and ImportDefinition each commit all
// their rows, audit events included, or none.
func TestWritesAreOneTransaction(t *testing.T) {
	def := func(key string) *Definition {
		return &Definition{Key: key, Title: "Review", Questions: []DefinitionQuestion{
			{Key: "stance", Section: "Posture", Text: "How assertive?", Kind: KindScale, Points: []string{"Less", "Same", "More"}},
			{Key: "act", Section: "Treaties", Text: "The Act?", Kind: KindChoice, Options: []string{"Keep", "Void"}},
			{Key: "notes", Section: "Other", Text: "Anything else?", Kind: KindText},
		}}
	}
	tests := []struct {
		name string
		// trigger refuses the row that stops the write half-way.
		trigger string
		write   func(ctx context.Context, s *Store, c *Consultation, by uint) error
	}{
		{"submit positions", `CREATE TRIGGER refuse BEFORE INSERT ON revisions
			WHEN NEW.question_id = (SELECT id FROM questions WHERE key = 'notes')
			BEGIN SELECT RAISE(ABORT, 'refused'); END`,
			func(ctx context.Context, s *Store, c *Consultation, by uint) error {
				est, err := s.MemberByCode(ctx, "EST")
				if err != nil {
					return err
				}
				_, err = s.SubmitPositions(ctx, Submission{ConsultationID: c.ID, MemberID: est.ID, UserID: by, Source: SourceForm,
					Inputs: []PositionInput{{QuestionKey: "stance", Preferred: 2}, {QuestionKey: "act", Option: 1},
						{QuestionKey: "notes", Answer: "More later."}}})
				return err
			}},
		{"import positions", `CREATE TRIGGER refuse BEFORE INSERT ON revisions
			WHEN NEW.member_id = (SELECT id FROM members WHERE code = 'LVA')
			BEGIN SELECT RAISE(ABORT, 'refused'); END`,
			func(ctx context.Context, s *Store, c *Consultation, by uint) error {
				rows, err := ParsePositions(strings.NewReader("member_code,question_key,preferred,choice\n" +
					"EST,stance,2,\nEST,act,,Keep\nLVA,stance,3,\n"))
				if err != nil {
					return err
				}
				_, err = s.ImportPositions(ctx, c.ID, rows, by)
				return err
			}},
		{"import a definition", `CREATE TRIGGER refuse BEFORE INSERT ON questions
			WHEN NEW.key = 'notes' BEGIN SELECT RAISE(ABORT, 'refused'); END`,
			func(ctx context.Context, s *Store, _ *Consultation, by uint) error {
				_, err := s.ImportDefinition(ctx, def("second"), true, by)
				return err
			}},
	}
	count := func(t *testing.T, s *Store, table string) int64 {
		t.Helper()
		var n int64
		if err := s.r.Table(table).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openTestStore(t, filepath.Join(t.TempDir(), "concord.db"))
			ctx := context.Background()
			roster, err := DefaultRoster()
			if err != nil {
				t.Fatal(err)
			}
			if err := s.SeedMembers(ctx, roster); err != nil {
				t.Fatal(err)
			}
			s.SetPasswordCost(bcrypt.MinCost)
			fac, err := s.CreateUser(ctx, NewUser{Username: "fran", Name: "Fran", Role: RoleFacilitator,
				Password: "amber lantern over quiet fjords"})
			if err != nil {
				t.Fatal(err)
			}
			c, err := s.ImportDefinition(ctx, def("first"), true, fac.ID)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.w.Exec(tc.trigger).Error; err != nil {
				t.Fatal(err)
			}
			tables := []string{"consultations", "sections", "questions", "revisions", "audit_events"}
			before := map[string]int64{}
			for _, table := range tables {
				before[table] = count(t, s, table)
			}
			err = tc.write(ctx, s, c, fac.ID)
			if err == nil || !strings.Contains(err.Error(), "refused") {
				t.Fatalf("err = %v, want the refusal", err)
			}
			for _, table := range tables {
				if n := count(t, s, table); n != before[table] {
					t.Errorf("%s: %d rows before, %d after the refused write", table, before[table], n)
				}
			}
		})
	}
}
