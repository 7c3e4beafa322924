package main

import (
	"fmt"
	"sync"
	"time"

	grovekv "github.com/grovekv/grove/bindings/go"
	"github.com/xraph/grove/kv"
	kvcrdt "github.com/xraph/grove/kv/crdt"
	"github.com/xraph/grove/kv/driver"
	"github.com/xraph/grove/kv/drivers/redisdriver"
	"github.com/xraph/grove/kv/kvtest"
	"github.com/xraph/grove/kv/plugins"
)

// github.com/xraph/grove (the Go library of the seeds), module github.com/xraph/grove/kv
// v1.5.1. Its embedded drivers are separate modules that the Go module proxy does not serve,
// so its in-process runs use the in-memory driver the kv module ships (kvtest.MockDriver).
const xraphVersion = "github.com/xraph/grove/kv v1.5.1"

const xraphMemDriver = "kvtest.MockDriver (in-memory map + RWMutex, no persistence)"

var xraphNoted bool

func noteXraph() {
	if xraphNoted {
		return
	}
	xraphNoted = true
	note("xraph-grove (" + xraphVersion + "): its embedded drivers github.com/xraph/grove/kv/drivers/badgerdriver " +
		"and .../boltdriver are not on the Go module proxy (404 Not Found for @v/list; only kv, kv/drivers/redisdriver " +
		"and the root module resolve), so its in-process rows use the kv module's own in-memory driver, " + xraphMemDriver +
		", labelled durability none. Its plugins.AtomicCounter.Increment is a Get then a Set (not atomic: see the " +
		"correctness lines), its plugins.Lock.Release deletes the key without checking the owner's token, and its " +
		"kvcrdt.Counter.Increment loads, changes and saves the whole JSON state")
}

func newXraphStore() (*kv.Store, error) {
	noteXraph()
	drv := kvtest.NewMockDriver()
	if err := drv.Open(ctx, "memory"); err != nil {
		return nil, err
	}
	return kv.Open(drv)
}

type xraphCounter struct {
	c *plugins.AtomicCounter
}

func newXraphCounter() (*xraphCounter, error) {
	s, err := newXraphStore()
	if err != nil {
		return nil, err
	}
	return &xraphCounter{c: plugins.NewAtomicCounter(s, "hot")}, nil
}

func (x *xraphCounter) incr() error {
	_, err := x.c.Increment(ctx, 1)
	return err
}

func (x *xraphCounter) get() (int64, error) { return x.c.Get(ctx) }

type xraphLock struct {
	l *plugins.Lock
}

func newXraphLock() (*xraphLock, error) {
	s, err := newXraphStore()
	if err != nil {
		return nil, err
	}
	return &xraphLock{l: plugins.NewLock(s, "resource", 10*time.Second)}, nil
}

func (x *xraphLock) acquireRelease() error {
	if err := x.l.Acquire(ctx); err != nil {
		return err
	}
	return x.l.Release(ctx)
}

type xraphCRDTCounter struct {
	c *kvcrdt.Counter
}

func newXraphCRDTCounter() (*xraphCRDTCounter, error) {
	s, err := newXraphStore()
	if err != nil {
		return nil, err
	}
	return &xraphCRDTCounter{c: kvcrdt.NewCounter(s, "page:views", kvcrdt.WithNodeID("node-1"))}, nil
}

func (x *xraphCRDTCounter) incr() error { return x.c.Increment(ctx, 1) }

func (x *xraphCRDTCounter) value() (int64, error) { return x.c.Value(ctx) }

// ---------------------------------------------------------------- correctness

// Correctness is the result of hammering one counter from many goroutines.
type Correctness struct {
	Lang       string `json:"lang"`
	Kind       string `json:"kind"`
	System     string `json:"system"`
	Primitive  string `json:"primitive"`
	Driver     string `json:"driver"`
	Goroutines int    `json:"goroutines"`
	Expected   int64  `json:"expected"`
	Final      int64  `json:"final"`
	Lost       int64  `json:"lost"`
}

const correctnessGoroutines = 16

// hammer runs incr n times in each of correctnessGoroutines goroutines and reads the result.
func hammer(n int, incr func() error, final func() (int64, error)) (int64, error) {
	var wg sync.WaitGroup
	errs := make([]error, correctnessGoroutines)
	start := make(chan struct{})
	for g := 0; g < correctnessGoroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			<-start
			for i := 0; i < n; i++ {
				if err := incr(); err != nil {
					errs[g] = err
					return
				}
			}
		}(g)
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	return final()
}

