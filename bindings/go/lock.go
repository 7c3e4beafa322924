package grovekv

/*
#include "grove.h"

// Wrappers that return results by value: no Go pointer crosses into C.
typedef struct {
	int32_t status;
	bool value;
	grove_error *err;
} grovego_bool;

static grovego_bool grovego_lock_try_acquire(const grove_lock *l) {
	grovego_bool r = {0, false, NULL};
	r.status = grove_lock_try_acquire(l, &r.value, &r.err);
	return r;
}

static grovego_bool grovego_lock_acquire(const grove_lock *l, double timeout, double retry) {
	grovego_bool r = {0, false, NULL};
	r.status = grove_lock_acquire(l, timeout, retry, &r.value, &r.err);
	return r;
}

static grovego_bool grovego_lock_release(const grove_lock *l) {
	grovego_bool r = {0, false, NULL};
	r.status = grove_lock_release(l, &r.value, &r.err);
	return r;
}

static grovego_bool grovego_lock_extend(const grove_lock *l, double ttl) {
	grovego_bool r = {0, false, NULL};
	r.status = grove_lock_extend(l, ttl, &r.value, &r.err);
	return r;
}

static grovego_bool grovego_lock_held(const grove_lock *l) {
	grovego_bool r = {0, false, NULL};
	r.status = grove_lock_held(l, &r.value, &r.err);
	return r;
}

static uint64_t grovego_lock_fencing_token(const grove_lock *l) {
	uint64_t token = 0;
	grove_lock_fencing_token(l, &token, NULL);
	return token;
}
*/
import "C"

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"time"
)

// DefaultRetryInterval is the pause between attempts of Acquire and WithLock when the given
// retry interval is 0.
const DefaultRetryInterval = 50 * time.Millisecond

// Lock is one would-be owner of the distributed lock at key "lock:<name>". Each successful
// acquire gets a fresh random owner token and a fencing token strictly greater than any before
// it for that lock (across owners, expiry and restarts). Release and Extend by anyone but the
// current owner change nothing and return false. Safe for concurrent use, but every goroutine
// using the same *Lock acts as the same owner: give each contender its own (db.Lock again).
// It needs no Close; it never releases the lock by itself (a forgotten lease expires).
type Lock struct {
	ptr  *C.grove_lock
	name string
	err  error // set when the lock could not be made; every method returns it
}

// Lock returns a handle to the lock name whose leases last ttl unless extended; it acquires
// nothing. An invalid name or ttl (<= 0) or a closed store is reported by the methods.
func (db *DB) Lock(name string, ttl time.Duration) *Lock {
	l := &Lock{name: name}
	l.err = db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		np, nn := stringArg(name)
		st := C.grove_lock_new(p, np, nn, C.double(ttl.Seconds()), &l.ptr, &cerr)
		runtime.KeepAlive(name)
		return status(st, cerr)
	})
	if l.ptr != nil {
		runtime.SetFinalizer(l, (*Lock).finalize)
	}
	return l
}

func (l *Lock) finalize() {
	C.grove_lock_free(l.ptr)
	l.ptr = nil
}

func (l *Lock) result(r C.grovego_bool) (bool, error) {
	runtime.KeepAlive(l)
	if r.status != C.GROVE_OK {
		return false, takeError(C.grove_status(r.status), r.err)
	}
	return bool(r.value), nil
}

// TryAcquire makes one attempt and never waits: it takes the lock if it is free or its lease
// expired (or this handle already holds it, which starts a new lease with a new fencing
// token) and reports whether it did.
func (l *Lock) TryAcquire() (bool, error) {
	if l.err != nil {
		return false, l.err
	}
	return l.result(C.grovego_lock_try_acquire(l.ptr))
}

