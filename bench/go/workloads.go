package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	mrand "math/rand"
	"strconv"
	"strings"
	"time"

	grovekv "github.com/grovekv/grove/bindings/go"
	"github.com/redis/go-redis/v9"
)

const pipelineDepth = 16

// redisNaive is one awaited call at a time; op(i) issues the i-th op of this worker.
func redisNaive(op func(k, w, i int) error) OpFunc {
	return func(k, w, ops int, lat []int64) error {
		return timed(ops, lat, func(i int) error { return op(k, w, i) })
	}
}

// redisPipelined sends pipelineDepth commands per round trip (Pipeline + Exec).
func redisPipelined(rdb *redis.Client, add func(p redis.Pipeliner, k, w, i int)) OpFunc {
	return func(k, w, ops int, _ []int64) error {
		pipe := rdb.Pipeline()
		for i := 0; i < ops; i += pipelineDepth {
			m := pipelineDepth
			if ops-i < m {
				m = ops - i
			}
			for j := 0; j < m; j++ {
				add(pipe, k, w, i+j)
			}
			cmds, err := pipe.Exec(ctx)
			if err != nil {
				return err
			}
			if len(cmds) != m {
				return fmt.Errorf("pipeline returned %d replies for %d commands", len(cmds), m)
			}
		}
		return nil
	}
}

// direct is a Grove (or other in-process) op loop.
func direct(op func(k, w, i int) error) OpFunc {
	return func(k, w, ops int, lat []int64) error {
		return timed(ops, lat, func(i int) error { return op(k, w, i) })
	}
}

// ---------------------------------------------------------------- counters

func benchCounters() error {
	none := tiers["none"]

	// counter_incr_hot in every tier; clients 1 everywhere, 8 in everysec and always.
	type hotRun struct {
		tier    *Tier
		clients int
		ops     int
	}
	hot := []hotRun{
		{none, 1, sizes.Counter},
		{tiers["everysec"], 1, sizes.Counter},
		{tiers["everysec"], 8, sizes.Counter},
		{tiers["always"], 1, sizes.Always},
		{tiers["always"], 8, sizes.Always},
	}
	for _, h := range hot {
		if err := counterHot(h.tier, h.clients, h.ops, h.tier == none && h.clients == 1); err != nil {
			return err
		}
	}

	// counter_incr_10k: 10,000 keys, uniform.
	rng := mrand.New(mrand.NewSource(10))
	uniform := make([]int, sizes.Counter)
	for i := range uniform {
		uniform[i] = rng.Intn(10000)
	}
	if err := counterKeys(none, "counter_incr_10k", 10000, uniform); err != nil {
		return err
	}

	// counter_incr_zipf_1m: Zipf s=1.1 over sizes.ZipfKeys keys (1,000,000 in full mode).
	zrng := mrand.New(mrand.NewSource(11))
	z := mrand.NewZipf(zrng, 1.1, 1, uint64(sizes.ZipfKeys-1))
	zipf := make([]int, sizes.Counter)
	for i := range zipf {
		zipf[i] = int(z.Uint64())
	}
	return counterKeys(none, "counter_incr_zipf_1m", sizes.ZipfKeys, zipf)
}

func counterHot(tier *Tier, clients, ops int, withXraph bool) error {
	db, dir, err := openGrove(tier, "counter_hot")
	if err != nil {
		return err
	}
	rdb, err := redisClient(tier, clients)
	if err != nil {
		return err
	}
	defer rdb.Close()
	counter := db.Counter("hot")
	pipes := 0
	wl := &Workload{
		Name: "counter_incr_hot", Durability: tier.Name, Clients: clients, Ops: ops,
		Before: func() error { return flushAll(rdb) },
		Contenders: []Contender{
			{System: "grove", Mode: "direct", Timed: true, Run: direct(func(k, w, i int) error {
				_, err := counter.Increment(1)
				return err
			})},
			{System: "redis", Mode: "naive", Timed: true, Run: redisNaive(func(k, w, i int) error {
				return rdb.Incr(ctx, "hot").Err()
			})},
			{System: "redis", Mode: "pipelined16", Run: redisPipelined(rdb, func(p redis.Pipeliner, k, w, i int) {
				p.Incr(ctx, "hot")
			})},
		},
	}
	pipes = 2 // naive + pipelined both increment Redis's "hot"
	var xc *xraphCounter
	if withXraph {
		xc, err = newXraphCounter()
		if err != nil {
			return err
		}
		wl.Contenders = append(wl.Contenders, Contender{System: "xraph-grove", Mode: "direct", Timed: true,
			Run: direct(func(k, w, i int) error { return xc.incr() })})
	}
	if err := wl.run(); err != nil {
		return err
	}
	// Every increment must have landed, on every side.
	want := int64(ops * sizes.Rounds)
	if got, err := counter.Get(); err != nil || got != want {
		return fmt.Errorf("counter_incr_hot %s: grove counter is %d (%v), want %d", tier.Name, got, err, want)
	}
	if got, err := rdb.Get(ctx, "hot").Int64(); err != nil || got != want*int64(pipes) {
		return fmt.Errorf("counter_incr_hot %s: redis counter is %d (%v), want %d", tier.Name, got, err, want*int64(pipes))
	}
	if xc != nil {
		if got, err := xc.get(); err != nil || got != want {
			return fmt.Errorf("counter_incr_hot: xraph-grove counter is %d (%v), want %d", got, err, want)
		}
	}
	return closeGrove(db, dir)
}

