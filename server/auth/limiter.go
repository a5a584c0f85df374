package auth

import (
	"context"
	"time"

	"github.com/polis-portal/polis/server/store"
)

// Limiter slows down password guessing with growing delays, per account and
// per address: after FreeFailures failures each further failure locks the
// key for twice as long as the last, up to MaxLock. Keys are kept for any
// e-mail typed, existing or not, so a lock says nothing about accounts.
type Limiter struct {
	Store        *store.Store
	FreeFailures int
	FirstLock    time.Duration
	MaxLock      time.Duration
	Now          func() time.Time
}

// NewLimiter returns the default policy: five free failures, then locks of
// 30 s, 1 min, 2 min … up to 1 hour.
func NewLimiter(st *store.Store) *Limiter {
	return &Limiter{Store: st, FreeFailures: 5, FirstLock: 30 * time.Second, MaxLock: time.Hour, Now: time.Now}
}

// LimitKeys returns the limiter keys for a login attempt.
func LimitKeys(email, ip string) []string {
	return []string{"email:" + email, "ip:" + ip}
}

// Locked returns how long until every key is free again (0 when none is
// locked).
func (l *Limiter) Locked(ctx context.Context, keys ...string) (time.Duration, error) {
	now := l.Now().Unix()
	var wait int64
	for _, k := range keys {
		f, err := l.Store.LoginFailuresFor(ctx, k)
		if err != nil {
			return 0, err
		}
		if f.LockedUntil > now && f.LockedUntil-now > wait {
			wait = f.LockedUntil - now
		}
	}
	return time.Duration(wait) * time.Second, nil
}

// Fail records a failure on every key and reports whether one of them is
// now locked.
func (l *Limiter) Fail(ctx context.Context, keys ...string) (bool, error) {
	now := l.Now().Unix()
	locked := false
	for _, k := range keys {
		f, err := l.Store.LoginFailuresFor(ctx, k)
		if err != nil {
			return false, err
		}
		// Failures a day old are forgotten.
		if now-f.LastFailure > 24*3600 {
			f.Failures = 0
		}
		f.Failures++
		f.LastFailure = now
		if over := f.Failures - l.FreeFailures; over > 0 {
			lock := l.FirstLock << min(over-1, 20)
			if lock > l.MaxLock || lock <= 0 {
				lock = l.MaxLock
			}
			f.LockedUntil = now + int64(lock/time.Second)
			locked = true
		}
		if err := l.Store.SaveLoginFailures(ctx, f); err != nil {
			return false, err
		}
	}
	return locked, nil
}

// Succeed forgets the account's failures after a good login. The address
// keeps its count: one right password does not excuse a hundred wrong ones
// for other accounts.
func (l *Limiter) Succeed(ctx context.Context, email string) error {
	return l.Store.ClearLoginFailures(ctx, "email:"+email)
}
