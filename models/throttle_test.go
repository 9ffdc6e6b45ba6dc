package models

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestLoginThrottle(t *testing.T) {
	p := DefaultThrottle()
	type step struct {
		wait    time.Duration // clock advance before the failure
		fail    bool          // count a failure
		ok      bool          // count a successful sign-in
		addr    string        // client address; default 10.0.0.1
		user    string        // username; default kadri
		locked  bool          // the failure locks
		blocked time.Duration // loginWait right after the step
	}
	// untilLock is the sequence of failures of kadri from 10.0.0.1, each
	// made as soon as allowed, that locks the pair: pauses of 1 and 2
	// seconds (the pair), then 10 seconds (the account's fourth failure),
	// then the 15 minute lock.
	untilLock := []step{
		{fail: true},
		{fail: true, blocked: time.Second},
		{wait: time.Second, fail: true, blocked: 2 * time.Second},
		{wait: 2 * time.Second, fail: true, blocked: 10 * time.Second},
		{wait: 10 * time.Second, fail: true, locked: true, blocked: 15 * time.Minute},
	}
	join := func(parts ...[]step) []step {
		var out []step
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"one failure costs nothing", []step{{fail: true}}},
		{"growing pauses, then a 15 minute lock of the pair", untilLock},
		{"the next lock lasts as long", join(untilLock, []step{{wait: 15 * time.Minute}}, untilLock)},
		{"failures outside the window start afresh", join(untilLock[:4], []step{
			{wait: 16 * time.Minute, fail: true},
			{fail: true, blocked: time.Second},
		})},
		{"success clears the account's failures", join(untilLock[:4], []step{
			{wait: 10 * time.Second, ok: true},
			{fail: true},
			{fail: true, blocked: time.Second},
		})},
		{"other usernames from another address are not affected", join(untilLock, []step{
			{fail: true, user: "someone-else", addr: "10.0.0.2"},
		})},
		{"a locked pair only slows the account elsewhere, for 10 seconds", join(untilLock, []step{
			{addr: "192.0.2.9", blocked: 10 * time.Second},
			{wait: 10 * time.Second, addr: "192.0.2.9", ok: true},
		})},
		{"a known address is exempt from the account-wide limit", join([]step{
			{addr: "192.0.2.9", ok: true},
		}, untilLock, []step{
			{addr: "192.0.2.9"},
			{addr: "192.0.2.9", ok: true},
		})},
		{"a known address is forgotten after 30 days", join([]step{
			{addr: "192.0.2.9", ok: true},
			{wait: 31 * 24 * time.Hour},
		}, untilLock, []step{
			{addr: "192.0.2.9", blocked: 10 * time.Second},
		})},
		{"guesses from many addresses: about one per 10 seconds", []step{
			{fail: true, addr: "10.1.0.1"},
			{fail: true, addr: "10.1.0.2"},
			{fail: true, addr: "10.1.0.3"},
			{fail: true, addr: "10.1.0.4", blocked: 10 * time.Second},
			{wait: 10 * time.Second, fail: true, addr: "10.1.0.5", blocked: 10 * time.Second},
			{wait: 10 * time.Second, fail: true, addr: "10.1.0.6", blocked: 10 * time.Second},
		}},
		{"an address guessing many usernames is paused, never locked", func() []step {
			var s []step
			for i := 1; i <= 25; i++ {
				st := step{fail: true, user: "user" + strconv.Itoa(i)}
				if i > 10 {
					st.blocked = min(time.Second<<(i-11), 30*time.Second)
				}
				if i > 11 {
					st.wait = min(time.Second<<(i-12), 30*time.Second)
				}
				s = append(s, st)
			}
			return s
		}()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newAccountsFixture(t)
			ctx := context.Background()
			for i, st := range tc.steps {
				f.advance(st.wait)
				a := Attempt{Username: "kadri", Address: "10.0.0.1"}
				if st.user != "" {
					a.Username = st.user
				}
				if st.addr != "" {
					a.Address = st.addr
				}
				if st.fail {
					got, err := f.failLogin(ctx, p, a)
					if err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					if got.Locked != st.locked {
						t.Fatalf("step %d: locked = %v, want %v", i, got.Locked, st.locked)
					}
					if got.Wait != st.blocked {
						t.Fatalf("step %d: failure wait = %v, want %v", i, got.Wait, st.blocked)
					}
				} else if st.ok {
					if wait, _, err := f.s.BeginLogin(ctx, p, a); err != nil || wait != 0 {
						t.Fatalf("step %d: BeginLogin = %v, %v", i, wait, err)
					}
					if err := f.s.LoginSucceeded(ctx, a); err != nil {
						t.Fatal(err)
					}
				}
				wait, err := loginWait(ctx, f.s, p, a)
				if err != nil {
					t.Fatal(err)
				}
				if wait != st.blocked {
					t.Fatalf("step %d: loginWait = %v, want %v", i, wait, st.blocked)
				}
			}
		})
	}
}

