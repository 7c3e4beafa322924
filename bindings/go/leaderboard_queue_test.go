package grovekv_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	grovekv "github.com/grovekv/grove/bindings/go"
)

func members(rs []grovekv.Ranked) string {
	s := ""
	for i, r := range rs {
		if i > 0 {
			s += ","
		}
		s += r.Member
	}
	return s
}

func wantRanked(t *testing.T, got []grovekv.Ranked, err error, firstRank int, want string) {
	t.Helper()
	must(t, err)
	if members(got) != want {
		t.Fatalf("got %q, want %q", members(got), want)
	}
	for i, r := range got {
		if r.Rank != firstRank+i {
			t.Fatalf("rank of %s is %d, want %d", r.Member, r.Rank, firstRank+i)
		}
	}
}

func TestLeaderboardBasics(t *testing.T) {
	db := mem(t)
	lb := db.Leaderboard("scores")
	n, err := lb.Len()
	must(t, err)
	if n != 0 {
		t.Fatal(n)
	}
	_, err = lb.Score("ada")
	wantErr(t, err, grovekv.ErrNotFound)
	_, err = lb.Rank("ada")
	wantErr(t, err, grovekv.ErrNotFound)

	must(t, lb.Add("ada", 10))
	must(t, lb.Add("bob", 30))
	must(t, lb.Add("cyd", 20))
	must(t, lb.Add("dee", 20)) // ties are ordered by member
	must(t, lb.Add("abe", 20))
	for want, m := range []string{"bob", "abe", "cyd", "dee", "ada"} {
		r, err := lb.Rank(m)
		must(t, err)
		if r != want {
			t.Fatalf("rank of %s: %d, want %d", m, r, want)
		}
	}
	s, err := lb.Incr("ada", 25.5)
	must(t, err)
	if s != 35.5 {
		t.Fatal(s)
	}
	s, err = lb.Score("ada")
	must(t, err)
	if s != 35.5 {
		t.Fatal(s)
	}
	s, err = lb.Incr("eve", -2)
	must(t, err)
	if s != -2 {
		t.Fatal(s)
	}
	got, err := lb.Top(3)
	wantRanked(t, got, err, 0, "ada,bob,abe")
	if got[0].Score != 35.5 || got[2].Score != 20 {
		t.Fatalf("%+v", got)
	}
	got, err = lb.Top(0)
	wantRanked(t, got, err, 0, "")
	got, err = lb.Range(2, 5)
	wantRanked(t, got, err, 2, "abe,cyd,dee")
	got, err = lb.Range(4, 100)
	wantRanked(t, got, err, 4, "dee,eve")
	got, err = lb.Range(3, 3)
	wantRanked(t, got, err, 0, "")
	got, err = lb.Range(5, 1)
	wantRanked(t, got, err, 0, "")
	got, err = lb.Around("cyd", 1)
	wantRanked(t, got, err, 2, "abe,cyd,dee")
	got, err = lb.Around("ada", 2)
	wantRanked(t, got, err, 0, "ada,bob,abe")
	got, err = lb.Around("nobody", 2)
	wantRanked(t, got, err, 0, "")

	// NaN and infinities are ErrInvalidArgument; leaving the finite range is ErrOverflow.
	wantErr(t, lb.Add("ada", math.NaN()), grovekv.ErrInvalidArgument)
	wantErr(t, lb.Add("ada", math.Inf(1)), grovekv.ErrInvalidArgument)
	_, err = lb.Incr("ada", math.Inf(-1))
	wantErr(t, err, grovekv.ErrInvalidArgument)
	must(t, lb.Add("big", math.MaxFloat64))
	_, err = lb.Incr("big", math.MaxFloat64)
	wantErr(t, err, grovekv.ErrOverflow)
	s, _ = lb.Score("big")
	if s != math.MaxFloat64 {
		t.Fatal(s)
	}
	must(t, lb.Add("big", -math.MaxFloat64))
	_, err = lb.Incr("big", -math.MaxFloat64)
	wantErr(t, err, grovekv.ErrOverflow)
	s, _ = lb.Score("ada")
	if s != 35.5 {
		t.Fatal(s)
	}
	wantErr(t, lb.Add("", 1), grovekv.ErrInvalidArgument)
	wantErr(t, lb.Add("bad\xff", 1), grovekv.ErrInvalidArgument)
	_, err = lb.Top(-1)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = lb.Range(-1, 2)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = lb.Around("ada", -1)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	wantErr(t, db.Leaderboard("a:b").Add("m", 1), grovekv.ErrInvalidArgument)
	_, err = db.Leaderboard("").Len()
	wantErr(t, err, grovekv.ErrInvalidArgument)

	// Members are keys of kind leaderboard: the KV API cannot read, overwrite or delete them
	// (ErrWrongType) nor create a key under "lb:" (ErrInvalidArgument).
	kind, err := db.Type("lb:scores:ada")
	must(t, err)
	if kind != grovekv.KindLeaderboard {
		t.Fatal(kind)
	}
	_, err = db.Get("lb:scores:ada")
	wantErr(t, err, grovekv.ErrWrongType)
	wantErr(t, db.Set("lb:scores:ada", []byte("x")), grovekv.ErrWrongType)
	wantErr(t, db.Set("lb:scores:new", []byte("x")), grovekv.ErrInvalidArgument)
	_, err = db.Delete("lb:scores:ada")
	wantErr(t, err, grovekv.ErrWrongType)
	_, err = lb.Score("new")
	wantErr(t, err, grovekv.ErrNotFound)

	// Another handle shares the board; remove and clear.
	same := db.Leaderboard("scores")
	removed, err := same.Remove("bob")
	mustBool(t, removed, err, true, "remove bob")
	removed, err = lb.Remove("bob")
	mustBool(t, removed, err, false, "remove bob twice")
	r, _ := lb.Rank("abe") // ada 35.5, abe 20, …
	if r != 1 {
		t.Fatal(r)
	}
	n, err = lb.Len()
	must(t, err)
	cleared, err := lb.Clear()
	must(t, err)
	if cleared != n || n != 6 {
		t.Fatalf("cleared %d of %d", cleared, n)
	}
	n, _ = same.Len()
	if n != 0 {
		t.Fatal(n)
	}
	exists, err := db.Exists("lb:scores:ada")
	mustBool(t, exists, err, false, "member key after clear")
}

