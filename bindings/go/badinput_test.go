package grovekv_test

// The bad-input matrix of the Go door: every kind of wrong argument, in Go terms, against a
// store populated with one of each kind (memory and sled). Each case must return an error
// wrapping the exact sentinel with a readable message (never panic or hang), and the store's
// observable state must be the same after all the cases of a group as before them.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	grovekv "github.com/grovekv/grove/bindings/go"
)

const (
	biMaxKey   = 1024
	biMaxValue = 16 * 1024 * 1024
	biHour     = time.Hour
	biFakeSID  = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" // well-formed, never issued
)

// Invalid UTF-8: a lone continuation byte, a bad 2-byte sequence, an overlong '/', an encoded
// surrogate, a truncated 3-byte sequence, a code point above U+10FFFF.
var biBadUTF8 = []string{"\xff", "\xc3\x28", "\xc0\xaf", "\xed\xa0\x80", "abc\xe2\x82", "\xf4\x90\x80\x80"}

// biFixture is a store holding one of each kind, with the handles that made it.
type biFixture struct {
	db         *grovekv.DB
	path       string
	hits, low  *grovekv.Counter
	kvCounter  *grovekv.Counter // "counter:kvbytes" holds KV bytes
	lock       *grovekv.Lock    // held
	kvLock     *grovekv.Lock    // "lock:kvbytes" holds KV bytes
	rl         *grovekv.RateLimiter
	sess       *grovekv.Sessions
	sid        string
	lb         *grovekv.Leaderboard
	q, deadq   *grovekv.Queue
	inflightID uint64
	cc         *grovekv.CRDTCounter
	cr         *grovekv.CRDTRegister
	cs         *grovekv.CRDTSet
	cm         *grovekv.CRDTMap
}

func biMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
}

func biOpen(t *testing.T, path string) *grovekv.DB {
	t.Helper()
	var db *grovekv.DB
	var err error
	if path == "" {
		db, err = grovekv.OpenMemory()
	} else {
		db, err = grovekv.Open(path)
	}
	biMust(t, err)
	return db
}

func biPopulate(t *testing.T, engine string) *biFixture {
	t.Helper()
	f := &biFixture{}
	if engine == "sled" {
		f.path = filepath.Join(t.TempDir(), "store")
	}
	f.db = biOpen(t, f.path)
	t.Cleanup(func() { _ = f.db.Close() })
	db := f.db
	biMust(t, db.Set("kv:plain", []byte("hello")))
	biMust(t, db.Set("kv:ttl", []byte("bye"), grovekv.WithTTL(biHour)))
	biMust(t, db.Set("kv:empty", nil))
	biMust(t, db.Set("kv:bin\xff", []byte{0, 0xff, 1}))
	biMust(t, db.Set("counter:kvbytes", []byte("not a counter")))
	biMust(t, db.Set("lock:kvbytes", []byte("not a lock")))
	biMust(t, db.Set("ratelimit:api:kvbytes", []byte("not a window")))
	biMust(t, db.Set("sess:"+biFakeSID, []byte("not a session")))

	f.hits = db.Counter("hits")
	_, err := f.hits.Increment(42)
	biMust(t, err)
	f.low = db.Counter("low")
	biMust(t, f.low.Set(math.MinInt64+5))
	f.kvCounter = db.Counter("kvbytes")

	f.lock = db.Lock("deploy", biHour)
	got, err := f.lock.TryAcquire()
	biMust(t, err)
	if !got {
		t.Fatal("setup: lock not acquired")
	}
	f.kvLock = db.Lock("kvbytes", biHour)

	f.rl = db.RateLimiter("api", 10, biHour)
	_, err = f.rl.Allow("user1", 3)
	biMust(t, err)

	f.sess = db.Sessions(biHour, "sess")
	f.sid, err = f.sess.Create([]byte("session-data"))
	biMust(t, err)

	f.lb = db.Leaderboard("scores")
	for m, s := range map[string]float64{"alice": 10, "bob": 20.5, "carol": -3, "big": math.MaxFloat64, "small": -math.MaxFloat64} {
		biMust(t, f.lb.Add(m, s))
	}

	f.q = db.Queue("jobs", biHour, 5)
	for _, p := range []string{"j1", "j2"} {
		_, err = f.q.Enqueue([]byte(p), 0)
		biMust(t, err)
	}
	_, err = f.q.Enqueue([]byte("j3"), biHour)
	biMust(t, err)
	job, err := f.q.Dequeue()
	biMust(t, err)
	f.inflightID = job.ID
	f.deadq = db.Queue("deadq", biHour, 1)
	_, err = f.deadq.Enqueue([]byte("d1"), 0)
	biMust(t, err)
	job, err = f.deadq.Dequeue()
	biMust(t, err)
	_, err = f.deadq.Nack(job.ID, 0)
	biMust(t, err)

	f.cc = db.CRDTCounter("crdt:c")
	_, err = f.cc.Increment(7)
	biMust(t, err)
	_, err = f.cc.Decrement(2)
	biMust(t, err)
	f.cr = db.CRDTRegister("crdt:r")
	biMust(t, f.cr.SetJSON(json.RawMessage(`{"v":1}`)))
	f.cs = db.CRDTSet("crdt:s")
	for _, v := range []interface{}{"x", 1, map[string]interface{}{"a": []int{1, 2}}} {
		biMust(t, f.cs.Add(v))
	}
	f.cm = db.CRDTMap("crdt:m")
	biMust(t, f.cm.Set("f1", "one"))
	biMust(t, f.cm.Set("f2", 2))
	biMust(t, f.cm.Set("f3", true))
	_, err = f.cm.Delete("f3")
	biMust(t, err)
	return f
}

func biHash(b []byte) string {
	h := fnv.New64a()
	_, _ = h.Write(b)
	return fmt.Sprintf("%d/%016x", len(b), h.Sum64())
}

// biSnapshot renders everything an observer can read of the populated store, through fresh
// handles (so it works on a reopened store too).
func biSnapshot(t *testing.T, db *grovekv.DB, sid string) string {
	t.Helper()
	var b strings.Builder
	fail := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("snapshot %s: %v", what, err)
		}
	}
	keys, err := db.Keys("")
	fail("keys", err)
	for _, k := range keys {
		kind, err := db.Type(k)
		fail("type", err)
		ttl, has, err := db.TTL(k)
		fail("ttl", err)
		life := "none"
		if has {
			life = "short"
			if ttl > 50*time.Minute {
				life = "long"
			}
		}
		fmt.Fprintf(&b, "key %q kind=%v ttl=%s", k, kind, life)
		if kind == grovekv.KindBytes {
			v, err := db.Get(k)
			fail("get", err)
			fmt.Fprintf(&b, " value=%q", v)
		}
		b.WriteString("\n")
	}
	for _, name := range []string{"hits", "low"} {
		v, err := db.Counter(name).Get()
		fail("counter", err)
		fmt.Fprintf(&b, "counter %s=%d\n", name, v)
	}
	li, err := db.LockInfo("deploy")
	fail("lock info", err)
	fmt.Fprintf(&b, "lock held=%v token=%d\n", li.Held, li.FencingToken)
	d, err := db.RateLimiter("api", 10, biHour).Peek("user1")
	fail("peek", err)
	fmt.Fprintf(&b, "rl allowed=%v remaining=%d\n", d.Allowed, d.Remaining)
	s := db.Sessions(biHour, "sess")
	data, err := s.Get(sid)
	fail("session get", err)
	ok, err := s.Exists(sid)
	fail("session exists", err)
	fmt.Fprintf(&b, "session %q exists=%v\n", data, ok)
	lb := db.Leaderboard("scores")
	n, err := lb.Len()
	fail("lb len", err)
	top, err := lb.Top(100)
	fail("lb top", err)
	fmt.Fprintf(&b, "lb len=%d top=%v\n", n, top)
	for i, name := range []string{"jobs", "deadq"} {
		q := db.Queue(name, biHour, []int{5, 1}[i])
		st, err := q.Stats()
		fail("queue stats", err)
		dead, err := q.DeadLetters()
		fail("dead letters", err)
		fmt.Fprintf(&b, "queue %s %+v", name, st)
		for _, j := range dead {
			fmt.Fprintf(&b, " dead#%d/%d:%q", j.ID, j.Attempts, j.Payload)
		}
		b.WriteString("\n")
	}
	cc := db.CRDTCounter("crdt:c")
	v, err := cc.Value()
	fail("crdt value", err)
	p, nn, err := cc.Totals()
	fail("crdt totals", err)
	contrib, err := cc.Contributions()
	fail("crdt contributions", err)
	state, err := cc.State()
	fail("crdt state", err)
	fmt.Fprintf(&b, "crdt counter %d p=%d n=%d contributions=%d state=%s\n", v, p, nn, len(contrib), biHash(state))
	raw, found, err := db.CRDTRegister("crdt:r").GetJSON()
	fail("register", err)
	state, err = db.CRDTRegister("crdt:r").State()
	fail("register state", err)
	fmt.Fprintf(&b, "crdt register %v %s state=%s\n", found, raw, biHash(state))
	members, err := db.CRDTSet("crdt:s").Members()
	fail("set members", err)
	state, err = db.CRDTSet("crdt:s").State()
	fail("set state", err)
	ms := make([]string, len(members))
	for i, m := range members {
		ms[i] = string(m)
	}
	fmt.Fprintf(&b, "crdt set %v state=%s\n", ms, biHash(state))
	all, err := db.CRDTMap("crdt:m").All()
	fail("map all", err)
	names := make([]string, 0, len(all))
	for k := range all {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(&b, "map %s=%s\n", k, all[k])
	}
	state, err = db.CRDTMap("crdt:m").State()
	fail("map state", err)
	drift, err := db.MaxDrift()
	fail("max drift", err)
	fmt.Fprintf(&b, "map state=%s drift=%v node=%s\n", biHash(state), drift, db.NodeID())
	return b.String()
}

