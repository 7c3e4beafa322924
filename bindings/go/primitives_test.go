package grovekv_test

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	grovekv "github.com/grovekv/grove/bindings/go"
)

func mustBool(t *testing.T, got bool, err error, want bool, what string) {
	t.Helper()
	must(t, err)
	if got != want {
		t.Fatalf("%s: %v, want %v", what, got, want)
	}
}

func TestLockBasics(t *testing.T) {
	db := mem(t)
	a := db.Lock("deploy", 10*time.Second)
	b := db.Lock("deploy", 10*time.Second)

	info, err := db.LockInfo("deploy")
	must(t, err)
	if info != (grovekv.LockInfo{}) {
		t.Fatalf("fresh lock info %+v", info)
	}
	got, err := a.Held()
	mustBool(t, got, err, false, "held before acquire")
	got, err = a.Release()
	mustBool(t, got, err, false, "release before acquire")
	got, err = a.Extend(time.Second)
	mustBool(t, got, err, false, "extend before acquire")

	got, err = a.TryAcquire()
	mustBool(t, got, err, true, "a.TryAcquire")
	if a.FencingToken() != 1 {
		t.Fatalf("fence %d", a.FencingToken())
	}
	info, err = db.LockInfo("deploy")
	must(t, err)
	if !info.Held || info.FencingToken != 1 || info.ExpiresIn <= 9*time.Second || info.ExpiresIn > 10*time.Second {
		t.Fatalf("info %+v", info)
	}
	kind, err := db.Type("lock:deploy")
	must(t, err)
	if kind != grovekv.KindLock {
		t.Fatalf("kind %v", kind)
	}
	_, err = db.Get("lock:deploy")
	wantErr(t, err, grovekv.ErrWrongType)

	// A non-owner changes nothing.
	got, err = b.TryAcquire()
	mustBool(t, got, err, false, "b.TryAcquire while a holds")
	got, err = b.Release()
	mustBool(t, got, err, false, "b.Release")
	got, err = b.Extend(time.Minute)
	mustBool(t, got, err, false, "b.Extend")
	got, err = b.Held()
	mustBool(t, got, err, false, "b.Held")
	if b.FencingToken() != 0 {
		t.Fatal(b.FencingToken())
	}

	got, err = a.Extend(20 * time.Second)
	mustBool(t, got, err, true, "a.Extend")
	info, _ = db.LockInfo("deploy")
	if info.ExpiresIn <= 10*time.Second {
		t.Fatalf("extend did not lengthen: %+v", info)
	}
	_, err = a.Extend(0)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = a.Extend(-time.Second)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	got, err = a.Release()
	mustBool(t, got, err, true, "a.Release")
	got, err = a.Release()
	mustBool(t, got, err, false, "a.Release twice")
	info, _ = db.LockInfo("deploy")
	if info.Held || info.FencingToken != 1 || info.ExpiresIn != 0 {
		t.Fatalf("after release %+v", info)
	}

	// Bad arguments and wrong types.
	_, err = db.Lock("", time.Second).TryAcquire()
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = db.Lock("x", 0).TryAcquire()
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = db.Lock("x", -time.Second).Held()
	wantErr(t, err, grovekv.ErrInvalidArgument)
	if db.Lock("", time.Second).FencingToken() != 0 {
		t.Fatal("fence of an invalid lock")
	}
	_, err = db.Lock("x", time.Second).Acquire(context.Background(), -time.Millisecond)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = db.LockInfo("")
	wantErr(t, err, grovekv.ErrInvalidArgument)
	must(t, db.Set("lock:text", []byte("hello")))
	_, err = db.Lock("text", time.Second).TryAcquire()
	wantErr(t, err, grovekv.ErrWrongType)
	_, err = db.LockInfo("text")
	wantErr(t, err, grovekv.ErrWrongType)
}

