package grovekv_test

// The Context variants: waiting calls end promptly when their context ends, never leave a lock
// taken or a job delivered behind an error, and with a live context behave as the plain call;
// every Context variant refuses a done context before touching the store.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	grovekv "github.com/grovekv/grove/bindings/go"
)

// promptly is how soon after its context ends a waiting call must return.
const promptly = 50 * time.Millisecond

// longWait is a timeout longer than any context these tests end: a wait that ignored its
// context fails the test after it instead of hanging it.
const longWait = 10 * time.Second

// ctxEngines opens a fresh store of each engine that waits differently: memory (one process,
// woken by this process's releases) and lmdb (shared, polled every 10 ms).
func ctxEngines(t *testing.T, run func(t *testing.T, db *grovekv.DB)) {
	for _, engine := range []string{"memory", "lmdb"} {
		engine := engine
		t.Run(engine, func(t *testing.T) {
			target := "memory:"
			if engine == "lmdb" {
				target = "lmdb:" + filepath.Join(t.TempDir(), "store")
			}
			db, err := grovekv.Open(target)
			must(t, err)
			t.Cleanup(func() { _ = db.Close() })
			run(t, db)
		})
	}
}

// waitResult is what a call started in the background returned, and when.
type waitResult struct {
	got  bool
	job  *grovekv.Job
	err  error
	done time.Time
}

// await returns r, failing the test if the call has not returned within limit.
func await(t *testing.T, ch <-chan waitResult, limit time.Duration, what string) waitResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(limit):
		t.Fatalf("%s: still waiting after %v", what, limit)
		return waitResult{}
	}
}

func TestAcquireContextCancelDuringWait(t *testing.T) {
	ctxEngines(t, func(t *testing.T, db *grovekv.DB) {
		holder := db.Lock("deploy", time.Minute)
		last := uint64(0)
		for round := 0; round < 5; round++ {
			got, err := holder.TryAcquire()
			mustBool(t, got, err, true, "holder")
			if holder.FencingToken() <= last {
				t.Fatalf("round %d: holder token %d after %d", round, holder.FencingToken(), last)
			}
			last = holder.FencingToken()

			waiter := db.Lock("deploy", time.Minute)
			ctx, cancel := context.WithCancel(context.Background())
			ch := make(chan waitResult, 1)
			go func() {
				got, err := waiter.AcquireContext(ctx, longWait)
				ch <- waitResult{got: got, err: err, done: time.Now()}
			}()
			time.Sleep(time.Duration(5+round*7) * time.Millisecond) // inside a slice, or between two
			cancelled := time.Now()
			cancel()
			r := await(t, ch, 5*time.Second, "AcquireContext after cancel")
			if r.got || !errors.Is(r.err, context.Canceled) || errors.Is(r.err, context.DeadlineExceeded) {
				t.Fatalf("round %d: got %v, err %v; want false, context.Canceled", round, r.got, r.err)
			}
			if !strings.Contains(r.err.Error(), "deploy") {
				t.Errorf("error %q does not name the lock", r.err)
			}
			took := r.done.Sub(cancelled)
			if took > promptly {
				t.Fatalf("round %d: returned %v after cancel, want <= %v", round, took, promptly)
			}
			t.Logf("round %d: returned %v after cancel", round, took)
			// The canceller owns nothing.
			held, err := waiter.Held()
			mustBool(t, held, err, false, "waiter.Held after cancel")
			if waiter.FencingToken() != 0 {
				t.Fatalf("waiter has a fencing token %d", waiter.FencingToken())
			}
			info, err := db.LockInfo("deploy")
			must(t, err)
			if !info.Held || info.FencingToken != last {
				t.Fatalf("round %d: lock info %+v, want held with token %d", round, info, last)
			}
			// Once the holder releases, a third handle takes it at once, with a greater token.
			got, err = holder.Release()
			mustBool(t, got, err, true, "holder.Release")
			third := db.Lock("deploy", time.Minute)
			got, err = third.TryAcquire()
			mustBool(t, got, err, true, "third.TryAcquire right after the release")
			if third.FencingToken() <= last {
				t.Fatalf("round %d: third token %d <= %d", round, third.FencingToken(), last)
			}
			last = third.FencingToken()
			got, err = third.Release()
			mustBool(t, got, err, true, "third.Release")
		}
	})
}

