package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

const checkUsage = `usage: concord check [-db FILE]

Checks the database file without changing it, beside a running server:
SQLite's integrity check (every page, index and constraint), its
foreign-key check (no row refers to a missing row) and Concord's tables.
It reports in words and exits with status 1 on any problem, listing them.
Check a backup the same way: concord check -db backup.db. The audit log's
hash chain has its own check: concord audit verify.
Flags:`

// checkCmd is "concord check".
func checkCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("check", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { fmt.Fprintln(stderr, checkUsage); flags.PrintDefaults() }
	db := dbFlag(flags)
	if err := flags.Parse(args); err != nil {
		return helpRequested(err)
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", flags.Args())
	}
	if err := existingDatabase(*db); err != nil {
		return err
	}
	report, err := checkFile(ctx, *db)
	if err != nil {
		return err
	}
	if !report.OK() {
		problems := report.Problems()
		fmt.Fprintf(stdout, "The database %s has %d %s:\n", *db, len(problems), plural(len(problems), "problem", "problems"))
		for _, p := range problems {
			fmt.Fprintf(stdout, "  - %s\n", p)
		}
		return fmt.Errorf("the database %s failed its check: %d %s", *db, len(problems), plural(len(problems), "problem", "problems"))
	}
	fmt.Fprintf(stdout, "The database %s is sound: integrity check ok, no foreign-key violations.\n"+
		"The audit log's hash chain has its own check: concord audit verify -db %s\n", *db, *db)
	return nil
}
