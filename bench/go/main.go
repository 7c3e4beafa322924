// Command bench is Grove's Go benchmark harness (issue 8): Grove through its Go door
// (grovekv, cgo) against Redis through go-redis, and against the in-process KV of
// github.com/xraph/grove, following bench/PROTOCOL.md. Results are appended as JSON lines to
// $GROVE_BENCH_OUT (stdout when unset).
//
//	cd bench/go && GROVE_BENCH_QUICK=1 REDIS_PORT_NONE=... REDIS_PORT_EVERYSEC=... \
//	    REDIS_PORT_ALWAYS=... GROVE_BENCH_OUT=/tmp/out.jsonl go run .
//
// With -redis-engine PORT it runs issue 15's figures instead (redisengine.go): Grove on its
// Redis engine (redis://) against go-redis by hand on the same server, per op, and the
// 16-goroutine increments on Redis beside xraph-grove's Redis driver; a table on stdout.
//
//	cd bench/go && go run . -redis-engine 6420 [-quick]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	grovekv "github.com/grovekv/grove/bindings/go"
	"github.com/redis/go-redis/v9"
)

const lang = "go"

var ctx = context.Background()

// Tier is one durability tier: a Redis port and how Grove stores are opened to match it.
type Tier struct {
	Name    string
	Port    int
	Durable bool // Grove opened WithDurableWrites (fsync every write, group commit)
}

// Sizes are the per-round op counts; quick mode shrinks them.
type Sizes struct {
	Rounds      int
	Counter     int // counter workloads in tiers none/everysec
	Always      int // counter_incr_hot in tier always (every op is an fsync on both sides)
	Ops         int // lock, ratelimit, session, leaderboard, queue
	CRDT        int
	ZipfKeys    int
	LBSizes     []int
	Correctness int // increments per goroutine in the 16-goroutine correctness check
	CorrRedis   int // the same through xraph-grove's Redis driver (every op is two round trips)
}

var (
	quick  bool
	sizes  Sizes
	tmpDir string
	out    *bufio.Writer
	outF   *os.File
	tiers  = map[string]*Tier{}
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/go:", err)
		if out != nil {
			_ = out.Flush()
		}
		os.Exit(1)
	}
}

func run() error {
	enginePort := flag.Int("redis-engine", 0, "run issue 15's Redis-engine figures against the Redis on this 127.0.0.1 port")
	quickFlag := flag.Bool("quick", false, "smoke sizes (as GROVE_BENCH_QUICK=1)")
	flag.Parse()
	quick = os.Getenv("GROVE_BENCH_QUICK") == "1" || *quickFlag
	if *enginePort != 0 {
		return runRedisEngine(*enginePort)
	}
	if quick {
		sizes = Sizes{Rounds: 3, Counter: 2000, Always: 200, Ops: 1000, CRDT: 2000,
			ZipfKeys: 10000, LBSizes: []int{1000}, Correctness: 2000, CorrRedis: 200}
	} else {
		sizes = Sizes{Rounds: 5, Counter: 20000, Always: 2000, Ops: 10000, CRDT: 20000,
			ZipfKeys: 1000000, LBSizes: []int{1000, 100000, 1000000}, Correctness: 10000, CorrRedis: 1000}
	}

	if path := os.Getenv("GROVE_BENCH_OUT"); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		outF = f
		out = bufio.NewWriter(f)
	} else {
		out = bufio.NewWriter(os.Stdout)
	}

	tmpDir = os.Getenv("GROVE_BENCH_TMP")
	if tmpDir == "" {
		d, err := os.MkdirTemp("", "grove-bench-go-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		tmpDir = d
	}
	tmpDir = filepath.Join(tmpDir, "go")
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return err
	}

	for _, t := range []struct {
		name, env string
		durable   bool
	}{{"none", "REDIS_PORT_NONE", false}, {"everysec", "REDIS_PORT_EVERYSEC", false}, {"always", "REDIS_PORT_ALWAYS", true}} {
		v := os.Getenv(t.env)
		port, err := strconv.Atoi(v)
		if err != nil || port <= 0 {
			return fmt.Errorf("%s must be a Redis port on 127.0.0.1, got %q", t.env, v)
		}
		tiers[t.name] = &Tier{Name: t.name, Port: port, Durable: t.durable}
	}

	note(fmt.Sprintf("go harness: %s %s/%s GOMAXPROCS=%d, grovekv %s (cgo, libgrove.a), go-redis/v9 %s; "+
		"Grove tiers none/everysec: sled with periodic flush (default 500ms); always: WithDurableWrites",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), grovekv.Version(), redis.Version()))

	note("go harness method: rounds interleaved (Grove first on even rounds, last on odd), each timed with the " +
		"monotonic clock; per-op latency from time.Now around each call; clients=8 is 8 goroutines sharing one " +
		"grovekv DB vs 8 goroutines on a go-redis pool of 8 connections; pipelined16 is go-redis Pipeline with 16 " +
		"commands per Exec; Lua (lock release, sliding window) via redis.NewScript (EVALSHA); Grove counter handles " +
		"of multi-key workloads are made before the rounds; lb_incr, lb_rank and lb_top10 of one size share one " +
		"fill (Redis flushed before it)")

	steps := []func() error{
		benchCounters, benchLock, benchRateLimit, benchSession, benchLeaderboard, benchQueue, benchCRDT,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
		if err := out.Flush(); err != nil {
			return err
		}
	}
	if err := emitRSS(); err != nil {
		return err
	}
	if err := benchCorrectness(); err != nil {
		return err
	}
	if err := out.Flush(); err != nil {
		return err
	}
	if outF != nil {
		return outF.Close()
	}
	return nil
}

