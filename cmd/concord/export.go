package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"concord/export"
	"concord/models"
)

// The maintenance sub-commands (export, consultation, import) share the
// -db flag of serve and work while the server runs: SQLite's WAL journal
// and busy timeout let them read and write beside it.

// dbFlag adds the -db flag, with the same default and CONCORD_DB fallback
// as serve.
func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", env("CONCORD_DB", "concord.db"), dbFlagUsage)
}

const dbFlagUsage = "the database: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/NAME?sslmode=verify-full (password in PGPASSWORD or ~/.pgpass, not in the URL) (CONCORD_DB)"

// userFlag adds the -user flag naming the facilitator a command acts as.
func userFlag(fs *flag.FlagSet) *string {
	return fs.String("user", env("CONCORD_USER", ""),
		"username of the facilitator acting; may be left out when only one facilitator account exists (CONCORD_USER)")
}

// parseArgs parses flags wherever they stand among the positional
// arguments ("import def.json -open" as well as "import -open def.json").
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// helpRequested turns -h into a successful exit: the flags were printed.
func helpRequested(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// openExisting opens an existing database for a sub-command and brings its
// schema up to date. A missing file is an error rather than a new empty
// database; an empty roster is filled as serve would fill it.
func openExisting(ctx context.Context, path string) (*models.Store, error) {
	if models.IsPostgresDSN(path) {
		// A server's database exists or the connection says it does not.
	} else if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("there is no database at %s: give its path with -db (or CONCORD_DB)", path)
	} else if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	store, err := openMigrated(ctx, path)
	if err != nil {
		return nil, err
	}
	members, err := store.Members(ctx)
	if err != nil {
		store.Close()
		return nil, err
	}
	if len(members) == 0 {
		roster, err := loadRoster(env("CONCORD_MEMBERS", ""))
		if err == nil {
			err = store.SeedMembers(ctx, roster)
		}
		if err != nil {
			store.Close()
			return nil, err
		}
	}
	return store, nil
}

// closeStore closes the store of a command and adds a failure to close it
// to the command's error, so that such a failure is never passed over.
func closeStore(store *models.Store, err *error) {
	if cerr := store.Close(); cerr != nil {
		*err = errors.Join(*err, fmt.Errorf("close database: %w", cerr))
	}
}

// consultationByKey loads a consultation, saying plainly when there is none.
func consultationByKey(ctx context.Context, store *models.Store, key string) (*models.Consultation, error) {
	cons, err := store.ConsultationByKey(ctx, key)
	if errors.Is(err, models.ErrNotFound) {
		return nil, fmt.Errorf("there is no consultation with the key %q", key)
	}
	return cons, err
}

// actingFacilitator finds the facilitator account a command acts as: the
// one named, or the only active one.
func actingFacilitator(ctx context.Context, store *models.Store, username string) (*models.User, error) {
	users, err := store.Users(ctx)
	if err != nil {
		return nil, err
	}
	username = strings.ToLower(strings.TrimSpace(username))
	var facilitators []*models.User
	var names []string
	for i := range users {
		u := &users[i]
		if username != "" && u.Username == username {
			if u.Role != models.RoleFacilitator || !u.Active() {
				return nil, fmt.Errorf("%s is not an active facilitator account", username)
			}
			return u, nil
		}
		if u.Role == models.RoleFacilitator && u.Active() {
			facilitators = append(facilitators, u)
			names = append(names, u.Username)
		}
	}
	switch {
	case username != "":
		return nil, fmt.Errorf("there is no account %q", username)
	case len(facilitators) == 1:
		return facilitators[0], nil
	case len(facilitators) == 0:
		return nil, errors.New("there is no facilitator account yet: start the server once and create one with the link it prints")
	}
	return nil, fmt.Errorf("several facilitator accounts exist (%s): name the one acting with -user", strings.Join(names, ", "))
}

// writeFileAtomic writes a file through a temporary file in the same
// folder, so that a failure never leaves half a file under the name.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".concord-*.tmp")
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