func counterKeys(tier *Tier, name string, nkeys int, seq []int) error {
	db, dir, err := openGrove(tier, name)
	if err != nil {
		return err
	}
	rdb, err := redisClient(tier, 1)
	if err != nil {
		return err
	}
	defer rdb.Close()
	// Key names are made once, outside the timed loops, for both sides, and so are the Grove
	// counter handles of the keys the workload touches (an application keeps the handles of
	// its counters; db.Counter(name) makes one, which costs about as much as an increment).
	prefix := "c"
	if strings.Contains(name, "zipf") {
		prefix = "z"
	}
	names := make([]string, nkeys)
	for i := range names {
		names[i] = prefix + strconv.Itoa(i)
	}
	handles := make([]*grovekv.Counter, nkeys)
	for _, key := range seq {
		if handles[key] == nil {
			handles[key] = db.Counter(names[key])
		}
	}
	wl := &Workload{
		Name: name, Durability: tier.Name, Clients: 1, Ops: len(seq),
		Before: func() error { return flushAll(rdb) },
		Contenders: []Contender{
			{System: "grove", Mode: "direct", Timed: true, Run: direct(func(k, w, i int) error {
				_, err := handles[seq[i]].Increment(1)
				return err
			})},
			{System: "redis", Mode: "naive", Timed: true, Run: redisNaive(func(k, w, i int) error {
				return rdb.Incr(ctx, names[seq[i]]).Err()
			})},
			{System: "redis", Mode: "pipelined16", Run: redisPipelined(rdb, func(p redis.Pipeliner, k, w, i int) {
				p.Incr(ctx, names[seq[i]])
			})},
		},
	}
	if err := wl.run(); err != nil {
		return err
	}
	return closeGrove(db, dir)
}

// ---------------------------------------------------------------- lock

const lockRelease = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`

func benchLock() error {
	tier := tiers["none"]
	db, dir, err := openGrove(tier, "lock")
	if err != nil {
		return err
	}
	rdb, err := redisClient(tier, 1)
	if err != nil {
		return err
	}
	defer rdb.Close()
	release := redis.NewScript(lockRelease)
	lock := db.Lock("resource", 10*time.Second)
	xl, err := newXraphLock()
	if err != nil {
		return err
	}
	token := make([]byte, 0, 32)
	wl := &Workload{
		Name: "lock_acquire_release", Durability: tier.Name, Clients: 1, Ops: sizes.Ops,
		Before: func() error {
			if err := flushAll(rdb); err != nil {
				return err
			}
			return release.Load(ctx, rdb).Err()
		},
		Contenders: []Contender{
			{System: "grove", Mode: "direct", Timed: true, Run: direct(func(k, w, i int) error {
				got, err := lock.TryAcquire()
				if err != nil {
					return err
				}
				if !got {
					return fmt.Errorf("grove lock not acquired")
				}
				ok, err := lock.Release()
				if err == nil && !ok {
					err = fmt.Errorf("grove lock not released")
				}
				return err
			})},
			{System: "redis", Mode: "naive", Timed: true, Run: redisNaive(func(k, w, i int) error {
				// A unique token per acquisition, as every Redis lock recipe has.
				token = strconv.AppendInt(append(token[:0], "tok-"...), int64(k*sizes.Ops+i), 10)
				ok, err := rdb.SetNX(ctx, "lock:resource", token, 10*time.Second).Result()
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("redis lock not acquired")
				}
				n, err := release.Run(ctx, rdb, []string{"lock:resource"}, token).Int64()
				if err == nil && n != 1 {
					err = fmt.Errorf("redis lock not released")
				}
				return err
			})},
			{System: "xraph-grove", Mode: "direct", Timed: true, Run: direct(func(k, w, i int) error {
				return xl.acquireRelease()
			})},
		},
	}
	if err := wl.run(); err != nil {
		return err
	}
	return closeGrove(db, dir)
}

// ---------------------------------------------------------------- rate limiter

// Sliding window on a sorted set: drop entries older than the window, count, admit and
// record when under the limit. KEYS[1] key; ARGV now_ms, window_ms, limit, member.
const slidingWindow = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now - window)
if redis.call("ZCARD", KEYS[1]) < tonumber(ARGV[3]) then
  redis.call("ZADD", KEYS[1], now, ARGV[4])
  redis.call("PEXPIRE", KEYS[1], window)
  return 1
end
return 0`

