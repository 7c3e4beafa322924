package grovekv

import (
	"context"
	"fmt"
	"time"
)

// The XContext variants of the calls that return an error and may do I/O (IncrementContext,
// GetContext, …) are generated into context_gen.go from the plain calls; the waiting ones
// (Lock.AcquireContext, DB.WithLockContext, Queue.DequeueWaitContext, DB.FlushContext,
// OpenContext) and the lazy ones (DB.ScanContext, DB.KeysContext) are written by hand.

//go:generate go run ./internal/ctxgen -dir . -out context_gen.go

// waitSlice is the longest a waiting Context call stays inside one uninterruptible call into
// libgrove: it looks at its context at least this often, so it returns within about this
// long after the context ends.
const waitSlice = 10 * time.Millisecond

// ctxDone is ctx's error once ctx is done, and context.DeadlineExceeded as soon as ctx's
// deadline has passed, even before ctx's own timer has fired; nil while ctx is live.
func ctxDone(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// checkCtx is what every Context variant does first, before calling libgrove: a nil ctx is
// ErrInvalidArgument (bad input is an error, never a panic), a done ctx its error wrapped with
// the call's name, so that errors.Is(err, context.Canceled) and
// errors.Is(err, context.DeadlineExceeded) work.
func checkCtx(ctx context.Context, op string) error {
	if ctx == nil {
		return errInvalid("%s: nil context.Context (use context.Background())", op)
	}
	if err := ctxDone(ctx); err != nil {
		return ctxError(op, err)
	}
	return nil
}

// ctxError wraps a context's error for the call op.
func ctxError(op string, err error) error {
	return fmt.Errorf("grovekv: %s: %w", op, err)
}

// waitInSlices waits up to timeout (0: one attempt) for attempt to succeed, until ctx ends,
// whichever comes first. attempt(slice) is one call into libgrove that itself waits at most
// slice (0: try once) and reports whether it got what it waited for. The slices are at most
// waitSlice long and never run past ctx's deadline, so the wait ends within about waitSlice of
// ctx being cancelled, and at its deadline. An attempt that succeeded is returned even if ctx
// ended meanwhile (its result must not be dropped: a lock taken, a job delivered); otherwise an
// ended ctx gives its wrapped error, checked before the timeout, and a passed timeout false.
func waitInSlices(ctx context.Context, op string, timeout time.Duration, attempt func(slice time.Duration) (bool, error)) (bool, error) {
	if err := checkCtx(ctx, op); err != nil {
		return false, err
	}
	if timeout < 0 {
		return false, errInvalid("%s: timeout must be >= 0, got %v", op, timeout)
	}
	// A network call inside an attempt ends by ctx's deadline too.
	defer bindDeadline(ctx)()
	start := time.Now()
	for {
		// timeout - elapsed cannot overflow, however long the timeout (math.MaxInt64 included).
		slice := timeout - time.Since(start)
		if slice > waitSlice {
			slice = waitSlice
		}
		if d, ok := ctx.Deadline(); ok {
			if left := time.Until(d); left < slice {
				slice = left
			}
		}
		if slice < 0 {
			slice = 0
		}
		got, err := attempt(slice)
		if got || err != nil {
			return got, ctxResult(ctx, op, err)
		}
		if err := ctxDone(ctx); err != nil {
			return false, ctxError(op, err)
		}
		if time.Since(start) >= timeout {
			return false, nil
		}
	}
}

// runUntilDone runs f, which cannot be interrupted, and returns its result, or ctx's error
// (wrapped) as soon as ctx ends first; f then goes on in the background and abandon receives
// its result when it returns. A ctx that can never end (context.Background()) runs f directly.
func runUntilDone[T any](ctx context.Context, op string, f func() (T, error), abandon func(T, error)) (T, error) {
	var zero T
	if err := checkCtx(ctx, op); err != nil {
		return zero, err
	}
	if ctx.Done() == nil {
		return f()
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		select {
		case r := <-done: // finished at the same moment: its result wins
			return r.v, r.err
		default:
		}
		go func() {
			r := <-done
			abandon(r.v, r.err)
		}()
		return zero, ctxError(op, ctx.Err())
	}
}
