package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	grovekv "github.com/grovekv/grove/bindings/go"
	"github.com/redis/go-redis/v9"
)

// Issue 15's Go figures (go run . -redis-engine PORT [-quick]): Grove on its Redis engine
// (grovekv.Open("redis://...")) against go-redis/v9 doing the same job by hand on the same
// server, one call at a time from one goroutine, rounds interleaved A/B through the harness's
// Workload runner; the hand-written side uses the scripts of workloads.go (lockRelease,
// slidingWindow, EVALSHA through redis.NewScript). Then 16 goroutines x N increments on one
// counter through xraph-grove's Redis driver and through Grove's redis:// (redisCorrectness).
// JSON lines go to $GROVE_BENCH_OUT when set; the table goes to stdout.

// engineOp is one row of the table: the workload's name, what go-redis does, and its two sides.
type engineOp struct {
	name, how    string
	grove, redis func(k, w, i int) error
	// top: the commands the hand-written side sends (Grove sends only EVALSHA), whose server
	// time is the op's (a script's time includes the commands it calls).
	top []string
}

// runRedisEngine is the -redis-engine mode: the per-op table, then the correctness rows.
func runRedisEngine(port int) error {
	n := 5000
	sizes = Sizes{Rounds: 7, CorrRedis: 1000}
	if quick {
		n = 500
		sizes = Sizes{Rounds: 3, CorrRedis: 200}
	}
	out = bufio.NewWriter(io.Discard)
	if path := os.Getenv("GROVE_BENCH_OUT"); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		out = bufio.NewWriter(f)
	}
	defer out.Flush()
	tier := &Tier{Name: "none", Port: port}
	rdb, err := redisClient(tier, 1)
	if err != nil {
		return err
	}
	defer rdb.Close()
	if err := flushAll(rdb); err != nil {
		return err
	}
	db, err := grovekv.Open(fmt.Sprintf("redis://127.0.0.1:%d?store=bench-go", port))
	if err != nil {
		return fmt.Errorf("grove redis://: %w", err)
	}
	defer db.Close()
	ops, err := engineOps(db, rdb, n)
	if err != nil {
		return err
	}

	// Per-round seconds of each side, by workload, from the runner's rows.
	secs := map[string]map[string][]float64{}
	rowSink = func(r Row) {
		if secs[r.Workload] == nil {
			secs[r.Workload] = map[string][]float64{}
		}
		secs[r.Workload][r.System] = append(secs[r.Workload][r.System], r.Seconds)
	}
	defer func() { rowSink = nil }()
	costs := map[string]cost{}
	for _, op := range ops {
		// One untimed warm-up pass per side: scripts loaded, connections open.
		for i := 0; i < 50; i++ {
			if err := op.grove(-1, 0, i); err != nil {
				return fmt.Errorf("%s warm-up (grove): %w", op.name, err)
			}
			if err := op.redis(-1, 0, i); err != nil {
				return fmt.Errorf("%s warm-up (go-redis): %w", op.name, err)
			}
		}
		wl := &Workload{Name: op.name, Durability: "none", Clients: 1, Ops: n, Contenders: []Contender{
			{System: "grove", Mode: "redis-engine", Timed: true, Run: direct(op.grove)},
			{System: "redis", Mode: "naive", Timed: true, Run: redisNaive(op.redis)},
		}}
		if err := wl.run(); err != nil {
			return err
		}
		for _, side := range []struct {
			name string
			op   func(k, w, i int) error
			top  []string
		}{{"grove", op.grove, []string{"evalsha", "eval"}}, {"redis", op.redis, op.top}} {
			c, err := serverCost(rdb, 200, side.op, side.top)
			if err != nil {
				return fmt.Errorf("%s server cost (%s): %w", op.name, side.name, err)
			}
			costs[op.name+"/"+side.name] = c
		}
	}

	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("Grove redis:// vs go-redis/v9 %s (%s, grovekv %s), %d ops x %d rounds, load %s\n",
		redis.Version(), runtime.Version(), grovekv.Version(), n, sizes.Rounds, firstField(string(load)))
	fmt.Println("| operation | Grove µs/op | go-redis µs/op (how) | Grove/go-redis time | goal |")
	fmt.Println("|---|---:|---:|---|---|")
	for _, op := range ops {
		g, r := secs[op.name]["grove"], secs[op.name]["redis"]
		ratios := make([]float64, len(g))
		for k := range g {
			ratios[k] = g[k] / r[k]
		}
		lo, hi := minMax(ratios)
		med := median(ratios)
		verdict := "met"
		if med > 1.2 {
			verdict = "MISSED"
		}
		fmt.Printf("| %s | %.1f | %.1f (%s) | %.2fx (%.2f..%.2f) | <= 1.2x: %s |\n", op.name,
			median(g)/float64(n)*1e6, median(r)/float64(n)*1e6, op.how, med, lo, hi, verdict)
	}

	fmt.Println("\nInside the server (INFO commandstats over 200 more ops of each side, untimed): " +
		"commands run per op (a script counts once plus every command it calls) and server µs per op " +
		"(the time of the commands the client sent, a script's including the commands it calls)")
	fmt.Println("| operation | Grove commands/op | Grove server µs/op | go-redis commands/op | go-redis server µs/op |")
	fmt.Println("|---|---:|---:|---:|---:|")
	for _, op := range ops {
		g, r := costs[op.name+"/grove"], costs[op.name+"/redis"]
		fmt.Printf("| %s | %.1f | %.1f | %.1f | %.1f |\n", op.name, g.calls, g.usec, r.calls, r.usec)
	}

	rows, err := redisCorrectness(tier, sizes.CorrRedis)
	fmt.Printf("\n%d goroutines x %d increments of one counter on the same Redis:\n", correctnessGoroutines, sizes.CorrRedis)
	fmt.Println("| system | driver | expected | final | lost updates |")
	fmt.Println("|---|---|---:|---:|---:|")
	for _, c := range rows {
		fmt.Printf("| %s | %s | %d | %d | %d |\n", c.System, c.Driver, c.Expected, c.Final, c.Lost)
	}
	return err
}