func TestAcquireContextDeadline(t *testing.T) {
	ctxEngines(t, func(t *testing.T, db *grovekv.DB) {
		holder := db.Lock("deploy", time.Minute)
		got, err := holder.TryAcquire()
		mustBool(t, got, err, true, "holder")
		waiter := db.Lock("deploy", time.Minute)
		const limit = 60 * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		defer cancel()
		deadline, _ := ctx.Deadline()
		got, err = waiter.AcquireContext(ctx, longWait)
		returned := time.Now()
		if got || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, err %v; want false, context.DeadlineExceeded", got, err)
		}
		if returned.Before(deadline) || returned.Sub(deadline) > promptly {
			t.Fatalf("returned %v after the deadline, want 0..%v", returned.Sub(deadline), promptly)
		}
		// The timeout, when shorter, is a plain false.
		start := time.Now()
		got, err = waiter.AcquireContext(context.Background(), 30*time.Millisecond)
		mustBool(t, got, err, false, "AcquireContext past its timeout")
		if waited := time.Since(start); waited < 30*time.Millisecond || waited > time.Second {
			t.Fatalf("waited %v for a 30ms timeout", waited)
		}
		// A timeout of 0 is one attempt; math.MaxInt64 waits until ctx ends.
		start = time.Now()
		got, err = waiter.AcquireContext(context.Background(), 0)
		mustBool(t, got, err, false, "AcquireContext with timeout 0")
		if waited := time.Since(start); waited > time.Second {
			t.Fatalf("one attempt took %v", waited)
		}
		ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel2()
		ch := make(chan waitResult, 1)
		go func() {
			got, err := waiter.AcquireContext(ctx2, math.MaxInt64)
			ch <- waitResult{got: got, err: err}
		}()
		if r := await(t, ch, 5*time.Second, "AcquireContext(MaxInt64)"); r.got || !errors.Is(r.err, context.DeadlineExceeded) {
			t.Fatalf("MaxInt64 timeout: got %v, err %v", r.got, r.err)
		}
		_, err = waiter.AcquireContext(context.Background(), -time.Second)
		wantErr(t, err, grovekv.ErrInvalidArgument)
		held, err := waiter.Held()
		mustBool(t, held, err, false, "waiter.Held")
	})
}

func TestAcquireContextWaitsForRelease(t *testing.T) {
	ctxEngines(t, func(t *testing.T, db *grovekv.DB) {
		holder := db.Lock("deploy", time.Minute)
		got, err := holder.TryAcquire()
		mustBool(t, got, err, true, "holder")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		go func() {
			time.Sleep(30 * time.Millisecond)
			_, _ = holder.Release()
		}()
		waiter := db.Lock("deploy", time.Minute)
		got, err = waiter.AcquireContext(ctx, 5*time.Second)
		mustBool(t, got, err, true, "AcquireContext after the release")
		if waiter.FencingToken() <= holder.FencingToken() {
			t.Fatalf("waiter token %d <= holder token %d", waiter.FencingToken(), holder.FencingToken())
		}
		// A lease that expires is taken too (no release rings then).
		short := db.Lock("lease", 40*time.Millisecond)
		got, err = short.TryAcquire()
		mustBool(t, got, err, true, "short lease")
		next := db.Lock("lease", time.Minute)
		got, err = next.AcquireContext(ctx, 5*time.Second)
		mustBool(t, got, err, true, "AcquireContext after the lease expired")
	})
}

