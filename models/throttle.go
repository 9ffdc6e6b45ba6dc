package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// LoginFailure counts the failed sign-ins of one key: an account name as
// typed, an account name from one client address, or a client address.
// The counters live in the database so that every instance serving the
// same database shares them.
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
	// Locks counts the locks of the key, for the record (each lasts the
	// rule's Lock).
	Locks int `gorm:"not null;default:0"`
	// BlockedUntil: no attempt is checked for this key before then.
	BlockedUntil time.Time `gorm:"not null;index"`
	LastFailure  time.Time `gorm:"not null;index"`
}

// KnownAddress records that an account name signed in successfully from a
// client address; such an address is exempt from the account-wide limit.
type KnownAddress struct {
	ID          uint      `gorm:"primaryKey"`
	Key         string    `gorm:"uniqueIndex:idx_known_address;size:200;not null"` // AccountKey
	Address     string    `gorm:"uniqueIndex:idx_known_address;size:64;not null"`
	LastSuccess time.Time `gorm:"not null;index"`
}

// ThrottleRule bounds the failed sign-ins of one kind of key.
//
// The first Free failures in a Window cost nothing; each further failure
// makes the key wait Delay, then twice that, and so on, never more than
// MaxDelay. When MaxFailures is not zero, the MaxFailures-th failure
// within the Window locks the key for Lock. A key without failures for
// Forget starts afresh.
type ThrottleRule struct {
	MaxFailures int // 0: the key is never locked, only slowed
	Window      time.Duration
	Lock        time.Duration
	Free        int
	Delay       time.Duration
	MaxDelay    time.Duration
	Forget      time.Duration
}

// ThrottlePolicy holds the rules of the three kinds of key a sign-in
// attempt counts against. Only the pair of an account and an address is
// ever locked: an attacker elsewhere can slow a delegate down, never keep
// them out.
type ThrottlePolicy struct {
	// Pair: an account name tried from one client address.
	Pair ThrottleRule
	// Account: an account name tried from any address, except the
	// addresses it signed in from within KnownFor.
	Account ThrottleRule
	// Address: a client address, whatever account it tries; it may be a
	// whole office behind one gateway.
	Address  ThrottleRule
	KnownFor time.Duration
}

// The default throttle (README, "Security model").
const (
	// PairLockAfter failures of one account name from one address within
	// PairWindow lock that pair for PairLock, with pauses of 1, 2 and 4
	// seconds before.
	PairLockAfter = 5
	PairWindow    = 15 * time.Minute
	PairLock      = 15 * time.Minute
	// An address is never locked: after AddressFree failures within
	// AddressWindow, each failure pauses it, 1 second doubling up to
	// AddressMaxPause.
	AddressFree     = 10
	AddressWindow   = 15 * time.Minute
	AddressMaxPause = 30 * time.Second
	// An account name across all addresses is never locked: after
	// AccountFree failures within AccountWindow it takes about one attempt
	// per AccountPause.
	AccountFree   = 3
	AccountWindow = 15 * time.Minute
	AccountPause  = 10 * time.Second
	// KnownAddressFor: an address the account signed in from within this
	// long is exempt from the account-wide limit.
	KnownAddressFor = 30 * 24 * time.Hour
	// throttleForget: a key without failures for this long starts afresh.
	throttleForget = 24 * time.Hour
)

