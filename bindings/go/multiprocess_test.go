package grovekv_test

// Multi-process tests of the lmdb: engine: every guarantee of the contract holds across real OS
// processes sharing one store, not just across goroutines. The children are this test binary
// re-executed with -test.run=^TestHelperProcess$ and GROVE_MP_ROLE set (the usual Go pattern).
// Each child opens the store, prints "READY", and waits for its stdin to close: the parent
// closes every child's stdin at once, so the children start their work together. A child
// reports results as lines "R <fields>" on stdout and fails with a non-zero exit.

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	grovekv "github.com/grovekv/grove/bindings/go"
)

const (
	mpRoleEnv   = "GROVE_MP_ROLE"
	mpTargetEnv = "GROVE_MP_TARGET"
	mpNEnv      = "GROVE_MP_N"
	mpIDEnv     = "GROVE_MP_ID"

	mpProcs = 4 // worker processes per check
)

// mpN is the per-process iteration count: modest, because the children run under -race too.
func mpN(base int) int {
	if testing.Short() {
		return base / 4
	}
	return base
}

func mpTarget(t *testing.T) string {
	t.Helper()
	return "lmdb:" + filepath.Join(t.TempDir(), "store")
}

// forEachTarget runs check on a fresh lmdb store and, when GROVE_TEST_REDIS names a server and
// GROVE_TEST_REDIS_CLUSTER a cluster (the test command starts both and sets them), on a fresh
// store on each.
func forEachTarget(t *testing.T, check func(t *testing.T, target string)) {
	t.Run("lmdb", func(t *testing.T) { check(t, mpTarget(t)) })
	for _, r := range []struct{ name, env string }{
		{"redis", "GROVE_TEST_REDIS"},
		{"redis-cluster", "GROVE_TEST_REDIS_CLUSTER"},
	} {
		t.Run(r.name, func(t *testing.T) {
			url := os.Getenv(r.env)
			if url == "" {
				t.Skip(r.env + " is not set (scripts/test.sh starts the servers and sets it)")
			}
			check(t, fmt.Sprintf("%s?store=go%d-%d", url, os.Getpid(), time.Now().UnixNano()))
		})
	}
}

// mpChild is one running child process.
type mpChild struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Reader
	stderr *strings.Builder
	lines  []string // the "R " lines read after the barrier
}

// startChild starts a child with role and id, and waits until it has opened the store.
func startChild(t *testing.T, role, target string, id, n int) *mpChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		mpRoleEnv+"="+role,
		mpTargetEnv+"="+target,
		mpIDEnv+"="+strconv.Itoa(id),
		mpNEnv+"="+strconv.Itoa(n),
	)
	if os.Getenv("GORACE") == "" {
		// Under -race a child otherwise sleeps 1 s at exit; its report still fails it.
		cmd.Env = append(cmd.Env, "GORACE=atexit_sleep_ms=0")
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &mpChild{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout), stderr: &strings.Builder{}}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	if line := c.readLine(t); line != "READY" {
		t.Fatalf("child %s/%d: want READY, got %q (stderr: %s)", role, id, line, c.stderr)
	}
	return c
}

// readLine returns the next protocol line ("READY" or "R ..."), skipping the test framework's.
func (c *mpChild) readLine(t *testing.T) string {
	t.Helper()
	for {
		line, err := c.out.ReadString('\n')
		line = strings.TrimRight(line, "\n")
		if line == "READY" || strings.HasPrefix(line, "R ") {
			return line
		}
		if err != nil {
			_ = c.cmd.Wait()
			t.Fatalf("child %v ended early: %v (stderr: %s)", c.cmd.Args, err, c.stderr)
		}
	}
}

// finish reads every remaining "R " line and waits for a clean exit.
func (c *mpChild) finish(t *testing.T) {
	t.Helper()
	for {
		line, err := c.out.ReadString('\n')
		line = strings.TrimRight(line, "\n")
		if strings.HasPrefix(line, "R ") {
			c.lines = append(c.lines, strings.TrimPrefix(line, "R "))
		}
		if err != nil {
			break
		}
	}
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("child %v: %v\nstderr:\n%s", c.cmd.Args, err, c.stderr)
	}
}