// Releases and cancellations land at about the same moment, many times: whatever the
// outcome, an error never comes with the lock taken, and a true always does.
func TestAcquireContextCancelRacesRelease(t *testing.T) {
	db := mem(t)
	for round := 0; round < 40; round++ {
		holder := db.Lock("race", time.Minute)
		got, err := holder.TryAcquire()
		mustBool(t, got, err, true, "holder")
		waiter := db.Lock("race", time.Minute)
		ctx, cancel := context.WithCancel(context.Background())
		ch := make(chan waitResult, 1)
		go func() {
			got, err := waiter.AcquireContext(ctx, longWait)
			ch <- waitResult{got: got, err: err}
		}()
		time.Sleep(2 * time.Millisecond)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); _, _ = holder.Release() }()
		go func() { defer wg.Done(); cancel() }()
		wg.Wait()
		r := await(t, ch, 5*time.Second, "AcquireContext")
		held, herr := waiter.Held()
		must(t, herr)
		switch {
		case r.err == nil && r.got:
			if !held || waiter.FencingToken() <= holder.FencingToken() {
				t.Fatalf("round %d: true but held=%v token %d (holder %d)", round, held, waiter.FencingToken(), holder.FencingToken())
			}
			_, err = waiter.Release()
			must(t, err)
		case errors.Is(r.err, context.Canceled) && !r.got:
			if held {
				t.Fatalf("round %d: cancelled, yet the waiter holds the lock", round)
			}
		default:
			t.Fatalf("round %d: got %v, err %v", round, r.got, r.err)
		}
		if info, err := db.LockInfo("race"); err != nil || info.Held {
			t.Fatalf("round %d: lock left %+v (%v)", round, info, err)
		}
	}
}

func TestWithLockContext(t *testing.T) {
	db := mem(t)
	var fence uint64
	err := db.WithLockContext(context.Background(), "scoped", time.Minute, time.Second, func(f uint64) error {
		fence = f
		return nil
	})
	must(t, err)
	if fence == 0 {
		t.Fatal("no fencing token")
	}
	holder := db.Lock("scoped", time.Minute)
	got, err := holder.TryAcquire()
	mustBool(t, got, err, true, "released after fn")
	ran := false
	fn := func(uint64) error { ran = true; return nil }
	// The timeout: ErrLockTimeout.
	err = db.WithLockContext(context.Background(), "scoped", time.Minute, 20*time.Millisecond, fn)
	wantErr(t, err, grovekv.ErrLockTimeout)
	// ctx's end: its error, not ErrLockTimeout.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err = db.WithLockContext(ctx, "scoped", time.Minute, longWait, fn)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, grovekv.ErrLockTimeout) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
	cancelled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	_, err = holder.Release()
	must(t, err)
	err = db.WithLockContext(cancelled, "scoped", time.Minute, longWait, fn) // free, but ctx is done
	wantErr(t, err, context.Canceled)
	if ran {
		t.Fatal("fn ran without the lock")
	}
	if info, err := db.LockInfo("scoped"); err != nil || info.Held || info.FencingToken != holder.FencingToken() {
		t.Fatalf("lock info %+v (%v), want free with token %d", info, err, holder.FencingToken())
	}
	// fn's error comes back, and the lock is released after a panic too.
	boom := errors.New("boom")
	err = db.WithLockContext(context.Background(), "scoped", time.Minute, 0, func(uint64) error { return boom })
	wantErr(t, err, boom)
	func() {
		defer func() { _ = recover() }()
		_ = db.WithLockContext(context.Background(), "scoped", time.Minute, 0, func(uint64) error { panic("fn") })
	}()
	if info, err := db.LockInfo("scoped"); err != nil || info.Held {
		t.Fatalf("lock left %+v (%v)", info, err)
	}
}

