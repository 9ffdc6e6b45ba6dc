package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// LoginFailure counts the failed sign-ins of one key: an account name as
// typed, or a client address. The counters live in the database so that
// every instance serving the same database shares them.
//
// A key is tracked whether or not an account of that name exists, so the
// throttle behaves the same for real and invented usernames and reveals
// nothing about which accounts exist.
type LoginFailure struct {
	ID  uint   `gorm:"primaryKey"`
	Key string `gorm:"uniqueIndex;size:200;not null"`
	// Failures counts the failures since WindowStart.
	Failures    int       `gorm:"not null;default:0"`
	WindowStart time.Time `gorm:"not null"`
	// Locks counts the locks since the key was last forgotten; each lock
	// lasts twice as long as the previous one.
	Locks int `gorm:"not null;default:0"`
	// BlockedUntil: no attempt is checked for this key before then.
	BlockedUntil time.Time `gorm:"not null;index"`
	LastFailure  time.Time `gorm:"not null;index"`
}

// ThrottleRule bounds the failed sign-ins of one kind of key.
//
// The first Free failures in a window cost nothing; each further failure
// makes the key wait Delay, then twice that, and so on (never more than
// Lock). The MaxFailures-th failure within Window locks the key for Lock;
// every further lock doubles, up to MaxLock. A key without failures for
// Forget starts afresh.
type ThrottleRule struct {
	MaxFailures int
	Window      time.Duration
	Free        int
	Delay       time.Duration
	Lock        time.Duration
	MaxLock     time.Duration
	Forget      time.Duration
}

// ThrottlePolicy holds the rules for account names and client addresses.
type ThrottlePolicy struct {
	Account ThrottleRule
	Address ThrottleRule
}

// DefaultThrottle is the policy used unless configured otherwise: an
// account is locked for 15 minutes after 5 failures in 15 minutes (30, 60,
// … minutes for the next locks), with 1, 2 and 4 second pauses before
// that. An address, which may be a whole office behind one gateway, is
// allowed 20 failures in 15 minutes, with growing pauses after the tenth.
func DefaultThrottle() ThrottlePolicy {
	return ThrottlePolicy{
		Account: ThrottleRule{MaxFailures: 5, Window: 15 * time.Minute, Free: 1, Delay: time.Second,
			Lock: 15 * time.Minute, MaxLock: 24 * time.Hour, Forget: 24 * time.Hour},
		Address: ThrottleRule{MaxFailures: 20, Window: 15 * time.Minute, Free: 10, Delay: time.Second,
			Lock: 15 * time.Minute, MaxLock: 24 * time.Hour, Forget: 24 * time.Hour},
	}
}

// Attempt identifies a sign-in attempt for throttling: the username as
// typed and the client address. Either may be empty.
type Attempt struct {
	Username string
	Address  string
}

// AccountKey is the throttle key of a username as typed.
func AccountKey(username string) string {
	u := strings.ToLower(strings.TrimSpace(username))
	if r := []rune(u); len(r) > 64 {
		u = string(r[:64])
	}
	return "account:" + u
}

// AddressKey is the throttle key of a client address.
func AddressKey(addr string) string {
	if len(addr) > 64 {
		addr = addr[:64]
	}
	return "address:" + addr
}

type throttleKey struct {
	key     string
	rule    ThrottleRule
	account bool
}

func (a Attempt) keys(p ThrottlePolicy) []throttleKey {
	var out []throttleKey
	if strings.TrimSpace(a.Username) != "" {
		out = append(out, throttleKey{AccountKey(a.Username), p.Account, true})
	}
	if a.Address != "" {
		out = append(out, throttleKey{AddressKey(a.Address), p.Address, false})
	}
	return out
}

func keyNames(keys []throttleKey) []string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.key
	}
	return names
}

func waitOf(rows []LoginFailure, now time.Time) time.Duration {
	var wait time.Duration
	for _, r := range rows {
		if r.BlockedUntil.After(now) {
			wait = max(wait, r.BlockedUntil.Sub(now))
		}
	}
	return wait
}

// Throttled tells what a failed attempt did to its keys.
type Throttled struct {
	// Wait is how long the next attempt must wait (0: it may follow at once).
	Wait time.Duration
	// Locked is true when this failure locked a key.
	Locked bool
}

// Merge combines the outcomes of two counts: the longer wait, and a lock
// if either locked.
func (t Throttled) Merge(o Throttled) Throttled {
	return Throttled{Wait: max(t.Wait, o.Wait), Locked: t.Locked || o.Locked}
}