// biCase is one bad call: it must return an error wrapping want (nil: must succeed), with a
// readable message.
type biCase struct {
	name string
	want error
	call func(f *biFixture) error
}

// biCoreBugs names the cases that hit a known bug of the Rust core (core/ is not this
// binding's to fix): a mismatch skips the case with that label instead of failing it.
var biCoreBugs = map[string]string{}

func biCheckErr(t *testing.T, err, want error) bool {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Errorf("want success, got %v", err)
			return false
		}
		return true
	}
	if !errors.Is(err, want) {
		t.Errorf("want %v, got %v", want, err)
		return false
	}
	var ge *grovekv.Error
	if !errors.As(err, &ge) {
		t.Errorf("%v is not a *grovekv.Error", err)
		return false
	}
	if ge.Message == "" || !utf8.ValidString(ge.Message) || !utf8.ValidString(err.Error()) {
		t.Errorf("unreadable message %q", ge.Message)
		return false
	}
	return true
}

// biRun runs a group of cases against a fresh populated store of each engine, then checks
// that the store is unchanged (reopening a sled store if the group closed it).
func biRun(t *testing.T, cases []biCase) {
	t.Helper()
	for _, engine := range []string{"memory", "sled"} {
		engine := engine
		t.Run(engine, func(t *testing.T) {
			f := biPopulate(t, engine)
			before := biSnapshot(t, f.db, f.sid)
			for _, c := range cases {
				c := c
				t.Run(c.name, func(t *testing.T) {
					var err error
					func() {
						defer func() {
							if r := recover(); r != nil {
								t.Fatalf("panic: %v", r)
							}
						}()
						err = c.call(f)
					}()
					matches := (c.want == nil && err == nil) || (c.want != nil && errors.Is(err, c.want))
					if bug := biCoreBugs[c.name]; bug != "" && !matches {
						t.Skipf("core bug: %s (want %v, got %v)", bug, c.want, err)
					}
					biCheckErr(t, err, c.want)
				})
			}
			db := f.db
			if _, err := db.Get("kv:plain"); errors.Is(err, grovekv.ErrClosed) {
				if f.path == "" {
					return // a closed memory store has nothing left to compare
				}
				db = biOpen(t, f.path)
				defer db.Close()
			}
			if after := biSnapshot(t, db, f.sid); after != before {
				t.Errorf("the store changed:\n%s", biDiff(before, after))
			}
		})
	}
}

func biDiff(before, after string) string {
	a, b := strings.Split(before, "\n"), strings.Split(after, "\n")
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return fmt.Sprintf("before: %s\nafter:  %s", x, y)
		}
	}
	return "(same lines)"
}

// Helpers that turn multi-result methods into an error.
func e2[T any](_ T, err error) error         { return err }
func e3[T, U any](_ T, _ U, err error) error { return err }

// ---------------------------------------------------------------- empty and nil

func TestBadInputEmptyAndNil(t *testing.T) {
	inv := grovekv.ErrInvalidArgument
	// Empty keys and names that are rows of tests/bad_input/rules.tsv (rules_table_test.go runs
	// them in every door: Set, Expire, Counter, RateLimiter, Leaderboard, Queue, the CRDTs,
	// Leaderboard.Add's member; a rate limit or max attempts of 0) are not repeated here.
	cases := []biCase{
		{"Get empty key", inv, func(f *biFixture) error { return e2(f.db.Get("")) }},
		{"Set empty key nil value", inv, func(f *biFixture) error { return f.db.Set("", nil) }},
		{"Delete empty key", inv, func(f *biFixture) error { return e2(f.db.Delete("")) }},
		{"Exists empty key", inv, func(f *biFixture) error { return e2(f.db.Exists("")) }},
		{"Persist empty key", inv, func(f *biFixture) error { return e2(f.db.Persist("")) }},
		{"TTL empty key", inv, func(f *biFixture) error { return e3(f.db.TTL("")) }},
		{"Type empty key", inv, func(f *biFixture) error { return e2(f.db.Type("")) }},
		{"GetMany nil", nil, func(f *biFixture) error { return e2(f.db.GetMany(nil)) }},
		{"GetMany empty", nil, func(f *biFixture) error { return e2(f.db.GetMany([]string{})) }},
		{"GetMany with empty key", inv, func(f *biFixture) error { return e2(f.db.GetMany([]string{"kv:plain", ""})) }},
		{"SetMany nil", nil, func(f *biFixture) error { return f.db.SetMany(nil) }},
		{"SetMany empty", nil, func(f *biFixture) error { return f.db.SetMany(map[string][]byte{}) }},
		{"SetMany with empty key", inv, func(f *biFixture) error {
			return f.db.SetMany(map[string][]byte{"kv:plain": []byte("changed"), "": []byte("x")})
		}},
		{"Lock empty name", inv, func(f *biFixture) error { return e2(f.db.Lock("", time.Second).TryAcquire()) }},
		{"LockInfo empty name", inv, func(f *biFixture) error { return e2(f.db.LockInfo("")) }},
		{"Sessions empty prefix", inv, func(f *biFixture) error { return e2(f.db.Sessions(time.Minute, "").Exists(f.sid)) }},
		{"Namespace empty", inv, func(f *biFixture) error { return e2(f.db.Namespace("")) }},
		{"Leaderboard Incr empty member", inv, func(f *biFixture) error { return e2(f.lb.Incr("", 1)) }},
		{"Leaderboard Score empty member", inv, func(f *biFixture) error { return e2(f.lb.Score("")) }},
		{"Leaderboard Rank empty member", inv, func(f *biFixture) error { return e2(f.lb.Rank("")) }},
		{"Leaderboard Remove empty member", inv, func(f *biFixture) error { return e2(f.lb.Remove("")) }},
		{"Leaderboard Around empty member", inv, func(f *biFixture) error { return e2(f.lb.Around("", 1)) }},
		{"Leaderboard Top 0", nil, func(f *biFixture) error { return e2(f.lb.Top(0)) }},
		{"RateLimiter Allow empty key", inv, func(f *biFixture) error { return e2(f.rl.Allow("", 1)) }},
		{"RateLimiter Peek empty key", inv, func(f *biFixture) error { return e2(f.rl.Peek("")) }},
		{"RateLimiter Reset empty key", inv, func(f *biFixture) error { return e2(f.rl.Reset("")) }},
		{"RateLimiter Allow cost 0 only reports", nil, func(f *biFixture) error { return e2(f.rl.Allow("user1", 0)) }},
		{"Sessions Get empty id", grovekv.ErrNotFound, func(f *biFixture) error { return e2(f.sess.Get("")) }},
		{"Sessions Exists empty id", nil, func(f *biFixture) error { return biWantFalse(f.sess.Exists("")) }},
		{"Sessions Touch empty id", nil, func(f *biFixture) error { return biWantFalse(f.sess.Touch("")) }},
		{"Sessions Update empty id", nil, func(f *biFixture) error { return biWantFalse(f.sess.Update("", []byte("x"))) }},
		{"Sessions Delete empty id", nil, func(f *biFixture) error { return biWantFalse(f.sess.Delete("")) }},
		{"CRDTMap Set empty field", inv, func(f *biFixture) error { return f.cm.Set("", 1) }},
		{"CRDTMap Delete empty field", inv, func(f *biFixture) error { return e2(f.cm.Delete("")) }},
		{"CRDTMap GetJSON empty field", inv, func(f *biFixture) error { return e3(f.cm.GetJSON("")) }},
		{"CRDTRegister SetJSON nil", inv, func(f *biFixture) error { return f.cr.SetJSON(nil) }},
		{"CRDTRegister SetJSON empty", inv, func(f *biFixture) error { return f.cr.SetJSON(json.RawMessage{}) }},
		{"CRDTMap SetJSON nil", inv, func(f *biFixture) error { return f.cm.SetJSON("f1", nil) }},
		{"CRDTSet Add empty RawMessage", inv, func(f *biFixture) error { return f.cs.Add(json.RawMessage{}) }},
		{"CRDTCounter Merge nil", grovekv.ErrCorrupt, func(f *biFixture) error { return e2(f.cc.Merge(nil)) }},
		{"CRDTCounter Merge empty", grovekv.ErrCorrupt, func(f *biFixture) error { return e2(f.cc.Merge([]byte{})) }},
		{"CRDTRegister Merge nil", grovekv.ErrCorrupt, func(f *biFixture) error { return e2(f.cr.Merge(nil)) }},
		{"CRDTSet Merge nil", grovekv.ErrCorrupt, func(f *biFixture) error { return e2(f.cs.Merge(nil)) }},
		{"CRDTMap Merge nil", grovekv.ErrCorrupt, func(f *biFixture) error { return e2(f.cm.Merge(nil)) }},
		{"ApplyChanges nil", grovekv.ErrCorrupt, func(f *biFixture) error { return e2(f.db.ApplyChanges(nil)) }},
		{"ApplyChanges empty", grovekv.ErrCorrupt, func(f *biFixture) error { return e2(f.db.ApplyChanges([]byte{})) }},
		{"Open empty path", inv, func(f *biFixture) error { return e2(grovekv.Open("")) }},
		{"OpenMemory empty node id", inv, func(f *biFixture) error { return e2(grovekv.OpenMemory(grovekv.WithNodeID(""))) }},
		{"Sync nil", inv, func(f *biFixture) error { return e2(grovekv.Sync(f.db, nil)) }},
		{"Sync nil first", inv, func(f *biFixture) error { return e2(grovekv.Sync(nil, f.db)) }},
	}
	biRun(t, cases)
}

