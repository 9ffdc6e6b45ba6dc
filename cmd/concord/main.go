// Command concord serves the Concord web application and runs its
// maintenance sub-commands.
//
//	concord [serve] [-addr 127.0.0.1:8080] [-db concord.db] [-members FILE] [-demo] …
//	concord export | import | consultation export | consultation import | round open …
//	concord init | user create | backup | restore | check | copy …
//	concord help
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	// The time zone database is embedded, so that consultations' zones
	// (e.g. Europe/Brussels) work on hosts without one.
	_ "time/tzdata"

	"github.com/gin-gonic/gin"

	"concord/handlers"
	"concord/models"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "concord:", err)
		os.Exit(1)
	}
}

// run dispatches to a sub-command; "serve" is the default.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, stderr)
	case "export":
		return exportCmd(ctx, args, stdout, stderr)
	case "consultation":
		return consultationCmd(ctx, args, stdout, stderr)
	case "import":
		return importCmd(ctx, args, stdout, stderr)
	case "audit":
		return auditCmd(ctx, args, stdout, stderr)
	case "round":
		return roundCmd(ctx, args, stdout, stderr)
	case "init":
		return initCmd(ctx, args, stdout, stderr)
	case "user":
		return userCmd(ctx, args, stdout, stderr)
	case "backup":
		return backupCmd(ctx, args, stdout, stderr)
	case "restore":
		return restoreCmd(ctx, args, stdout, stderr)
	case "check":
		return checkCmd(ctx, args, stdout, stderr)
	case "copy":
		return copyCmd(ctx, args, stdout, stderr)
	case "loadtest":
		return loadtestCmd(ctx, args, stdout, stderr)
	case "loadtest-baseline": // the yardstick server concord loadtest starts
		return loadBaselineCmd(ctx, args, stdout, stderr)
	case "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

const usage = `usage:
  concord [serve] [flags]   serve the web application (default)
  concord export -consultation KEY [-round N] [-out DIR] [-format csv|zip|xlsx] [-bom] [-db FILE]
                            write the export pack of a round (default the current one)
  concord consultation export -consultation KEY [-db FILE] > def.json
                            print a consultation's definition as JSON
  concord consultation import [-open] [-user NAME] [-db FILE] def.json
                            create a consultation from a definition file
  concord import -consultation KEY [-user NAME] [-db FILE] positions.csv
                            import positions from a CSV file, all or nothing
  concord round open -consultation KEY [-deadline 2026-12-15T17:00] [-user NAME] [-db FILE]
                            close the current round and open the next
  concord audit verify [-db FILE] [-expect ID:HASH]
                            check the audit log's hash chain (read-only)
  concord init [-db FILE] [-members FILE]
                            create the database (or bring an existing one up to date)
  concord user create -role facilitator|observer|delegate [-member CODE] [-approver]
                      [-username NAME] [-password-stdin] [-db FILE]
                            print a one-time link to create an account, or create it
                            with the password read from standard input
  concord backup [-db FILE] -out FILE
                            write a consistent copy of the database, also while serving
  concord restore -from FILE -db NEWPATH
                            check a backup and put it in place as a new database
  concord check [-db FILE]  check the database's integrity and foreign keys (read-only)
  concord copy -from DB -to DB
                            copy a whole database into a new, empty one (SQLite file
                            or postgres:// URL, either way)
  concord loadtest [-delegates 32] [-duration 10s] [-kill9] [-smoke]
                            measure durable saves through the real server on a temporary database
Run "concord serve -h" (or export, import, consultation import …) for the flags of a command.`

