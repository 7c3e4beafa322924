package grovekv_test

import (
	"bytes"
	"math"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	grovekv "github.com/grovekv/grove/bindings/go"
)

func wantBool(t *testing.T, got bool, err error, want bool) {
	t.Helper()
	must(t, err)
	if got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestConditionalWrites(t *testing.T) {
	db := mem(t)
	ok, err := db.SetIfAbsent("k", []byte("one"))
	wantBool(t, ok, err, true)
	ok, err = db.SetIfAbsent("k", []byte("two"))
	wantBool(t, ok, err, false)
	v, err := db.Get("k")
	must(t, err)
	if string(v) != "one" {
		t.Fatalf("k = %q", v)
	}

	ok, err = db.SetIfPresent("missing", []byte("x"))
	wantBool(t, ok, err, false)
	ok, err = db.Exists("missing")
	wantBool(t, ok, err, false)
	ok, err = db.SetIfPresent("k", []byte("three"), grovekv.WithTTL(time.Hour))
	wantBool(t, ok, err, true)
	ttl, has, err := db.TTL("k")
	must(t, err)
	if !has || ttl <= 59*time.Minute {
		t.Fatalf("ttl %v %v", ttl, has)
	}

	ok, err = db.CompareAndSet("k", []byte("nope"), []byte("four"))
	wantBool(t, ok, err, false)
	ok, err = db.CompareAndSet("k", []byte("three"), []byte("four"))
	wantBool(t, ok, err, true)
	if _, has, _ = db.TTL("k"); has {
		t.Fatal("CompareAndSet without WithTTL keeps no expiry, as Set")
	}
	// nil and empty expected both mean the empty value; an absent key never matches.
	ok, err = db.CompareAndSet("absent", nil, []byte("x"))
	wantBool(t, ok, err, false)
	ok, err = db.CompareAndSet("absent", []byte{}, []byte("x"))
	wantBool(t, ok, err, false)
	must(t, db.Set("empty", nil))
	ok, err = db.CompareAndSet("empty", nil, []byte("x"))
	wantBool(t, ok, err, true)

	old, found, err := db.GetSet("k", []byte("five"))
	must(t, err)
	if !found || string(old) != "four" {
		t.Fatalf("GetSet = %q %v", old, found)
	}
	old, found, err = db.GetSet("fresh", []byte("first"), grovekv.WithTTL(time.Hour))
	must(t, err)
	if found || old != nil {
		t.Fatalf("GetSet on an absent key = %q %v", old, found)
	}
	old, found, err = db.GetDelete("k")
	must(t, err)
	if !found || string(old) != "five" {
		t.Fatalf("GetDelete = %q %v", old, found)
	}
	old, found, err = db.GetDelete("k")
	must(t, err)
	if found || old != nil {
		t.Fatalf("GetDelete again = %q %v", old, found)
	}
	must(t, db.Set("e", []byte{}))
	old, found, err = db.GetDelete("e")
	must(t, err)
	if !found || old == nil || len(old) != 0 {
		t.Fatalf("GetDelete of an empty value = %#v %v (want a non-nil empty slice)", old, found)
	}
	// Binary values round-trip.
	bin := []byte{0, 0xff, 1}
	ok, err = db.SetIfAbsent("bin", bin)
	wantBool(t, ok, err, true)
	ok, err = db.CompareAndSet("bin", bin, []byte{2})
	wantBool(t, ok, err, true)
	old, _, err = db.GetDelete("bin")
	must(t, err)
	if !bytes.Equal(old, []byte{2}) {
		t.Fatalf("bin = %v", old)
	}
}

func TestCounterTryDecrementIncrement(t *testing.T) {
	c := mem(t).Counter("stock")
	must(t, c.Set(3))
	check := func(v int64, applied bool, err error, wantV int64, wantApplied bool) {
		t.Helper()
		must(t, err)
		if v != wantV || applied != wantApplied {
			t.Fatalf("got (%d, %v), want (%d, %v)", v, applied, wantV, wantApplied)
		}
	}
	v, ok, err := c.TryDecrement(2, 0)
	check(v, ok, err, 1, true)
	v, ok, err = c.TryDecrement(2, 0)
	check(v, ok, err, 0, false)
	v, ok, err = c.TryDecrement(1, 0)
	check(v, ok, err, 0, true)
	v, ok, err = c.TryDecrement(5, -5)
	check(v, ok, err, -5, true)
	v, ok, err = c.TryIncrement(10, 5)
	check(v, ok, err, 5, true)
	v, ok, err = c.TryIncrement(1, 5)
	check(v, ok, err, 0, false)
	got, err := c.Get()
	must(t, err)
	if got != 5 {
		t.Fatalf("refused changes changed the counter: %d", got)
	}
	// Past the int64 range is past every bound: refused, not ErrOverflow.
	must(t, c.Set(math.MaxInt64))
	v, ok, err = c.TryIncrement(1, math.MaxInt64)
	check(v, ok, err, 0, false)
	must(t, c.Set(math.MinInt64+1))
	v, ok, err = c.TryDecrement(2, math.MinInt64)
	check(v, ok, err, 0, false)
}

// The seed's inventory story done right: 16 goroutines buy one item at a time from a stock of
// 1,000 with TryDecrement until refused; exactly 1,000 are sold and the stock ends at 0.
func sellOut(t *testing.T, db *grovekv.DB) {
	stock := db.Counter("stock")
	must(t, stock.Set(1000))
	var sold atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, ok, err := stock.TryDecrement(1, 0)
				if err != nil {
					errs <- err
					return
				}
				if !ok {
					return
				}
				sold.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	left, err := stock.Get()
	must(t, err)
	if sold.Load() != 1000 || left != 0 {
		t.Fatalf("sold %d, %d left; want 1000 sold, 0 left", sold.Load(), left)
	}
}

func TestInventorySixteenGoroutinesMemory(t *testing.T) {
	sellOut(t, mem(t))
}

func TestInventorySixteenGoroutinesDisk(t *testing.T) {
	db, err := grovekv.Open(filepath.Join(t.TempDir(), "s"))
	must(t, err)
	defer db.Close()
	sellOut(t, db)
}

// The bad-input rows of the conditional writes, run against the populated store of the matrix
// (its state must not change).
func TestBadInputConditional(t *testing.T) {
	inv := grovekv.ErrInvalidArgument
	wrong := grovekv.ErrWrongType
	v := []byte("v")
	cases := []biCase{
		{"SetIfAbsent empty key", inv, func(f *biFixture) error { return e2(f.db.SetIfAbsent("", v)) }},
		{"SetIfPresent empty key", inv, func(f *biFixture) error { return e2(f.db.SetIfPresent("", v)) }},
		{"CompareAndSet empty key", inv, func(f *biFixture) error { return e2(f.db.CompareAndSet("", nil, v)) }},
		{"GetSet empty key", inv, func(f *biFixture) error { return e3(f.db.GetSet("", v)) }},
		{"GetDelete empty key", inv, func(f *biFixture) error { return e3(f.db.GetDelete("")) }},
		{"SetIfAbsent WithTTL 0", inv, func(f *biFixture) error { return e2(f.db.SetIfAbsent("kv:new", v, grovekv.WithTTL(0))) }},
		{"SetIfPresent WithTTL 0", inv, func(f *biFixture) error { return e2(f.db.SetIfPresent("kv:plain", v, grovekv.WithTTL(0))) }},
		{"CompareAndSet WithTTL -1", inv, func(f *biFixture) error {
			return e2(f.db.CompareAndSet("kv:plain", []byte("hello"), v, grovekv.WithTTL(-1)))
		}},
		{"GetSet WithTTL 0", inv, func(f *biFixture) error { return e3(f.db.GetSet("kv:plain", v, grovekv.WithTTL(0))) }},
		{"SetIfAbsent oversized key", inv, func(f *biFixture) error { return e2(f.db.SetIfAbsent(string(make([]byte, biMaxKey+1)), v)) }},
		{"TryDecrement negative", inv, func(f *biFixture) error { return e3(f.hits.TryDecrement(-1, 0)) }},
		{"TryDecrement MinInt64", inv, func(f *biFixture) error { return e3(f.hits.TryDecrement(math.MinInt64, 0)) }},
		{"TryIncrement negative", inv, func(f *biFixture) error { return e3(f.hits.TryIncrement(-1, 100)) }},
		{"TryDecrement on KV bytes", wrong, func(f *biFixture) error { return e3(f.kvCounter.TryDecrement(1, 0)) }},
		{"TryIncrement on KV bytes", wrong, func(f *biFixture) error { return e3(f.kvCounter.TryIncrement(1, 100)) }},
		{"SetIfAbsent on a counter", wrong, func(f *biFixture) error { return e2(f.db.SetIfAbsent("counter:hits", v)) }},
		{"SetIfPresent on a lock", wrong, func(f *biFixture) error { return e2(f.db.SetIfPresent("lock:deploy", v)) }},
		{"CompareAndSet on a counter", wrong, func(f *biFixture) error { return e2(f.db.CompareAndSet("counter:hits", nil, v)) }},
		{"GetSet on a counter", wrong, func(f *biFixture) error { return e3(f.db.GetSet("counter:hits", v)) }},
		{"GetDelete on a counter", wrong, func(f *biFixture) error { return e3(f.db.GetDelete("counter:hits")) }},
		{"TryDecrement refused", nil, func(f *biFixture) error { return e3(f.hits.TryDecrement(43, 0)) }},
		{"TryIncrement refused", nil, func(f *biFixture) error { return e3(f.hits.TryIncrement(1, 42)) }},
		{"SetIfAbsent present", nil, func(f *biFixture) error { return e2(f.db.SetIfAbsent("kv:plain", v)) }},
		{"SetIfPresent absent", nil, func(f *biFixture) error { return e2(f.db.SetIfPresent("kv:new", v)) }},
		{"GetDelete absent", nil, func(f *biFixture) error { return e3(f.db.GetDelete("kv:new")) }},
	}
	biRun(t, cases)
}
