package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"concord/handlers"
	"concord/models"
)

const userUsage = `usage:
  concord user create -role facilitator|observer|delegate [-member CODE] [-approver]
                      [-username NAME] [-name "Full Name"] [-password-stdin]
                      [-base-url URL] [-valid 168h] [-db FILE]
      without -password-stdin: print a one-time link with which the person
      creates the account (choosing their password) in the browser;
      with -password-stdin: create the account NAME at once, with the
      password read from the first line of standard input`

// defaultBaseURL is where a server started without -addr or -base-url is
// reached.
const defaultBaseURL = "http://127.0.0.1:8080"

// userCmd is "concord user create"; the password comes from os.Stdin.
func userCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return userCommand(ctx, args, os.Stdin, stdout, stderr)
}

func userCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("say what to do with the user\n" + userUsage)
	}
	switch args[0] {
	case "create":
		return userCreate(ctx, args[1:], stdin, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprintln(stdout, userUsage)
		return nil
	}
	return fmt.Errorf("unknown user command %q\n%s", args[0], userUsage)
}

// maxPasswordLine bounds the line read from standard input.
const maxPasswordLine = 1024

func userCreate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	flags := flag.NewFlagSet("user create", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprintln(stderr, `usage: concord user create -role facilitator|observer|delegate [-member CODE] [-approver]
                           [-username NAME] [-name "Full Name"] [-password-stdin]
                           [-base-url URL] [-valid 168h] [-db FILE]

Without -password-stdin, prints a one-time link (an invitation for the role
and member) with which the person creates their account in the browser,
choosing their username and password there. With -password-stdin, creates
the account -username at once with the password read from the first line
of standard input (never from the command line, where other users of the
machine could see it): for scripted set-ups that need no browser. The same
rules apply as on the invitation page; the creation is in the audit log.
Flags:`)
		flags.PrintDefaults()
	}
	role := flags.String("role", "", "facilitator, observer or delegate (required)")
	memberCode := flags.String("member", "", "code of the delegate's member, such as EST (required for a delegate)")
	approver := flags.Bool("approver", false, "make the delegate its member's head of delegation, who approves its positions")
	username := flags.String("username", "", "username of the account (required with -password-stdin)")
	name := flags.String("name", "", "full name of the account's holder (default the username)")
	passwordStdin := flags.Bool("password-stdin", false, "create the account now, reading its password from the first line of standard input")
	baseURL := flags.String("base-url", env("CONCORD_BASE_URL", ""),
		"the address people reach Concord at, on which the link is built (CONCORD_BASE_URL; default "+defaultBaseURL+")")
	valid := flags.Duration("valid", handlers.DefaultConfig().InvitationTTL, "how long the link works")
	db := dbFlag(flags)
	if err := flags.Parse(args); err != nil {
		return helpRequested(err)
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v (a password is never given on the command line: use -password-stdin)", flags.Args())
	}
	switch *role {
	case models.RoleFacilitator, models.RoleObserver:
		if *memberCode != "" {
			return fmt.Errorf("-member goes with -role delegate only: a %s acts for no member", *role)
		}
		if *approver {
			return errors.New("-approver goes with -role delegate only: the head of delegation is a delegate")
		}
	case models.RoleDelegate:
		if *memberCode == "" {
			return errors.New("a delegate belongs to a member: give -member CODE, such as -member EST")
		}
	case "":
		return errors.New("give the account's role with -role facilitator, -role observer or -role delegate")
	default:
		return fmt.Errorf("-role %q: choose facilitator, observer or delegate", *role)
	}
	if *passwordStdin && strings.TrimSpace(*username) == "" {
		return errors.New("give the account's username with -username NAME")
	}
	base := defaultBaseURL
	if !*passwordStdin {
		if *valid <= 0 {
			return fmt.Errorf("-valid %v: give a positive duration such as 72h", *valid)
		}
		b, err := parseBaseURL(*baseURL)
		if err != nil {
			return fmt.Errorf("-base-url: %w", err)
		}
		if b != "" {
			base = b
		}
	}

	store, err := openExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer closeStore(store, &err)
	var member *models.Member
	if *memberCode != "" {
		member, err = store.MemberByCode(ctx, *memberCode)
		if errors.Is(err, models.ErrNotFound) {
			return fmt.Errorf("there is no member with the code %q", strings.ToUpper(*memberCode))
		}
		if err != nil {
			return err
		}
	}
	var memberID *uint
	what := "a " + *role
	if *role == models.RoleObserver {
		what = "an " + *role
	}
	if member != nil {
		memberID = &member.ID
		what += " of " + member.Code
	}
	if *approver {
		what += " (head of delegation)"
	}

	if !*passwordStdin {
		var opts []models.InvitationOption
		if *approver {
			opts = append(opts, models.InviteApprover)
		}
		who := strings.ToLower(strings.TrimSpace(*username))
		if who != "" {
			if err := usernameFree(ctx, store, who); err != nil {
				return err
			}
		}
		token, inv, err := store.CreateInvitation(ctx, *role, memberID, nil, *valid, opts...)
		if err != nil {
			return accountProblem("the invitation was not created", err)
		}
		fmt.Fprintf(stdout, "Created a one-time invitation for %s, valid until %s:\n  %s/invite/%s\n",
			what, inv.ExpiresAt.UTC().Format(time.RFC3339), base, token)
		if who != "" {
			fmt.Fprintf(stdout, "Send it to the person who is to sign in as %s: they type that username and choose their password on the page.\n", who)
		} else {
			fmt.Fprintln(stdout, "Send it to the person by a trusted channel: they choose their username and password on the page.")
		}
		if *baseURL == "" {
			fmt.Fprintf(stdout, "The link assumes the server is reached at %s; give -base-url (or CONCORD_BASE_URL) when it is reached at another address.\n", defaultBaseURL)
		}
		return nil
	}

	password, err := readPassword(stdin, stderr)
	if err != nil {
		return err
	}
	fullName := strings.TrimSpace(*name)
	if fullName == "" {
		fullName = strings.TrimSpace(*username)
	}
	u, err := store.CreateAccountByCommand(ctx, models.NewUser{Username: *username, Name: fullName, Role: *role,
		Password: password, MemberID: memberID, Approver: *approver})
	if err != nil {
		return accountProblem("the account was not created", err)
	}
	fmt.Fprintf(stdout, "Created the account %s (%s), %s; it can sign in now.\n", u.Username, u.Name, what)
	return nil
}