func TestDequeueWaitContextDeadlineLosesNoJob(t *testing.T) {
	ctxEngines(t, func(t *testing.T, db *grovekv.DB) {
		q := db.Queue("work", time.Minute, 5)
		const limit = 60 * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		defer cancel()
		deadline, _ := ctx.Deadline()
		job, err := q.DequeueWaitContext(ctx, longWait)
		returned := time.Now()
		if job != nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("job %+v, err %v; want nil, context.DeadlineExceeded", job, err)
		}
		if returned.Before(deadline) || returned.Sub(deadline) > promptly {
			t.Fatalf("returned %v after the deadline, want 0..%v", returned.Sub(deadline), promptly)
		}
		// The job enqueued afterwards goes to the next dequeue, as its first delivery.
		id, err := q.Enqueue([]byte("after"), 0)
		must(t, err)
		job, err = q.Dequeue()
		must(t, err)
		if job == nil || job.ID != id || string(job.Payload) != "after" || job.Attempts != 1 {
			t.Fatalf("next dequeue gave %+v, want job %d on its first attempt", job, id)
		}
		wantStats(t, q, 0, 1, 0)

		// Cancelled while waiting: context.Canceled promptly, and again nothing is taken.
		wctx, wcancel := context.WithCancel(context.Background())
		ch := make(chan waitResult, 1)
		go func() {
			job, err := q.DequeueWaitContext(wctx, longWait)
			ch <- waitResult{job: job, err: err, done: time.Now()}
		}()
		time.Sleep(25 * time.Millisecond)
		cancelled := time.Now()
		wcancel()
		r := await(t, ch, 5*time.Second, "DequeueWaitContext after cancel")
		if r.job != nil || !errors.Is(r.err, context.Canceled) {
			t.Fatalf("job %+v, err %v; want nil, context.Canceled", r.job, r.err)
		}
		if took := r.done.Sub(cancelled); took > promptly {
			t.Fatalf("returned %v after cancel, want <= %v", took, promptly)
		}
		id, err = q.Enqueue([]byte("later"), 0)
		must(t, err)
		job, err = q.DequeueWaitContext(context.Background(), time.Second)
		must(t, err)
		if job == nil || job.ID != id || job.Attempts != 1 {
			t.Fatalf("next dequeue gave %+v, want job %d on its first attempt", job, id)
		}
		wantStats(t, q, 0, 2, 0)
	})
}

// Enqueues land around the consumer's deadline, many times: each job is delivered exactly
// once, on its first attempt, either by the wait that timed out around it or by the next one.
func TestDequeueWaitContextDeadlineRacesEnqueue(t *testing.T) {
	db := mem(t)
	q := db.Queue("race", time.Minute, 5)
	const rounds = 40
	seen := map[uint64]bool{}
	for round := 0; round < rounds; round++ {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Millisecond)
		enqueued := make(chan uint64, 1)
		go func() {
			time.Sleep(time.Duration(round%6) * time.Millisecond)
			id, err := q.Enqueue([]byte(fmt.Sprint(round)), 0)
			if err != nil {
				t.Error(err)
			}
			enqueued <- id
		}()
		job, err := q.DequeueWaitContext(ctx, longWait)
		cancel()
		id := <-enqueued
		if err != nil {
			if job != nil || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("round %d: job %+v, err %v", round, job, err)
			}
			job, err = q.DequeueWaitContext(context.Background(), 5*time.Second)
			must(t, err)
		}
		if job == nil || job.ID != id || job.Attempts != 1 || seen[job.ID] {
			t.Fatalf("round %d: got %+v, want job %d once, first attempt", round, job, id)
		}
		seen[job.ID] = true
		got, err := q.Ack(job.ID)
		mustBool(t, got, err, true, "ack")
	}
	wantStats(t, q, 0, 0, 0)
}

