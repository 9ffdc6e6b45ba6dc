package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"

	"concord/models"
)

const auditUsage = `usage: concord audit verify [-db FILE] [-expect ID:HASH]

Recomputes the audit log's hash chain from its entries and compares it with
the stored chain, without writing anything. It names the first entry that
does not match (changed, deleted or inserted), prints how many entries
verified, the chain head (ID:HASH) and how many entries are not linked yet
(the server links new entries within seconds). With -expect, entry ID must
still have the hash HASH recorded earlier (from the audit page, audit.csv or
an earlier run): this catches an edit followed by a recomputation of every
later hash. Exit status 1 on any mismatch.
Flags:`

// auditCmd runs "concord audit verify".
func auditCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return fmt.Errorf("usage: concord audit verify [-db FILE] [-expect ID:HASH]")
	}
	return auditVerify(ctx, args[1:], stdout, stderr)
}

func auditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	flags := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { fmt.Fprintln(stderr, auditUsage); flags.PrintDefaults() }
	db := dbFlag(flags)
	expectText := flags.String("expect", "", "ID:HASH of a chain head recorded earlier; entry ID must still have this hash")
	if err := flags.Parse(args); err != nil {
		return helpRequested(err)
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", flags.Args())
	}
	var expect models.AuditHead
	if *expectText != "" {
		if expect, err = models.ParseAuditHead(*expectText); err != nil {
			return fmt.Errorf("-expect: %w", err)
		}
	}
	// Read-only: verification must never change the database it checks
	// (no migration, no linking).
	if _, err := os.Stat(*db); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("there is no database at %s: give its path with -db (or CONCORD_DB)", *db)
	}
	store, err := models.OpenReadOnly(*db)
	if err != nil {
		return err
	}
	defer closeStore(store, &err)
	v, err := store.VerifyAudit(ctx, expect)
	if err != nil {
		return err
	}
	before := ""
	if !v.OK() {
		before = " before the first mismatch"
	}
	fmt.Fprintf(stdout, "Verified %d %s%s.\n", v.Verified, plural(v.Verified, "entry", "entries"), before)
	if v.Head.ID != 0 {
		fmt.Fprintf(stdout, "Head: %s\n", v.Head)
	} else {
		fmt.Fprintln(stdout, "Head: none (no entry linked)")
	}
	fmt.Fprintf(stdout, "Not yet linked: %d %s.\n", v.Unlinked, plural(int(v.Unlinked), "entry", "entries"))
	if !v.OK() {
		fmt.Fprintf(stdout, "MISMATCH at entry %d: %s\n", v.ProblemID, v.Problem)
		return fmt.Errorf("the audit log does not verify: first mismatch at entry %d", v.ProblemID)
	}
	if v.ExpectChecked {
		fmt.Fprintf(stdout, "Entry %d has the expected hash.\n", expect.ID)
	}
	fmt.Fprintln(stdout, "The audit chain is intact.")
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// startAuditLinker links the audit log's new entries into its hash chain
// in the background while the server runs. The returned function stops it
// and waits until it has made its last pass (linking what was written up
// to shutdown); call it after the HTTP server has shut down and before the
// store is closed. The linker does not stop with ctx itself (a signal
// cancels ctx while requests are still finishing), only with stop.
func startAuditLinker(ctx context.Context, store *models.Store, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	linker := &models.AuditLinker{Store: store, Log: log}
	go func() {
		defer close(done)
		linker.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}
