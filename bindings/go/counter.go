package grovekv

/*
#include "grove.h"

// Wrappers that return results by value: no Go pointer crosses into C, so the hot paths
// allocate nothing on the Go side.
typedef struct {
	int32_t status;
	int64_t value;
	grove_error *err;
} grovego_i64;

static grovego_i64 grovego_counter_increment(const grove_counter *c, int64_t delta) {
	grovego_i64 r = {0, 0, NULL};
	r.status = grove_counter_increment(c, delta, &r.value, &r.err);
	return r;
}

static grovego_i64 grovego_counter_decrement(const grove_counter *c, int64_t delta) {
	grovego_i64 r = {0, 0, NULL};
	r.status = grove_counter_decrement(c, delta, &r.value, &r.err);
	return r;
}

static grovego_i64 grovego_counter_get(const grove_counter *c) {
	grovego_i64 r = {0, 0, NULL};
	r.status = grove_counter_get(c, &r.value, &r.err);
	return r;
}

typedef struct {
	int32_t status;
	int64_t value;
	bool applied;
	grove_error *err;
} grovego_try;

static grovego_try grovego_counter_try_decrement(const grove_counter *c, int64_t delta, int64_t floor) {
	grovego_try r = {0, 0, false, NULL};
	r.status = grove_counter_try_decrement(c, delta, floor, &r.value, &r.applied, &r.err);
	return r;
}

static grovego_try grovego_counter_try_increment(const grove_counter *c, int64_t delta, int64_t cap) {
	grovego_try r = {0, 0, false, NULL};
	r.status = grove_counter_try_increment(c, delta, cap, &r.value, &r.applied, &r.err);
	return r;
}
*/
import "C"

import "runtime"

// Counter is an atomic signed 64-bit counter stored at key "counter:<name>"; overflow is
// ErrOverflow, never a wrap. Safe for concurrent use; it needs no Close (it is released by
// the garbage collector) and fails with ErrClosed once its store is closed.
type Counter struct {
	ptr *C.grove_counter
	err error // set when the counter could not be made; every method returns it
}

// Counter returns the atomic counter named name (0 until first written). An invalid name or a
// closed store is reported by the counter's methods, so calls chain:
// db.Counter("visitors").Increment(1).
func (db *DB) Counter(name string) *Counter {
	c := &Counter{}
	c.err = db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		np, nn := stringArg(name)
		st := C.grove_counter_new(p, np, nn, &c.ptr, &cerr)
		runtime.KeepAlive(name)
		return status(st, cerr)
	})
	if c.ptr != nil {
		runtime.SetFinalizer(c, (*Counter).finalize)
	}
	return c
}

func (c *Counter) finalize() {
	C.grove_counter_free(c.ptr)
	c.ptr = nil
}

func (c *Counter) result(r C.grovego_i64) (int64, error) {
	runtime.KeepAlive(c)
	if r.status != C.GROVE_OK {
		return 0, takeError(C.grove_status(r.status), r.err)
	}
	return int64(r.value), nil
}

// Increment adds delta (may be negative) atomically and returns the new value.
func (c *Counter) Increment(delta int64) (int64, error) {
	if c.err != nil {
		return 0, c.err
	}
	return c.result(C.grovego_counter_increment(c.ptr, C.int64_t(delta)))
}

// Decrement subtracts delta atomically and returns the new value.
func (c *Counter) Decrement(delta int64) (int64, error) {
	if c.err != nil {
		return 0, c.err
	}
	return c.result(C.grovego_counter_decrement(c.ptr, C.int64_t(delta)))
}

func (c *Counter) tryResult(r C.grovego_try) (int64, bool, error) {
	runtime.KeepAlive(c)
	if r.status != C.GROVE_OK {
		return 0, false, takeError(C.grove_status(r.status), r.err)
	}
	if !bool(r.applied) {
		return 0, false, nil
	}
	return int64(r.value), true, nil
}

// TryDecrement subtracts delta (>= 0, else ErrInvalidArgument) only if the result stays at or
// above floor, in one atomic step: the new value and true, or 0 and false (nothing changed)
// when it would go below. Racing buyers of the last items never oversell.
func (c *Counter) TryDecrement(delta, floor int64) (int64, bool, error) {
	if c.err != nil {
		return 0, false, c.err
	}
	return c.tryResult(C.grovego_counter_try_decrement(c.ptr, C.int64_t(delta), C.int64_t(floor)))
}

// TryIncrement adds delta (>= 0, else ErrInvalidArgument) only if the result stays at or below
// limit, in one atomic step: the new value and true, or 0 and false (nothing changed).
func (c *Counter) TryIncrement(delta, limit int64) (int64, bool, error) {
	if c.err != nil {
		return 0, false, c.err
	}
	return c.tryResult(C.grovego_counter_try_increment(c.ptr, C.int64_t(delta), C.int64_t(limit)))
}

// Get returns the current value (0 when unset).
func (c *Counter) Get() (int64, error) {
	if c.err != nil {
		return 0, c.err
	}
	return c.result(C.grovego_counter_get(c.ptr))
}

// Set sets the value (clearing any expiry).
func (c *Counter) Set(value int64) error {
	if c.err != nil {
		return c.err
	}
	var cerr *C.grove_error
	st := C.grove_counter_set(c.ptr, C.int64_t(value), &cerr)
	runtime.KeepAlive(c)
	return status(st, cerr)
}

// Reset sets the value to 0.
func (c *Counter) Reset() error {
	if c.err != nil {
		return c.err
	}
	var cerr *C.grove_error
	st := C.grove_counter_reset(c.ptr, &cerr)
	runtime.KeepAlive(c)
	return status(st, cerr)
}