// readPassword reads the first line of standard input, without its line
// ending. Nothing is echoed back; a terminal shows what is typed, so piping
// the password in is better.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok {
		if info, err := f.Stat(); err == nil && info.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprintln(stderr, "Type the password and press Enter (it shows on the screen; piping it in is safer):")
		}
	}
	line, err := bufio.NewReaderSize(io.LimitReader(stdin, maxPasswordLine+2), maxPasswordLine+2).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if len(line) > maxPasswordLine {
		return "", fmt.Errorf("the password on standard input is longer than %d bytes", maxPasswordLine)
	}
	if line == "" {
		return "", errors.New("no password on standard input: give it as its first line, such as with printf '%s\\n' \"$PASSWORD\" | concord user create …")
	}
	return line, nil
}

// accountProblem turns the Store's refusal into words naming the flags.
func accountProblem(what string, err error) error {
	var verr *models.ValidationError
	if !errors.As(err, &verr) {
		return err
	}
	flagOf := map[string]string{"username": "-username", "name": "-name", "password": "password", "confirm": "password",
		"role": "-role", "member": "-member", "approver": "-approver"}
	var parts []string
	for _, field := range []string{"role", "member", "approver", "username", "name", "password", "confirm"} {
		if msg, ok := verr.Fields[field]; ok {
			parts = append(parts, flagOf[field]+": "+msg)
		}
	}
	if len(parts) == 0 {
		return err
	}
	return fmt.Errorf("%s: %s", what, strings.Join(parts, "; "))
}

// usernameFree checks a username meant for an invitation: allowed, and
// not taken by an account yet.
func usernameFree(ctx context.Context, store *models.Store, username string) error {
	if msg := models.UsernameProblem(username); msg != "" {
		return fmt.Errorf("-username %s: %s", username, msg)
	}
	if len(username) < 3 || len(username) > 64 || strings.ContainsFunc(username, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return fmt.Errorf("-username %s: use 3 to 64 characters without spaces", username)
	}
	users, err := store.Users(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.Username == username {
			return fmt.Errorf("-username %s: this username is taken", username)
		}
	}
	return nil
}