func TestLockAcquireWaitsAndRespectsContext(t *testing.T) {
	db := mem(t)
	a := db.Lock("job", 10*time.Second)
	b := db.Lock("job", 10*time.Second)
	got, err := a.TryAcquire()
	mustBool(t, got, err, true, "a")

	// ctx deadline: false, no error, after about the deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	start := time.Now()
	got, err = b.Acquire(ctx, 10*time.Millisecond)
	cancel()
	mustBool(t, got, err, false, "b.Acquire with deadline")
	if waited := time.Since(start); waited < 90*time.Millisecond || waited > 2*time.Second {
		t.Fatalf("waited %v", waited)
	}
	// Cancellation ends the wait promptly even with a long retry interval.
	ctx, cancel = context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	start = time.Now()
	got, err = b.Acquire(ctx, time.Hour)
	mustBool(t, got, err, false, "b.Acquire cancelled")
	if waited := time.Since(start); waited > 2*time.Second {
		t.Fatalf("cancel took %v", waited)
	}
	// An expired ctx still makes one attempt.
	got, err = a.Acquire(ctx, 0)
	mustBool(t, got, err, true, "owner re-acquires with a done ctx")

	// A waiting Acquire wakes when the owner releases.
	go func() {
		time.Sleep(50 * time.Millisecond)
		_, _ = a.Release()
	}()
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err = b.Acquire(ctx, 5*time.Millisecond)
	mustBool(t, got, err, true, "b.Acquire after release")
	if b.FencingToken() <= a.FencingToken() {
		t.Fatalf("fence b %d <= a %d", b.FencingToken(), a.FencingToken())
	}
}

func TestWithLock(t *testing.T) {
	db := mem(t)
	var fence uint64
	err := db.WithLock(context.Background(), "scoped", time.Minute, func(f uint64) error {
		fence = f
		info, err := db.LockInfo("scoped")
		if err != nil || !info.Held || info.FencingToken != f {
			t.Errorf("inside: %+v %v", info, err)
		}
		return nil
	})
	must(t, err)
	if fence != 1 {
		t.Fatalf("fence %d", fence)
	}
	info, _ := db.LockInfo("scoped")
	if info.Held {
		t.Fatal("WithLock did not release")
	}

	// fn's error comes back as is, and the lock is released.
	boom := errors.New("boom")
	if err := db.WithLock(context.Background(), "scoped", time.Minute, func(uint64) error { return boom }); err != boom {
		t.Fatalf("got %v", err)
	}
	// A panic in fn releases too.
	func() {
		defer func() { _ = recover() }()
		_ = db.WithLock(context.Background(), "scoped", time.Minute, func(uint64) error { panic("x") })
	}()
	info, _ = db.LockInfo("scoped")
	if info.Held || info.FencingToken != 3 {
		t.Fatalf("after error and panic: %+v", info)
	}

	// ctx ends before the lock is free: ErrLockTimeout and fn never runs.
	holder := db.Lock("scoped", time.Minute)
	got, err := holder.TryAcquire()
	mustBool(t, got, err, true, "holder")
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Millisecond)
	defer cancel()
	ran := false
	err = db.WithLock(ctx, "scoped", time.Minute, func(uint64) error { ran = true; return nil })
	wantErr(t, err, grovekv.ErrLockTimeout)
	if ran || !strings.Contains(err.Error(), "scoped") {
		t.Fatalf("ran %v, err %v", ran, err)
	}
	var ge *grovekv.Error
	if !errors.As(err, &ge) || ge.Kind != "LockTimeout" {
		t.Fatalf("error %#v", err)
	}
	err = db.WithLock(context.Background(), "", time.Minute, func(uint64) error { return nil })
	wantErr(t, err, grovekv.ErrInvalidArgument)
}

// Expiry with a short real TTL (the core's tests use an injected clock).
func TestLockExpiryTakeover(t *testing.T) {
	db := mem(t)
	a := db.Lock("lease", 200*time.Millisecond)
	b := db.Lock("lease", 200*time.Millisecond)
	got, err := a.TryAcquire()
	mustBool(t, got, err, true, "a")
	got, err = b.TryAcquire()
	mustBool(t, got, err, false, "b before expiry")
	time.Sleep(300 * time.Millisecond)
	got, err = a.Held()
	mustBool(t, got, err, false, "a.Held after expiry")
	got, err = b.TryAcquire()
	mustBool(t, got, err, true, "b takes over")
	if b.FencingToken() <= a.FencingToken() {
		t.Fatalf("fence b %d <= a %d", b.FencingToken(), a.FencingToken())
	}
	got, err = a.Release()
	mustBool(t, got, err, false, "stale owner release")
	got, err = a.Extend(time.Minute)
	mustBool(t, got, err, false, "stale owner extend")
	got, err = b.Held()
	mustBool(t, got, err, true, "b still holds")
	info, _ := db.LockInfo("lease")
	if !info.Held || info.FencingToken != b.FencingToken() {
		t.Fatalf("info %+v", info)
	}
}

func TestLockFencingSurvivesRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fence")
	db, err := grovekv.Open(dir)
	must(t, err)
	l := db.Lock("leader", time.Minute)
	for i := 0; i < 3; i++ {
		got, err := l.TryAcquire()
		mustBool(t, got, err, true, "acquire")
		got, err = l.Release()
		mustBool(t, got, err, true, "release")
	}
	must(t, db.Close())
	db, err = grovekv.Open(dir)
	must(t, err)
	defer db.Close()
	l = db.Lock("leader", time.Minute)
	got, err := l.TryAcquire()
	mustBool(t, got, err, true, "acquire after reopen")
	if l.FencingToken() != 4 {
		t.Fatalf("fence after restart %d, want 4", l.FencingToken())
	}
}

// contendLock has goroutines, each with its own handle, take one lock around a critical
// section that detects overlap, until target acquisitions were counted.
func contendLock(t *testing.T, db *grovekv.DB, goroutines int, target int64) {
	var (
		counted, grants      int64
		inside, overlaps     int32
		lastFence            uint64
		fenceErrors, failure int32
		plain                int64 // only touched inside the critical section, through atomics
	)
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := db.Lock("critical", 30*time.Second)
			for {
				got, err := l.TryAcquire()
				if err != nil {
					atomic.AddInt32(&failure, 1)
					t.Error(err)
					return
				}
				if !got {
					if atomic.LoadInt64(&counted) >= target {
						return
					}
					runtime.Gosched()
					continue
				}
				atomic.AddInt64(&grants, 1)
				if atomic.AddInt32(&inside, 1) != 1 {
					atomic.AddInt32(&overlaps, 1)
				}
				fence := l.FencingToken()
				if fence <= atomic.LoadUint64(&lastFence) {
					atomic.AddInt32(&fenceErrors, 1)
				}
				atomic.StoreUint64(&lastFence, fence)
				done := atomic.LoadInt64(&counted) >= target
				if !done {
					// Read, yield, write: a second owner would lose an update here.
					p := atomic.LoadInt64(&plain)
					runtime.Gosched()
					atomic.StoreInt64(&plain, p+1)
					atomic.AddInt64(&counted, 1)
				}
				atomic.AddInt32(&inside, -1)
				if released, err := l.Release(); err != nil || !released {
					atomic.AddInt32(&failure, 1)
					t.Errorf("release: %v %v", released, err)
				}
				if done {
					return
				}
			}
		}()
	}
	wg.Wait()
	if overlaps != 0 || fenceErrors != 0 || failure != 0 {
		t.Fatalf("overlaps %d, fence errors %d, failures %d", overlaps, fenceErrors, failure)
	}
	if counted != target || plain != target {
		t.Fatalf("counted %d, plain %d, want %d", counted, plain, target)
	}
	info, err := db.LockInfo("critical")
	must(t, err)
	// Tokens went 1, 2, … with no gap or repeat: exactly one per grant.
	if info.Held || info.FencingToken != uint64(grants) || lastFence != uint64(grants) {
		t.Fatalf("info %+v, grants %d, last fence %d", info, grants, lastFence)
	}
}

func TestThirtyTwoGoroutinesOneLockMemory(t *testing.T) {
	contendLock(t, mem(t), 32, 10000)
}

func TestThirtyTwoGoroutinesOneLockDisk(t *testing.T) {
	db, err := grovekv.Open(filepath.Join(t.TempDir(), "lock"))
	must(t, err)
	defer db.Close()
	contendLock(t, db, 32, 2000)
}