// engineOps builds both sides of every operation of issue 15's goal (and fills the leaderboard).
func engineOps(db *grovekv.DB, rdb *redis.Client, n int) ([]engineOp, error) {
	counter := db.Counter("hits")
	lock := db.Lock("bench", 10*time.Second)
	release := redis.NewScript(lockRelease)
	if err := release.Load(ctx, rdb).Err(); err != nil {
		return nil, err
	}
	token := make([]byte, 0, 32)
	tokens := 0

	// Rate limiter: 1,000 clients round robin, a limit that admits every request (as
	// benchRateLimit does).
	const clients, limit = 1000, 1000000
	window := time.Minute
	rl := db.RateLimiter("api", limit, window)
	keys := make([]string, clients)
	rkeys := make([][]string, clients)
	for i := range keys {
		keys[i] = "client" + strconv.Itoa(i)
		rkeys[i] = []string{"rl:api:" + keys[i]}
	}
	sliding := redis.NewScript(slidingWindow)
	if err := sliding.Load(ctx, rdb).Err(); err != nil {
		return nil, err
	}
	member := 0

	// Leaderboard of 1,000 members on both sides, same scores.
	lb := db.Leaderboard("board")
	members := make([]string, 1000)
	for i := range members {
		members[i] = "m" + strconv.Itoa(i)
		if err := lb.Add(members[i], float64(i)); err != nil {
			return nil, err
		}
		if err := rdb.ZAdd(ctx, "lb:board", redis.Z{Score: float64(i), Member: members[i]}).Err(); err != nil {
			return nil, err
		}
	}

	q := db.Queue("jobs", 30*time.Second, 5)
	payload := func(i int) string {
		return `{"job":` + strconv.Itoa(i) + `,"to":"ada@example.com","template":"welcome"}`
	}
	jobs := 0

	return []engineOp{
		{name: "counter increment", how: "INCR",
			grove: func(k, w, i int) error { _, err := counter.Increment(1); return err },
			redis: func(k, w, i int) error { return rdb.Incr(ctx, "hits").Err() },
			top:   []string{"incr"}},
		{name: "lock acquire+release", how: "SET NX PX + release script",
			grove: func(k, w, i int) error {
				got, err := lock.TryAcquire()
				if err == nil && !got {
					err = fmt.Errorf("grove lock not acquired")
				}
				if err != nil {
					return err
				}
				ok, err := lock.Release()
				if err == nil && !ok {
					err = fmt.Errorf("grove lock not released")
				}
				return err
			},
			redis: func(k, w, i int) error {
				tokens++ // a unique token per acquisition, as every Redis lock recipe has
				token = strconv.AppendInt(append(token[:0], "tok-"...), int64(tokens), 10)
				ok, err := rdb.SetNX(ctx, "lock:bench", token, 10*time.Second).Result()
				if err == nil && !ok {
					err = fmt.Errorf("redis lock not acquired")
				}
				if err != nil {
					return err
				}
				r, err := release.Run(ctx, rdb, []string{"lock:bench"}, token).Int64()
				if err == nil && r != 1 {
					err = fmt.Errorf("redis lock not released")
				}
				return err
			},
			top: []string{"set", "evalsha"}},
		{name: "rate limiter allow (1,000 keys)", how: "sliding-window script",
			grove: func(k, w, i int) error {
				d, err := rl.Allow(keys[i%clients], 1)
				if err == nil && !d.Allowed {
					err = fmt.Errorf("grove limiter refused request %d", i)
				}
				return err
			},
			redis: func(k, w, i int) error {
				member++ // unique per request
				r, err := sliding.Run(ctx, rdb, rkeys[i%clients], time.Now().UnixMilli(), window.Milliseconds(),
					limit, strconv.Itoa(member)).Int64()
				if err == nil && r != 1 {
					err = fmt.Errorf("redis limiter refused request %d", i)
				}
				return err
			},
			top: []string{"evalsha"}},
		{name: "leaderboard rank (1,000 members)", how: "ZREVRANK",
			grove: func(k, w, i int) error {
				r, err := lb.Rank(members[i%1000])
				if err == nil && r < 0 {
					err = fmt.Errorf("grove rank of %s missing", members[i%1000])
				}
				return err
			},
			redis: func(k, w, i int) error { return rdb.ZRevRank(ctx, "lb:board", members[i%1000]).Err() },
			top:   []string{"zrevrank"}},
		{name: "queue enqueue+dequeue+ack", how: "LPUSH, LMOVE, LREM",
			grove: func(k, w, i int) error {
				jobs++
				return groveQueueCycle(q, []byte(payload(jobs)))
			},
			redis: func(k, w, i int) error {
				jobs++ // unique payloads: LREM removes by value
				return redisQueueCycle(rdb, payload(jobs))
			},
			top: []string{"lpush", "lmove", "lrem"}},
	}, nil
}