// config is the server configuration: flags with CONCORD_* fallbacks.
type config struct {
	addr          string
	db            string
	dbOptions     models.Options
	members       string
	demo          bool
	secureCookies bool
	idle          time.Duration
	absolute      time.Duration
	baseURL       string
	logJSON       bool
	// Transport: serve HTTPS directly, and which proxies to believe.
	tlsCert        string
	tlsKey         string
	trustedProxies []string
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// setFromEnv gives each named flag the value of its environment variable,
// CONCORD_ and the flag's name in capitals with - as _ (CONCORD_SESSION_IDLE
// for -session-idle), when that is set; a flag on the command line still
// wins. A value that does not parse is an error, never a silent fall back
// to the default (CONCORD_SECURE_COOKIES=yes must not leave cookies
// insecure unnoticed).
func setFromEnv(fs *flag.FlagSet, names ...string) error {
	for _, name := range names {
		variable := "CONCORD_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		v := env(variable, "")
		if v == "" {
			continue
		}
		f := fs.Lookup(name)
		if err := f.Value.Set(v); err != nil {
			want := "a valid value"
			if g, ok := f.Value.(flag.Getter); ok {
				switch g.Get().(type) {
				case bool:
					want = "true or false"
				case time.Duration:
					want = "a duration such as 45m or 12h"
				}
			}
			return fmt.Errorf("%s=%s is not valid: use %s", variable, v, want)
		}
	}
	return nil
}

const serveUsage = `usage: concord [serve] [flags]

Serves the web application. Every flag can also be set by the environment
variable named beside it; a flag on the command line wins. "concord help"
lists the other commands.
Flags:`

func parseServeFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, serveUsage); fs.PrintDefaults() }
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address (CONCORD_ADDR)")
	fs.StringVar(&c.db, "db", "concord.db", dbFlagUsage)
	fs.IntVar(&c.dbOptions.MaxConns, "db-max-conns", 10, "PostgreSQL: the most connections this instance opens (CONCORD_DB_MAX_CONNS)")
	fs.DurationVar(&c.dbOptions.StatementTimeout, "db-statement-timeout", time.Minute,
		"PostgreSQL: end a statement that runs longer than this (CONCORD_DB_STATEMENT_TIMEOUT)")
	fs.StringVar(&c.members, "members", "", "roster CSV (code,name,accession) to load instead of the 32 NATO allies (CONCORD_MEMBERS)")
	fs.BoolVar(&c.demo, "demo", false, "create the sample consultation and demo accounts (CONCORD_DEMO)")
	fs.BoolVar(&c.secureCookies, "secure-cookies", false, "mark cookies Secure: set behind a TLS-terminating proxy (CONCORD_SECURE_COOKIES)")
	fs.DurationVar(&c.idle, "session-idle", 30*time.Minute, "end sessions idle for this long (CONCORD_SESSION_IDLE)")
	fs.DurationVar(&c.absolute, "session-max", 12*time.Hour, "end sessions this long after sign-in (CONCORD_SESSION_MAX)")
	fs.BoolVar(&c.logJSON, "log-json", false, "write logs as JSON (CONCORD_LOG_JSON)")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate (chain) file; needs -tls-key (CONCORD_TLS_CERT)")
	fs.StringVar(&c.tlsKey, "tls-key", "", "PEM private key of -tls-cert (CONCORD_TLS_KEY)")
	fs.StringVar(&c.baseURL, "base-url", "", "the address people reach Concord at, such as https://concord.example.org; links are built on it (CONCORD_BASE_URL). Required unless listening on loopback without proxies")
	proxies := fs.String("trusted-proxies", "", "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed; default none (CONCORD_TRUSTED_PROXIES)")
	if err := setFromEnv(fs, "addr", "db", "db-max-conns", "db-statement-timeout", "members", "demo", "secure-cookies", "session-idle", "session-max",
		"log-json", "tls-cert", "tls-key", "trusted-proxies", "base-url"); err != nil {
		return c, err
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if c.dbOptions.MaxConns < 1 || c.dbOptions.StatementTimeout <= 0 {
		return c, errors.New("-db-max-conns must be at least 1 and -db-statement-timeout longer than zero, such as 10 and 1m")
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return c, errors.New("-tls-cert and -tls-key go together: give both or neither")
	}
	if c.idle < minSessionIdle || c.absolute < c.idle {
		return c, fmt.Errorf("-session-idle must be at least %v (shorter signs out people while they work) and -session-max at least as long, such as 30m and 12h", minSessionIdle)
	}
	var err error
	if c.trustedProxies, err = handlers.ParseTrustedProxies(*proxies); err != nil {
		return c, fmt.Errorf("-trusted-proxies: %w", err)
	}
	if c.baseURL, err = parseBaseURL(c.baseURL); err != nil {
		return c, fmt.Errorf("-base-url: %w", err)
	}
	if c.baseURL == "" && (!loopbackAddr(c.addr) || len(c.trustedProxies) > 0) {
		return c, errors.New("-base-url is required when listening on a non-loopback address or behind trusted proxies: " +
			"set it to the address people reach Concord at (such as https://concord.example.org), so that no link is built from a request's Host header")
	}
	return c, nil
}