type modelItem struct {
	member string
	score  float64
}

func sortModel(m map[string]float64) []modelItem {
	out := make([]modelItem, 0, len(m))
	for k, v := range m {
		out = append(out, modelItem{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score > out[j].score
		}
		return out[i].member < out[j].member
	})
	return out
}

// Random adds, incrs, removes and NaNs against a sorted-slice model: every rank, range,
// around and top must agree (scores come from a small set, so ties are everywhere).
func TestLeaderboardMatchesSortedModel(t *testing.T) {
	db := mem(t)
	lb := db.Leaderboard("model")
	rng := rand.New(rand.NewSource(6))
	model := map[string]float64{}
	check := func(step int) {
		t.Helper()
		sorted := sortModel(model)
		all, err := lb.Range(0, len(sorted)+3)
		must(t, err)
		if len(all) != len(sorted) {
			t.Fatalf("step %d: %d members, model %d", step, len(all), len(sorted))
		}
		for i, it := range sorted {
			if all[i].Member != it.member || all[i].Score != it.score || all[i].Rank != i {
				t.Fatalf("step %d: rank %d is %+v, model %+v", step, i, all[i], it)
			}
			r, err := lb.Rank(it.member)
			must(t, err)
			if r != i {
				t.Fatalf("step %d: Rank(%s) %d, model %d", step, it.member, r, i)
			}
		}
		n, err := lb.Len()
		must(t, err)
		if n != len(sorted) {
			t.Fatalf("step %d: len %d, model %d", step, n, len(sorted))
		}
	}
	for step := 0; step < 4000; step++ {
		m := fmt.Sprintf("m%03d", rng.Intn(150))
		score := float64(rng.Intn(12)) - 3 + []float64{0, 0.5, -0.25}[rng.Intn(3)]
		switch op := rng.Intn(10); {
		case op < 4:
			must(t, lb.Add(m, score))
			model[m] = score
		case op < 6:
			got, err := lb.Incr(m, score)
			must(t, err)
			model[m] += score
			if got != model[m] {
				t.Fatalf("incr %s: %v, model %v", m, got, model[m])
			}
		case op < 7:
			removed, err := lb.Remove(m)
			_, had := model[m]
			mustBool(t, removed, err, had, "remove "+m)
			delete(model, m)
		case op < 8:
			// NaN and infinities change nothing.
			wantErr(t, lb.Add(m, math.NaN()), grovekv.ErrInvalidArgument)
			_, err := lb.Incr(m, math.Inf(1))
			wantErr(t, err, grovekv.ErrInvalidArgument)
		case op < 9:
			sorted := sortModel(model)
			start, stop := rng.Intn(len(sorted)+5), rng.Intn(len(sorted)+5)
			got, err := lb.Range(start, stop)
			must(t, err)
			want := []modelItem{}
			if start < stop && start < len(sorted) {
				if stop > len(sorted) {
					stop = len(sorted)
				}
				want = sorted[start:stop]
			}
			if len(got) != len(want) {
				t.Fatalf("range(%d,%d): %d items, model %d", start, stop, len(got), len(want))
			}
			for i := range want {
				if got[i].Member != want[i].member || got[i].Rank != start+i {
					t.Fatalf("range(%d,%d)[%d] = %+v, model %+v", start, stop, i, got[i], want[i])
				}
			}
		default:
			sorted := sortModel(model)
			k := rng.Intn(4)
			got, err := lb.Around(m, k)
			must(t, err)
			r := -1
			for i, it := range sorted {
				if it.member == m {
					r = i
				}
			}
			if r < 0 {
				if len(got) != 0 {
					t.Fatalf("around absent %s: %+v", m, got)
				}
				break
			}
			lo, hi := r-k, r+k+1
			if lo < 0 {
				lo = 0
			}
			if hi > len(sorted) {
				hi = len(sorted)
			}
			if len(got) != hi-lo || got[r-lo].Member != m || got[0].Rank != lo {
				t.Fatalf("around(%s,%d) at rank %d: %+v", m, k, r, got)
			}
			top, err := lb.Top(k)
			must(t, err)
			if len(top) != int(math.Min(float64(k), float64(len(sorted)))) {
				t.Fatalf("top(%d): %d items", k, len(top))
			}
		}
		if step%500 == 0 {
			check(step)
		}
	}
	check(-1)
}

