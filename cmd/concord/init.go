package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
)

const initUsage = `usage: concord init [-db FILE] [-members FILE]

Creates the database with its schema and the roster of members (the 32 NATO
allies, or the roster of -members), as the server does on its first start.
On an existing database it brings the schema up to date and updates the
roster's names, and says so; it never removes anything, so running it twice
is harmless. Other commands refuse to create a database that does not exist.
Flags:`

// initCmd is "concord init".
func initCmd(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	flags := flag.NewFlagSet("init", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { fmt.Fprintln(stderr, initUsage); flags.PrintDefaults() }
	db := dbFlag(flags)
	members := flags.String("members", env("CONCORD_MEMBERS", ""),
		"roster CSV (code,name,accession) to load instead of the 32 NATO allies (CONCORD_MEMBERS)")
	if err := flags.Parse(args); err != nil {
		return helpRequested(err)
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", flags.Args())
	}
	existed := true
	if _, err := os.Stat(*db); errors.Is(err, fs.ErrNotExist) {
		existed = false
	} else if err != nil {
		return fmt.Errorf("open database %s: %w", *db, err)
	}
	// Read the roster before anything is created: a bad roster file leaves
	// no empty database behind.
	if _, err := loadRoster(*members); err != nil {
		return err
	}
	store, err := openStore(ctx, *db, *members)
	if err != nil {
		return err
	}
	defer closeStore(store, &err)
	roster, err := store.Members(ctx)
	if err != nil {
		return err
	}
	if existed {
		fmt.Fprintf(stdout, "The database %s exists: its schema is up to date and it has %d members.\n", *db, len(roster))
	} else {
		fmt.Fprintf(stdout, "Created the database %s with %d members.\n", *db, len(roster))
	}
	facilitator, err := store.FacilitatorExists(ctx)
	if err != nil {
		return err
	}
	if !facilitator {
		fmt.Fprintf(stdout, "No facilitator account exists yet: create one with\n"+
			"  concord user create -db %s -role facilitator -username NAME -password-stdin\n"+
			"or start the server, which prints a one-time link to create it.\n", *db)
	}
	return nil
}