// WithLock under contention: every goroutine gets its turn through the waiting Acquire.
func TestWithLockContention(t *testing.T) {
	db := mem(t)
	var inside, overlaps, runs int32
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				err := db.WithLock(context.Background(), "shared", time.Minute, func(uint64) error {
					if atomic.AddInt32(&inside, 1) != 1 {
						atomic.AddInt32(&overlaps, 1)
					}
					time.Sleep(100 * time.Microsecond)
					atomic.AddInt32(&inside, -1)
					atomic.AddInt32(&runs, 1)
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if overlaps != 0 || runs != 160 {
		t.Fatalf("overlaps %d runs %d", overlaps, runs)
	}
}

func TestRateLimiter(t *testing.T) {
	db := mem(t)
	rl := db.RateLimiter("api", 3, time.Hour)
	d, err := rl.Peek("alice")
	must(t, err)
	if d != (grovekv.Decision{Allowed: true, Remaining: 3}) {
		t.Fatalf("fresh peek %+v", d)
	}
	d, err = rl.Allow("alice", 1)
	must(t, err)
	if !d.Allowed || d.Remaining != 2 || d.RetryAfter != 0 || d.ResetAfter <= 59*time.Minute || d.ResetAfter > time.Hour {
		t.Fatalf("first %+v", d)
	}
	d, err = rl.Allow("alice", 2)
	must(t, err)
	if !d.Allowed || d.Remaining != 0 {
		t.Fatalf("second %+v", d)
	}
	d, err = rl.Allow("alice", 1)
	must(t, err)
	if d.Allowed || d.Remaining != 0 || d.RetryAfter <= 59*time.Minute {
		t.Fatalf("refused %+v", d)
	}
	d, err = rl.Peek("alice")
	must(t, err)
	if d.Allowed || d.Remaining != 0 {
		t.Fatalf("peek when full %+v", d)
	}
	_, err = rl.Allow("alice", 4)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	d, err = rl.Allow("bob", 1)
	must(t, err)
	if !d.Allowed || d.Remaining != 2 {
		t.Fatalf("bob %+v", d)
	}
	kind, _ := db.Type("ratelimit:api:alice")
	if kind != grovekv.KindRateLimit {
		t.Fatalf("kind %v", kind)
	}
	existed, err := rl.Reset("alice")
	mustBool(t, existed, err, true, "reset")
	existed, err = rl.Reset("alice")
	mustBool(t, existed, err, false, "reset twice")
	d, _ = rl.Allow("alice", 1)
	if !d.Allowed || d.Remaining != 2 {
		t.Fatalf("after reset %+v", d)
	}

	// The window slides in real time.
	fast := db.RateLimiter("fast", 2, 300*time.Millisecond)
	for i := 0; i < 2; i++ {
		if d, err := fast.Allow("k", 1); err != nil || !d.Allowed {
			t.Fatalf("fast %d: %+v %v", i, d, err)
		}
	}
	d, _ = fast.Allow("k", 1)
	if d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > 300*time.Millisecond {
		t.Fatalf("fast refused %+v", d)
	}
	time.Sleep(400 * time.Millisecond)
	if d, _ := fast.Allow("k", 2); !d.Allowed {
		t.Fatalf("window did not slide: %+v", d)
	}

	// Bad arguments and wrong types.
	_, err = db.RateLimiter("x", 0, time.Second).Allow("k", 1)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = db.RateLimiter("x", 1, 0).Peek("k")
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = db.RateLimiter("x", 1, 500*time.Microsecond).Peek("k")
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = db.RateLimiter("", 1, time.Second).Reset("k")
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = rl.Allow("", 1)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = rl.Allow("\xff", 1)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	must(t, db.Set("ratelimit:api:carol", []byte("x")))
	_, err = rl.Allow("carol", 1)
	wantErr(t, err, grovekv.ErrWrongType)
	_, err = rl.Peek("carol")
	wantErr(t, err, grovekv.ErrWrongType)
	_, err = rl.Reset("carol")
	wantErr(t, err, grovekv.ErrWrongType)
}

func TestRateLimiterEightGoroutinesExactLimit(t *testing.T) {
	db := mem(t)
	const limit = 500
	var admitted int64
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rl := db.RateLimiter("burst", limit, time.Hour) // its own handle; the limit is the key's
			for i := 0; i < 200; i++ {
				d, err := rl.Allow("hot", 1)
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					atomic.AddInt64(&admitted, 1)
				}
			}
		}(g)
	}
	wg.Wait()
	if admitted != limit {
		t.Fatalf("admitted %d of 1600, want exactly %d", admitted, limit)
	}
	d, err := db.RateLimiter("burst", limit, time.Hour).Peek("hot")
	must(t, err)
	if d.Allowed || d.Remaining != 0 {
		t.Fatalf("peek %+v", d)
	}
}