func TestLeaderboardPersistsAndRebuilds(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lb")
	db, err := grovekv.Open(dir)
	must(t, err)
	lb := db.Leaderboard("p")
	for i := 0; i < 2000; i++ {
		must(t, lb.Add(fmt.Sprintf("m%04d", i), float64(i%37)))
	}
	before, err := lb.Range(0, 3000)
	must(t, err)
	must(t, db.Close())
	db, err = grovekv.Open(dir)
	must(t, err)
	defer db.Close()
	after, err := db.Leaderboard("p").Range(0, 3000)
	must(t, err)
	if len(after) != 2000 || len(before) != 2000 {
		t.Fatalf("%d then %d members", len(before), len(after))
	}
	for i := range before {
		if before[i] != after[i] {
			t.Fatalf("rank %d: %+v then %+v", i, before[i], after[i])
		}
	}
}

func deq(t *testing.T, q *grovekv.Queue) *grovekv.Job {
	t.Helper()
	job, err := q.Dequeue()
	must(t, err)
	return job
}

func wantStats(t *testing.T, q *grovekv.Queue, ready, inFlight, dead uint64) {
	t.Helper()
	st, err := q.Stats()
	must(t, err)
	if st != (grovekv.QueueStats{Ready: ready, InFlight: inFlight, Dead: dead}) {
		t.Fatalf("stats %+v, want ready %d in flight %d dead %d", st, ready, inFlight, dead)
	}
}

