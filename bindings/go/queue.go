package grovekv

/*
#include "grove.h"
*/
import "C"

import (
	"context"
	"math"
	"runtime"
	"time"
	"unsafe"
)

// Job is a delivered (or dead) job.
type Job struct {
	ID         uint64    // unique in its queue, counting up from 1
	Payload    []byte    // the bytes given to Enqueue
	Attempts   int       // deliveries so far, this one included
	EnqueuedAt time.Time // when Enqueue ran (millisecond precision)
}

// QueueStats counts a queue's jobs by state.
type QueueStats struct {
	Ready    uint64 // waiting for delivery, delayed jobs included
	InFlight uint64 // delivered and neither acked nor nacked (a timed-out job stays here until redelivered)
	Dead     uint64 // on the dead-letter list
}

// Queue is a job queue under keys "queue:<name>:": FIFO among ready jobs; a delivered job is
// invisible until acked, nacked or its visibility timeout passes, and then delivered again
// with Attempts + 1; a job delivered maxAttempts times without an ack moves to the dead-letter
// list. Every state change is one transaction: no job is held by two consumers at once, and
// on a durable store none is lost once Enqueue returned. Safe for concurrent use; it needs no
// Close.
type Queue struct {
	ptr *C.grove_queue
	err error // set when the queue could not be made; every method returns it
}

// Queue returns the queue name (non-empty, without ':') whose delivered jobs stay invisible
// for visibilityTimeout (> 0) and move to the dead-letter list after maxAttempts (>= 1)
// deliveries without an ack. Invalid arguments or a closed store are reported by the methods.
func (db *DB) Queue(name string, visibilityTimeout time.Duration, maxAttempts int) *Queue {
	q := &Queue{}
	// Only what a uint32_t cannot hold is refused here; libgrove checks the rest (>= 1).
	if maxAttempts < 0 || uint64(maxAttempts) > math.MaxUint32 {
		q.err = errInvalid("max attempts must be from 0 to %d to pass to libgrove, got %d", uint32(math.MaxUint32), maxAttempts)
		return q
	}
	q.err = db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		np, nn := stringArg(name)
		st := C.grove_queue_new(p, np, nn, C.double(visibilityTimeout.Seconds()), C.uint32_t(maxAttempts), &q.ptr, &cerr)
		runtime.KeepAlive(name)
		return status(st, cerr)
	})
	if q.ptr != nil {
		runtime.SetFinalizer(q, (*Queue).finalize)
	}
	return q
}

func (q *Queue) finalize() {
	C.grove_queue_free(q.ptr)
	q.ptr = nil
}

// Enqueue adds a job with payload (may be empty), deliverable after delay (0: now; negative
// is ErrInvalidArgument), and returns its id.
func (q *Queue) Enqueue(payload []byte, delay time.Duration) (uint64, error) {
	if q.err != nil {
		return 0, q.err
	}
	var id C.uint64_t
	var cerr *C.grove_error
	pp, pn := bytesArg(payload)
	st := C.grove_queue_enqueue(q.ptr, pp, pn, C.double(delay.Seconds()), &id, &cerr)
	runtime.KeepAlive(payload)
	runtime.KeepAlive(q)
	if st != C.GROVE_OK {
		return 0, takeError(st, cerr)
	}
	return uint64(id), nil
}

// takeJob copies a library-owned job into Go memory and releases its payload.
func takeJob(j *C.grove_job) *Job {
	job := &Job{
		ID:         uint64(j.id),
		Attempts:   int(j.attempts),
		EnqueuedAt: time.UnixMilli(int64(j.enqueued_at_ms)),
	}
	job.Payload = takeBytes(&j.payload)
	C.grove_job_free(j)
	return job
}

// Dequeue delivers the oldest ready job (or one whose visibility timeout passed) without
// waiting; nil, nil when none is ready. Ack it when done, or Nack it to retry.
func (q *Queue) Dequeue() (*Job, error) {
	if q.err != nil {
		return nil, q.err
	}
	var job C.grove_job
	var found C.bool
	var cerr *C.grove_error
	st := C.grove_queue_dequeue(q.ptr, &job, &found, &cerr)
	runtime.KeepAlive(q)
	if st != C.GROVE_OK {
		return nil, takeError(st, cerr)
	}
	if !bool(found) {
		return nil, nil
	}
	return takeJob(&job), nil
}

// DequeueWait is Dequeue that waits for a job until ctx is done, polling with a pause that
// grows from 1ms to 50ms; the waiting happens in Go, never inside C. It always makes at least
// one attempt and returns nil, nil when ctx ended first (ctx.Err() tells why), as Lock.Acquire.
func (q *Queue) DequeueWait(ctx context.Context) (*Job, error) {
	pause := time.Millisecond
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		job, err := q.Dequeue()
		if job != nil || err != nil {
			return job, err
		}
		if ctx.Err() != nil {
			return nil, nil
		}
		if timer == nil {
			timer = time.NewTimer(pause)
		} else {
			timer.Reset(pause)
		}
		select {
		case <-ctx.Done():
			return nil, nil
		case <-timer.C:
		}
		if pause *= 2; pause > 50*time.Millisecond {
			pause = 50 * time.Millisecond
		}
	}
}