func TestDequeueWaitContextTimeoutAndErrors(t *testing.T) {
	db := mem(t)
	q := db.Queue("t", time.Minute, 5)
	start := time.Now()
	job, err := q.DequeueWaitContext(context.Background(), 30*time.Millisecond)
	if job != nil || err != nil {
		t.Fatalf("job %+v, err %v; want nil, nil at the timeout", job, err)
	}
	if waited := time.Since(start); waited < 30*time.Millisecond || waited > time.Second {
		t.Fatalf("waited %v for a 30ms timeout", waited)
	}
	// A job enqueued during the wait wakes it.
	go func() {
		time.Sleep(20 * time.Millisecond)
		_, _ = q.Enqueue([]byte("x"), 0)
	}()
	job, err = q.DequeueWaitContext(context.Background(), 5*time.Second)
	must(t, err)
	if job == nil || string(job.Payload) != "x" {
		t.Fatalf("%+v", job)
	}
	_, err = q.DequeueWaitContext(context.Background(), -time.Second)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = db.Queue("bad:name", time.Second, 1).DequeueWaitContext(context.Background(), time.Second)
	wantErr(t, err, grovekv.ErrInvalidArgument)
}

func TestOpenAndFlushContext(t *testing.T) {
	dir := t.TempDir()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	db, err := grovekv.OpenContext(cancelled, filepath.Join(dir, "never"))
	if db != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("db %v, err %v", db, err)
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, "*")); len(matches) != 0 {
		t.Fatalf("a done context still created %v", matches)
	}
	live, cancelLive := context.WithTimeout(context.Background(), time.Minute)
	defer cancelLive()
	db, err = grovekv.OpenContext(live, filepath.Join(dir, "store"))
	must(t, err)
	defer db.Close()
	must(t, db.Set("k", []byte("v")))
	must(t, db.FlushContext(live))
	must(t, db.FlushContext(context.Background()))
	wantErr(t, db.FlushContext(cancelled), context.Canceled)
	_, err = grovekv.OpenContext(live, "foo://x")
	wantErr(t, err, grovekv.ErrInvalidArgument)
	// Reopening the same path in this process shares the engine, through OpenContext too.
	again, err := grovekv.OpenContext(live, filepath.Join(dir, "store"))
	must(t, err)
	v, err := again.Get("k")
	must(t, err)
	if string(v) != "v" {
		t.Fatalf("%q", v)
	}
	must(t, again.Close())
	must(t, db.Close())
	wantErr(t, db.FlushContext(live), grovekv.ErrClosed)
}

