package models

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"gorm.io/gorm"
)

// Group commit.
//
// Saves of positions are durable: SubmitPositions returns only once the
// save is committed, and the database runs with synchronous=FULL, so an
// acknowledged save survives a crash of the process and a loss of power.
// A commit costs a flush of the disk, so one commit per save would cap the
// saves per second at the disk's flushes per second. Instead, one writer
// goroutine owned by the Store takes every pending submission (up to
// maxGroup) and runs them in one transaction, each inside its own
// savepoint:
//
//	BEGIN IMMEDIATE
//	  SAVEPOINT submission … RELEASE submission       (submission 1: saved)
//	  SAVEPOINT submission … ROLLBACK TO submission   (submission 2: refused, its own error)
//	  …
//	COMMIT                                           (one flush for the batch)
//
// and only then answers each of them. A submission that fails (invalid,
// closed consultation, a refused row) rolls back to its savepoint alone and
// gets its own error; the others go on. Should the commit fail, every
// submission of the batch gets the error: nothing is acknowledged that is
// not committed. When the writer is idle a submission is run at once; the
// batches grow by themselves while a commit is under way.

// maxGroup is the most submissions one transaction takes.
const maxGroup = 64

// WriteStats counts the work of the writer since the store was opened.
type WriteStats struct {
	// Commits is the number of group transactions committed.
	Commits uint64
	// Saves is the number of submissions acknowledged as saved.
	Saves uint64
	// Refused is the number of submissions that got an error (invalid,
	// closed, failed).
	Refused uint64
	// LargestGroup is the most submissions one commit carried.
	LargestGroup int
}

// CommitsPerSave is Commits / Saves (0 before the first save).
func (w WriteStats) CommitsPerSave() float64 {
	if w.Saves == 0 {
		return 0
	}
	return float64(w.Commits) / float64(w.Saves)
}

// WriteStats returns the writer's counters.
func (s *Store) WriteStats() WriteStats {
	if s.gw == nil {
		return WriteStats{}
	}
	return WriteStats{Commits: s.gw.commits.Load(), Saves: s.gw.saves.Load(), Refused: s.gw.refused.Load(),
		LargestGroup: int(s.gw.largest.Load())}
}

// errReadOnly answers a submission to a store opened read-only.
var errReadOnly = errors.New("the store is read-only")

// errStoreClosed answers a submission made after Close.
var errStoreClosed = errors.New("the store is closed")

type writeRequest struct {
	ctx  context.Context
	sub  Submission
	done chan writeResult // buffered: the writer never waits for the caller
}

type writeResult struct {
	res SubmitResult
	err error
}

// groupWriter is the writer goroutine's state.
type groupWriter struct {
	store *Store
	queue chan *writeRequest

	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool
	done   chan struct{} // closed when the writer has stopped

	commits, saves, refused atomic.Uint64
	largest                 atomic.Int64
	// received counts the submissions the writer has taken off the queue.
	received atomic.Uint64

	// questionnaires caches each consultation's questions, by the version
	// of its questionnaire.
	questionnaires versionCache[uint, *cachedQuestionnaire]
}

// versionCache keeps values together with the version they were read at
// (a questionnaire version, see questionnaireSchema, or a change counter,
// see counterSchema): a value is found only under the version it was read
// at. The writer's question index, Store.Questionnaire, the sessions and
// the consultations by key use it. On SQLite only the writer goroutine
// uses the writer's; on PostgreSQL concurrent saves share it, and readers
// always share theirs, hence the lock. A cached value is never changed,
// only replaced.
type versionCache[K comparable, T any] struct {
	mu sync.Mutex
	m  map[K]versioned[T]
}

type versioned[T any] struct {
	version int64
	value   T
}

// cacheLimit bounds the values one cache keeps: a new key beyond it
// starts the cache afresh (values under versions gone by are of no more
// use, and a busy cache refills in a few requests).
const cacheLimit = 10000