func benchRateLimit() error {
	tier := tiers["none"]
	db, dir, err := openGrove(tier, "ratelimit")
	if err != nil {
		return err
	}
	rdb, err := redisClient(tier, 1)
	if err != nil {
		return err
	}
	defer rdb.Close()
	const clients = 1000
	const limit = 1000000 // high enough to admit every request of the run
	window := time.Minute
	keys := make([]string, clients)
	rkeys := make([][]string, clients)
	for i := range keys {
		keys[i] = "client" + strconv.Itoa(i)
		rkeys[i] = []string{"rl:api:" + keys[i]}
	}
	script := redis.NewScript(slidingWindow)
	rl := db.RateLimiter("api", limit, window)
	windowMs := window.Milliseconds()
	wl := &Workload{
		Name: "ratelimit_allow", Durability: tier.Name, Clients: 1, Ops: sizes.Ops,
		Before: func() error {
			if err := flushAll(rdb); err != nil {
				return err
			}
			return script.Load(ctx, rdb).Err()
		},
		Contenders: []Contender{
			{System: "grove", Mode: "direct", Timed: true, Run: direct(func(k, w, i int) error {
				d, err := rl.Allow(keys[i%clients], 1)
				if err == nil && !d.Allowed {
					err = fmt.Errorf("grove limiter refused request %d", i)
				}
				return err
			})},
			{System: "redis", Mode: "naive", Timed: true, Run: redisNaive(func(k, w, i int) error {
				now := time.Now().UnixMilli()
				member := strconv.Itoa(k*sizes.Ops + i) // unique per request
				n, err := script.Run(ctx, rdb, rkeys[i%clients], now, windowMs, limit, member).Int64()
				if err == nil && n != 1 {
					err = fmt.Errorf("redis limiter refused request %d", i)
				}
				return err
			})},
		},
	}
	if err := wl.run(); err != nil {
		return err
	}
	return closeGrove(db, dir)
}

// ---------------------------------------------------------------- sessions

// sessionJSON is a 1 KB JSON document.
func sessionJSON() []byte {
	var b strings.Builder
	b.WriteString(`{"user":"ada","roles":["admin","dev"],"csrf":"`)
	for b.Len() < 1100 {
		b.WriteString("0123456789abcdef")
	}
	s := b.String()[:1022]
	return []byte(s + `"}`)
}

func benchSession() error {
	tier := tiers["none"]
	db, dir, err := openGrove(tier, "session")
	if err != nil {
		return err
	}
	rdb, err := redisClient(tier, 1)
	if err != nil {
		return err
	}
	defer rdb.Close()
	data := sessionJSON()
	sdata := string(data)
	sessions := db.Sessions(30*time.Minute, "sess")
	var raw [32]byte
	wl := &Workload{
		Name: "session_create_get", Durability: tier.Name, Clients: 1, Ops: sizes.Ops,
		Before: func() error { return flushAll(rdb) },
		Contenders: []Contender{
			{System: "grove", Mode: "direct", Timed: true, Run: direct(func(k, w, i int) error {
				id, err := sessions.Create(data)
				if err != nil {
					return err
				}
				got, err := sessions.Get(id)
				if err == nil && len(got) != len(data) {
					err = fmt.Errorf("grove session read back %d bytes", len(got))
				}
				return err
			})},
			{System: "redis", Mode: "naive", Timed: true, Run: redisNaive(func(k, w, i int) error {
				// A 256-bit random id, as Grove's (43 URL-safe characters).
				if _, err := rand.Read(raw[:]); err != nil {
					return err
				}
				key := "sess:" + base64.RawURLEncoding.EncodeToString(raw[:])
				if err := rdb.Set(ctx, key, sdata, 30*time.Minute).Err(); err != nil {
					return err
				}
				got, err := rdb.Get(ctx, key).Result()
				if err == nil && len(got) != len(data) {
					err = fmt.Errorf("redis session read back %d bytes", len(got))
				}
				return err
			})},
		},
	}
	if err := wl.run(); err != nil {
		return err
	}
	return closeGrove(db, dir)
}