// DequeueWaitContext waits up to timeout (0: one attempt) for a job, as dequeue(timeout) in
// the other doors: the job, or nil, nil when the timeout passed. If ctx ends first (cancelled,
// or its deadline passed) it returns nil and an error wrapping ctx's:
// errors.Is(err, context.Canceled) or errors.Is(err, context.DeadlineExceeded). An already
// done ctx returns that error at once, without an attempt. A timeout longer than ctx's deadline
// (math.MaxInt64, say) waits until ctx ends; a negative one is ErrInvalidArgument.
//
// It waits inside libgrove, in slices of at most 10 ms (an enqueue in this process wakes it at
// once, one by another process within 10 ms), looking at ctx between slices, so it returns
// within about 10 ms of ctx ending and never past its deadline. No job is lost to a
// cancellation: a job delivered by a slice during which ctx ended is returned (with a nil
// error), and an error never comes with a job taken. Meanwhile the goroutine occupies an OS
// thread in C; for thousands of waiting consumers at once, DequeueWait (which polls from Go)
// costs fewer threads.
func (q *Queue) DequeueWaitContext(ctx context.Context, timeout time.Duration) (*Job, error) {
	var job *Job
	_, err := waitInSlices(ctx, "Queue.DequeueWait", timeout, func(slice time.Duration) (bool, error) {
		if q.err != nil {
			return false, q.err
		}
		var cjob C.grove_job
		var found C.bool
		var cerr *C.grove_error
		st := C.grove_queue_dequeue_wait(q.ptr, C.double(slice.Seconds()), &cjob, &found, &cerr)
		runtime.KeepAlive(q)
		if st != C.GROVE_OK {
			return false, takeError(st, cerr)
		}
		if !bool(found) {
			return false, nil
		}
		job = takeJob(&cjob)
		return true, nil
	})
	return job, err
}

// boolOp runs a C call of the shape f(queue, *bool, **err).
func (q *Queue) boolOp(f func(*C.grove_queue, *C.bool, **C.grove_error) C.grove_status) (bool, error) {
	if q.err != nil {
		return false, q.err
	}
	var out C.bool
	var cerr *C.grove_error
	st := f(q.ptr, &out, &cerr)
	runtime.KeepAlive(q)
	return bool(out), status(st, cerr)
}

// Ack marks the in-flight job id done and removes it; false (nothing changed) when it is not
// in flight: unknown, already acked, nacked or dead.
func (q *Queue) Ack(id uint64) (bool, error) {
	return q.boolOp(func(p *C.grove_queue, out *C.bool, e **C.grove_error) C.grove_status {
		return C.grove_queue_ack(p, C.uint64_t(id), out, e)
	})
}

// Nack gives the in-flight job id back, deliverable again after delay (its attempts are kept,
// so it counts towards maxAttempts); false (nothing changed) when it is not in flight.
func (q *Queue) Nack(id uint64, delay time.Duration) (bool, error) {
	return q.boolOp(func(p *C.grove_queue, out *C.bool, e **C.grove_error) C.grove_status {
		return C.grove_queue_nack(p, C.uint64_t(id), C.double(delay.Seconds()), out, e)
	})
}

// Stats counts the queue's jobs by state.
func (q *Queue) Stats() (QueueStats, error) {
	if q.err != nil {
		return QueueStats{}, q.err
	}
	var c C.grove_queue_counts
	var cerr *C.grove_error
	st := C.grove_queue_stats(q.ptr, &c, &cerr)
	runtime.KeepAlive(q)
	if st != C.GROVE_OK {
		return QueueStats{}, takeError(st, cerr)
	}
	return QueueStats{Ready: uint64(c.ready), InFlight: uint64(c.in_flight), Dead: uint64(c.dead)}, nil
}

// DeadLetters returns the jobs on the dead-letter list, oldest id first.
func (q *Queue) DeadLetters() ([]Job, error) {
	if q.err != nil {
		return nil, q.err
	}
	var list C.grove_job_list
	var cerr *C.grove_error
	st := C.grove_queue_dead_letters(q.ptr, &list, &cerr)
	runtime.KeepAlive(q)
	if st != C.GROVE_OK {
		return nil, takeError(st, cerr)
	}
	out := []Job{}
	if list.ptr != nil && list.len > 0 {
		for _, j := range unsafe.Slice(list.ptr, int(list.len)) {
			payload := []byte{}
			if j.payload.ptr != nil {
				payload = C.GoBytes(unsafe.Pointer(j.payload.ptr), C.int(j.payload.len))
			}
			out = append(out, Job{
				ID:         uint64(j.id),
				Payload:    payload,
				Attempts:   int(j.attempts),
				EnqueuedAt: time.UnixMilli(int64(j.enqueued_at_ms)),
			})
		}
	}
	C.grove_job_list_free(&list)
	return out, nil
}