// biWantFalse turns a (bool, error) that must be (false, nil) into an error.
func biWantFalse(got bool, err error) error {
	if err != nil {
		return err
	}
	if got {
		return errors.New("want false, got true")
	}
	return nil
}

// ---------------------------------------------------------------- oversized

func TestBadInputOversized(t *testing.T) {
	inv := grovekv.ErrInvalidArgument
	bigKey := strings.Repeat("k", biMaxKey+1)
	bigVal := make([]byte, biMaxValue+1)
	bigStr := strings.Repeat("j", biMaxValue+1)
	bigJSON := json.RawMessage(`"` + bigStr + `"`)
	cases := []biCase{
		// Set with a key one byte too long is a row of tests/bad_input/rules.tsv.
		{"Get", inv, func(f *biFixture) error { return e2(f.db.Get(bigKey)) }},
		{"Set value", inv, func(f *biFixture) error { return f.db.Set("kv:plain", bigVal) }},
		{"Set value with TTL", inv, func(f *biFixture) error { return f.db.Set("kv:new", bigVal, grovekv.WithTTL(time.Minute)) }},
		{"Delete", inv, func(f *biFixture) error { return e2(f.db.Delete(bigKey)) }},
		{"Exists", inv, func(f *biFixture) error { return e2(f.db.Exists(bigKey)) }},
		{"Expire", inv, func(f *biFixture) error { return e2(f.db.Expire(bigKey, time.Second)) }},
		{"Persist", inv, func(f *biFixture) error { return e2(f.db.Persist(bigKey)) }},
		{"TTL", inv, func(f *biFixture) error { return e3(f.db.TTL(bigKey)) }},
		{"Type", inv, func(f *biFixture) error { return e2(f.db.Type(bigKey)) }},
		{"GetMany", inv, func(f *biFixture) error { return e2(f.db.GetMany([]string{"kv:plain", bigKey})) }},
		{"SetMany key", inv, func(f *biFixture) error {
			return f.db.SetMany(map[string][]byte{"kv:plain": []byte("changed"), bigKey: []byte("v")})
		}},
		{"SetMany value", inv, func(f *biFixture) error {
			return f.db.SetMany(map[string][]byte{"kv:plain": []byte("changed"), "kv:huge": bigVal})
		}},
		{"Counter name", inv, func(f *biFixture) error { return e2(f.db.Counter(bigKey[8:]).Increment(1)) }},
		{"Lock name", inv, func(f *biFixture) error { return e2(f.db.Lock(bigKey, time.Second).TryAcquire()) }},
		{"RateLimiter name", inv, func(f *biFixture) error { return e2(f.db.RateLimiter(bigKey, 1, time.Second).Allow("k", 1)) }},
		// ratelimit:<name>:<key> must fit in the key limit with a one-byte key.
		{"RateLimiter name leaving no room for a key", inv, func(f *biFixture) error {
			return e2(f.db.RateLimiter(bigKey[len("ratelimit:")+2:], 1, time.Second).Peek("k"))
		}},
		{"Sessions prefix", inv, func(f *biFixture) error { return e2(f.db.Sessions(time.Minute, bigKey[10:]).Create(nil)) }},
		{"Leaderboard name", inv, func(f *biFixture) error { return f.db.Leaderboard(bigKey).Add("m", 1) }},
		{"Queue name", inv, func(f *biFixture) error { return e2(f.db.Queue(bigKey, time.Minute, 1).Enqueue(nil, 0)) }},
		{"CRDTCounter key", inv, func(f *biFixture) error { return e2(f.db.CRDTCounter(bigKey).Increment(1)) }},
		{"CRDTRegister key", inv, func(f *biFixture) error { return f.db.CRDTRegister(bigKey).Set(1) }},
		{"CRDTSet key", inv, func(f *biFixture) error { return f.db.CRDTSet(bigKey).Add(1) }},
		{"CRDTMap key", inv, func(f *biFixture) error { return f.db.CRDTMap(bigKey).Set("f", 1) }},
		{"Leaderboard member", inv, func(f *biFixture) error { return f.lb.Add(bigKey, 1) }},
		{"RateLimiter key", inv, func(f *biFixture) error { return e2(f.rl.Allow(bigKey, 1)) }},
		{"Sessions Create data", inv, func(f *biFixture) error { return e2(f.sess.Create(bigVal)) }},
		{"Sessions Update data", inv, func(f *biFixture) error { return e2(f.sess.Update(f.sid, bigVal)) }},
		{"Queue Enqueue payload", inv, func(f *biFixture) error { return e2(f.q.Enqueue(bigVal, 0)) }},
		{"CRDTRegister SetJSON", inv, func(f *biFixture) error { return f.cr.SetJSON(bigJSON) }},
		{"CRDTSet Add", inv, func(f *biFixture) error { return f.cs.Add(bigStr) }},
		{"CRDTMap SetJSON", inv, func(f *biFixture) error { return f.cm.SetJSON("f1", bigJSON) }},
		{"WithNodeID 65 bytes", inv, func(f *biFixture) error { return e2(grovekv.OpenMemory(grovekv.WithNodeID(strings.Repeat("n", 65)))) }},
	}
	biRun(t, cases)
}

// ---------------------------------------------------------------- durations and floats

func TestBadInputDurationsAndFloats(t *testing.T) {
	inv := grovekv.ErrInvalidArgument
	var cases []biCase
	for _, d := range []time.Duration{-1, -time.Hour, math.MinInt64} {
		d := d
		cases = append(cases,
			biCase{"WithTTL " + d.String(), inv, func(f *biFixture) error { return f.db.Set("kv:plain", []byte("c"), grovekv.WithTTL(d)) }},
			biCase{"SetMany WithTTL " + d.String(), inv, func(f *biFixture) error {
				return f.db.SetMany(map[string][]byte{"kv:plain": []byte("c")}, grovekv.WithTTL(d))
			}},
			biCase{"Expire " + d.String(), inv, func(f *biFixture) error { return e2(f.db.Expire("kv:plain", d)) }},
			biCase{"Lock ttl " + d.String(), inv, func(f *biFixture) error { return e2(f.db.Lock("deploy", d).TryAcquire()) }},
			biCase{"Lock Extend " + d.String(), inv, func(f *biFixture) error { return e2(f.lock.Extend(d)) }},
			biCase{"Lock Acquire retry " + d.String(), inv, func(f *biFixture) error {
				return e2(f.kvLock.Acquire(context.Background(), d))
			}},
			biCase{"RateLimiter window " + d.String(), inv, func(f *biFixture) error { return e2(f.db.RateLimiter("api", 10, d).Peek("user1")) }},
			biCase{"Sessions ttl " + d.String(), inv, func(f *biFixture) error { return e2(f.db.Sessions(d, "sess").Exists(f.sid)) }},
			biCase{"Queue visibility " + d.String(), inv, func(f *biFixture) error { return e2(f.db.Queue("jobs", d, 5).Stats()) }},
			biCase{"Enqueue delay " + d.String(), inv, func(f *biFixture) error { return e2(f.q.Enqueue([]byte("p"), d)) }},
			biCase{"Nack delay " + d.String(), inv, func(f *biFixture) error { return e2(f.q.Nack(f.inflightID, d)) }},
			biCase{"SetMaxDrift " + d.String(), inv, func(f *biFixture) error { return f.db.SetMaxDrift(d) }},
			biCase{"WithFlushInterval " + d.String(), inv, func(f *biFixture) error { return e2(grovekv.OpenMemory(grovekv.WithFlushInterval(d))) }},
		)
	}
	cases = append(cases,
		biCase{"WithTTL 0", inv, func(f *biFixture) error { return f.db.Set("kv:plain", []byte("c"), grovekv.WithTTL(0)) }},
		biCase{"Lock ttl 0", inv, func(f *biFixture) error { return e2(f.db.Lock("deploy", 0).TryAcquire()) }},
		biCase{"Lock Extend 0", inv, func(f *biFixture) error { return e2(f.lock.Extend(0)) }},
		// Sessions with a ttl of 0 is a row of tests/bad_input/rules.tsv.
		biCase{"Queue visibility 0", inv, func(f *biFixture) error { return e2(f.db.Queue("jobs", 0, 5).Stats()) }},
		biCase{"RateLimiter window under 1ms", inv, func(f *biFixture) error { return e2(f.db.RateLimiter("api", 10, time.Microsecond).Peek("user1")) }},
		biCase{"SetMaxDrift over 100 years", inv, func(f *biFixture) error { return f.db.SetMaxDrift(math.MaxInt64) }},
		biCase{"WithTTL over 100 years", inv, func(f *biFixture) error {
			return f.db.Set("kv:plain", []byte("c"), grovekv.WithTTL(math.MaxInt64))
		}},
		biCase{"Lock Extend over 100 years", inv, func(f *biFixture) error { return e2(f.lock.Extend(math.MaxInt64)) }},
	)
	for _, x := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), -math.NaN()} {
		x := x
		s := fmt.Sprint(x)
		cases = append(cases,
			biCase{"Add " + s, inv, func(f *biFixture) error { return f.lb.Add("alice", x) }},
			biCase{"Incr " + s, inv, func(f *biFixture) error { return e2(f.lb.Incr("alice", x)) }},
			biCase{"Register Set " + s, inv, func(f *biFixture) error { return f.cr.Set(x) }},
			biCase{"Map Set " + s, inv, func(f *biFixture) error { return f.cm.Set("f1", x) }},
			biCase{"Set Add " + s, inv, func(f *biFixture) error { return f.cs.Add(x) }},
		)
	}
	// A new member's score of NaN, +Inf or -Inf (Add) and delta of NaN or +Inf (Incr) are rows of
	// tests/bad_input/rules.tsv; what is left of them here is Go's own.
	cases = append(cases,
		biCase{"Add new member -NaN", inv, func(f *biFixture) error { return f.lb.Add("newcomer", -math.NaN()) }},
		biCase{"Incr new member -Inf", inv, func(f *biFixture) error { return e2(f.lb.Incr("newcomer", math.Inf(-1))) }},
		biCase{"Incr new member -NaN", inv, func(f *biFixture) error { return e2(f.lb.Incr("newcomer", -math.NaN())) }},
	)
	cases = append(cases,
		biCase{"Incr past MaxFloat64", grovekv.ErrOverflow, func(f *biFixture) error { return e2(f.lb.Incr("big", math.MaxFloat64)) }},
		biCase{"Incr past -MaxFloat64", grovekv.ErrOverflow, func(f *biFixture) error { return e2(f.lb.Incr("small", -math.MaxFloat64)) }},
		biCase{"Top negative", inv, func(f *biFixture) error { return e2(f.lb.Top(-1)) }},
		biCase{"Range negative start", inv, func(f *biFixture) error { return e2(f.lb.Range(-1, 2)) }},
		biCase{"Range negative stop", inv, func(f *biFixture) error { return e2(f.lb.Range(0, -2)) }},
		biCase{"Around negative", inv, func(f *biFixture) error { return e2(f.lb.Around("bob", -1)) }},
		biCase{"Top MaxInt", nil, func(f *biFixture) error { return biWantLen(f.lb.Top(math.MaxInt))(5) }},
		biCase{"Range to MaxInt", nil, func(f *biFixture) error { return biWantLen(f.lb.Range(2, math.MaxInt))(3) }},
		biCase{"Range MaxInt-1 to MaxInt", nil, func(f *biFixture) error { return biWantLen(f.lb.Range(math.MaxInt-1, math.MaxInt))(0) }},
		biCase{"Around MaxInt", nil, func(f *biFixture) error { return biWantLen(f.lb.Around("alice", math.MaxInt))(5) }},
		biCase{"Queue max attempts negative", inv, func(f *biFixture) error { return e2(f.db.Queue("jobs", time.Minute, -1).Stats()) }},
		biCase{"Queue max attempts over uint32", inv, func(f *biFixture) error {
			return e2(f.db.Queue("jobs", time.Minute, int(math.MaxUint32)+1).Stats())
		}},
	)
	biRun(t, cases)
}