const exportUsage = `usage: concord export -consultation KEY [-round N] [-out DIR] [-format csv|zip|xlsx] [-bom] [-db FILE]

Writes the export pack of a round of the consultation (the current round
unless -round N) into DIR:
  csv   KEY-questions.csv, KEY-positions.csv, KEY-matrix.csv, KEY-members.csv,
        KEY-history.csv, KEY-rounds.csv, KEY-movement.csv
  zip   KEY-pack.zip holding those seven files
  xlsx  KEY-pack.xlsx, one sheet per file
Questions, positions, matrix and members describe the round chosen; history,
rounds and movement cover every round.
Flags:`

// exportMemory is the soft limit of the Go heap during an export: a
// workbook of 200 members × 500 questions needs about 45 MB live (one
// sheet's stream buffer, the analysis and the program's own tables).
const exportMemory = 80 << 20

// exportCmd is "concord export".
func exportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, exportUsage); fs.PrintDefaults() }
	key := fs.String("consultation", "", "key of the consultation (required)")
	out := fs.String("out", ".", "folder to write the files into (created if missing)")
	format := fs.String("format", "csv", "csv (one file per table), zip (one archive) or xlsx (one workbook)")
	bom := fs.Bool("bom", false, "start CSV files with a UTF-8 byte-order mark, for Microsoft Excel")
	round := fs.Int("round", 0, "round of the per-round tables, 1 up to the current round (default the current round)")
	db := dbFlag(fs)
	rest, err := parseArgs(fs, args)
	if err != nil {
		return helpRequested(err)
	}
	switch {
	case len(rest) > 0:
		return fmt.Errorf("unexpected arguments: %s (the folder is given with -out)", strings.Join(rest, " "))
	case *key == "":
		return errors.New("name the consultation with -consultation KEY")
	case *format != "csv" && *format != "zip" && *format != "xlsx":
		return fmt.Errorf("-format must be csv, zip or xlsx, not %q", *format)
	case *bom && *format == "xlsx":
		return errors.New("-bom applies to CSV files (csv and zip formats), not to the xlsx workbook")
	case *round < 0:
		return fmt.Errorf("-round must be a round number from 1, not %d", *round)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// The pack streams its long tables, but the garbage of a large
		// export would let the heap grow to twice what is live: a soft
		// limit keeps it near exportMemory (GOMEMLIMIT overrides it).
		debug.SetMemoryLimit(exportMemory)
	}
	store, err := openExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer closeStore(store, &err)
	cons, err := consultationByKey(ctx, store, *key)
	if err != nil {
		return err
	}
	pack, err := export.Load(ctx, store, cons, *round)
	if err != nil {
		return err
	}
	chosen := pack.Analysis.Round
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("create folder %s: %w", *out, err)
	}

	type file struct {
		name  string
		write func(io.Writer) error
	}
	var files []file
	switch *format {
	case "csv":
		for _, t := range pack.Tables() {
			files = append(files, file{t.Name, func(w io.Writer) error { return export.WriteCSV(w, t, *bom) }})
		}
	case "zip":
		files = []file{{"pack.zip", func(w io.Writer) error {
			return export.WriteZIP(w, cons.Key, pack.Tables(), *bom, store.Now())
		}}}
	case "xlsx":
		files = []file{{"pack.xlsx", func(w io.Writer) error { return export.WriteXLSX(w, pack.Tables()) }}}
	}
	for _, f := range files {
		// Written as produced, through a temporary file: a writer error
		// leaves nothing behind, and no file is held whole in memory.
		path := filepath.Join(*out, export.FileName(cons.Key, f.name))
		if err := writeFileAtomic(path, func(w io.Writer) error {
			bw := bufio.NewWriterSize(w, 64<<10)
			if err := f.write(bw); err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return fmt.Errorf("write %s: %w", path, err)
			}
			return nil
		}); err != nil {
			return err
		}
		detail := fmt.Sprintf("%s, round %d, command line", f.name, chosen)
		if *bom {
			detail += ", with byte-order mark"
		}
		if err := store.Record(ctx, models.AuditEvent{Action: models.AuditExportDownload,
			Subject: "consultation " + cons.Key, Detail: detail}); err != nil {
			return err
		}
		fmt.Fprintln(stdout, path)
	}
	return nil
}
