package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"concord/models"
)

const importUsage = `usage: concord import -consultation KEY [-user NAME] [-db FILE] positions.csv

Imports positions into the consultation's current round from a CSV file with
a header line and the columns of positions.csv (member_code, question_key,
preferred, acceptable_min, acceptable_max, importance, choice, answer_text,
rationale, acceptable_options, conditions) and withdrawn ("yes" withdraws the
answer); others (round, revision, submitted_by …) are ignored, so an
exported positions.csv imports as it is. conditions (scale and choice) are
the conditions of the member's acceptance: an empty cell clears them, a
file without the column keeps each answer's current ones. Every line is
checked first: when any is wrong, each is listed by line number and nothing
is imported. Where the consultation requires national approval, imported
positions are approved at once, entered on the members' behalf.
Flags:`

// importCmd is "concord import".
func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, importUsage); fs.PrintDefaults() }
	key := fs.String("consultation", "", "key of the consultation (required)")
	user := userFlag(fs)
	db := dbFlag(fs)
	rest, err := parseArgs(fs, args)
	if err != nil {
		return helpRequested(err)
	}
	if *key == "" {
		return errors.New("name the consultation with -consultation KEY")
	}
	if len(rest) != 1 {
		return errors.New("give one positions file: concord import -consultation KEY positions.csv")
	}
	file := rest[0]
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("open positions: %w", err)
	}
	defer f.Close()
	rows, err := models.ParsePositions(f)
	if err != nil {
		return importProblems(err, file, stderr)
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
	by, err := actingFacilitator(ctx, store, *user)
	if err != nil {
		return err
	}
	res, err := store.ImportPositions(ctx, cons.ID, rows, by.ID)
	var conflict *models.ConflictError
	if errors.As(err, &conflict) {
		return errors.New(conflict.Message)
	}
	if err != nil {
		return importProblems(err, file, stderr)
	}
	fmt.Fprintf(stdout, "Imported %d line(s) for %d member(s) into %s as %s: %d position(s) revised, %d already as in the file",
		res.Rows, res.Members, cons.Key, by.Username, res.Changed, res.Unchanged)
	if res.Skipped > 0 {
		fmt.Fprintf(stdout, ", %d line(s) without any answer left out", res.Skipped)
	}
	fmt.Fprintln(stdout, ".")
	return nil
}

// importProblems prints every problem of a positions file, one per line,
// and returns a one-line summary.
func importProblems(err error, file string, stderr io.Writer) error {
	var ierr *models.ImportError
	if !errors.As(err, &ierr) {
		return err
	}
	for _, p := range ierr.Problems {
		fmt.Fprintf(stderr, "%s: %s\n", file, p)
	}
	return fmt.Errorf("%s has %d problem(s); nothing was imported", file, len(ierr.Problems))
}