// minSessionIdle is the shortest idle time allowed: shorter would sign
// people out while they read or type.
const minSessionIdle = 5 * time.Minute

// parseBaseURL checks a base URL: http or https, a host, no query or
// fragment; it returns it without a trailing slash ("" stays "").
func parseBaseURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q is not an address such as https://concord.example.org", raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// loopbackAddr reports whether a listen address only accepts connections
// from this machine (127.0.0.0/8, ::1 or localhost).
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// openMigrated opens the database and brings its schema up to date: the
// one place where migrations run, for serve and every sub-command.
// The sub-commands use the pool's default settings; serve takes them from
// its flags.
func openMigrated(ctx context.Context, path string) (*models.Store, error) {
	return openMigratedWith(ctx, path, models.Options{})
}

// openMigratedWith is openMigrated with the pool's settings.
func openMigratedWith(ctx context.Context, path string, o models.Options) (*models.Store, error) {
	store, err := models.OpenWith(path, o)
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, err
	}
	return store, nil
}

// openStore opens the database, migrates it and seeds the roster.
func openStore(ctx context.Context, path, rosterFile string) (*models.Store, error) {
	return openStoreWith(ctx, path, rosterFile, models.Options{})
}

// openStoreWith is openStore with the pool's settings.
func openStoreWith(ctx context.Context, path, rosterFile string, o models.Options) (*models.Store, error) {
	store, err := openMigratedWith(ctx, path, o)
	if err != nil {
		return nil, err
	}
	roster, err := loadRoster(rosterFile)
	if err != nil {
		store.Close()
		return nil, err
	}
	if err := store.SeedMembers(ctx, roster); err != nil {
		store.Close()
		return nil, err
	}
	return store, nil
}

