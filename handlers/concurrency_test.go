package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"concord/models"
)

var savedFlash = regexp.MustCompile(`^Saved: (\d+) positions? revised\.$`)

// acknowledged is how many revisions a save's flash message reports.
func acknowledged(flash string) (int, error) {
	if strings.HasPrefix(flash, "Nothing changed") {
		return 0, nil
	}
	m := savedFlash.FindStringSubmatch(flash)
	if m == nil {
		return 0, fmt.Errorf("unexpected flash %q", flash)
	}
	return strconv.Atoi(m[1])
}

// TestConcurrentSaves has a delegate of every member save revisions at the
// same time, and several sessions of one member race each other on the
// same questions. Every save must succeed, and the database must hold
// exactly the revisions that were acknowledged, numbered 1..n per member
// and question without gaps or duplicates.
func TestConcurrentSaves(t *testing.T) {
	const (
		savesPerMember = 4
		racers         = 4 // extra sessions for Estonia
		savesPerRacer  = 6
	)
	app := newTestApp(t)
	cons := app.consultation("review", models.StatusOpen, scaleQ("posture", 11), choiceQ("treaty", "Keep", "Suspend", "Void"))
	members, err := app.store.Members(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 32 {
		t.Fatalf("%d members in the roster, want 32", len(members))
	}

	type worker struct {
		name   string
		member string
		path   string
		cl     *client
		token  string
		forms  []url.Values
		// results, written only by the worker's goroutine
		codes  []int
		acks   []int
		errors []string
	}
	var workers []*worker
	for i, m := range members {
		w := &worker{name: "del-" + strings.ToLower(m.Code), member: m.Code}
		for s := 0; s < savesPerMember; s++ {
			// Every save differs from the one before: a real change.
			f := url.Values{"preferred.posture": {strconv.Itoa(1 + (i+s)%11)},
				"rationale.posture": {fmt.Sprintf("%s view %d", m.Code, s)}}
			if s%2 == 1 {
				f.Set("option.treaty", strconv.Itoa(1+s%3))
			}
			w.forms = append(w.forms, f)
		}
		workers = append(workers, w)
	}
	for g := 0; g < racers; g++ {
		w := &worker{name: fmt.Sprintf("est-racer-%d", g), member: "EST"}
		for s := 0; s < savesPerRacer; s++ {
			// Few distinct values: racers often send what another has
			// just saved, which must then count as no change.
			w.forms = append(w.forms, url.Values{"preferred.posture": {strconv.Itoa(1 + (g+s)%3)},
				"option.treaty": {strconv.Itoa(1 + s%2)}})
		}
		workers = append(workers, w)
	}
	for _, w := range workers {
		w.cl = app.login(app.delegate(w.name, w.member))
		w.path = "/consultations/review/positions/" + w.member
		w.token = w.cl.csrfTokenFrom(w.path)
	}

	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for _, f := range w.forms {
				f.Set("csrf_token", w.token)
				res := w.cl.do(http.MethodPost, w.path, strings.NewReader(f.Encode()),
					http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
				w.codes = append(w.codes, res.Code)
				n, err := acknowledged(res.flash())
				if err != nil {
					w.errors = append(w.errors, err.Error())
				}
				w.acks = append(w.acks, n)
			}
		}()
	}
	close(start)
	wg.Wait()

	ackByMember := map[string]int{}
	total := 0
	for _, w := range workers {
		for i, code := range w.codes {
			if code != http.StatusSeeOther {
				t.Errorf("%s save %d: status %d, want 303", w.name, i, code)
			}
		}
		for _, e := range w.errors {
			t.Errorf("%s: %s", w.name, e)
		}
		for _, n := range w.acks {
			ackByMember[w.member] += n
			total += n
		}
	}

	revs := app.revisions(cons.ID, "")
	if len(revs) != total {
		t.Errorf("%d revisions in the database, %d acknowledged", len(revs), total)
	}
	type cell struct{ member, question string }
	seqs := map[cell][]int{}
	perMember := map[string]int{}
	for _, r := range revs {
		c := cell{r.MemberCode, r.QuestionKey}
		seqs[c] = append(seqs[c], r.Seq)
		perMember[r.MemberCode]++
	}
	for member, n := range ackByMember {
		if perMember[member] != n {
			t.Errorf("%s: %d revisions stored, %d acknowledged", member, perMember[member], n)
		}
	}
	for c, list := range seqs {
		slices.Sort(list)
		for i, s := range list {
			if s != i+1 {
				t.Errorf("%s/%s: sequence numbers %v, want 1..%d", c.member, c.question, list, len(list))
				break
			}
		}
	}
	// Members without racers made only real changes: every save counted,
	// and the last one is the current position.
	current, err := app.store.CurrentPositions(context.Background(), cons.ID, cons.Round)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range members {
		if m.Code == "EST" {
			continue
		}
		if want := savesPerMember + savesPerMember/2; perMember[m.Code] != want {
			t.Errorf("%s: %d revisions, want %d", m.Code, perMember[m.Code], want)
		}
		wantPref := 1 + (i+savesPerMember-1)%11
		for _, r := range current {
			if r.MemberCode == m.Code && r.QuestionKey == "posture" && (r.Preferred != wantPref || r.Seq != savesPerMember) {
				t.Errorf("%s: current posture %d (revision %d), want %d (revision %d)", m.Code, r.Preferred, r.Seq, wantPref, savesPerMember)
			}
		}
	}
}