// get returns the value of key read at version.
func (c *versionCache[K, T]) get(key K, version int64) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || e.version != version {
		var zero T
		return zero, false
	}
	return e.value, true
}

// put keeps value as key's, read at version.
func (c *versionCache[K, T]) put(key K, version int64, value T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; c.m == nil || (!ok && len(c.m) >= cacheLimit) {
		c.m = map[K]versioned[T]{}
	}
	c.m[key] = versioned[T]{version: version, value: value}
}

// forget drops the given keys, or all of them when keys is nil.
func (c *versionCache[K, T]) forget(keys []K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if keys == nil {
		c.m = nil
		return
	}
	for _, k := range keys {
		delete(c.m, k)
	}
}

// cachedQuestionnaire indexes a consultation's questions for the writer.
type cachedQuestionnaire struct {
	byKey map[string]*Question
	byID  map[uint]*Question
}

func startGroupWriter(s *Store) *groupWriter {
	g := &groupWriter{store: s, queue: make(chan *writeRequest, 4*maxGroup), done: make(chan struct{})}
	go g.loop()
	return g
}

// submit queues a submission and waits for its outcome. Once the writer
// has started a submission, its outcome is awaited even if ctx ends, so
// that an error never hides a save that was committed; a submission whose
// ctx has ended before it starts is not run.
func (g *groupWriter) submit(ctx context.Context, sub Submission) (SubmitResult, error) {
	if g == nil {
		return SubmitResult{}, errReadOnly
	}
	req := &writeRequest{ctx: ctx, sub: sub, done: make(chan writeResult, 1)}
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return SubmitResult{}, errStoreClosed
	}
	select {
	case g.queue <- req:
	case <-ctx.Done():
		g.mu.RUnlock()
		return SubmitResult{}, ctx.Err()
	}
	g.mu.RUnlock()
	out := <-req.done
	return out.res, out.err
}

// close stops taking submissions, lets the writer finish those queued and
// waits for it to stop.
func (g *groupWriter) close() {
	if g == nil { // a read-only store has no writer
		return
	}
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		close(g.queue)
	}
	g.mu.Unlock()
	<-g.done
}

func (g *groupWriter) loop() {
	defer close(g.done)
	var pending []*writeRequest
	open := true
	for open || len(pending) > 0 {
		if len(pending) == 0 {
			req, ok := <-g.queue
			if !ok {
				return
			}
			g.received.Add(1)
			pending = append(pending, req)
		}
	fill: // take whatever else is waiting, without waiting for more
		for open && len(pending) < maxGroup {
			select {
			case req, ok := <-g.queue:
				if !ok {
					open = false
					break fill
				}
				g.received.Add(1)
				pending = append(pending, req)
			default:
				break fill
			}
		}
		n := min(len(pending), maxGroup)
		again := g.run(pending[:n])
		pending = append(again, pending[n:]...)
		// Between transactions, once the group is answered: the
		// statements the group met for the first time are prepared on the
		// pool, to be reused by the next groups.
		promotePrepared(context.Background(), g.store.w)
	}
}

