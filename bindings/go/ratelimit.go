package grovekv

/*
#include "grove.h"

// Wrappers that return results by value: no Go pointer crosses into C.
typedef struct {
	int32_t status;
	grove_ratelimit_decision d;
	grove_error *err;
} grovego_decision;

static grovego_decision grovego_ratelimiter_allow(const grove_ratelimiter *rl, const uint8_t *key, size_t key_len, uint64_t cost) {
	grovego_decision r = {0, {false, 0, 0.0, 0.0}, NULL};
	r.status = grove_ratelimiter_allow(rl, key, key_len, cost, &r.d, &r.err);
	return r;
}

static grovego_decision grovego_ratelimiter_peek(const grove_ratelimiter *rl, const uint8_t *key, size_t key_len) {
	grovego_decision r = {0, {false, 0, 0.0, 0.0}, NULL};
	r.status = grove_ratelimiter_peek(rl, key, key_len, &r.d, &r.err);
	return r;
}
*/
import "C"

import (
	"runtime"
	"time"
)

// Decision is the outcome of RateLimiter.Allow or Peek.
type Decision struct {
	Allowed    bool          // admitted (for Peek: a cost-1 request would be)
	Remaining  uint64        // cost that could still be admitted right now
	ResetAfter time.Duration // until everything admitted so far has left the window
	RetryAfter time.Duration // when refused: until this request's cost would fit; 0 when allowed
}

// RateLimiter is a true sliding-window limiter: at most limit summed cost per key inside any
// window-long interval, atomically across goroutines and handles (state at
// "ratelimit:<name>:<key>"). Safe for concurrent use; it needs no Close.
type RateLimiter struct {
	ptr *C.grove_ratelimiter
	err error // set when the limiter could not be made; every method returns it
}

// RateLimiter returns the limiter name admitting limit (>= 1) summed cost per sliding window
// (>= 1ms), with its state at ratelimit:<name>:<key>. The name may not contain ':' and must
// leave room for a key in the key limit. Invalid arguments or a closed store are reported by
// the methods.
func (db *DB) RateLimiter(name string, limit uint64, window time.Duration) *RateLimiter {
	rl := &RateLimiter{}
	rl.err = db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		np, nn := stringArg(name)
		st := C.grove_ratelimiter_new(p, np, nn, C.uint64_t(limit), C.double(window.Seconds()), &rl.ptr, &cerr)
		runtime.KeepAlive(name)
		return status(st, cerr)
	})
	if rl.ptr != nil {
		runtime.SetFinalizer(rl, (*RateLimiter).finalize)
	}
	return rl
}

func (rl *RateLimiter) finalize() {
	C.grove_ratelimiter_free(rl.ptr)
	rl.ptr = nil
}

func (rl *RateLimiter) result(r C.grovego_decision) (Decision, error) {
	runtime.KeepAlive(rl)
	if r.status != C.GROVE_OK {
		return Decision{}, takeError(C.grove_status(r.status), r.err)
	}
	return Decision{
		Allowed:    bool(r.d.allowed),
		Remaining:  uint64(r.d.remaining),
		ResetAfter: secondsToDuration(float64(r.d.reset_after_secs)),
		RetryAfter: secondsToDuration(float64(r.d.retry_after_secs)),
	}, nil
}

// Allow admits cost for key if it fits in the sliding window, and records it if so,
// atomically. Refused is not an error: see Decision.Allowed. Cost 0 only reports; a cost
// above the limit (it could never fit) is ErrInvalidArgument.
func (rl *RateLimiter) Allow(key string, cost uint64) (Decision, error) {
	if rl.err != nil {
		return Decision{}, rl.err
	}
	kp, kn := stringArg(key)
	r := C.grovego_ratelimiter_allow(rl.ptr, kp, kn, C.uint64_t(cost))
	runtime.KeepAlive(key)
	return rl.result(r)
}

// Peek returns what a cost-1 request for key would get now, recording nothing.
func (rl *RateLimiter) Peek(key string) (Decision, error) {
	if rl.err != nil {
		return Decision{}, rl.err
	}
	kp, kn := stringArg(key)
	r := C.grovego_ratelimiter_peek(rl.ptr, kp, kn)
	runtime.KeepAlive(key)
	return rl.result(r)
}

// Reset forgets everything admitted for key; it reports whether there was state.
func (rl *RateLimiter) Reset(key string) (bool, error) {
	if rl.err != nil {
		return false, rl.err
	}
	var existed C.bool
	var cerr *C.grove_error
	kp, kn := stringArg(key)
	st := C.grove_ratelimiter_reset(rl.ptr, kp, kn, &existed, &cerr)
	runtime.KeepAlive(key)
	runtime.KeepAlive(rl)
	return bool(existed), status(st, cerr)
}