// ---------------------------------------------------------------- output

// Row is one result line (per system per round), in PROTOCOL.md's field order.
type Row struct {
	Lang       string   `json:"lang"`
	Workload   string   `json:"workload"`
	System     string   `json:"system"`
	Mode       string   `json:"mode"`
	Durability string   `json:"durability"`
	Clients    int      `json:"clients"`
	Size       *int     `json:"size"`
	Round      int      `json:"round"`
	Ops        int      `json:"ops"`
	Seconds    float64  `json:"seconds"`
	P50        *float64 `json:"p50_us"`
	P99        *float64 `json:"p99_us"`
	P999       *float64 `json:"p999_us"`
}

func emit(v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain structs and maps are emitted
	}
	out.Write(b)
	out.WriteByte('\n')
}

func note(text string) {
	emit(map[string]interface{}{"lang": lang, "kind": "note", "text": text})
}

func emitRSS() error {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, err := strconv.ParseInt(f[1], 10, 64)
				if err != nil {
					return err
				}
				emit(map[string]interface{}{"lang": lang, "kind": "rss", "rss_bytes": kb * 1024})
				return nil
			}
		}
	}
	return fmt.Errorf("no VmHWM in /proc/self/status")
}

// percentile is the nearest-rank percentile of sorted durations (ns), in microseconds.
func percentile(sorted []int64, p float64) *float64 {
	if len(sorted) == 0 {
		return nil
	}
	idx := int(p*float64(len(sorted))+0.999999999) - 1
	if idx < 0 {
		idx = 0
	}
	if idx >= len(sorted) {
		idx = len(sorted) - 1
	}
	v := float64(sorted[idx]) / 1000.0
	v = float64(int64(v*1000+0.5)) / 1000 // nanosecond resolution is enough
	return &v
}

// ---------------------------------------------------------------- runner

// OpFunc runs ops operations of one client (worker w of a round). When lat is non-nil it has
// length ops and the function stores each op's duration in ns there.
type OpFunc func(round, w, ops int, lat []int64) error

// Contender is one system/mode in a workload.
type Contender struct {
	System string
	Mode   string
	Run    OpFunc
	// Timed: report per-op percentiles (direct and naive); pipelined rounds leave them null.
	Timed bool
}

// Workload is run for sizes.Rounds rounds, interleaved: round k runs the contenders in
// order (Grove first) for even k and in reverse order (Grove last) for odd k.
type Workload struct {
	Name       string
	Durability string
	Clients    int
	Size       *int
	Ops        int
	Contenders []Contender
	// Before runs before each workload's rounds (FLUSHALL, stores...), untimed.
	Before func() error
}

func (wl *Workload) run() error {
	if wl.Clients < 1 {
		wl.Clients = 1
	}
	if wl.Before != nil {
		if err := wl.Before(); err != nil {
			return fmt.Errorf("%s: %w", wl.Name, err)
		}
	}
	for k := 0; k < sizes.Rounds; k++ {
		order := make([]Contender, len(wl.Contenders))
		copy(order, wl.Contenders)
		if k%2 == 1 {
			for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
				order[i], order[j] = order[j], order[i]
			}
		}
		for _, c := range order {
			row, err := wl.round(c, k)
			if err != nil {
				return fmt.Errorf("%s %s/%s %s clients=%d round %d: %w", wl.Name, c.System, c.Mode, wl.Durability, wl.Clients, k, err)
			}
			emit(row)
			if rowSink != nil {
				rowSink(row)
			}
		}
	}
	return out.Flush()
}