func loadRoster(file string) ([]models.Member, error) {
	if file == "" {
		return models.DefaultRoster()
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("open roster: %w", err)
	}
	defer f.Close()
	roster, err := models.ParseRoster(f)
	if err != nil {
		return nil, fmt.Errorf("roster %s: %w", file, err)
	}
	return roster, nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	cfg, err := parseServeFlags(args, stderr)
	if err != nil {
		return helpRequested(err)
	}
	if cfg.tlsCert != "" {
		// Load now, so a bad certificate stops start-up with a clear error
		// before anything else happens.
		if _, err := tls.LoadX509KeyPair(cfg.tlsCert, cfg.tlsKey); err != nil {
			return fmt.Errorf("load TLS certificate: %w", err)
		}
	}
	var logHandler slog.Handler = slog.NewTextHandler(stderr, nil)
	if cfg.logJSON {
		logHandler = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(logHandler)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	tuneServeGC(os.Getenv)

	warnPasswordInURL(cfg.db, os.Getenv("CONCORD_DB") == cfg.db, stderr)
	store, err := openStoreWith(ctx, cfg.db, cfg.members, cfg.dbOptions)
	if err != nil {
		return err
	}
	defer closeStore(store, &err)
	stopLinker := startAuditLinker(ctx, store, log)
	defer stopLinker() // before closeStore: deferred calls run last first
	stopDeadlines := startDeadlineJob(ctx, store, log, nil, nil)
	defer stopDeadlines()

	if cfg.demo {
		creds, err := store.SeedDemo(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Demo consultation %q is ready (synthetic positions for every member).\n", models.DemoKey)
		if len(creds) > 0 {
			fmt.Fprintln(stdout, "Demo accounts (passwords are new on every -demo start):")
		}
		for _, c := range creds {
			member := ""
			if c.Member != "" {
				member = " of " + c.Member
			}
			fmt.Fprintf(stdout, "  %-12s%-10s username %-18s password %s\n", c.Role, member, c.Username, c.Password)
		}
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	base := cfg.baseURL
	if base == "" { // loopback only: the listen address is the one way in
		base = "http://" + ln.Addr().String()
		if cfg.tlsCert != "" {
			base = "https://" + ln.Addr().String()
		}
	}
	h, err := handlers.New(store, log, handlers.Config{
		Sessions:       models.SessionPolicy{Idle: cfg.idle, Absolute: cfg.absolute},
		SecureCookies:  cfg.secureCookies,
		MaxBodyBytes:   handlers.DefaultConfig().MaxBodyBytes,
		InvitationTTL:  handlers.DefaultConfig().InvitationTTL,
		TrustedProxies: cfg.trustedProxies,
		BaseURL:        base,
	})
	if err != nil {
		ln.Close()
		return err
	}
	gin.SetMode(gin.ReleaseMode)
	srv := &http.Server{
		Addr:              cfg.addr,
		Handler:           handlers.NewRouter(h),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logHandler, slog.LevelWarn),
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
	}
	if err := printSetupLink(ctx, store, base, stdout); err != nil {
		ln.Close()
		return err
	}
	fmt.Fprintf(stdout, "Concord is serving on %s (database %s); links use %s\n", ln.Addr(), models.RedactDSN(cfg.db), base)

	errc := make(chan error, 1)
	go func() {
		if cfg.tlsCert != "" {
			errc <- srv.ServeTLS(ln, cfg.tlsCert, cfg.tlsKey)
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
		return nil
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	ws := store.WriteStats()
	log.Info("position saves", "saves", ws.Saves, "refused", ws.Refused, "commits", ws.Commits, "largest_group", ws.LargestGroup)
	return nil
}

// printSetupLink prints a one-time link to create the first facilitator
// account while none exists. There is never a default password.
func printSetupLink(ctx context.Context, store *models.Store, base string, out io.Writer) error {
	exists, err := store.FacilitatorExists(ctx)
	if err != nil || exists {
		return err
	}
	token, inv, err := store.CreateSetupInvitation(ctx, 24*time.Hour)
	switch {
	case errors.Is(err, models.ErrSetupNotNeeded):
		return nil
	case errors.Is(err, models.ErrSetupLinkRecent):
		fmt.Fprintln(out, "A setup link was issued moments ago by another instance: use the link in its log.")
		return nil
	case err != nil:
		return err
	}
	fmt.Fprintf(out, "No facilitator account exists yet. Create the first one with this one-time link (valid until %s):\n  %s/invite/%s\n",
		inv.ExpiresAt.Format(time.RFC3339), base, token)
	return nil
}

// warnPasswordInURL warns when a PostgreSQL password was given on the
// command line, where every user of the machine can read it in the process
// list (fromEnv: it came from CONCORD_DB, which they cannot).
func warnPasswordInURL(dsn string, fromEnv bool, stderr io.Writer) {
	if fromEnv || !models.IsPostgresDSN(dsn) || models.RedactDSN(dsn) == dsn {
		return
	}
	fmt.Fprintln(stderr, "warning: the -db URL holds a password, which other users of this machine can read in the process list; "+
		"give it in PGPASSWORD or ~/.pgpass, or the whole URL in CONCORD_DB")
}