func TestScanContext(t *testing.T) {
	db := mem(t)
	for i := 0; i < 5; i++ {
		must(t, db.Set(fmt.Sprint("k", i), nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	it := db.ScanContext(ctx, "k")
	var keys []string
	for it.Next() {
		keys = append(keys, it.Key())
		if len(keys) == 2 {
			cancel()
		}
	}
	wantErr(t, it.Err(), context.Canceled)
	must(t, it.Close())
	if len(keys) != 2 {
		t.Fatalf("read %v after the cancel", keys)
	}
	keys, err := db.KeysContext(context.Background(), "k")
	must(t, err)
	if len(keys) != 5 {
		t.Fatalf("%v", keys)
	}
	_, err = db.KeysContext(ctx, "k")
	wantErr(t, err, context.Canceled)
}

// ---------------------------------------------------------------- every Context variant

// ctxHandles makes one handle of each kind on db, by name.
func ctxHandles(db *grovekv.DB) map[string]interface{} {
	return map[string]interface{}{
		"DB":           db,
		"Counter":      db.Counter("c"),
		"Lock":         db.Lock("l", time.Minute),
		"RateLimiter":  db.RateLimiter("rl", 5, time.Minute),
		"Sessions":     db.Sessions(time.Minute, "sess"),
		"Leaderboard":  db.Leaderboard("lb"),
		"Queue":        db.Queue("q", time.Minute, 3),
		"CRDTCounter":  db.CRDTCounter("cc"),
		"CRDTRegister": db.CRDTRegister("cr"),
		"CRDTSet":      db.CRDTSet("cs"),
		"CRDTMap":      db.CRDTMap("cm"),
	}
}

// handWritten are the Context variants whose plain call differs (a timeout, no error result);
// the tests above cover them. Every other XContext must be X with a context first.
var handWritten = map[string]bool{
	"Lock.AcquireContext":      true,
	"DB.WithLockContext":       true,
	"Queue.DequeueWaitContext": true,
	"DB.ScanContext":           true,
}

// ctxArg makes an argument of type t for method: the same value for the same call every time.
func ctxArg(t reflect.Type, other *grovekv.DB) reflect.Value {
	switch t {
	case reflect.TypeOf(""):
		return reflect.ValueOf("k")
	case reflect.TypeOf([]byte(nil)):
		return reflect.ValueOf([]byte("v"))
	case reflect.TypeOf(time.Duration(0)):
		return reflect.ValueOf(time.Minute)
	case reflect.TypeOf([]string(nil)):
		return reflect.ValueOf([]string{"k", "c"})
	case reflect.TypeOf(map[string][]byte(nil)):
		return reflect.ValueOf(map[string][]byte{"k": []byte("v2"), "m": []byte("v3")})
	case reflect.TypeOf((*grovekv.DB)(nil)):
		return reflect.ValueOf(other)
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return reflect.ValueOf(int64(3)).Convert(t)
	case reflect.Uint64:
		return reflect.ValueOf(uint64(2)).Convert(t)
	case reflect.Float64:
		return reflect.ValueOf(1.5).Convert(t)
	case reflect.Interface: // a value to store, or somewhere to decode one: a *interface{} is both
		var v interface{} = "x"
		return reflect.ValueOf(&v)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 { // json.RawMessage
			return reflect.ValueOf([]byte(`{"a":[1,"b"]}`)).Convert(t)
		}
	}
	panic(fmt.Sprintf("no argument of type %v", t))
}

// ctxMethods lists the XContext methods of h with their plain X (nil for hand-written ones).
func ctxMethods(t *testing.T, kind string, h interface{}) []string {
	t.Helper()
	typ := reflect.TypeOf(h)
	var names []string
	for i := 0; i < typ.NumMethod(); i++ {
		m := typ.Method(i)
		if !strings.HasSuffix(m.Name, "Context") {
			continue
		}
		names = append(names, m.Name)
		if handWritten[kind+"."+m.Name] {
			continue
		}
		plain, ok := typ.MethodByName(strings.TrimSuffix(m.Name, "Context"))
		if !ok {
			t.Fatalf("%s.%s has no plain call", kind, m.Name)
		}
		// XContext(recv, ctx, args...) must be X(recv, args...) with ctx inserted.
		mt, pt := m.Type, plain.Type
		if mt.NumIn() != pt.NumIn()+1 || mt.In(1) != reflect.TypeOf((*context.Context)(nil)).Elem() ||
			mt.NumOut() != pt.NumOut() || mt.IsVariadic() != pt.IsVariadic() {
			t.Fatalf("%s.%s: signature %v does not match %s %v", kind, m.Name, mt, plain.Name, pt)
		}
		for j := 1; j < pt.NumIn(); j++ {
			if mt.In(j+1) != pt.In(j) {
				t.Fatalf("%s.%s: parameter %d is %v, plain %v", kind, m.Name, j, mt.In(j+1), pt.In(j))
			}
		}
		for j := 0; j < pt.NumOut(); j++ {
			if mt.Out(j) != pt.Out(j) {
				t.Fatalf("%s.%s: result %d is %v, plain %v", kind, m.Name, j, mt.Out(j), pt.Out(j))
			}
		}
	}
	sort.Strings(names)
	return names
}

// ctxCall calls method on h with ctx (omitted when plain) and the usual arguments.
func ctxCall(h interface{}, method string, ctx context.Context, plain bool, other *grovekv.DB) []reflect.Value {
	name := method
	if plain {
		name = strings.TrimSuffix(method, "Context")
	}
	m := reflect.ValueOf(h).MethodByName(name)
	mt := m.Type()
	var args []reflect.Value
	start := 0
	if !plain {
		if ctx == nil {
			args = append(args, reflect.Zero(mt.In(0)))
		} else {
			args = append(args, reflect.ValueOf(ctx))
		}
		start = 1
	}
	for i := start; i < mt.NumIn(); i++ {
		if mt.IsVariadic() && i == mt.NumIn()-1 {
			break // no options
		}
		args = append(args, ctxArg(mt.In(i), other))
	}
	return m.Call(args)
}

// ctxNormal renders results comparably across two stores: timestamps dropped, durations to
// the second, session ids (random) by length, errors by text.
func ctxNormal(method string, out []reflect.Value) string {
	var b strings.Builder
	for _, v := range out {
		x := v.Interface()
		switch y := x.(type) {
		case error:
			fmt.Fprintf(&b, "error(%v) ", y)
			continue
		case *grovekv.DB:
			fmt.Fprintf(&b, "db(%v) ", y != nil)
			continue
		case *grovekv.Job:
			if y != nil {
				c := *y
				c.EnqueuedAt = time.Time{}
				x = c
			}
		case []grovekv.Job:
			c := append([]grovekv.Job(nil), y...)
			for i := range c {
				c[i].EnqueuedAt = time.Time{}
			}
			x = c
		case time.Duration:
			x = y.Round(time.Second)
		case grovekv.Decision:
			y.ResetAfter, y.RetryAfter = y.ResetAfter.Round(time.Second), y.RetryAfter.Round(time.Second)
			x = y
		case grovekv.LockInfo:
			y.ExpiresIn = y.ExpiresIn.Round(time.Second)
			x = y
		case string:
			if method == "CreateContext" {
				x = len(y)
			}
		}
		if b, ok := x.([]byte); ok && (method == "StateContext" || method == "ExportChangesContext") {
			x = len(b) // CRDT states carry clock stamps, which differ between two stores
		}
		fmt.Fprintf(&b, "%#v ", x)
	}
	return b.String()
}

// With a live context, every generated XContext gives what X gives: the same sequence of
// calls on two twin stores, one plainly and one through the Context variants (with
// context.Background(), and with a cancellable context that stays live), gives the same results.
func TestContextVariantsMatchPlainCalls(t *testing.T) {
	live, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	for _, c := range []struct {
		name string
		ctx  context.Context
	}{{"background", context.Background()}, {"live", live}} {
		ctx := c.ctx
		t.Run(c.name, func(t *testing.T) {
			open := func(id string) *grovekv.DB {
				db, err := grovekv.OpenMemory(grovekv.WithNodeID(id))
				must(t, err)
				t.Cleanup(func() { _ = db.Close() })
				return db
			}
			plainDB, ctxDB := open("twin"), open("twin")
			plainPeer, ctxPeer := open("peer"), open("peer") // Sync's other side
			plainHandles, ctxHandlesB := ctxHandles(plainDB), ctxHandles(ctxDB)
			kinds := make([]string, 0, len(plainHandles))
			for k := range plainHandles {
				kinds = append(kinds, k)
			}
			sort.Strings(kinds)
			calls := 0
			for round := 0; round < 2; round++ { // the second round sees the first one's state
				for _, kind := range kinds {
					for _, method := range ctxMethods(t, kind, plainHandles[kind]) {
						if handWritten[kind+"."+method] {
							continue
						}
						want := ctxNormal(method, ctxCall(plainHandles[kind], method, nil, true, plainPeer))
						got := ctxNormal(method, ctxCall(ctxHandlesB[kind], method, ctx, false, ctxPeer))
						if got != want {
							t.Errorf("round %d %s.%s: %s, plain %s", round, kind, method, got, want)
						}
						calls++
					}
				}
			}
			want := fmt.Sprint(grovekv.Sync(plainDB, plainPeer))
			if got := fmt.Sprint(grovekv.SyncContext(ctx, ctxDB, ctxPeer)); got != want {
				t.Errorf("SyncContext: %s, plain %s", got, want)
			}
			if calls < 150 {
				t.Fatalf("only %d calls compared", calls)
			}
		})
	}
}

// staleCtx is a context whose deadline has passed but whose timer has not fired yet (its Err
// is still nil): the Context variants treat it as expired.
type staleCtx struct{ context.Context }

func (staleCtx) Deadline() (time.Time, bool) { return time.Now().Add(-time.Millisecond), true }

// Every Context variant, generated or written by hand, refuses a done context (cancelled, or
// past its deadline) with ctx's error and a nil one with ErrInvalidArgument, before calling
// libgrove: the populated store is unchanged, and a closed store answers the context's error,
// not ErrClosed.
func TestContextVariantsRefuseDoneContexts(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	stale := staleCtx{context.Background()}
	dones := []struct {
		ctx  context.Context
		want error
	}{
		{cancelled, context.Canceled},
		{expired, context.DeadlineExceeded},
		{stale, context.DeadlineExceeded},
		{nil, grovekv.ErrInvalidArgument},
	}
	for _, closed := range []bool{false, true} {
		closed := closed
		t.Run(fmt.Sprintf("closed=%v", closed), func(t *testing.T) {
			f := biPopulate(t, "memory")
			peer, err := grovekv.OpenMemory()
			must(t, err)
			defer peer.Close()
			before := biSnapshot(t, f.db, f.sid)
			handles := map[string]interface{}{
				"DB": f.db, "Counter": f.hits, "Lock": f.lock, "RateLimiter": f.rl, "Sessions": f.sess,
				"Leaderboard": f.lb, "Queue": f.q, "CRDTCounter": f.cc, "CRDTRegister": f.cr,
				"CRDTSet": f.cs, "CRDTMap": f.cm,
			}
			if closed {
				must(t, f.db.Close())
			}
			check := func(what string, err error, want error) {
				t.Helper()
				if !errors.Is(err, want) {
					t.Errorf("%s: got %v, want %v", what, err, want)
				}
			}
			n := 0
			for kind, h := range handles {
				for _, method := range ctxMethods(t, kind, h) {
					if method == "WithLockContext" {
						continue // below: it takes a func
					}
					for _, c := range dones {
						out := ctxCall(h, method, c.ctx, false, peer)
						what := fmt.Sprintf("%s.%s(%v)", kind, method, c.want)
						if method == "ScanContext" {
							it := out[0].Interface().(*grovekv.Iterator)
							if it.Next() {
								t.Errorf("%s: Next is true", what)
							}
							check(what, it.Err(), c.want)
							continue
						}
						last := out[len(out)-1]
						err, _ := last.Interface().(error)
						check(what, err, c.want)
						n++
					}
				}
			}
			for _, c := range dones {
				_, err := grovekv.OpenContext(c.ctx, "memory:")
				check("OpenContext", err, c.want)
				_, err = grovekv.OpenMemoryContext(c.ctx)
				check("OpenMemoryContext", err, c.want)
				_, err = grovekv.SyncContext(c.ctx, f.db, peer)
				check("SyncContext", err, c.want)
				err = f.db.WithLockContext(c.ctx, "free", time.Minute, longWait, func(uint64) error {
					t.Error("fn ran")
					return nil
				})
				check("WithLockContext", err, c.want)
			}
			if n < 4*80 {
				t.Fatalf("only %d calls checked", n)
			}
			if closed {
				return
			}
			if after := biSnapshot(t, f.db, f.sid); after != before {
				t.Errorf("the store changed:\n%s", biDiff(before, after))
			}
		})
	}
}