// loginWait reads how long an attempt must wait before its password may
// be checked, without counting anything.
func loginWait(ctx context.Context, s *Store, p ThrottlePolicy, a Attempt) (time.Duration, error) {
	known, err := isKnownAddress(s.r.WithContext(ctx), p, a, s.Now())
	if err != nil {
		return 0, err
	}
	var rows []LoginFailure
	if err := s.r.WithContext(ctx).Where("key IN ?", keyNames(a.keys(p, known))).Find(&rows).Error; err != nil {
		return 0, err
	}
	return waitOf(rows, s.Now()), nil
}

// failLogin is a sign-in attempt with a wrong password, as the handler
// makes it: BeginLogin, then LoginFailed.
func (f *accountsFixture) failLogin(ctx context.Context, p ThrottlePolicy, a Attempt) (Throttled, error) {
	wait, pre, err := f.s.BeginLogin(ctx, p, a)
	if err != nil {
		return Throttled{}, err
	}
	if wait != 0 {
		return Throttled{}, fmt.Errorf("refused for %v", wait)
	}
	got, err := f.s.LoginFailed(ctx, p, a)
	return got.Merge(pre), err
}

func TestBeginLoginHoldsParallelAttempts(t *testing.T) {
	f := newAccountsFixture(t)
	ctx := context.Background()
	p := DefaultThrottle()
	const n = 20
	allowed := make(chan bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Different addresses: only the account name can hold them.
			wait, _, err := f.s.BeginLogin(ctx, p, Attempt{Username: "kadri", Address: "10.1.0." + strconv.Itoa(i)})
			if err != nil {
				t.Error(err)
			}
			allowed <- wait == 0
		}()
	}
	wg.Wait()
	close(allowed)
	got := 0
	for ok := range allowed {
		if ok {
			got++
		}
	}
	// The account-wide limit holds them: the first three attempts are free
	// and the fourth starts a pause, so a burst of parallel guesses from
	// many addresses gets four through, not twenty.
	if got != AccountFree+1 {
		t.Fatalf("%d of %d parallel attempts went ahead, want %d", got, n, AccountFree+1)
	}
}

func TestLoginThrottleSuccessKeepsAddressCount(t *testing.T) {
	f := newAccountsFixture(t)
	ctx := context.Background()
	p := DefaultThrottle()
	for i := range 19 {
		got, err := f.failLogin(ctx, p, Attempt{Username: "guess" + strconv.Itoa(i), Address: "10.9.9.9"})
		if err != nil {
			t.Fatal(err)
		}
		f.advance(got.Wait) // just past each pause, within the window
	}
	if err := f.s.LoginSucceeded(ctx, Attempt{Username: "kadri", Address: "10.9.9.9"}); err != nil {
		t.Fatal(err)
	}
	got, err := f.failLogin(ctx, p, Attempt{Username: "guess-last", Address: "10.9.9.9"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Locked || got.Wait != AddressMaxPause {
		t.Fatalf("the 20th failure: %+v, want a pause of %v and no lock (a sign-in to one account must not reset the address's count)", got, AddressMaxPause)
	}
}

func TestLoginThrottleForgetsOldKeys(t *testing.T) {
	f := newAccountsFixture(t)
	ctx := context.Background()
	p := DefaultThrottle()
	for i := range 5 {
		if _, err := f.failLogin(ctx, p, Attempt{Username: "invented" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	f.advance(25 * time.Hour)
	if _, err := f.failLogin(ctx, p, Attempt{Username: "latest"}); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := f.s.r.Model(&LoginFailure{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d throttle rows kept, want only the latest", n)
	}
}

func TestDoubled(t *testing.T) {
	cases := []struct {
		name     string
		d        time.Duration
		n        int
		limit    time.Duration
		expected time.Duration
	}{
		{"no doubling", time.Second, 0, time.Minute, time.Second},
		{"three doublings", time.Second, 3, time.Minute, 8 * time.Second},
		{"capped", time.Second, 10, time.Minute, time.Minute},
		{"huge n does not overflow", time.Minute, 1000, 24 * time.Hour, 24 * time.Hour},
		{"start above the limit", time.Hour, 0, time.Minute, time.Minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := doubled(tc.d, tc.n, tc.limit); got != tc.expected {
				t.Fatalf("doubled(%v, %d, %v) = %v, want %v", tc.d, tc.n, tc.limit, got, tc.expected)
			}
		})
	}
}
