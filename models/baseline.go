package models

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
)

// The one-row baseline is the yardstick of the save path's speed: the
// least a durable write can cost on this machine and disk. Workers insert
// one small row each per transaction through gorm, into a database opened
// with the Store's own settings (WAL, one writer connection, immediate
// transactions) and the synchronous setting asked for. Figures of the
// save path are given as ratios to it, measured in the same run.

// Throughput is the outcome of a timed run: operations done and the time
// they took, with each operation's latency.
type Throughput struct {
	Ops       int
	Elapsed   time.Duration
	Latencies []time.Duration // one per operation, unsorted
}

// PerSecond is Ops per second of Elapsed.
func (t Throughput) PerSecond() float64 {
	if t.Elapsed <= 0 {
		return 0
	}
	return float64(t.Ops) / t.Elapsed.Seconds()
}

// baselineRow is the row the baseline inserts.
type baselineRow struct {
	ID    uint `gorm:"primaryKey"`
	Value string
	At    time.Time
}

// BaselineSpec says how to run the baseline: into a new database file at
// Path, with Workers goroutines, until Ops rows are written (when Ops > 0)
// or Duration has passed.
type BaselineSpec struct {
	Path        string
	Synchronous string // SynchronousFull or SynchronousNormal
	Workers     int
	Duration    time.Duration
	Ops         int
}

// OneRowBaseline runs the one-row baseline (see above).
func OneRowBaseline(ctx context.Context, spec BaselineSpec) (Throughput, error) {
	if spec.Workers < 1 || (spec.Ops <= 0 && spec.Duration <= 0) {
		return Throughput{}, errors.New("baseline: give workers, and a number of rows or a duration")
	}
	db, err := openGorm(storeURI(spec.Path, spec.Synchronous, true), 1)
	if err != nil {
		return Throughput{}, fmt.Errorf("open baseline database: %w", err)
	}
	defer closeGorm(db)
	if err := db.WithContext(ctx).AutoMigrate(&baselineRow{}); err != nil {
		return Throughput{}, fmt.Errorf("create baseline table: %w", err)
	}
	return RunLoad(ctx, spec.Workers, spec.Ops, spec.Duration, func(ctx context.Context, worker, i int) error {
		return db.WithContext(ctx).Create(&baselineRow{Value: fmt.Sprintf("worker %d row %d", worker, i), At: time.Now()}).Error
	})
}

// RunLoad has workers goroutines call op in a loop until ops calls are
// done in all (ops > 0) or d has passed, and measures each call. The first
// error stops the run and is returned.
func RunLoad(ctx context.Context, workers, ops int, d time.Duration,
	op func(ctx context.Context, worker, i int) error) (Throughput, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		mu       sync.Mutex
		lat      []time.Duration
		firstErr error
		wg       sync.WaitGroup
	)
	start := time.Now()
	var deadline time.Time
	if ops <= 0 {
		deadline = start.Add(d)
	}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for i := 0; ; i++ {
				if ops > 0 && next.Add(1) > int64(ops) {
					break
				}
				if ops <= 0 && !time.Now().Before(deadline) {
					break
				}
				if ctx.Err() != nil {
					break
				}
				t0 := time.Now()
				if err := op(ctx, w, i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel()
					break
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	out := Throughput{Ops: len(lat), Elapsed: time.Since(start), Latencies: lat}
	if firstErr != nil {
		return out, firstErr
	}
	return out, nil
}

// Baseline is an open one-row baseline database, for a server that serves
// the baseline over HTTP (concord loadtest's yardstick, as a minimal
// handler that inserts one row per request).
type Baseline struct{ db *gorm.DB }

// OpenBaseline opens (creating) a baseline database at path with the
// Store's settings and the synchronous setting asked for.
func OpenBaseline(ctx context.Context, path, synchronous string) (*Baseline, error) {
	db, err := openGorm(storeURI(path, synchronous, true), 1)
	if err != nil {
		return nil, fmt.Errorf("open baseline database: %w", err)
	}
	if err := db.WithContext(ctx).AutoMigrate(&baselineRow{}); err != nil {
		closeGorm(db)
		return nil, fmt.Errorf("create baseline table: %w", err)
	}
	return &Baseline{db: db}, nil
}

// Insert writes one row in its own transaction.
func (b *Baseline) Insert(ctx context.Context, value string) error {
	return b.db.WithContext(ctx).Create(&baselineRow{Value: value, At: time.Now()}).Error
}

// Close closes the database.
func (b *Baseline) Close() error { return closeGorm(b.db) }
