package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"syscall"

	"concord/models"
)

const copyUsage = `usage: concord copy -from DB -to DB

Copies a whole database into a new, empty one, also from one backend to the
other: -from and -to are each a SQLite file or a PostgreSQL URL
(postgres://… or postgresql://…). Every row of every table is copied with
its IDs — positions and their history, accounts, sessions, API tokens,
invitations, drafts, silence procedures, the audit log and its hash chain —
in one transaction on the target: the copy is whole, or nothing is written.

It refuses a target that already holds data (even only the roster), and a
-from SQLite file that does not exist. The target is created (a new SQLite
file) or its schema brought up to date (an empty PostgreSQL database) first.
The copy reads -from as it was when the copy began: stop the server, or
every instance, before copying to move to another database, or saves made
during the copy stay behind. Give a PostgreSQL password through PGPASSWORD
or ~/.pgpass rather than in the URL; a URL is printed without its password.
Flags:`

// copyCmd is "concord copy".
func copyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	flags := flag.NewFlagSet("copy", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { fmt.Fprintln(stderr, copyUsage); flags.PrintDefaults() }
	from := flags.String("from", "", "the database to copy: a SQLite file or a postgres:// URL (required)")
	to := flags.String("to", "", "the new, empty database to copy into: a SQLite file or a postgres:// URL (required)")
	if err := flags.Parse(args); err != nil {
		return helpRequested(err)
	}
	switch {
	case flags.NArg() > 0:
		return fmt.Errorf("unexpected arguments: %v", flags.Args())
	case *from == "" || *to == "":
		return errors.New("name both databases: concord copy -from DB -to DB")
	case *from == *to:
		return fmt.Errorf("-from and -to are the same database (%s): copy into a new one", models.RedactDSN(*from))
	}
	if !models.IsPostgresDSN(*from) {
		if err := existingDatabase(*from); err != nil {
			return fmt.Errorf("%w (-from)", err)
		}
	}
	created := false
	if !models.IsPostgresDSN(*to) {
		switch _, err := os.Stat(*to); {
		case errors.Is(err, fs.ErrNotExist):
			created = true
		case err != nil:
			return fmt.Errorf("open database %s: %w", *to, err)
		case !models.IsPostgresDSN(*from):
			if same, err := sameFile(*from, *to); err != nil {
				return err
			} else if same {
				return fmt.Errorf("-from and -to are the same database (%s): copy into a new one", *from)
			}
		}
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	src, err := openMigrated(ctx, *from)
	if err != nil {
		return err
	}
	defer closeStore(src, &err)
	report, err := copyInto(ctx, src, *to, created)
	if err != nil {
		return err
	}
	printCopyReport(stdout, *from, *to, report)
	return nil
}

// copyInto opens the target, checks that it is empty before changing
// anything in it, migrates it and copies src into it. A SQLite target the
// command created is removed again when the copy fails, so that a failed
// copy leaves nothing behind.
func copyInto(ctx context.Context, src *models.Store, to string, created bool) (report *models.CopyReport, err error) {
	dst, err := models.Open(to)
	if err == nil {
		err = dst.RequireEmpty(ctx)
		if err == nil {
			err = dst.Migrate(ctx)
		}
		if err == nil {
			report, err = models.CopyDatabase(ctx, src, dst)
		}
		closeStore(dst, &err)
	}
	if err != nil && created {
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			if rerr := os.Remove(to + suffix); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				err = errors.Join(err, fmt.Errorf("remove the unfinished copy: %w", rerr))
			}
		}
	}
	return report, err
}

// tableWords says what each table holds, for the report of a copy.
var tableWords = map[string]string{
	"members":                "members of the roster",
	"users":                  "accounts",
	"consultations":          "consultations",
	"sections":               "sections of questionnaires",
	"questions":              "questions",
	"round_records":          "rounds",
	"revisions":              "saved positions, the whole history",
	"hidden_rationales":      "rationales withheld from the next round",
	"sessions":               "sign-in sessions",
	"invitations":            "invitations",
	"api_tokens":             "API tokens",
	"login_failures":         "sign-in throttling counters",
	"known_addresses":        "addresses accounts signed in from",
	"drafts":                 "drafts",
	"draft_versions":         "versions of drafts",
	"paragraphs":             "paragraphs of drafts",
	"procedures":             "silence procedures",
	"procedure_actions":      "actions in silence procedures",
	"audit_events":           "audit log entries",
	"audit_links":            "links of the audit hash chain",
	"current_positions":      "current positions",
	"pending_positions":      "drafts awaiting approval",
	"questionnaire_versions": "questionnaire versions",
	"change_counters":        "change counters of cached reads",
}

// printCopyReport says what was copied, table by table.
func printCopyReport(w io.Writer, from, to string, r *models.CopyReport) {
	fmt.Fprintf(w, "Copied %s to %s: %d %s in %d tables.\n", models.RedactDSN(from), models.RedactDSN(to), r.Rows(),
		plural(int(r.Rows()), "row", "rows"), len(r.Tables))
	width, counts := 0, 0
	for _, t := range append(append([]models.TableCount{}, r.Tables...), r.Derived...) {
		width = max(width, len(t.Table))
		counts = max(counts, len(fmt.Sprintf("%d %s", t.Rows, plural(int(t.Rows), "row", "rows"))))
	}
	line := func(t models.TableCount) {
		count := fmt.Sprintf("%d %s", t.Rows, plural(int(t.Rows), "row", "rows"))
		fmt.Fprintf(w, "  %-*s %-*s  %s\n", width, t.Table, counts, count, tableWords[t.Table])
	}
	for _, t := range r.Tables {
		line(t)
	}
	fmt.Fprintln(w, "Rebuilt by the target from those rows:")
	for _, t := range r.Derived {
		line(t)
	}
	fmt.Fprintf(w, "Every table holds as many rows as in %s. Start the server with -db %s.\n", models.RedactDSN(from), models.RedactDSN(to))
}
