package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"concord/models"
)

const roundUsage = `usage:
  concord round open -consultation KEY [-deadline 2026-12-15T17:00] [-user NAME] [-db FILE]
      close the consultation's current round and open the next one, with
      the new round's deadline (UTC; none when left out)`

// roundCmd is "concord round open".
func roundCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("say what to do with the round\n" + roundUsage)
	}
	switch args[0] {
	case "open":
		return roundOpen(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprintln(stdout, roundUsage)
		return nil
	}
	return fmt.Errorf("unknown round command %q\n%s", args[0], roundUsage)
}

func roundOpen(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("round open", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: concord round open -consultation KEY [-deadline 2026-12-15T17:00] [-user NAME] [-db FILE]

Closes the consultation's current round N and opens round N+1: positions are
gathered for round N+1 from now on, round N's stay as they are, and delegates
see round N's anonymised result beside each question.
Flags:`)
		fs.PrintDefaults()
	}
	key := fs.String("consultation", "", "key of the consultation (required)")
	deadlineText := fs.String("deadline", "", "deadline of the new round, as 2026-12-15T17:00 in UTC (none when left out)")
	user := userFlag(fs)
	db := dbFlag(fs)
	rest, err := parseArgs(fs, args)
	if err != nil {
		return helpRequested(err)
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(rest, " "))
	}
	if *key == "" {
		return errors.New("name the consultation with -consultation KEY")
	}
	deadline, err := models.ParseRoundDeadline(*deadlineText)
	if err != nil {
		return fmt.Errorf("-deadline %q: give a date and time such as 2026-12-15T17:00 (UTC)", *deadlineText)
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
	next, err := store.OpenNextRound(ctx, cons.ID, deadline, by.ID)
	var conflict *models.ConflictError
	var verr *models.ValidationError
	switch {
	case errors.As(err, &conflict):
		return errors.New(conflict.Message)
	case errors.As(err, &verr):
		return fmt.Errorf("-deadline %s: %s", *deadlineText, verr.Fields["deadline"])
	case err != nil:
		return err
	}
	until := "no deadline"
	if next.Deadline != nil {
		until = "deadline " + next.Deadline.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(stdout, "Closed round %d of %s and opened round %d (%s) as %s.\n",
		next.Round-1, next.Key, next.Round, until, by.Username)
	return nil
}