// runTogether starts procs children of role, releases them at once and collects their
// reported lines, one slice per child.
func runTogether(t *testing.T, role, target string, procs, n int) [][]string {
	t.Helper()
	children := make([]*mpChild, procs)
	for i := range children {
		children[i] = startChild(t, role, target, i, n)
	}
	start := time.Now()
	for _, c := range children {
		_ = c.stdin.Close() // the barrier
	}
	var wg sync.WaitGroup
	errs := make([]string, procs)
	for i, c := range children {
		wg.Add(1)
		go func(i int, c *mpChild) {
			defer wg.Done()
			var other []string
			for {
				line, err := c.out.ReadString('\n')
				line = strings.TrimRight(line, "\n")
				if strings.HasPrefix(line, "R ") {
					c.lines = append(c.lines, strings.TrimPrefix(line, "R "))
				} else if line != "" {
					// The child's own test output (its t.Fatalf lands here, not on stderr).
					other = append(other, line)
				}
				if err != nil {
					break
				}
			}
			if err := c.cmd.Wait(); err != nil {
				errs[i] = fmt.Sprintf("child %s/%d: %v\nstdout:\n%s\nstderr:\n%s", role, i, err,
					strings.Join(other, "\n"), c.stderr)
			}
		}(i, c)
	}
	wg.Wait()
	t.Logf("%d %s processes x %d: %v", procs, role, n, time.Since(start).Round(time.Millisecond))
	out := make([][]string, procs)
	for i, c := range children {
		if errs[i] != "" {
			t.Fatal(errs[i])
		}
		out[i] = c.lines
	}
	return out
}