// ---------------------------------------------------------------- leaderboard

func benchLeaderboard() error {
	tier := tiers["none"]
	rdb, err := redisClient(tier, 1)
	if err != nil {
		return err
	}
	defer rdb.Close()
	for _, size := range sizes.LBSizes {
		if err := leaderboardSize(tier, rdb, size); err != nil {
			return err
		}
	}
	return nil
}

// leaderboardSize fills a Grove leaderboard and a Redis sorted set with the same size members
// (untimed), then runs lb_incr, lb_rank and lb_top10 on them. The three workloads share one
// fill: Redis is flushed before the fill, so no other harness's keys are present.
func leaderboardSize(tier *Tier, rdb *redis.Client, size int) error {
	db, dir, err := openGrove(tier, fmt.Sprintf("lb%d", size))
	if err != nil {
		return err
	}
	if err := flushAll(rdb); err != nil {
		return err
	}
	lb := db.Leaderboard("scores")
	members := make([]string, size)
	rng := mrand.New(mrand.NewSource(int64(size)))
	const batch = 1000
	zs := make([]redis.Z, 0, batch)
	for i := range members {
		members[i] = "player" + strconv.Itoa(i)
		score := float64(rng.Intn(1000000))
		if err := lb.Add(members[i], score); err != nil {
			return err
		}
		zs = append(zs, redis.Z{Score: score, Member: members[i]})
		if len(zs) == batch || i == size-1 {
			if err := rdb.ZAdd(ctx, "lb:scores", zs...).Err(); err != nil {
				return err
			}
			zs = zs[:0]
		}
	}
	if n, err := lb.Len(); err != nil || n != size {
		return fmt.Errorf("grove leaderboard has %d members (%v), want %d", n, err, size)
	}
	if n, err := rdb.ZCard(ctx, "lb:scores").Result(); err != nil || int(n) != size {
		return fmt.Errorf("redis leaderboard has %d members (%v), want %d", n, err, size)
	}
	pick := make([]int, sizes.Ops)
	for i := range pick {
		pick[i] = rng.Intn(size)
	}
	sz := size
	workloads := []*Workload{
		{Name: "lb_incr", Contenders: []Contender{
			{System: "grove", Mode: "direct", Timed: true, Run: direct(func(k, w, i int) error {
				_, err := lb.Incr(members[pick[i]], 1)
				return err
			})},
			{System: "redis", Mode: "naive", Timed: true, Run: redisNaive(func(k, w, i int) error {
				return rdb.ZIncrBy(ctx, "lb:scores", 1, members[pick[i]]).Err()
			})},
		}},
		{Name: "lb_rank", Contenders: []Contender{
			{System: "grove", Mode: "direct", Timed: true, Run: direct(func(k, w, i int) error {
				_, err := lb.Rank(members[pick[i]])
				return err
			})},
			{System: "redis", Mode: "naive", Timed: true, Run: redisNaive(func(k, w, i int) error {
				return rdb.ZRevRank(ctx, "lb:scores", members[pick[i]]).Err()
			})},
		}},
		{Name: "lb_top10", Contenders: []Contender{
			{System: "grove", Mode: "direct", Timed: true, Run: direct(func(k, w, i int) error {
				top, err := lb.Top(10)
				if err == nil && len(top) != 10 {
					err = fmt.Errorf("grove top10 returned %d", len(top))
				}
				return err
			})},
			{System: "redis", Mode: "naive", Timed: true, Run: redisNaive(func(k, w, i int) error {
				top, err := rdb.ZRevRangeWithScores(ctx, "lb:scores", 0, 9).Result()
				if err == nil && len(top) != 10 {
					err = fmt.Errorf("redis top10 returned %d", len(top))
				}
				return err
			})},
		}},
	}
	for _, wl := range workloads {
		wl.Durability, wl.Clients, wl.Size, wl.Ops = tier.Name, 1, &sz, sizes.Ops
		if err := wl.run(); err != nil {
			return err
		}
	}
	return closeGrove(db, dir)
}

// ---------------------------------------------------------------- queue