func biWantLen(rs []grovekv.Ranked, err error) func(int) error {
	return func(n int) error {
		if err != nil {
			return err
		}
		if len(rs) != n {
			return fmt.Errorf("want %d members, got %d", n, len(rs))
		}
		return nil
	}
}

// ---------------------------------------------------------------- integer extremes

func TestBadInputIntegerOverflow(t *testing.T) {
	ovf := grovekv.ErrOverflow
	// A replica whose crdt:c holds MaxInt64 increments: merged into p = 7, n = 2 the value
	// would pass MaxInt64, so every merge path refuses it and changes nothing.
	big, err := grovekv.OpenMemory(grovekv.WithNodeID("big-replica"))
	biMust(t, err)
	defer big.Close()
	_, err = big.CRDTCounter("crdt:c").Increment(math.MaxInt64)
	biMust(t, err)
	bigState, err := big.CRDTCounter("crdt:c").State()
	biMust(t, err)
	bigBundle, _, err := big.ExportChanges(0)
	biMust(t, err)
	cases := []biCase{
		// hits = 42, low = MinInt64 + 5
		{"Increment MaxInt64", ovf, func(f *biFixture) error { return e2(f.hits.Increment(math.MaxInt64)) }},
		{"Decrement MinInt64", ovf, func(f *biFixture) error { return e2(f.hits.Decrement(math.MinInt64)) }},
		{"Decrement -MaxInt64", ovf, func(f *biFixture) error { return e2(f.hits.Decrement(-math.MaxInt64)) }},
		{"low Increment MinInt64", ovf, func(f *biFixture) error { return e2(f.low.Increment(math.MinInt64)) }},
		{"low Increment -6", ovf, func(f *biFixture) error { return e2(f.low.Increment(-6)) }},
		{"low Decrement MaxInt64", ovf, func(f *biFixture) error { return e2(f.low.Decrement(math.MaxInt64)) }},
		{"low Decrement 6", ovf, func(f *biFixture) error { return e2(f.low.Decrement(6)) }},
		{"unset Decrement MinInt64", ovf, func(f *biFixture) error { return e2(f.db.Counter("never-written").Decrement(math.MinInt64)) }},
		// crdt counter: p = 7, n = 2
		{"CRDT Increment MaxUint64", ovf, func(f *biFixture) error { return e2(f.cc.Increment(math.MaxUint64)) }},
		{"CRDT Decrement MaxUint64", ovf, func(f *biFixture) error { return e2(f.cc.Decrement(math.MaxUint64)) }},
		{"CRDT Increment MaxInt64", ovf, func(f *biFixture) error { return e2(f.cc.Increment(math.MaxInt64)) }},
		{"CRDT Add MaxInt64", ovf, func(f *biFixture) error { return e2(f.cc.Add(math.MaxInt64)) }},
		{"CRDT Decrement MaxInt64+7", ovf, func(f *biFixture) error { return e2(f.cc.Decrement(math.MaxInt64 + 7)) }},
		{"CRDT Merge past MaxInt64", ovf, func(f *biFixture) error { return e2(f.cc.Merge(bigState)) }},
		{"ApplyChanges past MaxInt64", ovf, func(f *biFixture) error { return e2(f.db.ApplyChanges(bigBundle)) }},
		{"Sync past MaxInt64", ovf, func(f *biFixture) error { return e2(grovekv.Sync(big, f.db)) }},
		// A cost of 11 on a limit of 10 is a row of tests/bad_input/rules.tsv.
		{"RateLimiter cost MaxUint64", grovekv.ErrInvalidArgument, func(f *biFixture) error { return e2(f.rl.Allow("user1", math.MaxUint64)) }},
		{"Ack id 0", nil, func(f *biFixture) error { return biWantFalse(f.q.Ack(0)) }},
		{"Ack id MaxUint64", nil, func(f *biFixture) error { return biWantFalse(f.q.Ack(math.MaxUint64)) }},
		{"Nack id MaxUint64", nil, func(f *biFixture) error { return biWantFalse(f.q.Nack(math.MaxUint64, 0)) }},
		{"ExportChanges since MaxUint64", nil, func(f *biFixture) error { return e3(f.db.ExportChanges(math.MaxUint64)) }},
	}
	biRun(t, cases)
}

// ---------------------------------------------------------------- invalid UTF-8

func TestBadInputInvalidUTF8(t *testing.T) {
	inv := grovekv.ErrInvalidArgument
	var cases []biCase
	for i, s := range biBadUTF8 {
		s := s
		js := json.RawMessage(`"` + s + `"`)
		n := fmt.Sprintf(" #%d", i)
		cases = append(cases,
			biCase{"Counter name" + n, inv, func(f *biFixture) error { return e2(f.db.Counter(s).Get()) }},
			biCase{"Lock name" + n, inv, func(f *biFixture) error { return e2(f.db.Lock(s, time.Second).TryAcquire()) }},
			biCase{"LockInfo name" + n, inv, func(f *biFixture) error { return e2(f.db.LockInfo(s)) }},
			biCase{"RateLimiter name" + n, inv, func(f *biFixture) error { return e2(f.db.RateLimiter(s, 1, time.Second).Peek("k")) }},
			biCase{"Sessions prefix" + n, inv, func(f *biFixture) error { return e2(f.db.Sessions(time.Minute, s).Exists(f.sid)) }},
			biCase{"Leaderboard name" + n, inv, func(f *biFixture) error { return e2(f.db.Leaderboard(s).Len()) }},
			biCase{"Queue name" + n, inv, func(f *biFixture) error { return e2(f.db.Queue(s, time.Minute, 1).Stats()) }},
			biCase{"Namespace" + n, inv, func(f *biFixture) error { return e2(f.db.Namespace(s)) }},
			biCase{"CRDTCounter key" + n, inv, func(f *biFixture) error { return e2(f.db.CRDTCounter(s).Value()) }},
			biCase{"CRDTRegister key" + n, inv, func(f *biFixture) error { return e3(f.db.CRDTRegister(s).GetJSON()) }},
			biCase{"CRDTSet key" + n, inv, func(f *biFixture) error { return e2(f.db.CRDTSet(s).Len()) }},
			biCase{"CRDTMap key" + n, inv, func(f *biFixture) error { return e2(f.db.CRDTMap(s).Keys()) }},
			biCase{"member Add" + n, inv, func(f *biFixture) error { return f.lb.Add(s, 1) }},
			biCase{"member Incr" + n, inv, func(f *biFixture) error { return e2(f.lb.Incr(s, 1)) }},
			biCase{"member Score" + n, inv, func(f *biFixture) error { return e2(f.lb.Score(s)) }},
			biCase{"member Rank" + n, inv, func(f *biFixture) error { return e2(f.lb.Rank(s)) }},
			biCase{"member Remove" + n, inv, func(f *biFixture) error { return e2(f.lb.Remove(s)) }},
			biCase{"member Around" + n, inv, func(f *biFixture) error { return e2(f.lb.Around(s, 1)) }},
			biCase{"rl Allow key" + n, inv, func(f *biFixture) error { return e2(f.rl.Allow(s, 1)) }},
			biCase{"rl Peek key" + n, inv, func(f *biFixture) error { return e2(f.rl.Peek(s)) }},
			biCase{"rl Reset key" + n, inv, func(f *biFixture) error { return e2(f.rl.Reset(s)) }},
			biCase{"session Get" + n, inv, func(f *biFixture) error { return e2(f.sess.Get(s)) }},
			biCase{"session Update" + n, inv, func(f *biFixture) error { return e2(f.sess.Update(s, []byte("x"))) }},
			biCase{"session Touch" + n, inv, func(f *biFixture) error { return e2(f.sess.Touch(s)) }},
			biCase{"session Delete" + n, inv, func(f *biFixture) error { return e2(f.sess.Delete(s)) }},
			biCase{"session Exists" + n, inv, func(f *biFixture) error { return e2(f.sess.Exists(s)) }},
			biCase{"map Set field" + n, inv, func(f *biFixture) error { return f.cm.Set(s, 1) }},
			biCase{"map GetJSON field" + n, inv, func(f *biFixture) error { return e3(f.cm.GetJSON(s)) }},
			biCase{"map Delete field" + n, inv, func(f *biFixture) error { return e2(f.cm.Delete(s)) }},
			biCase{"register SetJSON" + n, inv, func(f *biFixture) error { return f.cr.SetJSON(js) }},
			biCase{"register SetJSON bare" + n, inv, func(f *biFixture) error { return f.cr.SetJSON(json.RawMessage(s)) }},
			biCase{"map SetJSON" + n, inv, func(f *biFixture) error { return f.cm.SetJSON("f1", js) }},
			biCase{"set Add RawMessage" + n, inv, func(f *biFixture) error { return f.cs.Add(js) }},
			biCase{"set Contains RawMessage" + n, inv, func(f *biFixture) error { return e2(f.cs.Contains(js)) }},
			biCase{"set Remove RawMessage" + n, inv, func(f *biFixture) error { return e2(f.cs.Remove(js)) }},
			biCase{"WithNodeID" + n, inv, func(f *biFixture) error { return e2(grovekv.OpenMemory(grovekv.WithNodeID(s))) }},
			biCase{"Open path" + n, inv, func(f *biFixture) error {
				return e2(grovekv.Open(filepath.Join(os.TempDir(), "grove-bad-"+s)))
			}},
		)
	}
	cases = append(cases,
		biCase{"KV keys are bytes", nil, func(f *biFixture) error { return biWantFalse(f.db.Exists("\xff\xfe")) }},
		biCase{"Open path with NUL", inv, func(f *biFixture) error { return e2(grovekv.Open(filepath.Join(os.TempDir(), "a\x00b"))) }},
		biCase{"WithNodeID with space", inv, func(f *biFixture) error { return e2(grovekv.OpenMemory(grovekv.WithNodeID("a b"))) }},
		biCase{"WithNodeID with NUL", inv, func(f *biFixture) error { return e2(grovekv.OpenMemory(grovekv.WithNodeID("a\x00b"))) }},
		biCase{"Leaderboard name with colon", inv, func(f *biFixture) error { return e2(f.db.Leaderboard("a:b").Len()) }},
		biCase{"Queue name with colon", inv, func(f *biFixture) error { return e2(f.db.Queue("a:b", time.Minute, 1).Stats()) }},
		biCase{"RateLimiter name with colon", inv, func(f *biFixture) error { return e2(f.db.RateLimiter("a:b", 5, time.Minute).Peek("c")) }},
	)
	biRun(t, cases)
}