// BeginLogin decides whether an attempt may have its password checked.
// When a key must still wait, it returns the wait and counts nothing.
// Otherwise, in the same transaction, it counts the attempt in advance as
// a failure of the account name, so that parallel attempts cannot slip
// past the limit, and returns what that count did (the outcome should the
// password be wrong). The caller then reports the result: LoginSucceeded
// clears the account name's count, LoginFailed adds the address's.
func (s *Store) BeginLogin(ctx context.Context, p ThrottlePolicy, a Attempt) (time.Duration, Throttled, error) {
	keys := a.keys(p)
	if len(keys) == 0 {
		return 0, Throttled{}, nil
	}
	var wait time.Duration
	var out Throttled
	now := s.Now()
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []LoginFailure
		if err := tx.Where("key IN ?", keyNames(keys)).Find(&rows).Error; err != nil {
			return err
		}
		if wait = waitOf(rows, now); wait > 0 {
			return nil
		}
		for _, k := range keys {
			if k.account {
				var err error
				out, err = countFailure(tx, k, now)
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, Throttled{}, fmt.Errorf("check sign-in throttle: %w", err)
	}
	return wait, out, nil
}

// LoginFailed counts a failed attempt against its client address (its
// account name was counted by BeginLogin) and returns what that did.
func (s *Store) LoginFailed(ctx context.Context, p ThrottlePolicy, a Attempt) (Throttled, error) {
	var out Throttled
	now := s.Now()
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		forget := max(p.Account.Forget, p.Address.Forget)
		for _, k := range a.keys(p) {
			if k.account {
				continue
			}
			t, err := countFailure(tx, k, now)
			if err != nil {
				return err
			}
			out = out.Merge(t)
		}
		// Forget keys that have been quiet long enough, so invented
		// usernames do not pile up.
		if forget > 0 {
			cutoff := now.Add(-forget)
			if err := tx.Where("last_failure < ? AND blocked_until < ?", cutoff, now).Delete(&LoginFailure{}).Error; err != nil {
				return fmt.Errorf("forget old failures: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return Throttled{}, fmt.Errorf("count failed sign-in: %w", err)
	}
	return out, nil
}

func countFailure(tx *gorm.DB, k throttleKey, now time.Time) (Throttled, error) {
	var f LoginFailure
	if err := tx.Where("key = ?", k.key).Limit(1).Find(&f).Error; err != nil {
		return Throttled{}, fmt.Errorf("load failures of %s: %w", k.key, err)
	}
	r := k.rule
	if f.ID == 0 {
		f = LoginFailure{Key: k.key, WindowStart: now}
	}
	if r.Forget > 0 && now.Sub(f.LastFailure) >= r.Forget {
		f.Failures, f.Locks, f.WindowStart = 0, 0, now
	}
	if now.Sub(f.WindowStart) >= r.Window {
		f.Failures, f.WindowStart = 0, now
	}
	f.Failures++
	f.LastFailure = now
	var t Throttled
	switch {
	case r.MaxFailures > 0 && f.Failures >= r.MaxFailures:
		lock := doubled(r.Lock, f.Locks, max(r.MaxLock, r.Lock))
		f.Locks++
		f.Failures, f.WindowStart = 0, now
		f.BlockedUntil = now.Add(lock)
		t.Locked = true
	case r.Delay > 0 && f.Failures > r.Free:
		limit := r.Lock
		if limit <= 0 {
			limit = r.Delay
		}
		until := now.Add(doubled(r.Delay, f.Failures-r.Free-1, limit))
		if until.After(f.BlockedUntil) {
			f.BlockedUntil = until
		}
	}
	if f.BlockedUntil.After(now) {
		t.Wait = f.BlockedUntil.Sub(now)
	}
	if err := tx.Save(&f).Error; err != nil {
		return Throttled{}, fmt.Errorf("save failures of %s: %w", k.key, err)
	}
	return t, nil
}

// doubled returns d doubled n times, never more than limit.
func doubled(d time.Duration, n int, limit time.Duration) time.Duration {
	for range n {
		if d >= limit/2 {
			return limit
		}
		d *= 2
	}
	return min(d, limit)
}

// LoginSucceeded clears the failures of the account name, including the
// one BeginLogin counted in advance. The address keeps its count: one
// valid account must not let its holder reset the counter of an address
// that is guessing other accounts' passwords.
func (s *Store) LoginSucceeded(ctx context.Context, a Attempt) error {
	if strings.TrimSpace(a.Username) == "" {
		return nil
	}
	if err := s.w.WithContext(ctx).Where("key = ?", AccountKey(a.Username)).Delete(&LoginFailure{}).Error; err != nil {
		return fmt.Errorf("clear sign-in failures: %w", err)
	}
	return nil
}