func TestQueueBasics(t *testing.T) {
	db := mem(t)
	q := db.Queue("tasks", 30*time.Second, 5)
	if deq(t, q) != nil {
		t.Fatal("job from an empty queue")
	}
	wantStats(t, q, 0, 0, 0)
	start := time.Now().Add(-time.Second)
	for i, p := range []string{"one", "two", "three", ""} {
		id, err := q.Enqueue([]byte(p), 0)
		must(t, err)
		if id != uint64(i+1) {
			t.Fatalf("id %d", id)
		}
	}
	wantStats(t, q, 4, 0, 0)
	for i, p := range []string{"one", "two", "three", ""} {
		job := deq(t, q)
		if job == nil || job.ID != uint64(i+1) || string(job.Payload) != p || job.Attempts != 1 {
			t.Fatalf("dequeue %d: %+v", i, job)
		}
		if job.EnqueuedAt.Before(start) || job.EnqueuedAt.After(time.Now().Add(time.Second)) {
			t.Fatalf("enqueued at %v", job.EnqueuedAt)
		}
	}
	if deq(t, q) != nil {
		t.Fatal("in-flight jobs are invisible")
	}
	ok, err := q.Ack(2)
	mustBool(t, ok, err, true, "ack 2")
	ok, err = q.Ack(2)
	mustBool(t, ok, err, false, "ack 2 twice")
	ok, err = q.Nack(2, 0)
	mustBool(t, ok, err, false, "nack acked")
	ok, err = q.Ack(999)
	mustBool(t, ok, err, false, "ack unknown")
	ok, err = q.Nack(3, 0)
	mustBool(t, ok, err, true, "nack 3")
	wantStats(t, q, 1, 2, 0)
	job := deq(t, q)
	if job == nil || job.ID != 3 || job.Attempts != 2 {
		t.Fatalf("%+v", job)
	}
	for _, id := range []uint64{1, 3, 4} {
		ok, err = q.Ack(id)
		mustBool(t, ok, err, true, "ack")
	}
	wantStats(t, q, 0, 0, 0)
	dead, err := q.DeadLetters()
	must(t, err)
	if len(dead) != 0 {
		t.Fatal(dead)
	}

	// Bad arguments.
	_, err = q.Enqueue([]byte("x"), -time.Second)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = q.Nack(1, -time.Second)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = db.Queue("a:b", time.Second, 5).Enqueue(nil, 0)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = db.Queue("", time.Second, 5).Stats()
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = db.Queue("x", 0, 5).Dequeue()
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = db.Queue("x", time.Second, 0).Dequeue()
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = db.Queue("x", time.Second, -1).Ack(1)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	wantStats(t, q, 0, 0, 0)

	// Its keys are kind queue: the KV API cannot read, overwrite or delete them (ErrWrongType)
	// nor create a key under "queue:" (ErrInvalidArgument).
	_, err = q.Enqueue([]byte("kept"), 0)
	must(t, err)
	kind, err := db.Type("queue:tasks:meta")
	must(t, err)
	if kind != grovekv.KindQueue {
		t.Fatal(kind)
	}
	jobKey := fmt.Sprintf("queue:tasks:j:%016x", 5)
	_, err = db.Get(jobKey)
	wantErr(t, err, grovekv.ErrWrongType)
	_, err = db.Delete(jobKey)
	wantErr(t, err, grovekv.ErrWrongType)
	wantErr(t, db.Set("queue:tasks:meta", []byte("x")), grovekv.ErrWrongType)
	wantErr(t, db.Set("queue:text:meta", []byte("x")), grovekv.ErrInvalidArgument)
	job = deq(t, db.Queue("tasks", time.Minute, 5))
	if job == nil || job.ID != 5 || string(job.Payload) != "kept" {
		t.Fatalf("%+v", job)
	}
}

func TestQueueDelayRedeliveryAndDeadLetters(t *testing.T) {
	db := mem(t)
	q := db.Queue("flaky", 150*time.Millisecond, 2)
	_, err := q.Enqueue([]byte("later"), 300*time.Millisecond)
	must(t, err)
	_, err = q.Enqueue([]byte("poison"), 0)
	must(t, err)
	job := deq(t, q)
	if job == nil || string(job.Payload) != "poison" || job.Attempts != 1 {
		t.Fatalf("%+v", job)
	}
	enqueuedAt := job.EnqueuedAt
	if deq(t, q) != nil {
		t.Fatal("delayed job delivered early")
	}
	// The consumer "died": after the visibility timeout it comes back with attempts + 1.
	time.Sleep(200 * time.Millisecond)
	wantStats(t, q, 1, 1, 0)
	job = deq(t, q)
	if job == nil || job.ID != 2 || job.Attempts != 2 || !job.EnqueuedAt.Equal(enqueuedAt) {
		t.Fatalf("redelivery %+v", job)
	}
	time.Sleep(200 * time.Millisecond)
	// Timed out at max_attempts: dead-lettered; the delayed job is due by now.
	job = deq(t, q)
	if job == nil || string(job.Payload) != "later" || job.ID != 1 {
		t.Fatalf("%+v", job)
	}
	ok, err := q.Ack(1)
	mustBool(t, ok, err, true, "ack later")
	if deq(t, q) != nil {
		t.Fatal("a dead job was delivered")
	}
	wantStats(t, q, 0, 0, 1)
	ok, err = q.Ack(2)
	mustBool(t, ok, err, false, "ack dead")
	dead, err := q.DeadLetters()
	must(t, err)
	if len(dead) != 1 || dead[0].ID != 2 || string(dead[0].Payload) != "poison" || dead[0].Attempts != 2 {
		t.Fatalf("dead letters %+v", dead)
	}

	// Nacks count as deliveries, and a nack delay hides the job.
	_, err = q.Enqueue([]byte("nacked"), 0)
	must(t, err)
	job = deq(t, q)
	ok, err = q.Nack(job.ID, 100*time.Millisecond)
	mustBool(t, ok, err, true, "nack")
	if deq(t, q) != nil {
		t.Fatal("nacked job visible before its delay")
	}
	time.Sleep(150 * time.Millisecond)
	job = deq(t, q)
	if job == nil || job.Attempts != 2 {
		t.Fatalf("%+v", job)
	}
	ok, err = q.Nack(job.ID, 0)
	mustBool(t, ok, err, true, "nack again")
	if deq(t, q) != nil {
		t.Fatal("job past max attempts delivered")
	}
	dead, err = q.DeadLetters()
	must(t, err)
	if len(dead) != 2 || dead[1].ID != job.ID {
		t.Fatalf("dead letters %+v", dead)
	}
}