func mustOpen(t *testing.T, target string) *grovekv.DB {
	t.Helper()
	db, err := grovekv.Open(target)
	if err != nil {
		t.Fatalf("open %s: %v", target, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// ---- the child side ------------------------------------------------------------------------

// TestHelperProcess is the entry point of the child processes; without GROVE_MP_ROLE it does
// nothing.
func TestHelperProcess(t *testing.T) {
	role := os.Getenv(mpRoleEnv)
	if role == "" {
		return
	}
	target := os.Getenv(mpTargetEnv)
	n, _ := strconv.Atoi(os.Getenv(mpNEnv))
	id, _ := strconv.Atoi(os.Getenv(mpIDEnv))
	db, err := grovekv.Open(target)
	if err != nil {
		t.Fatalf("child open %s: %v", target, err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Errorf("child close: %v", err)
		}
	}()
	fmt.Println("READY")
	if role == "peer" {
		mpPeer(t, db)
		return
	}
	_, _ = io.Copy(io.Discard, os.Stdin) // wait for the parent's barrier
	report := func(format string, args ...interface{}) {
		fmt.Printf("R "+format+"\n", args...)
	}
	must := func(err error) {
		if err != nil {
			t.Fatalf("child %s/%d: %v", role, id, err)
		}
	}
	switch role {
	case "counter":
		c := db.Counter("mp")
		for i := 0; i < n; i++ {
			v, err := c.Increment(1)
			must(err)
			report("%d", v)
		}
	case "lock":
		l := db.Lock("mp", 30*time.Second)
		for i := 0; i < n; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			ok, err := l.Acquire(ctx, time.Millisecond)
			cancel()
			must(err)
			if !ok {
				t.Fatalf("child lock/%d: Acquire timed out", id)
			}
			token := l.FencingToken()
			// A non-atomic read-modify-write, correct only under mutual exclusion.
			v := mpGetInt(t, db, "mp:value")
			time.Sleep(100 * time.Microsecond)
			must(db.Set("mp:value", []byte(strconv.FormatInt(v+1, 10))))
			// The order of the critical sections, as the holders saw it.
			log, err := db.Get("mp:fences")
			if err != nil && !errors.Is(err, grovekv.ErrNotFound) {
				must(err)
			}
			log = append(log, []byte(strconv.FormatUint(token, 10)+",")...)
			must(db.Set("mp:fences", log))
			released, err := l.Release()
			must(err)
			if !released {
				t.Fatalf("child lock/%d: Release of a held lock returned false", id)
			}
			report("%d", token)
		}
	case "ratelimit":
		rl := db.RateLimiter("mp", uint64(mpRateLimit), time.Hour)
		allowed := 0
		for i := 0; i < n; i++ {
			d, err := rl.Allow("k", 1)
			must(err)
			if d.Allowed {
				allowed++
			}
		}
		report("%d", allowed)
	case "queue":
		q := db.Queue("mp", 10*time.Minute, 3)
		for {
			job, err := q.Dequeue()
			must(err)
			if job == nil {
				break
			}
			acked, err := q.Ack(job.ID)
			must(err)
			report("%d %s %d %t", job.ID, job.Payload, job.Attempts, acked)
		}
	case "leaderboard":
		lb := db.Leaderboard("mp")
		own := fmt.Sprintf("p%d", id)
		for i := 0; i < n; i++ {
			v, err := lb.Incr("shared", 1)
			must(err)
			report("%g", v)
			_, err = lb.Incr(own, 0.5)
			must(err)
		}
	case "crdt":
		cc := db.CRDTCounter("crdt:mp")
		for i := 0; i < n; i++ {
			_, err := cc.Increment(3)
			must(err)
			_, err = cc.Decrement(1)
			must(err)
		}
	case "export":
		changes, cursor, err := db.ExportChanges(uint64(n))
		must(err)
		report("%d %s", cursor, base64.StdEncoding.EncodeToString(changes))
	case "sessions":
		s := db.Sessions(time.Hour, "mpsess")
		for i := 0; i < n; i++ {
			data := fmt.Sprintf("p%d-%d", id, i)
			sid, err := s.Create([]byte(data))
			must(err)
			report("%s %s", sid, data)
		}
	default:
		t.Fatalf("unknown role %q", role)
	}
}

const mpRateLimit = 37

func mpGetInt(t *testing.T, db *grovekv.DB, key string) int64 {
	t.Helper()
	b, err := db.Get(key)
	if errors.Is(err, grovekv.ErrNotFound) {
		return 0
	}
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		t.Fatalf("get %s: %q: %v", key, b, err)
	}
	return v
}

// mpPeer answers commands from stdin, one per line, with one "R " line each; it is the other
// process of the read-your-peer's-write checks. Its handles stay open throughout.
func mpPeer(t *testing.T, db *grovekv.DB) {
	lb := db.Leaderboard("peer")
	s := db.Sessions(time.Hour, "peersess")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		var reply string
		switch f[0] {
		case "lb-add":
			score, _ := strconv.ParseFloat(f[2], 64)
			if err := lb.Add(f[1], score); err != nil {
				t.Fatalf("peer lb-add: %v", err)
			}
			reply = "ok"
		case "lb-score":
			v, err := lb.Score(f[1])
			if errors.Is(err, grovekv.ErrNotFound) {
				reply = "none"
			} else if err != nil {
				t.Fatalf("peer lb-score: %v", err)
			} else {
				reply = strconv.FormatFloat(v, 'g', -1, 64)
			}
		case "lb-top":
			top, err := lb.Top(1)
			if err != nil {
				t.Fatalf("peer lb-top: %v", err)
			}
			n, err := lb.Len()
			if err != nil {
				t.Fatalf("peer lb-len: %v", err)
			}
			reply = fmt.Sprintf("%d", n)
			if len(top) > 0 {
				reply += fmt.Sprintf(" %s %g", top[0].Member, top[0].Score)
			}
		case "sess-create":
			id, err := s.Create([]byte(f[1]))
			if err != nil {
				t.Fatalf("peer sess-create: %v", err)
			}
			reply = id
		case "sess-get":
			data, err := s.Get(f[1])
			if errors.Is(err, grovekv.ErrNotFound) {
				reply = "none"
			} else if err != nil {
				t.Fatalf("peer sess-get: %v", err)
			} else {
				reply = string(data)
			}
		case "sess-update":
			ok, err := s.Update(f[1], []byte(f[2]))
			if err != nil {
				t.Fatalf("peer sess-update: %v", err)
			}
			reply = strconv.FormatBool(ok)
		default:
			t.Fatalf("peer: unknown command %q", f[0])
		}
		fmt.Println("R " + reply)
	}
}

// ---- the checks ----------------------------------------------------------------------------

// ask sends one command to a peer child and returns its reply.
func (c *mpChild) ask(t *testing.T, cmd string) string {
	t.Helper()
	if _, err := io.WriteString(c.stdin, cmd+"\n"); err != nil {
		t.Fatalf("peer %q: %v (stderr: %s)", cmd, err, c.stderr)
	}
	return strings.TrimPrefix(c.readLine(t), "R ")
}

func TestMultiprocessCounter(t *testing.T) { forEachTarget(t, testMultiprocessCounter) }

