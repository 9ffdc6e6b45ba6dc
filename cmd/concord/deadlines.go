package main

import (
	"context"
	"log/slog"
	"time"

	"concord/models"
)

// startDeadlineJob runs the deadline job of silence procedures
// (models.DeadlineJob) in the background until the returned stop is
// called, which waits for it to end. ticks nil means the job's own ticker.
// It outlives ctx's cancellation (serve stops it explicitly, before the
// store is closed).
func startDeadlineJob(ctx context.Context, store *models.Store, log *slog.Logger, ticks <-chan time.Time, done chan<- int) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	finished := make(chan struct{})
	job := &models.DeadlineJob{Store: store, Log: log, Ticks: ticks, Done: done}
	go func() {
		defer close(finished)
		job.Run(ctx)
	}()
	return func() {
		cancel()
		<-finished
	}
}