// emitCorrectness writes one correctness line and returns it (the Redis-engine mode prints it).
func emitCorrectness(system, primitive, drv string, n int, final int64) Correctness {
	expected := int64(correctnessGoroutines * n)
	c := Correctness{Lang: lang, Kind: "correctness", System: system, Primitive: primitive, Driver: drv,
		Goroutines: correctnessGoroutines, Expected: expected, Final: final, Lost: expected - final}
	emit(c)
	return c
}

// benchCorrectness: 16 goroutines increment one counter; Grove must end exact (on sled and on
// its Redis engine), and the lost updates of xraph-grove's counters (in memory and through its
// Redis driver, on the same Redis as Grove's redis:// row) are reported.
func benchCorrectness() error {
	n := sizes.Correctness
	db, dir, err := openGrove(tiers["none"], "correctness")
	if err != nil {
		return err
	}
	gc := db.Counter("corr")
	final, err := hammer(n, func() error { _, err := gc.Increment(1); return err }, gc.Get)
	if err != nil {
		return err
	}
	emitCorrectness("grove", "atomic_counter", "grovekv (sled, periodic flush)", n, final)
	if final != int64(correctnessGoroutines*n) {
		return fmt.Errorf("grove counter lost %d of %d increments", int64(correctnessGoroutines*n)-final, correctnessGoroutines*n)
	}
	gcc := db.CRDTCounter("corr:crdt")
	final, err = hammer(n, func() error { _, err := gcc.Increment(1); return err }, gcc.Value)
	if err != nil {
		return err
	}
	emitCorrectness("grove", "crdt_counter", "grovekv (sled, periodic flush)", n, final)
	if final != int64(correctnessGoroutines*n) {
		return fmt.Errorf("grove CRDT counter lost %d of %d increments", int64(correctnessGoroutines*n)-final, correctnessGoroutines*n)
	}
	if err := closeGrove(db, dir); err != nil {
		return err
	}

	xc, err := newXraphCounter()
	if err != nil {
		return err
	}
	final, err = hammer(n, xc.incr, xc.get)
	if err != nil {
		return err
	}
	emitCorrectness("xraph-grove", "atomic_counter", xraphMemDriver, n, final)

	xcc, err := newXraphCRDTCounter()
	if err != nil {
		return err
	}
	final, err = hammer(n, xcc.incr, xcc.value)
	if err != nil {
		return err
	}
	emitCorrectness("xraph-grove", "crdt_counter", xraphMemDriver, n, final)

	_, err = redisCorrectness(tiers["none"], sizes.CorrRedis)
	return err
}

// redisCorrectness runs the 16-goroutine increments on one Redis server twice: through
// xraph-grove's Redis driver (a Get then a Set, which loses updates) and through Grove's Redis
// engine (redis://, one atomic script per increment), and fails if Grove lost any.
func redisCorrectness(tier *Tier, nr int) ([]Correctness, error) {
	var rows []Correctness
	// The driver its docs pair AtomicCounter with: Redis (persistence off), 16 connections.
	rdb, err := redisClient(tier, 1)
	if err != nil {
		return nil, err
	}
	defer rdb.Close()
	if err := flushAll(rdb); err != nil {
		return nil, err
	}
	rd := redisdriver.New()
	if err := rd.Open(ctx, fmt.Sprintf("redis://127.0.0.1:%d/0", tier.Port), driver.WithPoolSize(correctnessGoroutines)); err != nil {
		return nil, fmt.Errorf("xraph-grove redisdriver: %w", err)
	}
	defer rd.Close()
	rs, err := kv.Open(rd)
	if err != nil {
		return nil, err
	}
	rc := plugins.NewAtomicCounter(rs, "corr")
	final, err := hammer(nr, func() error { _, err := rc.Increment(ctx, 1); return err }, func() (int64, error) { return rc.Get(ctx) })
	if err != nil {
		return nil, err
	}
	rows = append(rows, emitCorrectness("xraph-grove", "atomic_counter", "redisdriver (Redis, persistence off)", nr, final))

	// Grove on the same server, one handle shared by the 16 goroutines (its connections pooled).
	gdb, err := grovekv.Open(fmt.Sprintf("redis://127.0.0.1:%d?store=go-corr", tier.Port))
	if err != nil {
		return nil, fmt.Errorf("grove redis://: %w", err)
	}
	defer gdb.Close()
	gc := gdb.Counter("corr")
	final, err = hammer(nr, func() error { _, err := gc.Increment(1); return err }, gc.Get)
	if err != nil {
		return nil, err
	}
	rows = append(rows, emitCorrectness("grove", "atomic_counter", "grovekv redis:// (Redis, persistence off)", nr, final))
	if want := int64(correctnessGoroutines * nr); final != want {
		return rows, fmt.Errorf("grove counter on redis:// lost %d of %d increments", want-final, want)
	}
	return rows, nil
}