// cost is what one op costs inside the server: commands run and microseconds spent.
type cost struct{ calls, usec float64 }

// serverCost runs op n times between CONFIG RESETSTAT and INFO commandstats, to show how much of
// an op's time is the server's (script bodies included) rather than the client's and the wire's;
// top names the commands the client sends (only their time is summed: a script's usec already
// includes the commands it calls, which commandstats also lists on their own).
func serverCost(rdb *redis.Client, n int, op func(k, w, i int) error, top []string) (cost, error) {
	if err := rdb.ConfigResetStat(ctx).Err(); err != nil {
		return cost{}, err
	}
	for i := 0; i < n; i++ {
		if err := op(-2, 0, i); err != nil {
			return cost{}, err
		}
	}
	info, err := rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		return cost{}, err
	}
	var c cost
	for _, line := range strings.Split(info, "\n") {
		name, stats, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") || strings.HasPrefix(name, "cmdstat_config") ||
			strings.HasPrefix(name, "cmdstat_info") {
			continue
		}
		for _, kv := range strings.Split(stats, ",") {
			k, v, _ := strings.Cut(kv, "=")
			x, _ := strconv.ParseFloat(v, 64)
			switch k {
			case "calls":
				c.calls += x
			case "usec":
				for _, t := range top {
					if name == "cmdstat_"+t {
						c.usec += x
					}
				}
			}
		}
	}
	c.calls /= float64(n)
	c.usec /= float64(n)
	return c, nil
}

// median of xs (a copy is sorted), for the table's per-op figures.
func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// minMax gives the spread of the per-round ratios.
func minMax(xs []float64) (float64, float64) {
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		if x < lo {
			lo = x
		}
		if x > hi {
			hi = x
		}
	}
	return lo, hi
}

// firstField is the 1-minute load average from /proc/loadavg's text.
func firstField(s string) string {
	for i, c := range s {
		if c == ' ' {
			return s[:i]
		}
	}
	return s
}