// run runs a batch in one transaction and answers each submission once the
// transaction has committed. It returns the submissions to run again in a
// new transaction, when the transaction had to be abandoned half-way
// because a savepoint could not be rolled back.
func (g *groupWriter) run(batch []*writeRequest) (again []*writeRequest) {
	tx := g.store.w.WithContext(context.Background()).Begin()
	if tx.Error != nil {
		err := fmt.Errorf("begin transaction: %w", tx.Error)
		for _, req := range batch {
			g.answer(req, writeResult{err: err})
		}
		return nil
	}
	b := &batchState{cache: &g.questionnaires, cons: map[uint]*consultationState{}}
	results := make([]writeResult, len(batch))
	saved := 0
	for i, req := range batch {
		if err := req.ctx.Err(); err != nil {
			results[i].err = err
			continue
		}
		if err := rawExec(tx, "SAVEPOINT submission"); err != nil {
			results[i].err = fmt.Errorf("open savepoint: %w", err)
			return g.abandon(tx, batch, results, i)
		}
		res, err := g.store.submitIn(tx, b, req.sub)
		if err != nil {
			results[i].err = err
			if rerr := rawExec(tx, "ROLLBACK TO submission"); rerr != nil {
				results[i].err = errors.Join(err, fmt.Errorf("roll back the submission: %w", rerr))
				return g.abandon(tx, batch, results, i)
			}
		} else {
			results[i].res = res
			saved++
		}
		if err := rawExec(tx, "RELEASE submission"); err != nil {
			results[i] = writeResult{err: fmt.Errorf("release savepoint: %w", err)}
			return g.abandon(tx, batch, results, i)
		}
	}
	if saved == 0 {
		// Nothing was written: the refusals stand whether or not the
		// rollback reports an error (the connection's transaction ends
		// either way).
		_ = tx.Rollback().Error
	} else if err := tx.Commit().Error; err != nil {
		err = fmt.Errorf("commit: %w", err)
		for i := range results {
			if results[i].err == nil {
				results[i] = writeResult{err: err}
			}
		}
		b.forget()
	} else {
		g.commits.Add(1)
		if int64(saved) > g.largest.Load() {
			g.largest.Store(int64(saved))
		}
	}
	for i, req := range batch {
		g.answer(req, results[i])
	}
	return nil
}

// abandon rolls the transaction back after submission i could not be
// isolated in its savepoint: submission i gets its error, those before it
// that had succeeded (now rolled back) and those after it are run again.
func (g *groupWriter) abandon(tx *gorm.DB, batch []*writeRequest, results []writeResult, i int) []*writeRequest {
	_ = tx.Rollback().Error // the transaction may already be gone; nothing of it is kept either way
	g.questionnaires.forget(nil)
	var again []*writeRequest
	for j, req := range batch {
		switch {
		case j == i, j < i && results[j].err != nil:
			g.answer(req, results[j])
		default:
			again = append(again, req)
		}
	}
	return again
}

func (g *groupWriter) answer(req *writeRequest, out writeResult) {
	if out.err == nil {
		g.saves.Add(1)
	} else {
		g.refused.Add(1)
	}
	req.done <- out
}

// batchState is what the submissions of one transaction share: the
// consultations they save into, read once inside the transaction (nothing
// else writes while it runs).
type batchState struct {
	cache *versionCache[uint, *cachedQuestionnaire]
	cons  map[uint]*consultationState
}

type consultationState struct {
	c Consultation
	q *cachedQuestionnaire
}

// consultation loads, inside tx, a consultation and its questionnaire: the
// questionnaire is read again only when its version has moved since it was
// cached (see questionnaireSchema).
func (b *batchState) consultation(tx *gorm.DB, id uint) (*consultationState, error) {
	if cs, ok := b.cons[id]; ok {
		return cs, nil
	}
	var version int64
	rows, err := rawQuery(tx, `SELECT `+consultationColumns+`,
		COALESCE((SELECT v.version FROM questionnaire_versions v WHERE v.consultation_id = c.id), 0)
		FROM consultations c WHERE c.id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("load consultation %d: %w", id, err)
	}
	c, err := scanConsultation(rows, &version)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("load consultation %d", id))
	}
	q, ok := b.cache.get(id, version)
	if !ok {
		byKey, byID, err := questionIndex(tx, id)
		if err != nil {
			return nil, err
		}
		q = &cachedQuestionnaire{byKey: byKey, byID: byID}
		b.cache.put(id, version, q)
	}
	cs := &consultationState{c: *c, q: q}
	b.cons[id] = cs
	return cs, nil
}

// forget drops the questionnaires read by a transaction that did not
// commit (a safety measure: they were read, not written, by it).
func (b *batchState) forget() {
	ids := make([]uint, 0, len(b.cons))
	for id := range b.cons {
		ids = append(ids, id)
	}
	b.cache.forget(ids)
}
