package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/crypto/bcrypt"

	"concord/models"
)

const loadtestUsage = `usage: concord loadtest [-delegates 32] [-duration 10s] [-kill9] [-smoke] [-exec PATH] [-keep]
                        [-db postgres://…] [-instances 2]

Starts the real server (this program's serve command, in a child process)
on a temporary database seeded with a consultation of seven questions and
one delegate account per member, signs the delegates in through the login
form, and has each of them save the whole position form, one answer
changed, for the duration. It prints the throughput and the latency of the
acknowledged saves (p50, p95, p99), then checks that every acknowledged save
is stored. In the same run it measures the one-row baseline (one row
inserted per transaction by as many goroutines, same SQLite settings, with
synchronous=FULL and with synchronous=NORMAL) and prints the ratios.

With -kill9 the server is killed (SIGKILL) half-way, the database is
checked for every save acknowledged before the kill, and the server is
started again on it for the rest of the run.

With -db the run uses that database instead of a temporary SQLite file:
an empty PostgreSQL database (createdb concord_load), left holding the
run's data. With -instances N it starts N servers on the one database and
gives the delegates to them in turn (-kill9 then kills the first only, and
the others go on serving); it needs -db naming a PostgreSQL database.
Flags:`

// loadConfig is the configuration of a load test.
type loadConfig struct {
	delegates int
	duration  time.Duration
	kill9     bool
	exec      string
	keep      bool
	// db is the database to run on ("": a SQLite file in the run's
	// folder); instances is how many servers share it.
	db        string
	instances int
}

// Questions of the load test's consultation: the first is the one each
// save changes.
var loadQuestions = []string{"q1", "q2", "q3", "q4", "q5", "q6", "q7"}

func loadtestCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg loadConfig
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, loadtestUsage); fs.PrintDefaults() }
	fs.IntVar(&cfg.delegates, "delegates", 32, "delegates saving at the same time (one per member)")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long the delegates save")
	fs.BoolVar(&cfg.kill9, "kill9", false, "kill the server with SIGKILL half-way, check the database, restart it")
	smoke := fs.Bool("smoke", false, "a short run for CI: 4 delegates for 3s unless given")
	fs.StringVar(&cfg.exec, "exec", "", "the concord program to run as the server (default: this program)")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the temporary folder (database, server log) and print its path")
	fs.StringVar(&cfg.db, "db", "", "run on this empty database, such as postgres:///concord_load (default: a temporary SQLite file)")
	fs.IntVar(&cfg.instances, "instances", 1, "servers sharing the database (more than one needs -db with PostgreSQL)")
	if err := fs.Parse(args); err != nil {
		return helpRequested(err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *smoke {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		if !given["delegates"] {
			cfg.delegates = 4
		}
		if !given["duration"] {
			cfg.duration = 3 * time.Second
		}
	}
	if cfg.delegates < 1 || cfg.delegates > 500 {
		return errors.New("-delegates must be between 1 and 500")
	}
	if cfg.duration <= 0 {
		return errors.New("-duration must be positive, such as 10s")
	}
	if cfg.instances < 1 || cfg.instances > 8 {
		return errors.New("-instances must be between 1 and 8")
	}
	if cfg.instances > 1 && !models.IsPostgresDSN(cfg.db) {
		return errors.New("-instances above 1 needs -db naming an empty PostgreSQL database, such as postgres:///concord_load")
	}
	if cfg.exec == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find this program to start the server: %w (give -exec)", err)
		}
		cfg.exec = exe
	}
	dir, err := os.MkdirTemp("", "concord-loadtest-")
	if err != nil {
		return fmt.Errorf("create a temporary folder: %w", err)
	}
	if cfg.keep {
		fmt.Fprintf(stdout, "Files of this run are kept in %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	return runLoadtest(ctx, cfg, dir, stdout)
}

// loadDelegate is one signed-in delegate and what it was told.
type loadDelegate struct {
	code     string
	username string
	password string
	client   *http.Client
	csrf     string
	// attempted is the number of the last save sent; acked the number of
	// the last save the server acknowledged (303). A save's number is in
	// the rationale of q1, so the database says which save it holds.
	attempted, acked atomic.Int64
}

func runLoadtest(ctx context.Context, cfg loadConfig, dir string, stdout io.Writer) error {
	db := cfg.db
	if db == "" {
		db = filepath.Join(dir, "concord.db")
	} else if err := requireEmptyDatabase(ctx, db); err != nil {
		return err
	}
	consKey := "load-test"
	delegates, err := seedLoadtest(ctx, db, consKey, cfg.delegates)
	if err != nil {
		return err
	}
	backend := "SQLite"
	if models.IsPostgresDSN(db) {
		backend = "PostgreSQL"
	}
	fmt.Fprintf(stdout, "Concord load test: %d delegates saving the whole form (7 questions, one changed) for %v, %s",
		cfg.delegates, cfg.duration, backend)
	if cfg.instances > 1 {
		fmt.Fprintf(stdout, ", %d server instances on one database", cfg.instances)
	}
	fmt.Fprintln(stdout)
	// The servers: delegate i uses instance i mod N, and the session it
	// signs in to on that instance.
	servers := make([]*loadServer, cfg.instances)
	bases := make([]atomic.Value, cfg.instances)
	for i := range servers {
		logPath := filepath.Join(dir, fmt.Sprintf("server-%d.log", i+1))
		srv, err := startLoadServer(ctx, cfg.exec, []string{"serve", "-db", db, "-addr", "127.0.0.1:0"}, logPath)
		if err != nil {
			return err
		}
		servers[i] = srv
		defer func() { servers[i].kill() }()
		bases[i].Store("http://" + srv.addr)
	}
	instanceOf := func(i int) int { return i % cfg.instances }
	for i, d := range delegates {
		if err := d.signIn(ctx, bases[instanceOf(i)].Load().(string), consKey); err != nil {
			return err
		}
	}

	var (
		mu        sync.Mutex
		latencies []time.Duration
		failures  []string
		down      atomic.Bool // the server is being killed and restarted
		inFlight  atomic.Int64
	)
	loadCtx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i, d := range delegates {
		wg.Add(1)
		base := &bases[instanceOf(i)]
		// Only the first instance is ever killed.
		paused := func() bool { return instanceOf(i) == 0 && down.Load() }
		go func() {
			defer wg.Done()
			for loadCtx.Err() == nil {
				if paused() {
					time.Sleep(5 * time.Millisecond)
					continue
				}
				n := d.attempted.Add(1)
				inFlight.Add(1)
				t0 := time.Now()
				err := d.save(loadCtx, base.Load().(string), consKey, n)
				took := time.Since(t0)
				inFlight.Add(-1)
				switch {
				case err == nil:
					d.acked.Store(n)
					mu.Lock()
					latencies = append(latencies, took)
					mu.Unlock()
				case loadCtx.Err() != nil || paused():
					// Cut off by the end of the run or by the kill: not
					// acknowledged, so not counted.
				default:
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%s: %v", d.code, err))
					mu.Unlock()
					time.Sleep(10 * time.Millisecond)
				}
			}
		}()
	}
	var killReport string
	srv := servers[0]
	if cfg.kill9 {
		select {
		case <-time.After(cfg.duration / 2):
		case <-loadCtx.Done():
		}
		if loadCtx.Err() == nil {
			down.Store(true)
			flying := inFlight.Load()
			if err := srv.kill(); err != nil {
				return err
			}
			at := time.Since(start)
			acked := make([]int64, len(delegates))
			for i, d := range delegates {
				acked[i] = d.acked.Load()
			}
			if err := verifyLoadtest(ctx, db, consKey, delegates, acked); err != nil {
				return fmt.Errorf("after kill -9: %w", err)
			}
			srv, err = startLoadServer(ctx, cfg.exec, []string{"serve", "-db", db, "-addr", srv.addr}, srv.log)
			if err != nil {
				return fmt.Errorf("restart after kill -9: %w", err)
			}
			servers[0] = srv
			bases[0].Store("http://" + srv.addr)
			down.Store(false)
			which := ""
			if cfg.instances > 1 {
				which = " of the first instance (the others kept serving)"
			}
			killReport = fmt.Sprintf("kill -9%s after %.1fs with %d save(s) in flight: every save acknowledged before it is in the database; restarted in %.2fs",
				which, at.Seconds(), flying, (time.Since(start) - at).Seconds())
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	var commits, saves uint64
	var statsErr error
	for i, s := range servers {
		c, n, err := s.stop()
		if err != nil && i == 0 {
			statsErr = err
		}
		commits, saves = commits+c, saves+n
	}

	acked := make([]int64, len(delegates))
	for i, d := range delegates {
		acked[i] = d.acked.Load()
	}
	verifyErr := verifyLoadtest(ctx, db, consKey, delegates, acked)

	// The baselines run after the server has stopped, on their own
	// databases in the same folder, with as many clients for as long: the
	// issue's yardstick is a minimal HTTP handler inserting one row, driven
	// the same way as the saves; the in-process figures (no HTTP at all)
	// are printed too, for the cost of the disk alone.
	httpFull, err := httpBaseline(ctx, cfg.exec, dir, models.SynchronousFull, cfg.delegates, cfg.duration)
	if err != nil {
		return fmt.Errorf("HTTP one-row baseline: %w", err)
	}
	httpNormal, err := httpBaseline(ctx, cfg.exec, dir, models.SynchronousNormal, cfg.delegates, cfg.duration)
	if err != nil {
		return fmt.Errorf("HTTP one-row baseline (synchronous=NORMAL): %w", err)
	}
	full, err := models.OneRowBaseline(ctx, models.BaselineSpec{Path: filepath.Join(dir, "baseline-full.db"),
		Synchronous: models.SynchronousFull, Workers: cfg.delegates, Duration: cfg.duration})
	if err != nil {
		return fmt.Errorf("one-row baseline: %w", err)
	}
	normal, err := models.OneRowBaseline(ctx, models.BaselineSpec{Path: filepath.Join(dir, "baseline-normal.db"),
		Synchronous: models.SynchronousNormal, Workers: cfg.delegates, Duration: cfg.duration})
	if err != nil {
		return fmt.Errorf("one-row baseline (synchronous=NORMAL): %w", err)
	}

	rate := float64(len(latencies)) / elapsed.Seconds()
	if cfg.kill9 {
		fmt.Fprintln(stdout, "  (the rate includes the time the server was down)")
	}
	fmt.Fprintf(stdout, "  acknowledged saves        %d in %.1fs: %.0f saves/s\n", len(latencies), elapsed.Seconds(), rate)
	fmt.Fprintf(stdout, "  latency p50 / p95 / p99   %s / %s / %s\n", pct(latencies, 50), pct(latencies, 95), pct(latencies, 99))
	if models.IsPostgresDSN(db) {
		fmt.Fprintln(stdout, "  commits per save          1 (PostgreSQL: each save commits in its own transaction)")
	} else if statsErr == nil && saves > 0 {
		whose := "the server's count"
		if killReport != "" {
			whose = "the count of the restarted server"
		}
		fmt.Fprintf(stdout, "  commits per save          %.3f (%d saves in %d commits, %s)\n",
			float64(commits)/float64(saves), saves, commits, whose)
	} else if !cfg.kill9 {
		fmt.Fprintf(stdout, "  commits per save          not reported by the server (%v)\n", statsErr)
	}
	fmt.Fprintf(stdout, "  HTTP one-row handler, synchronous=FULL    %.0f req/s: saves are %.2f× it\n", httpFull.PerSecond(), rate/httpFull.PerSecond())
	fmt.Fprintf(stdout, "  HTTP one-row handler, synchronous=NORMAL  %.0f req/s: saves are %.2f× it\n", httpNormal.PerSecond(), rate/httpNormal.PerSecond())
	fmt.Fprintf(stdout, "  in-process one-row insert, FULL / NORMAL  %.0f / %.0f rows/s: saves are %.2f× / %.2f× them\n",
		full.PerSecond(), normal.PerSecond(), rate/full.PerSecond(), rate/normal.PerSecond())
	if killReport != "" {
		fmt.Fprintln(stdout, "  "+killReport)
	}
	if len(failures) > 0 {
		fmt.Fprintf(stdout, "  FAILED: %d save(s) were refused, the first: %s\n", len(failures), failures[0])
	}
	if verifyErr != nil {
		fmt.Fprintf(stdout, "  FAILED: %v\n", verifyErr)
		return verifyErr
	}
	fmt.Fprintf(stdout, "  durability                every acknowledged save is stored (%d delegates checked)\n", len(delegates))
	if len(failures) > 0 {
		return fmt.Errorf("%d save(s) failed", len(failures))
	}
	if len(latencies) == 0 {
		return errors.New("no save was acknowledged")
	}
	return nil
}

// pct is the p-th percentile of the latencies, rounded for reading.
func pct(lat []time.Duration, p int) string {
	if len(lat) == 0 {
		return "–"
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	i := min(len(s)-1, (len(s)*p+99)/100-1)
	return s[max(i, 0)].Round(100 * time.Microsecond).String()
}

// seedLoadtest creates the database: the roster (and more members when
// there are more than 32 delegates), a facilitator, an open consultation of
// seven questions and one delegate account per member, with random
// passwords.
func seedLoadtest(ctx context.Context, db, key string, n int) (_ []*loadDelegate, err error) {
	store, err := openStore(ctx, db, "")
	if err != nil {
		return nil, err
	}
	defer closeStore(store, &err)
	store.SetPasswordCost(bcrypt.MinCost) // sign-in is not what is measured
	roster, err := models.DefaultRoster()
	if err != nil {
		return nil, err
	}
	for i := len(roster); i < n; i++ {
		roster = append(roster, models.Member{Code: fmt.Sprintf("L%03d", i+1), Name: fmt.Sprintf("Load member %d", i+1), Accession: 2000})
	}
	if err := store.SeedMembers(ctx, roster); err != nil {
		return nil, err
	}
	fac, err := store.CreateUser(ctx, models.NewUser{Username: "load-facilitator", Name: "Load facilitator",
		Role: models.RoleFacilitator, Password: randomPassword()})
	if err != nil {
		return nil, err
	}
	c, err := store.CreateConsultation(ctx, models.ConsultationInput{Key: key, Title: "Load test"}, fac.ID)
	if err != nil {
		return nil, err
	}
	for i, k := range loadQuestions {
		q := models.QuestionInput{Key: k, Section: "Posture", Kind: models.KindScale, Text: fmt.Sprintf("Question %d?", i+1),
			Labels: []string{"Much less", "Less", "The same", "More", "Much more"}}
		if _, err := store.CreateQuestion(ctx, c.ID, q, fac.ID); err != nil {
			return nil, err
		}
	}
	if err := store.SetStatus(ctx, c.ID, models.StatusOpen, fac.ID); err != nil {
		return nil, err
	}
	out := make([]*loadDelegate, n)
	for i := range n {
		m, err := store.MemberByCode(ctx, roster[i].Code)
		if err != nil {
			return nil, err
		}
		d := &loadDelegate{code: m.Code, username: "load-" + strings.ToLower(m.Code), password: randomPassword()}
		if _, err := store.CreateUser(ctx, models.NewUser{Username: d.username, Name: "Delegate of " + m.Name,
			Role: models.RoleDelegate, MemberID: &m.ID, Password: d.password}); err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

func randomPassword() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "load " + hex.EncodeToString(b)
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// signIn signs the delegate in through the login form and reads the form
// token from its position form.
func (d *loadDelegate) signIn(ctx context.Context, base, key string) error {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return err
	}
	d.client = &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{MaxIdleConnsPerHost: 4}}
	form := url.Values{"username": {d.username}, "password": {d.password}}
	resp, err := d.post(ctx, base+"/login", form)
	if err != nil {
		return fmt.Errorf("sign in %s: %w", d.username, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("sign in %s: status %d, want 303", d.username, resp.StatusCode)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+d.formPath(key), nil)
	if err != nil {
		return err
	}
	resp, err = d.client.Do(req)
	if err != nil {
		return fmt.Errorf("open the position form of %s: %w", d.code, err)
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("open the position form of %s: status %d, %v", d.code, resp.StatusCode, err)
	}
	m := csrfField.FindSubmatch(page)
	if m == nil {
		return fmt.Errorf("the position form of %s has no form token", d.code)
	}
	d.csrf = string(m[1])
	return nil
}

func (d *loadDelegate) formPath(key string) string {
	return "/consultations/" + key + "/positions/" + d.code
}

func (d *loadDelegate) post(ctx context.Context, target string, form url.Values) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return d.client.Do(req)
}

// loadRationale is the rationale of q1 in save n: the database tells which
// save of the delegate it holds.
func loadRationale(n int64) string {
	return "Save number " + strconv.FormatInt(n, 10) + " of this delegation."
}

var loadRationaleNumber = regexp.MustCompile(`^Save number (\d+) of this delegation\.$`)

// save posts the whole form: q1 changes with every save (its preferred
// point and the save's number in its rationale), the six others stay.
func (d *loadDelegate) save(ctx context.Context, base, key string, n int64) error {
	form := url.Values{"csrf_token": {d.csrf}}
	for i, k := range loadQuestions {
		p := 3
		rationale := "Our position is unchanged since the last meeting."
		if i == 0 {
			p, rationale = 1+int(n%5), loadRationale(n)
		}
		form.Set("preferred."+k, strconv.Itoa(p))
		form.Set("importance."+k, models.ImportanceMedium)
		form.Set("rationale."+k, rationale)
	}
	resp, err := d.post(ctx, base+d.formPath(key), form)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != d.formPath(key) {
		return fmt.Errorf("save %d: status %d (location %q), want 303 back to the form", n, resp.StatusCode, resp.Header.Get("Location"))
	}
	return nil
}

// verifyLoadtest opens the database (recovering it after a kill) and
// checks, per delegate, that the stored answer to q1 is a save at least as
// recent as the last one acknowledged, and not one never sent.
func verifyLoadtest(ctx context.Context, db, key string, delegates []*loadDelegate, acked []int64) (err error) {
	store, err := openMigrated(ctx, db)
	if err != nil {
		return fmt.Errorf("open the database to check it: %w", err)
	}
	defer closeStore(store, &err)
	c, err := store.ConsultationByKey(ctx, key)
	if err != nil {
		return err
	}
	qn, err := store.Questionnaire(ctx, c.ID)
	if err != nil {
		return err
	}
	var q1 uint
	for _, q := range qn.Questions {
		if q.Key == loadQuestions[0] {
			q1 = q.ID
		}
	}
	var problems []string
	for i, d := range delegates {
		m, err := store.MemberByCode(ctx, d.code)
		if err != nil {
			return err
		}
		current, err := store.MemberPositions(ctx, c.ID, c.Round, m.ID)
		if err != nil {
			return err
		}
		stored := int64(0)
		if r, ok := current[q1]; ok {
			sm := loadRationaleNumber.FindStringSubmatch(r.Rationale)
			if sm == nil {
				problems = append(problems, fmt.Sprintf("%s: the stored rationale %q is not one the test sent", d.code, r.Rationale))
				continue
			}
			stored, _ = strconv.ParseInt(sm[1], 10, 64)
			if want := int64(1 + stored%5); int64(r.Preferred) != want {
				problems = append(problems, fmt.Sprintf("%s: save %d stored with point %d, sent with %d", d.code, stored, r.Preferred, want))
			}
			if len(current) != len(loadQuestions) {
				problems = append(problems, fmt.Sprintf("%s: %d answers stored, %d sent", d.code, len(current), len(loadQuestions)))
			}
		}
		switch {
		case stored < acked[i]:
			problems = append(problems, fmt.Sprintf("%s: save %d was acknowledged but the database holds save %d", d.code, acked[i], stored))
		case stored > d.attempted.Load():
			problems = append(problems, fmt.Sprintf("%s: the database holds save %d, never sent", d.code, stored))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("acknowledged saves are missing: %s", strings.Join(problems, "; "))
	}
	return nil
}

// loadServer is the server child process.
type loadServer struct {
	cmd    *exec.Cmd
	addr   string
	stderr *os.File
	log    string
	done   chan error
	once   sync.Once
}

var servingLine = regexp.MustCompile(`Concord is serving on (\S+) `)

// startLoadServer starts the program with the arguments ("serve -db …", or
// the HTTP baseline) and waits until it says it serves; its log is
// appended to logPath.
func startLoadServer(ctx context.Context, program string, args []string, logPath string) (*loadServer, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the server log: %w", err)
	}
	cmd := exec.Command(program, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")} // no CONCORD_* of the caller
	cmd.Stderr = logFile
	out, err := cmd.StdoutPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start the server %s: %w", program, err)
	}
	s := &loadServer{cmd: cmd, stderr: logFile, log: logPath, done: make(chan error, 1)}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		s.done <- cmd.Wait()
		logFile.Close()
	}()
	select {
	case s.addr = <-found:
		return s, nil
	case err := <-s.done:
		s.done <- err
		return nil, fmt.Errorf("the server stopped before serving (%v); its log is in %s", err, logPath)
	case <-time.After(60 * time.Second):
	case <-ctx.Done():
	}
	s.kill()
	return nil, fmt.Errorf("the server did not start; its log is in %s", logPath)
}

// kill kills the server with SIGKILL and waits for it to end.
func (s *loadServer) kill() error {
	var err error
	s.once.Do(func() {
		if kerr := s.cmd.Process.Signal(syscall.SIGKILL); kerr != nil && !errors.Is(kerr, os.ErrProcessDone) {
			err = fmt.Errorf("kill the server: %w", kerr)
			return
		}
		<-s.done
	})
	return err
}

var statsLine = regexp.MustCompile(`msg="position saves" saves=(\d+) refused=\d+ commits=(\d+)`)

// stop stops the server as an operator would (SIGTERM), waits for it, and
// reads the saves and commits it logged on the way out.
func (s *loadServer) stop() (commits, saves uint64, err error) {
	s.once.Do(func() {
		if serr := s.cmd.Process.Signal(syscall.SIGTERM); serr != nil {
			err = fmt.Errorf("stop the server: %w", serr)
			return
		}
		select {
		case werr := <-s.done:
			if werr != nil {
				err = fmt.Errorf("the server ended with %v", werr)
			}
		case <-time.After(30 * time.Second):
			s.cmd.Process.Signal(syscall.SIGKILL)
			<-s.done
			err = errors.New("the server did not stop within 30s")
		}
	})
	if err != nil {
		return 0, 0, err
	}
	log, rerr := os.ReadFile(s.log)
	if rerr != nil {
		return 0, 0, rerr
	}
	all := statsLine.FindAllSubmatch(log, -1)
	if all == nil {
		return 0, 0, errors.New("no statistics in the server log")
	}
	last := all[len(all)-1]
	saves, _ = strconv.ParseUint(string(last[1]), 10, 64)
	commits, _ = strconv.ParseUint(string(last[2]), 10, 64)
	return commits, saves, nil
}

// requireEmptyDatabase refuses to run the load test on a database that
// holds anything: it would mix the run's data with real data.
func requireEmptyDatabase(ctx context.Context, dsn string) (err error) {
	store, err := models.Open(dsn)
	if err != nil {
		return err
	}
	defer closeStore(store, &err)
	if err := store.RequireEmpty(ctx); err != nil {
		return fmt.Errorf("-db %s: %w; the load test needs an empty database (createdb concord_load)", models.RedactDSN(dsn), err)
	}
	return nil
}