func (wl *Workload) round(c Contender, k int) (Row, error) {
	n := wl.Clients
	per := make([]int, n)
	for w := 0; w < n; w++ {
		per[w] = wl.Ops / n
		if w < wl.Ops%n {
			per[w]++
		}
	}
	lats := make([][]int64, n)
	if c.Timed {
		for w := range lats {
			lats[w] = make([]int64, per[w])
		}
	}
	runtime.GC() // start every round from a collected heap
	var seconds float64
	if n == 1 {
		t0 := time.Now()
		if err := c.Run(k, 0, per[0], lats[0]); err != nil {
			return Row{}, err
		}
		seconds = time.Since(t0).Seconds()
	} else {
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, n)
		for w := 0; w < n; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				<-start
				errs[w] = c.Run(k, w, per[w], lats[w])
			}(w)
		}
		time.Sleep(time.Millisecond) // let every worker reach the start line
		t0 := time.Now()
		close(start)
		wg.Wait()
		seconds = time.Since(t0).Seconds()
		for _, err := range errs {
			if err != nil {
				return Row{}, err
			}
		}
	}
	row := Row{Lang: lang, Workload: wl.Name, System: c.System, Mode: c.Mode, Durability: wl.Durability,
		Clients: n, Size: wl.Size, Round: k, Ops: wl.Ops, Seconds: seconds}
	if c.Timed {
		all := make([]int64, 0, wl.Ops)
		for _, l := range lats {
			all = append(all, l...)
		}
		sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
		row.P50, row.P99, row.P999 = percentile(all, 0.50), percentile(all, 0.99), percentile(all, 0.999)
	}
	return row, nil
}

// timed runs op(i) for i in [0, n), storing each op's duration in lat when lat is non-nil.
func timed(n int, lat []int64, op func(i int) error) error {
	if lat == nil {
		for i := 0; i < n; i++ {
			if err := op(i); err != nil {
				return err
			}
		}
		return nil
	}
	for i := 0; i < n; i++ {
		t := time.Now()
		if err := op(i); err != nil {
			return err
		}
		lat[i] = int64(time.Since(t))
	}
	return nil
}

// ---------------------------------------------------------------- stores and clients

var storeSeq int

// rowSink, when set, also receives every result row (the Redis-engine mode tabulates them).
var rowSink func(Row)

// openGrove opens a fresh Grove store in the scratch directory, matched to the tier.
func openGrove(tier *Tier, label string) (*grovekv.DB, string, error) {
	storeSeq++
	dir := filepath.Join(tmpDir, fmt.Sprintf("%03d-%s-%s", storeSeq, label, tier.Name))
	if err := os.RemoveAll(dir); err != nil {
		return nil, "", err
	}
	var opts []grovekv.Option
	if tier.Durable {
		opts = append(opts, grovekv.WithDurableWrites())
	}
	db, err := grovekv.Open(dir, opts...)
	return db, dir, err
}

// closeGrove closes a store and removes its directory.
func closeGrove(db *grovekv.DB, dir string) error {
	if db == nil {
		return nil
	}
	if err := db.Close(); err != nil {
		return err
	}
	return os.RemoveAll(dir)
}

// redisClient connects to the tier's Redis with a pool of poolSize connections.
func redisClient(tier *Tier, poolSize int) (*redis.Client, error) {
	rdb := redis.NewClient(&redis.Options{
		Addr:         fmt.Sprintf("127.0.0.1:%d", tier.Port),
		PoolSize:     poolSize,
		MinIdleConns: poolSize,
		ReadTimeout:  30 * time.Second,
		WriteTimeout: 30 * time.Second,
	})
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redis on 127.0.0.1:%d: %w", tier.Port, err)
	}
	// Open every pooled connection now so no round pays for a dial.
	var wg sync.WaitGroup
	errs := make([]error, poolSize)
	for i := 0; i < poolSize; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = rdb.Ping(ctx).Err()
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			rdb.Close()
			return nil, err
		}
	}
	return rdb, nil
}

func flushAll(rdb *redis.Client) error {
	return rdb.FlushAll(ctx).Err()
}