func benchQueue() error {
	tier := tiers["none"]
	db, dir, err := openGrove(tier, "queue")
	if err != nil {
		return err
	}
	rdb, err := redisClient(tier, 1)
	if err != nil {
		return err
	}
	defer rdb.Close()
	q := db.Queue("jobs", 30*time.Second, 5)
	// Unique payloads (LREM removes by value), made outside the timed loops.
	payloads := make([][]string, sizes.Rounds)
	bpayloads := make([][][]byte, sizes.Rounds)
	for k := range payloads {
		payloads[k] = make([]string, sizes.Ops)
		bpayloads[k] = make([][]byte, sizes.Ops)
		for i := range payloads[k] {
			payloads[k][i] = fmt.Sprintf(`{"job":%d,"to":"ada@example.com","template":"welcome"}`, k*sizes.Ops+i)
			bpayloads[k][i] = []byte(payloads[k][i])
		}
	}
	wl := &Workload{
		Name: "queue_cycle", Durability: tier.Name, Clients: 1, Ops: sizes.Ops,
		Before: func() error { return flushAll(rdb) },
		Contenders: []Contender{
			{System: "grove", Mode: "direct", Timed: true, Run: direct(func(k, w, i int) error {
				return groveQueueCycle(q, bpayloads[k][i])
			})},
			{System: "redis", Mode: "naive", Timed: true, Run: redisNaive(func(k, w, i int) error {
				return redisQueueCycle(rdb, payloads[k][i])
			})},
		},
	}
	if err := wl.run(); err != nil {
		return err
	}
	return closeGrove(db, dir)
}

// ---------------------------------------------------------------- CRDTs

func benchCRDT() error {
	tier := tiers["none"]
	db, dir, err := openGrove(tier, "crdt")
	if err != nil {
		return err
	}
	atomic := db.Counter("views-atomic")
	atomicRun := direct(func(k, w, i int) error {
		_, err := atomic.Increment(1)
		return err
	})
	cc := db.CRDTCounter("page:views")
	xc, err := newXraphCRDTCounter()
	if err != nil {
		return err
	}
	reg := db.CRDTRegister("user:name")
	names := []string{"Ada", "Grace", "Edsger", "Barbara"}
	workloads := []*Workload{
		{Name: "crdt_counter_incr", Contenders: []Contender{
			{System: "grove", Mode: "direct", Timed: true, Run: direct(func(k, w, i int) error {
				_, err := cc.Increment(1)
				return err
			})},
			{System: "grove-atomic", Mode: "direct", Timed: true, Run: atomicRun},
			{System: "xraph-grove", Mode: "direct", Timed: true, Run: direct(func(k, w, i int) error {
				return xc.incr()
			})},
		}},
		{Name: "crdt_register_set", Contenders: []Contender{
			{System: "grove", Mode: "direct", Timed: true, Run: direct(func(k, w, i int) error {
				return reg.Set(names[i%len(names)])
			})},
			{System: "grove-atomic", Mode: "direct", Timed: true, Run: atomicRun},
		}},
	}
	for _, wl := range workloads {
		wl.Durability, wl.Clients, wl.Ops = tier.Name, 1, sizes.CRDT
		if err := wl.run(); err != nil {
			return err
		}
	}
	want := int64(sizes.CRDT * sizes.Rounds)
	if got, err := cc.Value(); err != nil || got != want {
		return fmt.Errorf("crdt_counter_incr: grove CRDT counter is %d (%v), want %d", got, err, want)
	}
	if got, err := xc.value(); err != nil || got != want {
		return fmt.Errorf("crdt_counter_incr: xraph-grove CRDT counter is %d (%v), want %d", got, err, want)
	}
	return closeGrove(db, dir)
}

// groveQueueCycle enqueues one job, dequeues it and acks it, checking each step: the queue
// cycle every queue workload times, on any engine.
func groveQueueCycle(q *grovekv.Queue, payload []byte) error {
	id, err := q.Enqueue(payload, 0)
	if err != nil {
		return err
	}
	job, err := q.Dequeue()
	if err != nil {
		return err
	}
	if job == nil || job.ID != id {
		return fmt.Errorf("grove dequeue did not return the job just enqueued")
	}
	ok, err := q.Ack(job.ID)
	if err == nil && !ok {
		err = fmt.Errorf("grove ack refused")
	}
	return err
}

// redisQueueCycle is the hand-written queue the Grove queue is measured against: LPUSH, LMOVE to
// an in-flight list, LREM (payloads must be unique: LREM removes by value).
func redisQueueCycle(rdb *redis.Client, p string) error {
	if err := rdb.LPush(ctx, "q:jobs", p).Err(); err != nil {
		return err
	}
	job, err := rdb.LMove(ctx, "q:jobs", "q:jobs:inflight", "RIGHT", "LEFT").Result()
	if err != nil {
		return err
	}
	if job != p {
		return fmt.Errorf("redis LMOVE did not return the job just pushed")
	}
	n, err := rdb.LRem(ctx, "q:jobs:inflight", 1, job).Result()
	if err == nil && n != 1 {
		err = fmt.Errorf("redis LREM removed %d", n)
	}
	return err
}