// Acquire tries until it gets the lock or ctx is done, sleeping retryInterval between
// attempts (0: DefaultRetryInterval; negative: ErrInvalidArgument). It always makes at least
// one attempt, so an expired ctx means "try once". It returns false with a nil error when ctx
// ended first (ctx.Err() tells why). The waiting happens in Go: no thread is blocked in C.
func (l *Lock) Acquire(ctx context.Context, retryInterval time.Duration) (bool, error) {
	if l.err != nil {
		return false, l.err
	}
	if retryInterval < 0 {
		return false, errInvalid("retry interval must be >= 0, got %v", retryInterval)
	}
	if retryInterval == 0 {
		retryInterval = DefaultRetryInterval
	}
	var timer *time.Timer
	for {
		got, err := l.TryAcquire()
		if got || err != nil {
			if timer != nil {
				timer.Stop()
			}
			return got, err
		}
		if timer == nil {
			timer = time.NewTimer(retryInterval)
		} else {
			timer.Reset(retryInterval)
		}
		select {
		case <-ctx.Done():
			timer.Stop()
			return false, nil
		case <-timer.C:
		}
	}
}

// AcquireContext waits up to timeout (0: one attempt) to take the lock, as acquire(timeout)
// in the other doors: true when it got it, false with a nil error when the timeout passed. If
// ctx ends first (cancelled, or its deadline passed) it returns false and an error wrapping
// ctx's: errors.Is(err, context.Canceled) or errors.Is(err, context.DeadlineExceeded). An
// already done ctx returns that error at once, without an attempt. A timeout longer than
// ctx's deadline (math.MaxInt64, say) waits until ctx ends; a negative one is
// ErrInvalidArgument.
//
// It waits inside libgrove, in slices of at most 10 ms (a release in this process wakes it at
// once; one by another process within 10 ms, as does a lease that expires), looking at ctx
// between slices, so it returns within about 10 ms of ctx ending and never past its deadline.
// A slice that took the lock wins even if ctx ended during it: the result is true, the handle
// owns the lock and must release it; an error never comes with the lock taken. Meanwhile
// the goroutine occupies an OS thread in C; for thousands of waiters at once, Acquire (which
// polls from Go) costs fewer threads.
func (l *Lock) AcquireContext(ctx context.Context, timeout time.Duration) (bool, error) {
	return waitInSlices(ctx, "Lock.Acquire '"+l.name+"'", timeout, func(slice time.Duration) (bool, error) {
		if l.err != nil {
			return false, l.err
		}
		s := C.double(slice.Seconds())
		return l.result(C.grovego_lock_acquire(l.ptr, s, s))
	})
}

// Release releases the lock if this handle still owns an unexpired lease; it returns false
// and changes nothing otherwise (never acquired, already released, or the lease expired and
// perhaps another owner took it).
func (l *Lock) Release() (bool, error) {
	if l.err != nil {
		return false, l.err
	}
	return l.result(C.grovego_lock_release(l.ptr))
}

// Extend makes the lease end ttl from now if this handle still owns it; false otherwise.
// The fencing token is unchanged. ttl <= 0 is ErrInvalidArgument.
func (l *Lock) Extend(ttl time.Duration) (bool, error) {
	if l.err != nil {
		return false, l.err
	}
	return l.result(C.grovego_lock_extend(l.ptr, C.double(ttl.Seconds())))
}

// Held reports whether this handle owns the lock now (an unexpired lease with its token).
func (l *Lock) Held() (bool, error) {
	if l.err != nil {
		return false, l.err
	}
	return l.result(C.grovego_lock_held(l.ptr))
}

// FencingToken is the fencing token of this handle's latest successful acquire (0 before the
// first, or when the lock could not be made). Pass it to the resource you protect and have it
// reject tokens smaller than one it has seen.
func (l *Lock) FencingToken() uint64 {
	if l.err != nil {
		return 0
	}
	token := uint64(C.grovego_lock_fencing_token(l.ptr))
	runtime.KeepAlive(l)
	return token
}

