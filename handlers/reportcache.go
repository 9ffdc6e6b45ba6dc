package handlers

import (
	"context"
	"sync"
	"time"

	"concord/consensus"
	"concord/models"
)

// The analysis of a round is computed once per change, not once per view:
// the report cache keeps the analyses of the few rounds viewed last, each
// with the version of the data it was computed from (models.AnalysisVersion
// and the consultation's own settings), and serves it again as long as
// that version holds. Reading the version costs two index reads and a few
// aggregates over the questionnaire, whatever the size of the history.
//
// What the cache hands out is shared between requests and must not be
// changed: the charts package only reads reports.

// reportCacheSize is how many analysed rounds the cache keeps. An analysis
// of 200 members × 500 questions holds some tens of MB; a few entries
// cover the consultations being looked at.
const reportCacheSize = 4

// analysisKey names an analysed round.
type analysisKey struct {
	consultation uint
	round        int
}

// analysisStamp is what the analysis of a round was computed from.
type analysisStamp struct {
	latest        uint   // models.AnalysisVersion.LatestRevision when read
	ownLatest     uint   // the consultation's latest revision ID
	questionnaire string // models.AnalysisVersion.Questionnaire
	quorum        int    // the consultation's settings the analysis uses
	current       int    // the consultation's current round
	updated       time.Time
}

// analysed is a round with its analysis, and views derived from it on
// first use.
type analysed struct {
	analysis *models.Analysis
	rep      *consensus.Report

	indexOnce  sync.Once
	byQuestion map[string][]consensus.Position
	byMember   map[string][]consensus.Position

	coverageOnce sync.Once
	coverage     models.CoverageGrid
}

// questionPositions returns the positions given on one question.
func (a *analysed) questionPositions(key string) []consensus.Position {
	a.index()
	return a.byQuestion[key]
}

// memberPositions returns the positions of one member.
func (a *analysed) memberPositions(code string) []consensus.Position {
	a.index()
	return a.byMember[code]
}

func (a *analysed) index() {
	a.indexOnce.Do(func() {
		a.byQuestion = map[string][]consensus.Position{}
		a.byMember = map[string][]consensus.Position{}
		for _, p := range a.analysis.Input.Positions {
			a.byQuestion[p.QuestionKey] = append(a.byQuestion[p.QuestionKey], p)
			a.byMember[p.MemberCode] = append(a.byMember[p.MemberCode], p)
		}
	})
}

// coverageGrid returns which member answered which question in the round.
func (a *analysed) coverageGrid() models.CoverageGrid {
	a.coverageOnce.Do(func() {
		var qs []models.Question
		if a.analysis.Questionnaire != nil {
			qs = a.analysis.Questionnaire.Questions
		}
		a.coverage = models.BuildCoverage(a.analysis.Members, qs, a.analysis.Positions)
	})
	return a.coverage
}

// cacheEntry is an analysed round, or one being analysed (ready not yet
// closed); used orders the entries for eviction.
type cacheEntry struct {
	stamp analysisStamp
	ready chan struct{}
	val   *analysed
	err   error
	used  uint64
}

// reportCache is a small cache of analysed rounds, safe for concurrent
// use. Requests for a round being analysed wait for that analysis rather
// than start their own.
type reportCache struct {
	mu      sync.Mutex
	size    int
	tick    uint64
	entries map[analysisKey]*cacheEntry
	// computed counts the analyses run, for tests.
	computed int
}

func newReportCache(size int) *reportCache {
	return &reportCache{size: max(size, 1), entries: map[analysisKey]*cacheEntry{}}
}

// analyse returns the analysis of a round of the consultation, from the
// cache while the data it was computed from is unchanged.
func (rc *reportCache) analyse(ctx context.Context, store *models.Store, cons *models.Consultation, round int) (*analysed, error) {
	ver, err := store.AnalysisVersion(ctx, cons.ID)
	if err != nil {
		return nil, err
	}
	key := analysisKey{cons.ID, round}
	want := analysisStamp{latest: ver.LatestRevision, questionnaire: ver.Questionnaire, quorum: cons.Quorum,
		current: cons.Round, updated: cons.UpdatedAt}

	rc.mu.Lock()
	e := rc.entries[key]
	if e != nil && !e.stamp.sameSettings(want) {
		e = nil
	}
	if e != nil && e.stamp.latest != want.latest {
		// A revision was written somewhere since: read whether this
		// consultation has one (outside the lock: it reads an index).
		own := e.stamp.ownLatest
		rc.mu.Unlock()
		latest, err := store.LatestRevisionOf(ctx, cons.ID)
		if err != nil {
			return nil, err
		}
		want.ownLatest = latest
		rc.mu.Lock()
		switch cur := rc.entries[key]; {
		case cur == e && latest == own:
			e.stamp.latest = max(e.stamp.latest, want.latest)
		case cur != nil && cur != e && cur.stamp.sameSettings(want) && cur.stamp.latest == want.latest:
			// Another view, finding the same old entry, has meanwhile
			// started the analysis of this very state: share it.
			e = cur
		default:
			e = nil
		}
	}
	if e != nil {
		rc.tick++
		e.used = rc.tick
		rc.mu.Unlock()
		return e.wait(ctx)
	}
	e = &cacheEntry{stamp: want, ready: make(chan struct{})}
	rc.put(key, e)
	rc.computed++
	rc.mu.Unlock()

	// The consultation's latest revision is read before the analysis, so
	// the analysis is at least as new as its stamp.
	if e.stamp.ownLatest == 0 {
		if e.stamp.ownLatest, e.err = store.LatestRevisionOf(ctx, cons.ID); e.err != nil {
			return rc.fail(key, e)
		}
	}
	a, err := store.LoadAnalysis(ctx, cons, round)
	if err != nil {
		e.err = err
		return rc.fail(key, e)
	}
	e.val = &analysed{analysis: a, rep: consensus.Analyze(a.Input)}
	close(e.ready)
	return e.val, nil
}

// sameSettings reports whether two stamps agree on everything but the
// revisions.
func (s analysisStamp) sameSettings(o analysisStamp) bool {
	return s.questionnaire == o.questionnaire && s.quorum == o.quorum && s.current == o.current && s.updated.Equal(o.updated)
}

// put stores an entry, evicting the least recently used one beyond the
// cache's size.
func (rc *reportCache) put(key analysisKey, e *cacheEntry) {
	rc.tick++
	e.used = rc.tick
	rc.entries[key] = e
	for len(rc.entries) > rc.size {
		var oldest analysisKey
		var first = true
		var min uint64
		for k, v := range rc.entries {
			if first || v.used < min {
				oldest, min, first = k, v.used, false
			}
		}
		delete(rc.entries, oldest)
	}
}

// fail ends an analysis that could not be made: the entry is dropped, so
// the next view tries again, and its waiters get the error.
func (rc *reportCache) fail(key analysisKey, e *cacheEntry) (*analysed, error) {
	rc.mu.Lock()
	if rc.entries[key] == e {
		delete(rc.entries, key)
	}
	rc.mu.Unlock()
	close(e.ready)
	return nil, e.err
}

// wait waits for the entry's analysis, or for the request to end.
func (e *cacheEntry) wait(ctx context.Context) (*analysed, error) {
	select {
	case <-e.ready:
		return e.val, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