func TestQueueDequeueWait(t *testing.T) {
	db := mem(t)
	q := db.Queue("wait", time.Minute, 5)
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	job, err := q.DequeueWait(ctx)
	waited := time.Since(t0)
	if job != nil || err != nil || !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("job %+v err %v ctx %v", job, err, ctx.Err())
	}
	if waited < 70*time.Millisecond || waited > time.Second {
		t.Fatalf("waited %v", waited)
	}

	// Cancellation ends the wait at once.
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() {
		time.Sleep(50 * time.Millisecond)
		cancel2()
	}()
	t0 = time.Now()
	job, err = q.DequeueWait(ctx2)
	if job != nil || err != nil || time.Since(t0) > time.Second || ctx2.Err() != context.Canceled {
		t.Fatalf("job %+v err %v after %v", job, err, time.Since(t0))
	}
	// A job enqueued meanwhile (here: delayed) is picked up while waiting.
	_, err = q.Enqueue([]byte("soon"), 100*time.Millisecond)
	must(t, err)
	ctx3, cancel3 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel3()
	job, err = q.DequeueWait(ctx3)
	must(t, err)
	if job == nil || string(job.Payload) != "soon" {
		t.Fatalf("%+v", job)
	}
	// An expired context still makes one attempt.
	_, err = q.Enqueue([]byte("ready"), 0)
	must(t, err)
	job, err = q.DequeueWait(ctx)
	must(t, err)
	if job == nil || string(job.Payload) != "ready" {
		t.Fatalf("%+v", job)
	}
	// Errors come through.
	_, err = db.Queue("bad:name", time.Second, 1).DequeueWait(ctx3)
	wantErr(t, err, grovekv.ErrInvalidArgument)
}

// 4 producer and 4 consumer goroutines move total jobs: each acked exactly once, never held
// by two consumers at once, none lost.
func moveJobs(t *testing.T, db *grovekv.DB, total int) {
	const producers, consumers = 4, 4
	q := db.Queue("work", time.Minute, 3)
	per := total / producers
	total = per * producers
	held := make([]int32, total)
	acked := make([]int32, total)
	var done, doubleHeld, redelivered int64
	errs := make(chan error, producers+consumers)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				if _, err := q.Enqueue([]byte(strconv.Itoa(p*per+i)), 0); err != nil {
					errs <- err
					return
				}
			}
		}(p)
	}
	for c := 0; c < consumers; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for atomic.LoadInt64(&done) < int64(total) && ctx.Err() == nil {
				wctx, wcancel := context.WithTimeout(ctx, 20*time.Millisecond)
				job, err := q.DequeueWait(wctx)
				wcancel()
				if err != nil {
					errs <- err
					return
				}
				if job == nil {
					continue
				}
				idx, err := strconv.Atoi(string(job.Payload))
				if err != nil || idx < 0 || idx >= total {
					errs <- fmt.Errorf("bad payload %q", job.Payload)
					return
				}
				if job.Attempts != 1 {
					atomic.AddInt64(&redelivered, 1)
				}
				if !atomic.CompareAndSwapInt32(&held[idx], 0, 1) {
					atomic.AddInt64(&doubleHeld, 1)
				}
				ok, err := q.Ack(job.ID)
				if err != nil || !ok {
					errs <- fmt.Errorf("ack %d: %v %v", job.ID, ok, err)
					return
				}
				atomic.AddInt32(&acked[idx], 1)
				atomic.AddInt64(&done, 1)
				atomic.StoreInt32(&held[idx], 0)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if ctx.Err() != nil {
		t.Fatalf("timed out with %d of %d jobs done", atomic.LoadInt64(&done), total)
	}
	notOnce := 0
	for i := range acked {
		if acked[i] != 1 {
			notOnce++
		}
	}
	if done != int64(total) || notOnce != 0 || doubleHeld != 0 || redelivered != 0 {
		t.Fatalf("done %d of %d, %d not acked exactly once, %d double-held, %d redelivered",
			done, total, notOnce, doubleHeld, redelivered)
	}
	wantStats(t, q, 0, 0, 0)
	if deq(t, q) != nil {
		t.Fatal("a job left over")
	}
}