// WithLock acquires the lock name (leases of ttl), runs fn with the fencing token of this
// acquisition, and releases the lock when fn returns or panics. When ctx ends before the lock
// is acquired it returns an error wrapping ErrLockTimeout and fn does not run. fn's error is
// returned as is; otherwise an error from the release (ErrClosed, …) is. A lease that expired
// while fn ran is not an error: guard your writes with the fencing token.
//
//	err := db.WithLock(ctx, "deploy", 30*time.Second, func(fence uint64) error {
//		return deploy(fence)
//	})
func (db *DB) WithLock(ctx context.Context, name string, ttl time.Duration, fn func(fencingToken uint64) error) (err error) {
	l := db.Lock(name, ttl)
	got, err := l.Acquire(ctx, 0)
	if err != nil {
		return err
	}
	if !got {
		why := "the context ended"
		if ctx.Err() != nil {
			why = ctx.Err().Error()
		}
		return newError(int(C.GROVE_LOCK_TIMEOUT), fmt.Sprintf("could not acquire lock '%s': %s", name, why))
	}
	defer func() {
		if _, rerr := l.Release(); err == nil && rerr != nil {
			err = rerr
		}
	}()
	return fn(l.FencingToken())
}

// WithLockContext is WithLock with the timeout of the other doors' scoped lock: it waits up to
// timeout (0: one attempt) for the lock name (leases of ttl), runs fn with the fencing token of
// this acquisition, and releases the lock when fn returns or panics. When the timeout passes
// first it returns an error wrapping ErrLockTimeout; when ctx ends first (or has already ended)
// an error wrapping ctx's (errors.Is(err, context.Canceled) or context.DeadlineExceeded); fn
// does not run in either case. The wait is Lock.AcquireContext's. fn's error is returned as is;
// otherwise an error from the release is. ctx is not passed to fn: close over it.
//
//	err := db.WithLockContext(ctx, "deploy", 30*time.Second, 5*time.Second, func(fence uint64) error {
//		return deploy(ctx, fence)
//	})
func (db *DB) WithLockContext(ctx context.Context, name string, ttl, timeout time.Duration, fn func(fencingToken uint64) error) (err error) {
	if err := checkCtx(ctx, "DB.WithLock '"+name+"'"); err != nil {
		return err
	}
	l := db.Lock(name, ttl)
	got, err := l.AcquireContext(ctx, timeout)
	if err != nil {
		return err
	}
	if !got {
		return newError(int(C.GROVE_LOCK_TIMEOUT), fmt.Sprintf("could not acquire lock '%s' within %v", name, timeout))
	}
	defer func() {
		if _, rerr := l.Release(); err == nil && rerr != nil {
			err = rerr
		}
	}()
	return fn(l.FencingToken())
}

// LockInfo is what any observer sees of a lock.
type LockInfo struct {
	Held         bool          // some owner holds an unexpired lease now
	FencingToken uint64        // the fencing token of the latest acquisition (0: never acquired)
	ExpiresIn    time.Duration // time left on the current lease when Held, else 0
}

// LockInfo returns the state of the lock name as any observer sees it.
func (db *DB) LockInfo(name string) (LockInfo, error) {
	var info C.grove_lock_info
	err := db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		np, nn := stringArg(name)
		st := C.grove_store_lock_info(p, np, nn, &info, &cerr)
		runtime.KeepAlive(name)
		return status(st, cerr)
	})
	if err != nil {
		return LockInfo{}, err
	}
	out := LockInfo{Held: bool(info.held), FencingToken: uint64(info.fencing_token)}
	if out.Held {
		out.ExpiresIn = secondsToDuration(float64(info.expires_in_secs))
	}
	return out, nil
}

// secondsToDuration converts seconds from libgrove (whole milliseconds) to a Duration.
func secondsToDuration(secs float64) time.Duration {
	if secs <= 0 {
		return 0
	}
	return time.Duration(math.Round(secs*1000)) * time.Millisecond
}