// DefaultThrottle is the policy used unless configured otherwise (see the
// constants above).
func DefaultThrottle() ThrottlePolicy {
	return ThrottlePolicy{
		Pair: ThrottleRule{MaxFailures: PairLockAfter, Window: PairWindow, Lock: PairLock,
			Free: 1, Delay: time.Second, MaxDelay: 4 * time.Second, Forget: throttleForget},
		Account: ThrottleRule{Window: AccountWindow, Free: AccountFree, Delay: AccountPause,
			MaxDelay: AccountPause, Forget: throttleForget},
		Address: ThrottleRule{Window: AddressWindow, Free: AddressFree, Delay: time.Second,
			MaxDelay: AddressMaxPause, Forget: throttleForget},
		KnownFor: KnownAddressFor,
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
	return "account:" + accountName(username)
}

// PairKey is the throttle key of a username as typed, tried from a client
// address.
func PairKey(username, addr string) string {
	return "pair:" + accountName(username) + "|" + clipAddress(addr)
}

// AddressKey is the throttle key of a client address.
func AddressKey(addr string) string {
	return "address:" + clipAddress(addr)
}

func accountName(username string) string {
	u := strings.ToLower(strings.TrimSpace(username))
	if r := []rune(u); len(r) > 64 {
		u = string(r[:64])
	}
	return u
}

func clipAddress(addr string) string {
	if len(addr) > 64 {
		return addr[:64]
	}
	return addr
}

type throttleKey struct {
	key  string
	rule ThrottleRule
	// early keys are counted by BeginLogin, before the password is
	// checked, so that parallel attempts cannot slip past the limit.
	early bool
}

// keys returns the keys an attempt counts against; known tells whether
// the address is a known address of the account, exempt from the
// account-wide limit.
func (a Attempt) keys(p ThrottlePolicy, known bool) []throttleKey {
	var out []throttleKey
	named := strings.TrimSpace(a.Username) != ""
	if named && a.Address != "" {
		out = append(out, throttleKey{PairKey(a.Username, a.Address), p.Pair, true})
	}
	if named && !known {
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
// a failure of the account name (from this address, and from anywhere
// unless the address is a known one), so that parallel attempts cannot
// slip past the limit, and returns what that count did: the outcome
// should the password be wrong. The caller then reports the result:
// LoginSucceeded clears the account name's counts, LoginFailed adds the
// address's.
func (s *Store) BeginLogin(ctx context.Context, p ThrottlePolicy, a Attempt) (time.Duration, Throttled, error) {
	var wait time.Duration
	var out Throttled
	now := s.Now()
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		known, err := isKnownAddress(tx, p, a, now)
		if err != nil {
			return err
		}
		keys := a.keys(p, known)
		if len(keys) == 0 {
			return nil
		}
		var rows []LoginFailure
		if err := tx.Where("key IN ?", keyNames(keys)).Find(&rows).Error; err != nil {
			return err
		}
		if wait = waitOf(rows, now); wait > 0 {
			return nil
		}
		for _, k := range keys {
			if !k.early {
				continue
			}
			t, err := countFailure(tx, k, now)
			if err != nil {
				return err
			}
			out = out.Merge(t)
		}
		return nil
	})
	if err != nil {
		return 0, Throttled{}, fmt.Errorf("check sign-in throttle: %w", err)
	}
	return wait, out, nil
}

// isKnownAddress reports whether the attempt's account name signed in
// from its address within the policy's KnownFor.
func isKnownAddress(tx *gorm.DB, p ThrottlePolicy, a Attempt, now time.Time) (bool, error) {
	if p.KnownFor <= 0 || strings.TrimSpace(a.Username) == "" || a.Address == "" {
		return false, nil
	}
	var n int64
	err := tx.Model(&KnownAddress{}).Where("key = ? AND address = ? AND last_success > ?",
		AccountKey(a.Username), clipAddress(a.Address), now.Add(-p.KnownFor)).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("look up known address: %w", err)
	}
	return n > 0, nil
}

// LoginFailed counts a failed attempt against its client address (its
// account name was counted by BeginLogin) and returns what that did.
func (s *Store) LoginFailed(ctx context.Context, p ThrottlePolicy, a Attempt) (Throttled, error) {
	var out Throttled
	now := s.Now()
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, k := range a.keys(p, true) {
			if k.early {
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
		if forget := max(p.Pair.Forget, p.Account.Forget, p.Address.Forget); forget > 0 {
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
	if (r.Forget > 0 && now.Sub(f.LastFailure) >= r.Forget) || now.Sub(f.WindowStart) >= r.Window {
		f.Failures, f.WindowStart = 0, now
	}
	f.Failures++
	f.LastFailure = now
	var t Throttled
	switch {
	case r.MaxFailures > 0 && f.Failures >= r.MaxFailures:
		f.Locks++
		f.Failures, f.WindowStart = 0, now
		f.BlockedUntil = now.Add(r.Lock)
		t.Locked = true
	case r.Delay > 0 && f.Failures > r.Free:
		until := now.Add(doubled(r.Delay, f.Failures-r.Free-1, max(r.MaxDelay, r.Delay)))
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

// LoginSucceeded clears the failures of the account name, from this
// address and from anywhere (including those BeginLogin counted in
// advance), and records the address as a known address of the account.
// The address keeps its own count: one valid account must not let its
// holder reset the counter of an address that is guessing other accounts'
// passwords.
func (s *Store) LoginSucceeded(ctx context.Context, a Attempt) error {
	if strings.TrimSpace(a.Username) == "" {
		return nil
	}
	now := s.Now()
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		keys := []string{AccountKey(a.Username)}
		if a.Address != "" {
			keys = append(keys, PairKey(a.Username, a.Address))
		}
		if err := tx.Where("key IN ?", keys).Delete(&LoginFailure{}).Error; err != nil {
			return fmt.Errorf("clear sign-in failures: %w", err)
		}
		if a.Address == "" {
			return nil
		}
		known := KnownAddress{Key: AccountKey(a.Username), Address: clipAddress(a.Address), LastSuccess: now}
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "key"}, {Name: "address"}},
			DoUpdates: clause.AssignmentColumns([]string{"last_success"}),
		}).Create(&known).Error
		if err != nil {
			return fmt.Errorf("record known address: %w", err)
		}
		// Addresses not used for longer than they count are forgotten.
		return tx.Where("last_success < ?", now.Add(-KnownAddressFor)).Delete(&KnownAddress{}).Error
	})
	if err != nil {
		return fmt.Errorf("record sign-in: %w", err)
	}
	return nil
}