func TestQueueFourProducersFourConsumersMemory(t *testing.T) {
	moveJobs(t, mem(t), 20000)
}

func TestQueueFourProducersFourConsumersDisk(t *testing.T) {
	db, err := grovekv.Open(filepath.Join(t.TempDir(), "q"))
	must(t, err)
	defer db.Close()
	moveJobs(t, db, 2000)
}

func TestLeaderboardQueueAfterClose(t *testing.T) {
	db := mem(t)
	lb := db.Leaderboard("b")
	must(t, lb.Add("m", 1))
	q := db.Queue("q", time.Minute, 5)
	_, err := q.Enqueue([]byte("x"), 0)
	must(t, err)
	must(t, db.Close())

	checks := map[string]error{}
	checks["Leaderboard.Add"] = lb.Add("m", 2)
	_, checks["Leaderboard.Incr"] = lb.Incr("m", 1)
	_, checks["Leaderboard.Score"] = lb.Score("m")
	_, checks["Leaderboard.Rank"] = lb.Rank("m")
	_, checks["Leaderboard.Top"] = lb.Top(3)
	_, checks["Leaderboard.Range"] = lb.Range(0, 3)
	_, checks["Leaderboard.Around"] = lb.Around("m", 1)
	_, checks["Leaderboard.Remove"] = lb.Remove("m")
	_, checks["Leaderboard.Len"] = lb.Len()
	_, checks["Leaderboard.Clear"] = lb.Clear()
	_, checks["Leaderboard made after close"] = db.Leaderboard("b2").Len()
	_, checks["Queue.Enqueue"] = q.Enqueue(nil, 0)
	_, checks["Queue.Dequeue"] = q.Dequeue()
	_, checks["Queue.DequeueWait"] = q.DequeueWait(context.Background())
	_, checks["Queue.Ack"] = q.Ack(1)
	_, checks["Queue.Nack"] = q.Nack(1, 0)
	_, checks["Queue.Stats"] = q.Stats()
	_, checks["Queue.DeadLetters"] = q.DeadLetters()
	_, checks["Queue made after close"] = db.Queue("q2", time.Minute, 5).Stats()
	for name, err := range checks {
		if !errors.Is(err, grovekv.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}

// Handles dropped without any Close are released by finalizers (run under GOGC=1), and the
// lists they returned stay valid Go memory.
func TestLeaderboardQueueFinalizers(t *testing.T) {
	db := mem(t)
	var kept []grovekv.Ranked
	var jobs []*grovekv.Job
	for i := 0; i < 200; i++ {
		lb := db.Leaderboard("f")
		must(t, lb.Add(fmt.Sprintf("m%03d", i), float64(i)))
		top, err := lb.Top(2)
		must(t, err)
		kept = append(kept, top...)
		q := db.Queue("f", time.Minute, 5)
		_, err = q.Enqueue([]byte(fmt.Sprintf("p%03d", i)), 0)
		must(t, err)
		job, err := db.Queue("f", time.Minute, 5).Dequeue()
		must(t, err)
		jobs = append(jobs, job)
	}
	runtime.GC()
	runtime.GC()
	n, err := db.Leaderboard("f").Len()
	must(t, err)
	if n != 200 || kept[len(kept)-2].Member != "m199" || kept[0].Member != "m000" {
		t.Fatalf("len %d, kept %+v", n, kept[len(kept)-2:])
	}
	for i, j := range jobs {
		if j == nil || string(j.Payload) != fmt.Sprintf("p%03d", i) {
			t.Fatalf("job %d: %+v", i, j)
		}
	}
}