func testMultiprocessCounter(t *testing.T, target string) {
	n := mpN(1000)
	results := runTogether(t, "counter", target, mpProcs, n)
	// Every increment returned a distinct value: together exactly 1..4N.
	seen := make(map[int64]int)
	for i, lines := range results {
		if len(lines) != n {
			t.Fatalf("child %d reported %d increments, want %d", i, len(lines), n)
		}
		for _, l := range lines {
			v, _ := strconv.ParseInt(l, 10, 64)
			seen[v]++
		}
	}
	total := int64(mpProcs * n)
	for v := int64(1); v <= total; v++ {
		if seen[v] != 1 {
			t.Fatalf("increment result %d seen %d times, want once", v, seen[v])
		}
	}
	db := mustOpen(t, target)
	if got, err := db.Counter("mp").Get(); err != nil || got != total {
		t.Fatalf("counter = %d, %v; want %d", got, err, total)
	}
}

func TestMultiprocessLock(t *testing.T) { forEachTarget(t, testMultiprocessLock) }

func testMultiprocessLock(t *testing.T, target string) {
	n := mpN(50)
	results := runTogether(t, "lock", target, mpProcs, n)
	total := mpProcs * n
	tokens := make(map[uint64]bool)
	for i, lines := range results {
		if len(lines) != n {
			t.Fatalf("child %d reported %d acquisitions, want %d", i, len(lines), n)
		}
		var prev uint64
		for _, l := range lines {
			tok, _ := strconv.ParseUint(l, 10, 64)
			if tokens[tok] {
				t.Fatalf("fencing token %d handed out twice", tok)
			}
			tokens[tok] = true
			if tok <= prev {
				t.Fatalf("child %d: fencing token %d after %d", i, tok, prev)
			}
			prev = tok
		}
	}
	db := mustOpen(t, target)
	if got := mpGetInt(t, db, "mp:value"); got != int64(total) {
		t.Fatalf("value incremented under the lock = %d, want %d (mutual exclusion broken)", got, total)
	}
	raw, err := db.Get("mp:fences")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(strings.TrimSuffix(string(raw), ","), ",")
	if len(parts) != total {
		t.Fatalf("fence log has %d entries, want %d", len(parts), total)
	}
	var prev uint64
	for i, p := range parts {
		tok, _ := strconv.ParseUint(p, 10, 64)
		if !tokens[tok] {
			t.Fatalf("fence log entry %d: token %d was not reported by any child", i, tok)
		}
		if tok <= prev {
			t.Fatalf("fence log entry %d: token %d after %d: not increasing in acquisition order", i, tok, prev)
		}
		prev = tok
	}
	info, err := db.LockInfo("mp")
	if err != nil || info.Held || info.FencingToken != prev {
		t.Fatalf("LockInfo = %+v, %v; want free with fencing token %d", info, err, prev)
	}
}

func TestMultiprocessRateLimiter(t *testing.T) { forEachTarget(t, testMultiprocessRateLimiter) }

func testMultiprocessRateLimiter(t *testing.T, target string) {
	n := mpN(40) // 4 x 40 attempts against a limit of 37
	if mpProcs*n <= mpRateLimit {
		n = mpRateLimit
	}
	results := runTogether(t, "ratelimit", target, mpProcs, n)
	sum := 0
	for _, lines := range results {
		v, _ := strconv.Atoi(lines[0])
		sum += v
	}
	if sum != mpRateLimit {
		t.Fatalf("%d processes admitted %d in total, want exactly the limit %d", mpProcs, sum, mpRateLimit)
	}
	db := mustOpen(t, target)
	d, err := db.RateLimiter("mp", mpRateLimit, time.Hour).Peek("k")
	if err != nil || d.Allowed || d.Remaining != 0 {
		t.Fatalf("Peek after = %+v, %v; want refused with 0 remaining", d, err)
	}
}

func TestMultiprocessQueue(t *testing.T) { forEachTarget(t, testMultiprocessQueue) }

