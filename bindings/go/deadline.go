package grovekv

/*
#include "grove.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"
)

// bindDeadline hands ctx's deadline, if it has one, to libgrove for the calls this goroutine
// makes until the returned func runs: a call to a Redis server that has not answered by then
// fails (libgrove keeps the deadline per OS thread, so the goroutine stays on its thread
// meanwhile). Without a deadline it does nothing: a cancel alone cannot reach a call already
// inside libgrove, which then ends within the store's reply timeout.
func bindDeadline(ctx context.Context) func() {
	d, ok := ctx.Deadline()
	if !ok {
		return func() {}
	}
	left := time.Until(d)
	if left < 0 {
		left = 0
	}
	// Whole milliseconds, rounded up: a deadline is never moved earlier.
	ms := (left + time.Millisecond - 1) / time.Millisecond
	runtime.LockOSThread()
	C.grove_thread_set_deadline(C.uint64_t(ms))
	return func() {
		C.grove_thread_clear_deadline()
		runtime.UnlockOSThread()
	}
}

// ctxResult is err from the call op made under ctx: when ctx ended meanwhile, err is also
// ctx's error (errors.Is(err, context.DeadlineExceeded) and errors.Is(err, ErrIo) both hold).
func ctxResult(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctxDone(ctx); cerr != nil {
		return &ctxEndedError{op: op, ctx: cerr, err: err}
	}
	return err
}

// ctxEndedError is a call's error that came as its context ended: it is both (Go 1.19 has no
// multi-%w, so Is does the second).
type ctxEndedError struct {
	op       string
	ctx, err error
}

func (e *ctxEndedError) Error() string {
	return fmt.Sprintf("grovekv: %s: %v: %v", e.op, e.ctx, e.err)
}

// Unwrap gives the context's error.
func (e *ctxEndedError) Unwrap() error { return e.ctx }

// Is matches what the call's own error matches (ErrIo, ...).
func (e *ctxEndedError) Is(target error) bool { return errors.Is(e.err, target) }