func urlSafe(id string) bool {
	if len(id) != 43 {
		return false
	}
	for _, c := range id {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func TestSessions(t *testing.T) {
	db := mem(t)
	s := db.Sessions(time.Minute, "sess")
	id, err := s.Create([]byte("hello"))
	must(t, err)
	if !urlSafe(id) {
		t.Fatalf("id %q", id)
	}
	data, err := s.Get(id)
	must(t, err)
	if string(data) != "hello" {
		t.Fatalf("data %q", data)
	}
	got, err := s.Exists(id)
	mustBool(t, got, err, true, "exists")
	kind, _ := db.Type("sess:" + id)
	if kind != grovekv.KindSession {
		t.Fatalf("kind %v", kind)
	}
	ttl, has, err := db.TTL("sess:" + id)
	must(t, err)
	if !has || ttl <= 59*time.Second || ttl > time.Minute {
		t.Fatalf("ttl %v %v", ttl, has)
	}
	_, err = db.Get("sess:" + id)
	wantErr(t, err, grovekv.ErrWrongType)
	got, err = s.Update(id, []byte("world"))
	mustBool(t, got, err, true, "update")
	data, _ = s.Get(id)
	if string(data) != "world" {
		t.Fatalf("after update %q", data)
	}
	got, err = s.Touch(id)
	mustBool(t, got, err, true, "touch")

	got, err = s.Delete(id)
	mustBool(t, got, err, true, "delete")
	got, err = s.Delete(id)
	mustBool(t, got, err, false, "delete twice")
	_, err = s.Get(id)
	wantErr(t, err, grovekv.ErrNotFound)
	got, err = s.Update(id, []byte("again"))
	mustBool(t, got, err, false, "update deleted")
	got, err = s.Touch(id)
	mustBool(t, got, err, false, "touch deleted")
	if kind, _ := db.Type("sess:" + id); kind != grovekv.KindNone {
		t.Fatalf("deleted session came back as %v", kind)
	}

	// Empty data; ids Grove could not have issued are not found.
	empty, err := s.Create(nil)
	must(t, err)
	data, err = s.Get(empty)
	must(t, err)
	if data == nil || len(data) != 0 {
		t.Fatalf("empty data %#v", data)
	}
	for _, bad := range []string{"", "nope", strings.Repeat("!", 43)} {
		_, err = s.Get(bad)
		wantErr(t, err, grovekv.ErrNotFound)
		for name, op := range map[string]func(string) (bool, error){"Touch": s.Touch, "Delete": s.Delete, "Exists": s.Exists} {
			got, err = op(bad)
			mustBool(t, got, err, false, name+"("+bad+")")
		}
	}
	_, err = s.Get("\xff")
	wantErr(t, err, grovekv.ErrInvalidArgument)

	// Prefixes separate stores.
	web := db.Sessions(time.Minute, "web")
	wid, err := web.Create([]byte("w"))
	must(t, err)
	if ok, _ := db.Exists("web:" + wid); !ok {
		t.Fatal("web session not at web:<id>")
	}
	if ok, _ := s.Exists(wid); ok {
		t.Fatal("sess store sees a web session")
	}

	// Bad arguments and wrong types.
	_, err = db.Sessions(0, "sess").Create(nil)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = db.Sessions(time.Minute, "").Create(nil)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = db.Sessions(time.Minute, strings.Repeat("p", 1000)).Get(id)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = s.Create(make([]byte, 16<<20+1))
	wantErr(t, err, grovekv.ErrInvalidArgument)
	fake := strings.Repeat("A", 43)
	must(t, db.Set("sess:"+fake, []byte("x")))
	_, err = s.Get(fake)
	wantErr(t, err, grovekv.ErrWrongType)
	_, err = s.Update(fake, []byte("y"))
	wantErr(t, err, grovekv.ErrWrongType)
	_, err = s.Touch(fake)
	wantErr(t, err, grovekv.ErrWrongType)
}

// Expiry with a short real TTL; Touch and Update slide it; nothing resurrects.
func TestSessionsExpiryNoResurrection(t *testing.T) {
	db := mem(t)
	s := db.Sessions(400*time.Millisecond, "sess")
	a, err := s.Create([]byte("a"))
	must(t, err)
	b, err := s.Create([]byte("b"))
	must(t, err)
	time.Sleep(200 * time.Millisecond)
	got, err := s.Touch(a)
	mustBool(t, got, err, true, "touch a")
	got, err = s.Update(b, []byte("b2"))
	mustBool(t, got, err, true, "update b")
	time.Sleep(250 * time.Millisecond) // past the first expiry, before the slid one
	for _, id := range []string{a, b} {
		got, err = s.Exists(id)
		mustBool(t, got, err, true, "alive after slide")
	}
	time.Sleep(400 * time.Millisecond)
	for _, id := range []string{a, b} {
		_, err = s.Get(id)
		wantErr(t, err, grovekv.ErrNotFound)
		got, err = s.Touch(id)
		mustBool(t, got, err, false, "touch expired")
		got, err = s.Update(id, []byte("zombie"))
		mustBool(t, got, err, false, "update expired")
		got, err = s.Exists(id)
		mustBool(t, got, err, false, "exists expired")
		if ok, _ := db.Exists("sess:" + id); ok {
			t.Fatal("expired session resurrected")
		}
	}
}

func TestSessionIDsUnique(t *testing.T) {
	db := mem(t)
	s := db.Sessions(10*time.Minute, "sess")
	const n = 100000
	ids := make([]string, 0, n)
	for i := 0; i < n; i++ {
		id, err := s.Create([]byte("x"))
		must(t, err)
		if !urlSafe(id) {
			t.Fatalf("id %q", id)
		}
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for i := 1; i < n; i++ {
		if ids[i] == ids[i-1] {
			t.Fatalf("duplicate id %q", ids[i])
		}
	}
}

func TestPrimitivesAfterClose(t *testing.T) {
	db := mem(t)
	l := db.Lock("l", time.Minute)
	got, err := l.TryAcquire()
	mustBool(t, got, err, true, "acquire")
	rl := db.RateLimiter("r", 5, time.Minute)
	s := db.Sessions(time.Minute, "sess")
	id, err := s.Create([]byte("d"))
	must(t, err)
	must(t, db.Close())

	checks := map[string]error{}
	_, checks["Lock.TryAcquire"] = l.TryAcquire()
	_, checks["Lock.Acquire"] = l.Acquire(context.Background(), time.Millisecond)
	_, checks["Lock.Release"] = l.Release()
	_, checks["Lock.Extend"] = l.Extend(time.Second)
	_, checks["Lock.Held"] = l.Held()
	_, checks["Lock made after close"] = db.Lock("l2", time.Second).TryAcquire()
	_, checks["LockInfo"] = db.LockInfo("l")
	checks["WithLock"] = db.WithLock(context.Background(), "l", time.Second, func(uint64) error { return nil })
	_, checks["RateLimiter.Allow"] = rl.Allow("k", 1)
	_, checks["RateLimiter.Peek"] = rl.Peek("k")
	_, checks["RateLimiter.Reset"] = rl.Reset("k")
	_, checks["RateLimiter made after close"] = db.RateLimiter("r2", 1, time.Second).Allow("k", 1)
	_, checks["Sessions.Create"] = s.Create(nil)
	_, checks["Sessions.Get"] = s.Get(id)
	_, checks["Sessions.Update"] = s.Update(id, nil)
	_, checks["Sessions.Touch"] = s.Touch(id)
	_, checks["Sessions.Delete"] = s.Delete(id)
	_, checks["Sessions.Exists"] = s.Exists(id)
	_, checks["Sessions made after close"] = db.Sessions(time.Minute, "sess").Create(nil)
	for name, err := range checks {
		if !errors.Is(err, grovekv.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	if l.FencingToken() != 1 {
		t.Errorf("fencing token is local and survives close: %d", l.FencingToken())
	}
}

// Handles dropped without any Close are released by finalizers (run under GOGC=1).
func TestPrimitiveFinalizers(t *testing.T) {
	db := mem(t)
	for i := 0; i < 300; i++ {
		l := db.Lock("f", time.Minute)
		if _, err := l.TryAcquire(); err != nil {
			t.Fatal(err)
		}
		_, _ = l.Release()
		_, _ = db.RateLimiter("f", 10, time.Minute).Allow("k", 1)
		_, _ = db.Sessions(time.Minute, "f").Create([]byte("x"))
	}
	runtime.GC()
	runtime.GC()
	info, err := db.LockInfo("f")
	must(t, err)
	if info.FencingToken != 300 {
		t.Fatalf("fence %d", info.FencingToken)
	}
}