func testMultiprocessQueue(t *testing.T, target string) {
	jobs := mpN(500)
	db := mustOpen(t, target)
	q := db.Queue("mp", 10*time.Minute, 3)
	want := make(map[uint64]string)
	for i := 0; i < jobs; i++ {
		payload := fmt.Sprintf("job-%d", i)
		id, err := q.Enqueue([]byte(payload), 0)
		if err != nil {
			t.Fatal(err)
		}
		want[id] = payload
	}
	results := runTogether(t, "queue", target, mpProcs, 0)
	got := make(map[uint64]int)
	consumers := 0
	for i, lines := range results {
		if len(lines) > 0 {
			consumers++
		}
		for _, l := range lines {
			var id uint64
			var payload string
			var attempts int
			var acked bool
			if _, err := fmt.Sscanf(l, "%d %s %d %t", &id, &payload, &attempts, &acked); err != nil {
				t.Fatalf("child %d: %q: %v", i, l, err)
			}
			if got[id] > 0 {
				t.Fatalf("job %d delivered to two consumers", id)
			}
			got[id]++
			if want[id] != payload || attempts != 1 || !acked {
				t.Fatalf("child %d: job %d payload %q attempts %d acked %t; want %q, 1, true",
					i, id, payload, attempts, acked, want[id])
			}
		}
	}
	if len(got) != jobs {
		t.Fatalf("%d of %d jobs delivered: lost jobs", len(got), jobs)
	}
	t.Logf("%d jobs over %d consumer processes that got any", jobs, consumers)
	st, err := q.Stats()
	if err != nil || st != (grovekv.QueueStats{}) {
		t.Fatalf("Stats = %+v, %v; want all zero", st, err)
	}
}

func TestMultiprocessLeaderboard(t *testing.T) { forEachTarget(t, testMultiprocessLeaderboard) }

func testMultiprocessLeaderboard(t *testing.T, target string) {
	n := mpN(300)
	db := mustOpen(t, target)
	lb := db.Leaderboard("mp")
	// This process's handle exists (and has looked) before the others write.
	if _, err := lb.Len(); err != nil {
		t.Fatal(err)
	}
	results := runTogether(t, "leaderboard", target, mpProcs, n)
	seen := make(map[string]bool)
	for _, lines := range results {
		for _, l := range lines {
			if seen[l] {
				t.Fatalf("Incr returned %s twice: increments not atomic across processes", l)
			}
			seen[l] = true
		}
	}
	if len(seen) != mpProcs*n {
		t.Fatalf("%d distinct Incr results, want %d", len(seen), mpProcs*n)
	}
	if s, err := lb.Score("shared"); err != nil || s != float64(mpProcs*n) {
		t.Fatalf("score(shared) = %g, %v; want %d", s, err, mpProcs*n)
	}
	for i := 0; i < mpProcs; i++ {
		m := fmt.Sprintf("p%d", i)
		if s, err := lb.Score(m); err != nil || s != 0.5*float64(n) {
			t.Fatalf("score(%s) = %g, %v; want %g", m, s, err, 0.5*float64(n))
		}
	}
	top, err := lb.Top(mpProcs + 1)
	if err != nil || len(top) != mpProcs+1 || top[0].Member != "shared" || top[1].Member != "p0" || top[mpProcs].Member != fmt.Sprintf("p%d", mpProcs-1) {
		t.Fatalf("Top = %+v, %v", top, err)
	}

	// A write by one process is seen by another's open handle at once, both ways.
	peer := startChild(t, "peer", target, 0, 0)
	plb := db.Leaderboard("peer")
	if got := peer.ask(t, "lb-top"); got != "0" {
		t.Fatalf("peer sees %q before any write, want 0", got)
	}
	if _, err := plb.Len(); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 10; i++ {
		m := fmt.Sprintf("m%d", i)
		if r := peer.ask(t, fmt.Sprintf("lb-add %s %d", m, i*10)); r != "ok" {
			t.Fatalf("peer lb-add: %q", r)
		}
		if s, err := plb.Score(m); err != nil || s != float64(i*10) {
			t.Fatalf("after the peer's add, score(%s) = %g, %v; want %d", m, s, err, i*10)
		}
		if r, err := plb.Rank(m); err != nil || r != 0 {
			t.Fatalf("after the peer's add, rank(%s) = %d, %v; want 0", m, r, err)
		}
		if l, err := plb.Len(); err != nil || l != 2*i-1 {
			t.Fatalf("after the peer's add, len = %d, %v; want %d", l, err, 2*i-1)
		}
		o := fmt.Sprintf("o%d", i)
		if err := plb.Add(o, float64(i*10)+5); err != nil {
			t.Fatal(err)
		}
		if got, want := peer.ask(t, "lb-score "+o), strconv.Itoa(i*10+5); got != want {
			t.Fatalf("peer score(%s) = %s right after this process's add, want %s", o, got, want)
		}
		if got, want := peer.ask(t, "lb-top"), fmt.Sprintf("%d %s %d", 2*i, o, i*10+5); got != want {
			t.Fatalf("peer top = %q right after this process's add, want %q", got, want)
		}
	}
	_ = peer.stdin.Close()
	peer.finish(t)
}