// ---------------------------------------------------------------- invalid JSON

func TestBadInputInvalidJSON(t *testing.T) {
	inv := grovekv.ErrInvalidArgument
	bad := []string{" ", "{", "}", "[1,", "[1,]", "nul", "'a'", `{"a":}`, "{a:1}", "1 2", "NaN",
		"Infinity", `"unterminated`, "{} x", "01", ".5", "+1", "0x10", `"\x41"`, "\"tab\there\"",
		"/* c */ 1", `{"a" 1}`, "1e999", `"\ud800"`, strings.Repeat("[", 100000) + strings.Repeat("]", 100000)}
	var cases []biCase
	for i, s := range bad {
		raw := json.RawMessage(s)
		n := fmt.Sprintf(" #%d %.12q", i, s)
		cases = append(cases,
			biCase{"register SetJSON" + n, inv, func(f *biFixture) error { return f.cr.SetJSON(raw) }},
			biCase{"map SetJSON" + n, inv, func(f *biFixture) error { return f.cm.SetJSON("f1", raw) }},
			biCase{"map SetJSON new field" + n, inv, func(f *biFixture) error { return f.cm.SetJSON("fresh", raw) }},
			biCase{"set Add" + n, inv, func(f *biFixture) error { return f.cs.Add(raw) }},
			biCase{"set Remove" + n, inv, func(f *biFixture) error { return e2(f.cs.Remove(raw)) }},
			biCase{"set Contains" + n, inv, func(f *biFixture) error { return e2(f.cs.Contains(raw)) }},
			biCase{"register Set RawMessage as any" + n, inv, func(f *biFixture) error { return f.cr.Set(raw) }},
		)
	}
	cases = append(cases,
		biCase{"register Set channel", inv, func(f *biFixture) error { return f.cr.Set(make(chan int)) }},
		biCase{"map Set func", inv, func(f *biFixture) error { return f.cm.Set("f1", func() {}) }},
		biCase{"set Add complex", inv, func(f *biFixture) error { return f.cs.Add(complex(1, 2)) }},
		biCase{"register Get into wrong Go type", inv, func(f *biFixture) error {
			var n int
			return e2(f.cr.Get(&n))
		}},
		biCase{"register Get into non-pointer", inv, func(f *biFixture) error {
			var n map[string]int
			return e2(f.cr.Get(n))
		}},
	)
	biRun(t, cases)
}

// ---------------------------------------------------------------- garbage into merges

func TestBadInputGarbageMerge(t *testing.T) {
	corrupt, wrong := grovekv.ErrCorrupt, grovekv.ErrWrongType
	// Real states and a bundle from another replica (so merging them as they are would change
	// the store), and a bundle whose entry clashes with a local key of another kind.
	peer, err := grovekv.OpenMemory()
	biMust(t, err)
	defer peer.Close()
	_, err = peer.CRDTCounter("crdt:c").Increment(1000)
	biMust(t, err)
	biMust(t, peer.CRDTRegister("crdt:r").Set(map[string]bool{"peer": true}))
	biMust(t, peer.CRDTSet("crdt:s").Add("peer"))
	biMust(t, peer.CRDTMap("crdt:m").Set("peer", 1))
	var states [4][]byte
	states[0], err = peer.CRDTCounter("crdt:c").State()
	biMust(t, err)
	states[1], err = peer.CRDTRegister("crdt:r").State()
	biMust(t, err)
	states[2], err = peer.CRDTSet("crdt:s").State()
	biMust(t, err)
	states[3], err = peer.CRDTMap("crdt:m").State()
	biMust(t, err)
	bundle, _, err := peer.ExportChanges(0)
	biMust(t, err)
	clashPeer, err := grovekv.OpenMemory()
	biMust(t, err)
	defer clashPeer.Close()
	biMust(t, clashPeer.CRDTRegister("crdt:fresh").Set(1))
	biMust(t, clashPeer.CRDTRegister("kv:plain").Set(2))
	clash, _, err := clashPeer.ExportChanges(0)
	biMust(t, err)

	type merger struct {
		name  string
		merge func(f *biFixture, b []byte) (bool, error)
	}
	mergers := []merger{
		{"counter", func(f *biFixture, b []byte) (bool, error) { return f.cc.Merge(b) }},
		{"register", func(f *biFixture, b []byte) (bool, error) { return f.cr.Merge(b) }},
		{"set", func(f *biFixture, b []byte) (bool, error) { return f.cs.Merge(b) }},
		{"map", func(f *biFixture, b []byte) (bool, error) { return f.cm.Merge(b) }},
	}
	junk := [][]byte{{0}, {0xff, 0xff, 0xff, 0xff}, []byte("GROVE"), []byte("{}"), []byte("null"), biRandom(4096, 1)}
	var cases []biCase
	for ti, m := range mergers {
		ti, m := ti, m
		for ji, j := range junk {
			j := j
			cases = append(cases, biCase{fmt.Sprintf("%s junk #%d", m.name, ji), corrupt, func(f *biFixture) error { return e2(m.merge(f, j)) }})
		}
		cases = append(cases, biCase{m.name + " every prefix", nil, func(f *biFixture) error {
			s := states[ti]
			for n := 1; n < len(s); n++ {
				if _, err := m.merge(f, s[:n:n]); !errors.Is(err, corrupt) {
					return fmt.Errorf("prefix %d/%d: want ErrCorrupt, got %v", n, len(s), err)
				}
			}
			return nil
		}})
		cases = append(cases, biCase{m.name + " trailing garbage", corrupt, func(f *biFixture) error {
			return e2(m.merge(f, append(append([]byte{}, states[ti]...), "xyz"...)))
		}})
		for ui := range mergers {
			if ui == ti {
				continue
			}
			ui := ui
			cases = append(cases, biCase{fmt.Sprintf("%s given a %s state", m.name, mergers[ui].name), wrong, func(f *biFixture) error {
				return e2(m.merge(f, states[ui]))
			}})
		}
	}
	cases = append(cases,
		biCase{"counter handle on KV bytes", wrong, func(f *biFixture) error { return e2(f.db.CRDTCounter("kv:plain").Merge(states[0])) }},
		biCase{"register handle on a counter", wrong, func(f *biFixture) error { return e2(f.db.CRDTRegister("crdt:c").Merge(states[1])) }},
		biCase{"ApplyChanges junk", corrupt, func(f *biFixture) error { return e2(f.db.ApplyChanges([]byte{0xff, 0xff, 0xff, 0xff})) }},
		biCase{"ApplyChanges random", corrupt, func(f *biFixture) error { return e2(f.db.ApplyChanges(biRandom(4096, 2))) }},
		biCase{"ApplyChanges a state", corrupt, func(f *biFixture) error { return e2(f.db.ApplyChanges(states[0])) }},
		biCase{"ApplyChanges every prefix", nil, func(f *biFixture) error {
			for n := 1; n < len(bundle); n++ {
				if _, err := f.db.ApplyChanges(bundle[:n:n]); !errors.Is(err, corrupt) {
					return fmt.Errorf("prefix %d/%d: want ErrCorrupt, got %v", n, len(bundle), err)
				}
			}
			return nil
		}},
		biCase{"ApplyChanges trailing byte", corrupt, func(f *biFixture) error {
			return e2(f.db.ApplyChanges(append(append([]byte{}, bundle...), 0)))
		}},
		biCase{"ApplyChanges clash is all or nothing", wrong, func(f *biFixture) error { return e2(f.db.ApplyChanges(clash)) }},
		biCase{"Sync clash", wrong, func(f *biFixture) error { return e2(grovekv.Sync(f.db, clashPeer)) }},
		biCase{"Sync with itself", grovekv.ErrInvalidArgument, func(f *biFixture) error { return e2(grovekv.Sync(f.db, f.db)) }},
		biCase{"Sync with own namespace", grovekv.ErrInvalidArgument, func(f *biFixture) error {
			view, err := f.db.Namespace("view")
			if err != nil {
				return err
			}
			return e2(grovekv.Sync(f.db, view))
		}},
		biCase{"Sync with same node id", grovekv.ErrInvalidArgument, func(f *biFixture) error {
			twin, err := grovekv.OpenMemory(grovekv.WithNodeID(f.db.NodeID()))
			if err != nil {
				return err
			}
			defer twin.Close()
			return e2(grovekv.Sync(twin, f.db))
		}},
	)
	biRun(t, cases)
}

