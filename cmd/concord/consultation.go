package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"concord/models"
)

// maxDefinitionBytes bounds a definition file read from disk.
const maxDefinitionBytes = 16 << 20

const consultationUsage = `usage:
  concord consultation export -consultation KEY [-db FILE] > def.json
      print the consultation's definition (questionnaire, no positions) as JSON
  concord consultation import [-open] [-user NAME] [-db FILE] def.json
      create a consultation from a definition file: all of it, or nothing
      when any part is wrong (every problem is listed with its JSON path)`

// consultationCmd is "concord consultation export|import".
func consultationCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("say what to do with the consultation\n" + consultationUsage)
	}
	switch args[0] {
	case "export":
		return consultationExport(ctx, args[1:], stdout, stderr)
	case "import":
		return consultationImport(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprintln(stdout, consultationUsage)
		return nil
	}
	return fmt.Errorf("unknown consultation command %q\n%s", args[0], consultationUsage)
}

func consultationExport(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("consultation export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: concord consultation export -consultation KEY [-db FILE] > def.json

Prints the consultation's definition (questionnaire, no positions) as JSON.
Flags:`)
		fs.PrintDefaults()
	}
	key := fs.String("consultation", "", "key of the consultation (required)")
	db := dbFlag(fs)
	rest, err := parseArgs(fs, args)
	if err != nil {
		return helpRequested(err)
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected arguments: %s (the definition is written to standard output)", strings.Join(rest, " "))
	}
	if *key == "" {
		return errors.New("name the consultation with -consultation KEY")
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
	def, err := store.ExportDefinition(ctx, cons.ID)
	if err != nil {
		return err
	}
	body, err := json.MarshalIndent(def, "", "  ")
	if err != nil {
		return fmt.Errorf("encode definition: %w", err)
	}
	if _, err := fmt.Fprintf(stdout, "%s\n", body); err != nil {
		return fmt.Errorf("write definition: %w", err)
	}
	return nil
}

func consultationImport(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("consultation import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: concord consultation import [-open] [-user NAME] [-db FILE] def.json

Creates a consultation from a definition file: all of it, or nothing when
any part is wrong (every problem is listed with its JSON path).
Flags:`)
		fs.PrintDefaults()
	}
	open := fs.Bool("open", false, "open the new consultation for positions at once (otherwise it is a draft)")
	user := userFlag(fs)
	db := dbFlag(fs)
	rest, err := parseArgs(fs, args)
	if err != nil {
		return helpRequested(err)
	}
	if len(rest) != 1 {
		return errors.New("give one definition file: concord consultation import [-open] def.json")
	}
	f, err := os.Open(rest[0])
	if err != nil {
		return fmt.Errorf("open definition: %w", err)
	}
	defer f.Close()
	def, err := models.ReadDefinition(f, maxDefinitionBytes)
	if err != nil {
		return definitionProblems(err, rest[0], stderr)
	}
	store, err := openExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer closeStore(store, &err)
	by, err := actingFacilitator(ctx, store, *user)
	if err != nil {
		return err
	}
	cons, err := store.ImportDefinition(ctx, def, *open, by.ID)
	if err != nil {
		return definitionProblems(err, rest[0], stderr)
	}
	status := "a draft: open it when it is ready"
	if *open {
		status = "open for positions"
	}
	fmt.Fprintf(stdout, "Created consultation %s with %d question(s); it is %s.\n", cons.Key, len(def.Questions), status)
	return nil
}

// definitionProblems prints every problem of a definition, one per line,
// and returns a one-line summary.
func definitionProblems(err error, file string, stderr io.Writer) error {
	var derr *models.DefinitionError
	if !errors.As(err, &derr) {
		return err
	}
	for _, p := range derr.Problems {
		fmt.Fprintf(stderr, "%s: %s\n", file, p)
	}
	return fmt.Errorf("%s has %d problem(s); nothing was created", file, len(derr.Problems))
}