func TestMultiprocessCRDT(t *testing.T) { forEachTarget(t, testMultiprocessCRDT) }

func testMultiprocessCRDT(t *testing.T, target string) {
	n := mpN(300)
	db := mustOpen(t, target)
	cc := db.CRDTCounter("crdt:mp")
	if _, err := cc.Increment(1); err != nil {
		t.Fatal(err)
	}
	_, cursor, err := db.ExportChanges(0)
	if err != nil {
		t.Fatal(err)
	}
	runTogether(t, "crdt", target, mpProcs, n)
	want := int64(1 + 2*mpProcs*n)
	if v, err := cc.Value(); err != nil || v != want {
		t.Fatalf("CRDT counter = %d, %v; want %d (updates lost across processes)", v, err, want)
	}
	if p, m, err := cc.Totals(); err != nil || p != uint64(1+3*mpProcs*n) || m != uint64(mpProcs*n) {
		t.Fatalf("totals = %d, %d, %v; want %d, %d", p, m, err, 1+3*mpProcs*n, mpProcs*n)
	}
	// Another process's export, since this process's cursor, carries everyone's changes.
	for _, since := range []uint64{0, cursor} {
		lines := runTogether(t, "export", target, 1, int(since))[0]
		f := strings.Fields(lines[0])
		changes, err := base64.StdEncoding.DecodeString(f[1])
		if err != nil {
			t.Fatal(err)
		}
		replica, err := grovekv.OpenMemory(grovekv.WithNodeID("replica"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := replica.ApplyChanges(changes); err != nil {
			t.Fatalf("apply the export since %d: %v", since, err)
		}
		v, err := replica.CRDTCounter("crdt:mp").Value()
		_ = replica.Close()
		if err != nil || v != want {
			t.Fatalf("replica fed the export since %d has %d, %v; want %d", since, v, err, want)
		}
	}
}

func TestMultiprocessSessions(t *testing.T) { forEachTarget(t, testMultiprocessSessions) }

func testMultiprocessSessions(t *testing.T, target string) {
	n := mpN(50)
	db := mustOpen(t, target)
	s := db.Sessions(time.Hour, "mpsess")
	results := runTogether(t, "sessions", target, mpProcs, n)
	ids := make(map[string]bool)
	for _, lines := range results {
		for _, l := range lines {
			f := strings.Fields(l)
			if ids[f[0]] {
				t.Fatalf("session id %s issued twice", f[0])
			}
			ids[f[0]] = true
			data, err := s.Get(f[0])
			if err != nil || string(data) != f[1] {
				t.Fatalf("session %s made in another process: %q, %v; want %q", f[0], data, err, f[1])
			}
		}
	}
	if len(ids) != mpProcs*n {
		t.Fatalf("%d sessions, want %d", len(ids), mpProcs*n)
	}

	peer := startChild(t, "peer", target, 0, 0)
	ps := db.Sessions(time.Hour, "peersess")
	id := peer.ask(t, "sess-create from-peer")
	if data, err := ps.Get(id); err != nil || string(data) != "from-peer" {
		t.Fatalf("session made by the peer: %q, %v", data, err)
	}
	mine, err := ps.Create([]byte("from-parent"))
	if err != nil {
		t.Fatal(err)
	}
	if got := peer.ask(t, "sess-get "+mine); got != "from-parent" {
		t.Fatalf("peer reads this process's session as %q", got)
	}
	if got := peer.ask(t, "sess-update "+mine+" changed"); got != "true" {
		t.Fatalf("peer update of this process's session: %q", got)
	}
	if data, err := ps.Get(mine); err != nil || string(data) != "changed" {
		t.Fatalf("after the peer's update: %q, %v", data, err)
	}
	if ok, err := ps.Delete(id); err != nil || !ok {
		t.Fatalf("delete the peer's session: %t, %v", ok, err)
	}
	if got := peer.ask(t, "sess-get "+id); got != "none" {
		t.Fatalf("peer still reads its deleted session: %q", got)
	}
	if got := peer.ask(t, "sess-update "+id+" back"); got != "false" {
		t.Fatalf("peer update of a deleted session: %q (must not resurrect it)", got)
	}
	if ok, err := ps.Exists(id); err != nil || ok {
		t.Fatalf("deleted session exists again: %t, %v", ok, err)
	}
	_ = peer.stdin.Close()
	peer.finish(t)
}