func biRandom(n int, seed uint32) []byte {
	b := make([]byte, n)
	x := 2463534242 + seed
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// ---------------------------------------------------------------- wrong type

func TestBadInputWrongType(t *testing.T) {
	wrong, inv := grovekv.ErrWrongType, grovekv.ErrInvalidArgument
	cases := []biCase{
		{"Counter Get on KV bytes", wrong, func(f *biFixture) error { return e2(f.kvCounter.Get()) }},
		{"Counter Increment on KV bytes", wrong, func(f *biFixture) error { return e2(f.kvCounter.Increment(1)) }},
		{"Counter Decrement on KV bytes", wrong, func(f *biFixture) error { return e2(f.kvCounter.Decrement(1)) }},
		{"Counter Set on KV bytes", wrong, func(f *biFixture) error { return f.kvCounter.Set(1) }},
		{"Counter Reset on KV bytes", wrong, func(f *biFixture) error { return f.kvCounter.Reset() }},
		{"Lock TryAcquire on KV bytes", wrong, func(f *biFixture) error { return e2(f.kvLock.TryAcquire()) }},
		{"Lock Acquire on KV bytes", wrong, func(f *biFixture) error { return e2(f.kvLock.Acquire(context.Background(), time.Millisecond)) }},
		{"WithLock on KV bytes", wrong, func(f *biFixture) error {
			return f.db.WithLock(context.Background(), "kvbytes", time.Second, func(uint64) error { return errors.New("fn ran") })
		}},
		{"LockInfo on KV bytes", wrong, func(f *biFixture) error { return e2(f.db.LockInfo("kvbytes")) }},
		{"Lock Held on KV bytes", wrong, func(f *biFixture) error { return e2(f.kvLock.Held()) }},
		{"Lock Release on KV bytes", wrong, func(f *biFixture) error { return e2(f.kvLock.Release()) }},
		{"Lock Extend on KV bytes", wrong, func(f *biFixture) error { return e2(f.kvLock.Extend(time.Second)) }},
		{"RateLimiter Allow on KV bytes", wrong, func(f *biFixture) error { return e2(f.rl.Allow("kvbytes", 1)) }},
		{"RateLimiter Peek on KV bytes", wrong, func(f *biFixture) error { return e2(f.rl.Peek("kvbytes")) }},
		{"RateLimiter Reset on KV bytes", wrong, func(f *biFixture) error { return e2(f.rl.Reset("kvbytes")) }},
		{"Sessions Get on KV bytes", wrong, func(f *biFixture) error { return e2(f.sess.Get(biFakeSID)) }},
		{"Sessions Update on KV bytes", wrong, func(f *biFixture) error { return e2(f.sess.Update(biFakeSID, []byte("x"))) }},
		{"Sessions Touch on KV bytes", wrong, func(f *biFixture) error { return e2(f.sess.Touch(biFakeSID)) }},
		{"Sessions Exists on KV bytes", wrong, func(f *biFixture) error { return e2(f.sess.Exists(biFakeSID)) }},
		{"Sessions Delete on KV bytes", wrong, func(f *biFixture) error { return e2(f.sess.Delete(biFakeSID)) }},
		{"New key under lb:", inv, func(f *biFixture) error { return f.db.Set("lb:scores:mallory", []byte("1")) }},
		{"New key under queue:", inv, func(f *biFixture) error { return f.db.Set("queue:jobs:x", []byte("1")) }},
		{"SetMany with a counter key", wrong, func(f *biFixture) error {
			return f.db.SetMany(map[string][]byte{"kv:plain": []byte("changed"), "kv:new": []byte("n"), "counter:hits": []byte("x")})
		}},
		{"SetMany with a new lb: key", inv, func(f *biFixture) error {
			return f.db.SetMany(map[string][]byte{"kv:new": []byte("n"), "lb:scores:zed": []byte("x")})
		}},
		{"CRDTCounter on KV bytes", wrong, func(f *biFixture) error { return e2(f.db.CRDTCounter("kv:plain").Increment(1)) }},
		{"CRDTCounter on a counter", wrong, func(f *biFixture) error { return e2(f.db.CRDTCounter("counter:hits").Value()) }},
		{"CRDTRegister on a counter", wrong, func(f *biFixture) error { return f.db.CRDTRegister("counter:hits").Set(1) }},
		{"CRDTRegister on a CRDT counter", wrong, func(f *biFixture) error { return e3(f.db.CRDTRegister("crdt:c").GetJSON()) }},
		{"CRDTSet on a map", wrong, func(f *biFixture) error { return f.db.CRDTSet("crdt:m").Add(1) }},
		{"CRDTSet Members on a map", wrong, func(f *biFixture) error { return e2(f.db.CRDTSet("crdt:m").Members()) }},
		{"CRDTMap on a set", wrong, func(f *biFixture) error { return f.db.CRDTMap("crdt:s").Set("f", 1) }},
		{"CRDTMap All on a set", wrong, func(f *biFixture) error { return e2(f.db.CRDTMap("crdt:s").All()) }},
		{"CRDTMap State on a register", wrong, func(f *biFixture) error { return e2(f.db.CRDTMap("crdt:r").State()) }},
	}
	for _, k := range []string{"counter:hits", "lock:deploy", "crdt:c", "crdt:r", "crdt:s", "crdt:m"} {
		k := k
		cases = append(cases,
			biCase{"Get " + k, wrong, func(f *biFixture) error { return e2(f.db.Get(k)) }},
			biCase{"Set " + k, wrong, func(f *biFixture) error { return f.db.Set(k, []byte("bytes")) }},
			biCase{"Set with TTL " + k, wrong, func(f *biFixture) error { return f.db.Set(k, []byte("b"), grovekv.WithTTL(time.Minute)) }},
			biCase{"GetMany " + k, wrong, func(f *biFixture) error { return e2(f.db.GetMany([]string{"kv:plain", k})) }},
		)
	}
	// Keys of sessions, rate limits, leaderboards and queues, found by scanning.
	cases = append(cases, biCase{"every internal key read as bytes", nil, func(f *biFixture) error {
		for _, prefix := range []string{"sess:", "ratelimit:api:user1", "lb:scores:", "queue:jobs:"} {
			keys, err := f.db.Keys(prefix)
			if err != nil {
				return err
			}
			for _, k := range keys {
				kind, err := f.db.Type(k)
				if err != nil || kind == grovekv.KindBytes {
					continue
				}
				if _, err := f.db.Get(k); !errors.Is(err, wrong) {
					return fmt.Errorf("Get(%q) of a %v: want ErrWrongType, got %v", k, kind, err)
				}
				if err := f.db.Set(k, []byte("x")); !errors.Is(err, wrong) && !errors.Is(err, inv) {
					return fmt.Errorf("Set(%q) of a %v: want ErrWrongType, got %v", k, kind, err)
				}
			}
		}
		return nil
	}})
	biRun(t, cases)
}

// ---------------------------------------------------------------- closed store

func TestBadInputClosed(t *testing.T) {
	closed := grovekv.ErrClosed
	// The handles made before closing live in the fixture; the first case closes the store
	// (through a namespace view: closing either closes both).
	var view *grovekv.DB
	var it *grovekv.Iterator
	cases := []biCase{
		{"close through a view", nil, func(f *biFixture) error {
			var err error
			if view, err = f.db.Namespace("view"); err != nil {
				return err
			}
			it = f.db.Scan("")
			if err := view.Close(); err != nil {
				return err
			}
			if err := view.Close(); err != nil { // twice is fine
				return err
			}
			return nil
		}},
		{"Get", closed, func(f *biFixture) error { return e2(f.db.Get("kv:plain")) }},
		{"Set", closed, func(f *biFixture) error { return f.db.Set("kv:plain", []byte("x")) }},
		{"Set bad key", nil, func(f *biFixture) error {
			// argument and state checks may come in either order, but it is an error
			if err := f.db.Set("", nil); !errors.Is(err, closed) && !errors.Is(err, grovekv.ErrInvalidArgument) {
				return fmt.Errorf("want ErrClosed or ErrInvalidArgument, got %v", err)
			}
			return nil
		}},
		{"Delete", closed, func(f *biFixture) error { return e2(f.db.Delete("kv:plain")) }},
		{"Exists", closed, func(f *biFixture) error { return e2(f.db.Exists("kv:plain")) }},
		{"Expire", closed, func(f *biFixture) error { return e2(f.db.Expire("kv:plain", 0)) }},
		{"Persist", closed, func(f *biFixture) error { return e2(f.db.Persist("kv:ttl")) }},
		{"TTL", closed, func(f *biFixture) error { return e3(f.db.TTL("kv:ttl")) }},
		{"Type", closed, func(f *biFixture) error { return e2(f.db.Type("kv:plain")) }},
		{"GetMany", closed, func(f *biFixture) error { return e2(f.db.GetMany([]string{"kv:plain"})) }},
		{"GetMany nil", closed, func(f *biFixture) error { return e2(f.db.GetMany(nil)) }},
		{"SetMany", closed, func(f *biFixture) error { return f.db.SetMany(map[string][]byte{"kv:plain": nil}) }},
		{"SetMany nil", closed, func(f *biFixture) error { return f.db.SetMany(nil) }},
		{"PurgeExpired", closed, func(f *biFixture) error { return e2(f.db.PurgeExpired()) }},
		{"Keys", closed, func(f *biFixture) error { return e2(f.db.Keys("")) }},
		{"Scan", closed, func(f *biFixture) error {
			s := f.db.Scan("")
			defer s.Close()
			if s.Next() {
				return errors.New("Next true on a closed store")
			}
			return s.Err()
		}},
		{"iterator made before close", closed, func(f *biFixture) error {
			defer it.Close()
			if it.Next() {
				return errors.New("Next true on a closed store")
			}
			return it.Err()
		}},
		{"Namespace", closed, func(f *biFixture) error { return e2(f.db.Namespace("x")) }},
		{"view Get", closed, func(f *biFixture) error { return e2(view.Get("k")) }},
		{"Flush", closed, func(f *biFixture) error { return f.db.Flush() }},
		{"SizeOnDisk", closed, func(f *biFixture) error { return e2(f.db.SizeOnDisk()) }},
		{"MaxDrift", closed, func(f *biFixture) error { return e2(f.db.MaxDrift()) }},
		{"SetMaxDrift", closed, func(f *biFixture) error { return f.db.SetMaxDrift(time.Second) }},
		{"LockInfo", closed, func(f *biFixture) error { return e2(f.db.LockInfo("deploy")) }},
		{"ExportChanges", closed, func(f *biFixture) error { return e3(f.db.ExportChanges(0)) }},
		{"ApplyChanges", closed, func(f *biFixture) error { return e2(f.db.ApplyChanges([]byte("x"))) }},
		{"Sync", closed, func(f *biFixture) error {
			other, err := grovekv.OpenMemory()
			if err != nil {
				return err
			}
			defer other.Close()
			return e2(grovekv.Sync(other, f.db))
		}},
		{"WithLock", closed, func(f *biFixture) error {
			return f.db.WithLock(context.Background(), "deploy", time.Second, func(uint64) error { return errors.New("fn ran") })
		}},
		{"Close again", nil, func(f *biFixture) error { return f.db.Close() }},
		// handles made before closing
		{"Counter Increment", closed, func(f *biFixture) error { return e2(f.hits.Increment(1)) }},
		{"Counter Decrement", closed, func(f *biFixture) error { return e2(f.hits.Decrement(1)) }},
		{"Counter Get", closed, func(f *biFixture) error { return e2(f.hits.Get()) }},
		{"Counter Set", closed, func(f *biFixture) error { return f.hits.Set(1) }},
		{"Counter Reset", closed, func(f *biFixture) error { return f.hits.Reset() }},
		{"Lock TryAcquire", closed, func(f *biFixture) error { return e2(f.lock.TryAcquire()) }},
		{"Lock Acquire", closed, func(f *biFixture) error { return e2(f.lock.Acquire(context.Background(), time.Millisecond)) }},
		{"Lock Release", closed, func(f *biFixture) error { return e2(f.lock.Release()) }},
		{"Lock Extend", closed, func(f *biFixture) error { return e2(f.lock.Extend(time.Second)) }},
		{"Lock Held", closed, func(f *biFixture) error { return e2(f.lock.Held()) }},
		{"Lock FencingToken still reads", nil, func(f *biFixture) error {
			if f.lock.FencingToken() == 0 {
				return errors.New("fencing token lost")
			}
			return nil
		}},
		{"RateLimiter Allow", closed, func(f *biFixture) error { return e2(f.rl.Allow("user1", 1)) }},
		{"RateLimiter Peek", closed, func(f *biFixture) error { return e2(f.rl.Peek("user1")) }},
		{"RateLimiter Reset", closed, func(f *biFixture) error { return e2(f.rl.Reset("user1")) }},
		{"Sessions Create", closed, func(f *biFixture) error { return e2(f.sess.Create(nil)) }},
		{"Sessions Get", closed, func(f *biFixture) error { return e2(f.sess.Get(f.sid)) }},
		{"Sessions Update", closed, func(f *biFixture) error { return e2(f.sess.Update(f.sid, nil)) }},
		{"Sessions Touch", closed, func(f *biFixture) error { return e2(f.sess.Touch(f.sid)) }},
		{"Sessions Delete", closed, func(f *biFixture) error { return e2(f.sess.Delete(f.sid)) }},
		{"Sessions Exists", closed, func(f *biFixture) error { return e2(f.sess.Exists(f.sid)) }},
		{"Leaderboard Add", closed, func(f *biFixture) error { return f.lb.Add("alice", 1) }},
		{"Leaderboard Incr", closed, func(f *biFixture) error { return e2(f.lb.Incr("alice", 1)) }},
		{"Leaderboard Score", closed, func(f *biFixture) error { return e2(f.lb.Score("alice")) }},
		{"Leaderboard Rank", closed, func(f *biFixture) error { return e2(f.lb.Rank("alice")) }},
		{"Leaderboard Remove", closed, func(f *biFixture) error { return e2(f.lb.Remove("alice")) }},
		{"Leaderboard Top", closed, func(f *biFixture) error { return e2(f.lb.Top(3)) }},
		{"Leaderboard Range", closed, func(f *biFixture) error { return e2(f.lb.Range(0, 3)) }},
		{"Leaderboard Around", closed, func(f *biFixture) error { return e2(f.lb.Around("bob", 1)) }},
		{"Leaderboard Len", closed, func(f *biFixture) error { return e2(f.lb.Len()) }},
		{"Leaderboard Clear", closed, func(f *biFixture) error { return e2(f.lb.Clear()) }},
		{"Queue Enqueue", closed, func(f *biFixture) error { return e2(f.q.Enqueue(nil, 0)) }},
		{"Queue Dequeue", closed, func(f *biFixture) error { return e2(f.q.Dequeue()) }},
		{"Queue DequeueWait", closed, func(f *biFixture) error { return e2(f.q.DequeueWait(context.Background())) }},
		{"Queue Ack", closed, func(f *biFixture) error { return e2(f.q.Ack(f.inflightID)) }},
		{"Queue Nack", closed, func(f *biFixture) error { return e2(f.q.Nack(f.inflightID, 0)) }},
		{"Queue Stats", closed, func(f *biFixture) error { return e2(f.q.Stats()) }},
		{"Queue DeadLetters", closed, func(f *biFixture) error { return e2(f.deadq.DeadLetters()) }},
		{"CRDTCounter Increment", closed, func(f *biFixture) error { return e2(f.cc.Increment(1)) }},
		{"CRDTCounter Decrement", closed, func(f *biFixture) error { return e2(f.cc.Decrement(1)) }},
		{"CRDTCounter Add", closed, func(f *biFixture) error { return e2(f.cc.Add(-1)) }},
		{"CRDTCounter Value", closed, func(f *biFixture) error { return e2(f.cc.Value()) }},
		{"CRDTCounter Totals", closed, func(f *biFixture) error { return e3(f.cc.Totals()) }},
		{"CRDTCounter Contributions", closed, func(f *biFixture) error { return e2(f.cc.Contributions()) }},
		{"CRDTCounter ResetLocal", closed, func(f *biFixture) error { return e2(f.cc.ResetLocal()) }},
		{"CRDTCounter State", closed, func(f *biFixture) error { return e2(f.cc.State()) }},
		{"CRDTCounter Merge", closed, func(f *biFixture) error { return e2(f.cc.Merge([]byte("x"))) }},
		{"CRDTRegister Set", closed, func(f *biFixture) error { return f.cr.Set(1) }},
		{"CRDTRegister GetJSON", closed, func(f *biFixture) error { return e3(f.cr.GetJSON()) }},
		{"CRDTRegister State", closed, func(f *biFixture) error { return e2(f.cr.State()) }},
		{"CRDTRegister Merge", closed, func(f *biFixture) error { return e2(f.cr.Merge([]byte("x"))) }},
		{"CRDTSet Add", closed, func(f *biFixture) error { return f.cs.Add(1) }},
		{"CRDTSet Remove", closed, func(f *biFixture) error { return e2(f.cs.Remove(1)) }},
		{"CRDTSet Contains", closed, func(f *biFixture) error { return e2(f.cs.Contains(1)) }},
		{"CRDTSet Members", closed, func(f *biFixture) error { return e2(f.cs.Members()) }},
		{"CRDTSet Len", closed, func(f *biFixture) error { return e2(f.cs.Len()) }},
		{"CRDTSet State", closed, func(f *biFixture) error { return e2(f.cs.State()) }},
		{"CRDTSet Merge", closed, func(f *biFixture) error { return e2(f.cs.Merge([]byte("x"))) }},
		{"CRDTMap Set", closed, func(f *biFixture) error { return f.cm.Set("f1", 1) }},
		{"CRDTMap GetJSON", closed, func(f *biFixture) error { return e3(f.cm.GetJSON("f1")) }},
		{"CRDTMap Delete", closed, func(f *biFixture) error { return e2(f.cm.Delete("f1")) }},
		{"CRDTMap Keys", closed, func(f *biFixture) error { return e2(f.cm.Keys()) }},
		{"CRDTMap All", closed, func(f *biFixture) error { return e2(f.cm.All()) }},
		{"CRDTMap State", closed, func(f *biFixture) error { return e2(f.cm.State()) }},
		{"CRDTMap Merge", closed, func(f *biFixture) error { return e2(f.cm.Merge([]byte("x"))) }},
		// handles made after closing
		{"new Counter", closed, func(f *biFixture) error { return e2(f.db.Counter("hits").Get()) }},
		{"new Lock", closed, func(f *biFixture) error { return e2(f.db.Lock("deploy", time.Second).Held()) }},
		{"new RateLimiter", closed, func(f *biFixture) error { return e2(f.db.RateLimiter("api", 10, time.Second).Peek("user1")) }},
		{"new Sessions", closed, func(f *biFixture) error { return e2(f.db.Sessions(time.Minute, "sess").Exists(f.sid)) }},
		{"new Leaderboard", closed, func(f *biFixture) error { return e2(view.Leaderboard("scores").Len()) }},
		{"new Queue", closed, func(f *biFixture) error { return e2(f.db.Queue("jobs", time.Minute, 5).Stats()) }},
		{"new CRDTCounter", closed, func(f *biFixture) error { return e2(f.db.CRDTCounter("crdt:c").Value()) }},
		{"new CRDTRegister", closed, func(f *biFixture) error { return e3(f.db.CRDTRegister("crdt:r").GetJSON()) }},
		{"new CRDTSet", closed, func(f *biFixture) error { return e2(view.CRDTSet("crdt:s").Len()) }},
		{"new CRDTMap", closed, func(f *biFixture) error { return e2(f.db.CRDTMap("crdt:m").Keys()) }},
	}
	biRun(t, cases)
}

// ---------------------------------------------------------------- nil and zero values

func TestBadInputNilAndZeroValues(t *testing.T) {
	inv := grovekv.ErrInvalidArgument
	var nilDB *grovekv.DB
	cases := []biCase{
		// A nil *DB, as a failed Open returns: errors, never panics.
		{"nil DB Get", inv, func(*biFixture) error { return e2(nilDB.Get("k")) }},
		{"nil DB Set", inv, func(*biFixture) error { return nilDB.Set("k", nil) }},
		{"nil DB GetMany nil", inv, func(*biFixture) error { return e2(nilDB.GetMany(nil)) }},
		{"nil DB Keys", inv, func(*biFixture) error { return e2(nilDB.Keys("")) }},
		{"nil DB Flush", inv, func(*biFixture) error { return nilDB.Flush() }},
		{"nil DB Close", inv, func(*biFixture) error { return nilDB.Close() }},
		{"nil DB Namespace", inv, func(*biFixture) error { return e2(nilDB.Namespace("x")) }},
		{"nil DB Counter", inv, func(*biFixture) error { return e2(nilDB.Counter("x").Increment(1)) }},
		{"nil DB Lock", inv, func(*biFixture) error { return e2(nilDB.Lock("x", time.Second).TryAcquire()) }},
		{"nil DB WithLock", inv, func(*biFixture) error {
			return nilDB.WithLock(context.Background(), "x", time.Second, func(uint64) error { return errors.New("fn ran") })
		}},
		{"nil DB Queue", inv, func(*biFixture) error { return e2(nilDB.Queue("x", time.Second, 1).Stats()) }},
		{"nil DB CRDTMap", inv, func(*biFixture) error { return e2(nilDB.CRDTMap("x").Keys()) }},
		{"nil DB ExportChanges", inv, func(*biFixture) error { return e3(nilDB.ExportChanges(0)) }},
		{"nil DB NodeID and Path", nil, func(*biFixture) error {
			if nilDB.NodeID() != "" || nilDB.Path() != "" {
				return errors.New("non-empty")
			}
			return nil
		}},
		// A zero DB{} was never opened: it is closed.
		{"zero DB Get", grovekv.ErrClosed, func(*biFixture) error { return e2((&grovekv.DB{}).Get("k")) }},
		{"zero DB Close", nil, func(*biFixture) error { return (&grovekv.DB{}).Close() }},
		{"zero DB Counter", grovekv.ErrClosed, func(*biFixture) error { return e2((&grovekv.DB{}).Counter("x").Get()) }},
		// Zero-value handles: the library sees a NULL handle.
		{"zero Counter", inv, func(*biFixture) error { return e2((&grovekv.Counter{}).Increment(1)) }},
		{"zero Counter Set", inv, func(*biFixture) error { return (&grovekv.Counter{}).Set(1) }},
		{"zero Lock TryAcquire", inv, func(*biFixture) error { return e2((&grovekv.Lock{}).TryAcquire()) }},
		{"zero Lock Acquire", inv, func(*biFixture) error { return e2((&grovekv.Lock{}).Acquire(context.Background(), 0)) }},
		{"zero Lock FencingToken", nil, func(*biFixture) error {
			if (&grovekv.Lock{}).FencingToken() != 0 {
				return errors.New("non-zero token")
			}
			return nil
		}},
		{"zero RateLimiter", inv, func(*biFixture) error { return e2((&grovekv.RateLimiter{}).Allow("k", 1)) }},
		{"zero Sessions", inv, func(*biFixture) error { return e2((&grovekv.Sessions{}).Create(nil)) }},
		{"zero Sessions Get", inv, func(*biFixture) error { return e2((&grovekv.Sessions{}).Get("x")) }},
		{"zero Leaderboard", inv, func(*biFixture) error { return e2((&grovekv.Leaderboard{}).Top(1)) }},
		{"zero Leaderboard Add", inv, func(*biFixture) error { return (&grovekv.Leaderboard{}).Add("m", 1) }},
		{"zero Queue", inv, func(*biFixture) error { return e2((&grovekv.Queue{}).Enqueue(nil, 0)) }},
		{"zero Queue DequeueWait", inv, func(*biFixture) error { return e2((&grovekv.Queue{}).DequeueWait(context.Background())) }},
		{"zero CRDTCounter", inv, func(*biFixture) error { return e2((&grovekv.CRDTCounter{}).Value()) }},
		{"zero CRDTCounter Merge", inv, func(*biFixture) error { return e2((&grovekv.CRDTCounter{}).Merge([]byte("x"))) }},
		{"zero CRDTRegister", inv, func(*biFixture) error { return (&grovekv.CRDTRegister{}).Set(1) }},
		{"zero CRDTSet", inv, func(*biFixture) error { return (&grovekv.CRDTSet{}).Add(1) }},
		{"zero CRDTMap", inv, func(*biFixture) error { return e2((&grovekv.CRDTMap{}).All()) }},
		{"zero Iterator is empty", nil, func(*biFixture) error {
			it := &grovekv.Iterator{}
			if it.Next() {
				return errors.New("Next true")
			}
			if err := it.Err(); err != nil {
				return err
			}
			return it.Close()
		}},
		// A nil handle pointer is a programming error: it panics like any nil method call,
		// with a Go runtime error (nothing reaches C).
		{"nil *Counter panics", nil, func(*biFixture) error {
			var c *grovekv.Counter
			return biPanics(func() { _, _ = c.Increment(1) })
		}},
		{"nil *Queue panics", nil, func(*biFixture) error {
			var q *grovekv.Queue
			return biPanics(func() { _, _ = q.Stats() })
		}},
	}
	biRun(t, cases)
}

// biPanics reports an error unless f panics with a runtime error.
func biPanics(f func()) (err error) {
	defer func() {
		r := recover()
		if _, ok := r.(runtime.Error); !ok {
			err = fmt.Errorf("want a runtime error panic, got %v", r)
		}
	}()
	f()
	return nil
}

// ---------------------------------------------------------------- contexts

func TestBadInputCancelledContexts(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithTimeout(context.Background(), -time.Second)
	defer cancel2()
	for _, c := range []struct {
		name string
		ctx  context.Context
	}{{"cancelled", cancelled}, {"expired", expired}} {
		ctx := c.ctx
		quick := func(f func() error) error {
			start := time.Now()
			err := f()
			if d := time.Since(start); d > 2*time.Second {
				return fmt.Errorf("took %v with a done context", d)
			}
			return err
		}
		cases := []biCase{
			{c.name + " Acquire of a held lock", nil, func(f *biFixture) error {
				return quick(func() error {
					other := f.db.Lock("deploy", time.Second)
					return biWantFalse(other.Acquire(ctx, time.Millisecond))
				})
			}},
			{c.name + " WithLock of a held lock", grovekv.ErrLockTimeout, func(f *biFixture) error {
				return quick(func() error {
					return f.db.WithLock(ctx, "deploy", time.Second, func(uint64) error { return errors.New("fn ran") })
				})
			}},
			{c.name + " DequeueWait on an empty queue", nil, func(f *biFixture) error {
				return quick(func() error {
					job, err := f.db.Queue("empty", time.Minute, 5).DequeueWait(ctx)
					if err == nil && job != nil {
						return fmt.Errorf("unexpected job %d", job.ID)
					}
					return err
				})
			}},
			{c.name + " Acquire with a bad retry interval", grovekv.ErrInvalidArgument, func(f *biFixture) error {
				return e2(f.lock.Acquire(ctx, -time.Second))
			}},
		}
		biRun(t, cases)
	}
}
