package grovekv_test

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	grovekv "github.com/grovekv/grove/bindings/go"
)

const holdEnv = "GROVEKV_TEST_HOLD"

// TestMain doubles as the helper process of the locked-store test: with GROVEKV_TEST_HOLD set
// it opens that path, prints "ready" and holds the store until stdin closes. With
// GROVEKV_TEST_CRDT_PEER set it is one replica of the two-process CRDT test (crdtPeerMain).
func TestMain(m *testing.M) {
	if path := os.Getenv(holdEnv); path != "" {
		db, err := grovekv.Open(path)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("ready")
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		_ = db.Close()
		os.Exit(0)
	}
	if spec := os.Getenv(crdtPeerEnv); spec != "" {
		os.Exit(crdtPeerMain(spec))
	}
	os.Exit(m.Run())
}

func mem(t *testing.T) *grovekv.DB {
	t.Helper()
	db, err := grovekv.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, sentinel error) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("got error %v, want %v", err, sentinel)
	}
}

func TestVersion(t *testing.T) {
	if v := grovekv.Version(); !strings.Contains(v, ".") {
		t.Fatalf("version %q", v)
	}
	if major, minor := grovekv.ABIVersion(); major != 0 || minor < 1 {
		t.Fatalf("ABI %d.%d", major, minor)
	}
}

func TestOpenMemoryAndOptions(t *testing.T) {
	db, err := grovekv.OpenMemory(grovekv.WithNodeID("node-a"), grovekv.WithFlushInterval(50*time.Millisecond))
	must(t, err)
	if db.NodeID() != "node-a" || db.Path() != "" {
		t.Fatalf("node id %q path %q", db.NodeID(), db.Path())
	}
	size, err := db.SizeOnDisk()
	must(t, err)
	if size != 0 {
		t.Fatalf("size %d", size)
	}
	must(t, db.Flush())
	must(t, db.Close())
	must(t, db.Close()) // twice is fine

	gen := mem(t)
	if len(gen.NodeID()) != 16 {
		t.Fatalf("generated node id %q", gen.NodeID())
	}
	_, err = grovekv.OpenMemory(grovekv.WithNodeID("bad id"))
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = grovekv.OpenMemory(grovekv.WithNodeID(""))
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = grovekv.OpenMemory(grovekv.WithNodeID("\xff"))
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = grovekv.OpenMemory(grovekv.WithFlushInterval(0))
	wantErr(t, err, grovekv.ErrInvalidArgument)
	db, err = grovekv.OpenMemory(grovekv.WithDurableWrites())
	must(t, err)
	must(t, db.Close())
}

// WithConnectTimeout reaches the core, which checks it at open: 0 or negative, or any value on
// an engine with no server, is ErrInvalidArgument; an unreachable server is ErrIo naming it.
func TestConnectTimeout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sled")
	for _, target := range []string{dir, "sled:" + dir, "lmdb:" + dir, "memory:"} {
		_, err := grovekv.Open(target, grovekv.WithConnectTimeout(time.Second))
		wantErr(t, err, grovekv.ErrInvalidArgument)
		if !strings.Contains(err.Error(), "connect_timeout") {
			t.Fatalf("%s: %v", target, err)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("a refused open created %s (%v)", dir, err)
	}
	_, err := grovekv.OpenMemory(grovekv.WithConnectTimeout(time.Second))
	wantErr(t, err, grovekv.ErrInvalidArgument)
	for _, d := range []time.Duration{0, -time.Second} {
		_, err = grovekv.Open("redis://127.0.0.1:1", grovekv.WithConnectTimeout(d))
		wantErr(t, err, grovekv.ErrInvalidArgument)
	}

	// Connection refused: ErrIo at once, naming the address (a sub-millisecond timeout is 1ms).
	for _, d := range []time.Duration{2 * time.Second, time.Microsecond} {
		_, err = grovekv.Open("redis://127.0.0.1:1", grovekv.WithConnectTimeout(d))
		wantErr(t, err, grovekv.ErrIo)
		if !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Fatalf("%v", err)
		}
	}
	// A non-routable address: ErrIo naming it within the 200ms timeout (3s is a correctness
	// bound; the default timeout is 5s).
	start := time.Now()
	_, err = grovekv.Open("redis://10.255.255.1:6379", grovekv.WithConnectTimeout(200*time.Millisecond))
	wantErr(t, err, grovekv.ErrIo)
	if !strings.Contains(err.Error(), "10.255.255.1:6379") {
		t.Fatalf("%v", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("the open took %v", took)
	}

	// A server that never completes the handshake: ErrIo after the 200ms given, not the
	// default 5s (the bounds leave room for a slow machine).
	hole := blackHole(t)
	start = time.Now()
	_, err = grovekv.Open("redis://"+hole, grovekv.WithConnectTimeout(200*time.Millisecond))
	wantErr(t, err, grovekv.ErrIo)
	if !strings.Contains(err.Error(), hole) {
		t.Fatalf("%v", err)
	}
	if took := time.Since(start); took < 150*time.Millisecond || took > 3*time.Second {
		t.Fatalf("the open took %v", took)
	}

	url := os.Getenv("GROVE_TEST_REDIS")
	if url == "" {
		t.Log("GROVE_TEST_REDIS is not set: connect timeout not tried on a live server")
		return
	}
	db, err := grovekv.Open(url, grovekv.WithConnectTimeout(2*time.Second))
	must(t, err)
	must(t, db.Close())
}

// blackHole returns a loopback address whose TCP handshake never completes: a listener with a
// backlog of 0 whose accept queue is full of connections nobody accepts, so the kernel (Linux)
// drops further SYNs and a connect waits for its own timeout, as to a non-routable address.
func blackHole(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	must(t, err)
	t.Cleanup(func() { _ = syscall.Close(fd) })
	must(t, syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	must(t, syscall.Listen(fd, 0))
	sa, err := syscall.Getsockname(fd)
	must(t, err)
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	for i := 0; i < 8; i++ {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return addr // the queue is full
		}
		t.Cleanup(func() { _ = c.Close() })
	}
	t.Fatalf("%s kept completing handshakes", addr)
	return ""
}

func TestKV(t *testing.T) {
	db := mem(t)
	must(t, db.Set("greeting", []byte("hello")))
	v, err := db.Get("greeting")
	must(t, err)
	if string(v) != "hello" {
		t.Fatalf("got %q", v)
	}
	_, err = db.Get("missing")
	wantErr(t, err, grovekv.ErrNotFound)

	must(t, db.Set("empty", nil))
	v, err = db.Get("empty")
	must(t, err)
	if v == nil || len(v) != 0 {
		t.Fatalf("empty value: %#v", v)
	}
	bin := "\x00\x01\xff"
	must(t, db.Set(bin, []byte{0, 0xde, 0}))
	v, err = db.Get(bin)
	must(t, err)
	if !reflect.DeepEqual(v, []byte{0, 0xde, 0}) {
		t.Fatalf("binary: %v", v)
	}

	ok, err := db.Exists("greeting")
	must(t, err)
	if !ok {
		t.Fatal("exists")
	}
	kind, err := db.Type("greeting")
	must(t, err)
	if kind != grovekv.KindBytes || kind.String() != "string" {
		t.Fatalf("kind %v", kind)
	}
	ok, err = db.Delete("greeting")
	must(t, err)
	if !ok {
		t.Fatal("delete")
	}
	ok, err = db.Delete("greeting")
	must(t, err)
	if ok {
		t.Fatal("second delete")
	}
	kind, err = db.Type("greeting")
	must(t, err)
	if kind != grovekv.KindNone {
		t.Fatalf("kind after delete %v", kind)
	}

	wantErr(t, db.Set("", []byte("v")), grovekv.ErrInvalidArgument)
	wantErr(t, db.Set(strings.Repeat("k", 2000), []byte("v")), grovekv.ErrInvalidArgument)
	_, err = db.Get("")
	wantErr(t, err, grovekv.ErrInvalidArgument)
}

func TestTTL(t *testing.T) {
	db := mem(t)
	must(t, db.Set("t", []byte("v"), grovekv.WithTTL(time.Hour)))
	d, has, err := db.TTL("t")
	must(t, err)
	if !has || d <= 59*time.Minute || d > time.Hour {
		t.Fatalf("ttl %v %v", d, has)
	}
	must(t, db.Set("p", []byte("v")))
	_, has, err = db.TTL("p")
	must(t, err)
	if has {
		t.Fatal("p has a ttl")
	}
	_, _, err = db.TTL("absent")
	wantErr(t, err, grovekv.ErrNotFound)

	wantErr(t, db.Set("bad", []byte("v"), grovekv.WithTTL(-time.Second)), grovekv.ErrInvalidArgument)
	wantErr(t, db.Set("bad", []byte("v"), grovekv.WithTTL(0)), grovekv.ErrInvalidArgument)
	ok, err := db.Exists("bad")
	must(t, err)
	if ok {
		t.Fatal("invalid ttl stored a value")
	}
	_, err = db.Expire("p", -time.Second)
	wantErr(t, err, grovekv.ErrInvalidArgument)

	ok, err = db.Expire("p", time.Minute)
	must(t, err)
	if !ok {
		t.Fatal("expire")
	}
	ok, err = db.Persist("p")
	must(t, err)
	if !ok {
		t.Fatal("persist")
	}
	ok, err = db.Persist("p")
	must(t, err)
	if ok {
		t.Fatal("persist twice")
	}
	ok, err = db.Expire("absent", time.Minute)
	must(t, err)
	if ok {
		t.Fatal("expire absent")
	}

	must(t, db.Set("short1", []byte("v"), grovekv.WithTTL(30*time.Millisecond)))
	must(t, db.Set("short2", []byte("v"), grovekv.WithTTL(30*time.Millisecond)))
	time.Sleep(150 * time.Millisecond)
	_, err = db.Get("short1")
	wantErr(t, err, grovekv.ErrNotFound)
	n, err := db.PurgeExpired()
	must(t, err)
	if n < 1 {
		t.Fatalf("purged %d", n)
	}
}

func TestKeysScanNamespace(t *testing.T) {
	db := mem(t)
	for _, k := range []string{"user:2", "user:1", "other"} {
		must(t, db.Set(k, []byte("x")))
	}
	keys, err := db.Keys("user:")
	must(t, err)
	if !reflect.DeepEqual(keys, []string{"user:1", "user:2"}) {
		t.Fatalf("keys %v", keys)
	}
	ns, err := db.Namespace("tenant-a")
	must(t, err)
	must(t, ns.Set("user:9", []byte("z")))
	_, err = ns.Counter("hits").Increment(1)
	must(t, err)
	keys, err = ns.Keys("")
	must(t, err)
	if !reflect.DeepEqual(keys, []string{"counter:hits", "user:9"}) {
		t.Fatalf("namespace keys %v", keys)
	}
	keys, err = db.Keys("")
	must(t, err)
	want := []string{"other", "tenant-a:counter:hits", "tenant-a:user:9", "user:1", "user:2"}
	if !reflect.DeepEqual(keys, want) {
		t.Fatalf("all keys %v", keys)
	}
	for i := 0; i < 600; i++ {
		must(t, db.Set(fmt.Sprintf("bulk:%04d", i), []byte("x")))
	}
	it := db.Scan("bulk:")
	n := 0
	for it.Next() {
		if it.Key() != fmt.Sprintf("bulk:%04d", n) {
			t.Fatalf("key %d is %q", n, it.Key())
		}
		n++
	}
	must(t, it.Err())
	must(t, it.Close())
	must(t, it.Close())
	if n != 600 {
		t.Fatalf("scanned %d", n)
	}
	_, err = db.Namespace("")
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = db.Namespace("\xc3\x28")
	wantErr(t, err, grovekv.ErrInvalidArgument)
	must(t, ns.Close()) // closing a view closes the store
	_, err = db.Get("other")
	wantErr(t, err, grovekv.ErrClosed)
}

func TestGetManySetMany(t *testing.T) {
	db := mem(t)
	must(t, db.SetMany(map[string][]byte{"a": []byte("1"), "b": []byte("22"), "c": {}}))
	vals, err := db.GetMany([]string{"a", "missing", "b", "c"})
	must(t, err)
	if string(vals[0]) != "1" || vals[1] != nil || string(vals[2]) != "22" || vals[3] == nil || len(vals[3]) != 0 {
		t.Fatalf("values %#v", vals)
	}
	vals, err = db.GetMany(nil)
	must(t, err)
	if len(vals) != 0 {
		t.Fatal("empty get_many")
	}
	must(t, db.SetMany(nil))
	must(t, db.SetMany(map[string][]byte{"ttl-a": []byte("x")}, grovekv.WithTTL(time.Minute)))
	_, has, err := db.TTL("ttl-a")
	must(t, err)
	if !has {
		t.Fatal("set_many ttl")
	}
	wantErr(t, db.SetMany(map[string][]byte{"x": nil}, grovekv.WithTTL(-time.Minute)), grovekv.ErrInvalidArgument)
	wantErr(t, db.SetMany(map[string][]byte{"": nil}), grovekv.ErrInvalidArgument)

	_, err = db.Counter("n").Increment(1)
	must(t, err)
	err = db.SetMany(map[string][]byte{"fresh": []byte("x"), "counter:n": []byte("y")})
	wantErr(t, err, grovekv.ErrWrongType)
	ok, err := db.Exists("fresh")
	must(t, err)
	if ok {
		t.Fatal("set_many is not atomic")
	}
	_, err = db.GetMany([]string{"a", "counter:n"})
	wantErr(t, err, grovekv.ErrWrongType)
}

func TestCounter(t *testing.T) {
	db := mem(t)
	c := db.Counter("visitors")
	steps := []struct {
		op   func() (int64, error)
		want int64
	}{
		{c.Get, 0},
		{func() (int64, error) { return c.Increment(1) }, 1},
		{func() (int64, error) { return c.Increment(5) }, 6},
		{func() (int64, error) { return c.Decrement(2) }, 4},
		{func() (int64, error) { return c.Decrement(10) }, -6},
	}
	for i, s := range steps {
		got, err := s.op()
		must(t, err)
		if got != s.want {
			t.Fatalf("step %d: %d, want %d", i, got, s.want)
		}
	}
	must(t, c.Set(1000))
	if v, _ := c.Get(); v != 1000 {
		t.Fatalf("set: %d", v)
	}
	must(t, c.Reset())
	if v, _ := c.Get(); v != 0 {
		t.Fatalf("reset: %d", v)
	}
	kind, err := db.Type("counter:visitors")
	must(t, err)
	if kind != grovekv.KindCounter {
		t.Fatalf("kind %v", kind)
	}

	must(t, c.Set(math.MaxInt64))
	_, err = c.Increment(1)
	wantErr(t, err, grovekv.ErrOverflow)
	must(t, c.Set(math.MinInt64))
	_, err = c.Decrement(1)
	wantErr(t, err, grovekv.ErrOverflow)
	if v, _ := c.Get(); v != math.MinInt64 {
		t.Fatalf("overflow changed the value: %d", v)
	}

	_, err = db.Get("counter:visitors")
	wantErr(t, err, grovekv.ErrWrongType)
	wantErr(t, db.Set("counter:visitors", []byte("x")), grovekv.ErrWrongType)
	must(t, db.Set("counter:text", []byte("hello")))
	_, err = db.Counter("text").Increment(1)
	wantErr(t, err, grovekv.ErrWrongType)
	_, err = db.Counter("text").Get()
	wantErr(t, err, grovekv.ErrWrongType)

	_, err = db.Counter("").Increment(1)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	wantErr(t, db.Counter("\xff").Set(1), grovekv.ErrInvalidArgument)
	wantErr(t, db.Counter("").Reset(), grovekv.ErrInvalidArgument)
	_, err = db.Counter("").Decrement(1)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = db.Counter("").Get()
	wantErr(t, err, grovekv.ErrInvalidArgument)
}

func TestClosed(t *testing.T) {
	db := mem(t)
	c := db.Counter("c")
	view, err := db.Namespace("ns")
	must(t, err)
	it := db.Scan("")
	must(t, db.Close())
	must(t, db.Close())

	checks := map[string]error{}
	_, checks["Get"] = db.Get("k")
	checks["Set"] = db.Set("k", []byte("v"))
	_, checks["Delete"] = db.Delete("k")
	_, checks["Exists"] = db.Exists("k")
	_, checks["Type"] = db.Type("k")
	_, checks["Expire"] = db.Expire("k", time.Second)
	_, checks["Persist"] = db.Persist("k")
	_, _, checks["TTL"] = db.TTL("k")
	_, checks["GetMany"] = db.GetMany([]string{"k"})
	checks["SetMany"] = db.SetMany(map[string][]byte{"k": nil})
	_, checks["PurgeExpired"] = db.PurgeExpired()
	_, checks["Keys"] = db.Keys("")
	checks["Flush"] = db.Flush()
	_, checks["SizeOnDisk"] = db.SizeOnDisk()
	_, checks["Namespace"] = db.Namespace("x")
	_, checks["Counter.Increment (made before close)"] = c.Increment(1)
	_, checks["Counter.Decrement"] = c.Decrement(1)
	_, checks["Counter.Get"] = c.Get()
	checks["Counter.Set"] = c.Set(1)
	checks["Counter.Reset"] = c.Reset()
	_, checks["Counter made after close"] = db.Counter("later").Increment(1)
	_, checks["view.Get (view of a closed store)"] = view.Get("k")
	it.Next()
	checks["Iterator"] = it.Err()
	for name, err := range checks {
		if !errors.Is(err, grovekv.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	must(t, it.Close())
	must(t, view.Close())
}

func TestDiskPersistenceAndSharedEngine(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	db, err := grovekv.Open(dir, grovekv.WithNodeID("disk-node"), grovekv.WithDurableWrites())
	must(t, err)
	again, err := grovekv.Open(dir)
	must(t, err)
	must(t, db.Set("k", []byte("v1")))
	v, err := again.Get("k")
	must(t, err)
	if string(v) != "v1" {
		t.Fatalf("shared engine: %q", v)
	}
	must(t, again.Close())
	n, err := db.Counter("visits").Increment(42)
	must(t, err)
	if n != 42 {
		t.Fatal(n)
	}
	must(t, db.Flush())
	size, err := db.SizeOnDisk()
	must(t, err)
	if size <= 0 || !strings.HasSuffix(db.Path(), "store") {
		t.Fatalf("size %d path %q", size, db.Path())
	}
	must(t, db.Close())

	db, err = grovekv.Open(dir)
	must(t, err)
	defer db.Close()
	if db.NodeID() != "disk-node" {
		t.Fatalf("node id %q", db.NodeID())
	}
	if n, _ := db.Counter("visits").Get(); n != 42 {
		t.Fatalf("after reopen %d", n)
	}

	file := filepath.Join(t.TempDir(), "plain-file")
	must(t, os.WriteFile(file, []byte("x"), 0o600))
	_, err = grovekv.Open(file)
	wantErr(t, err, grovekv.ErrIo)
	_, err = grovekv.Open("")
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = grovekv.Open("/tmp/\xff\xfe")
	wantErr(t, err, grovekv.ErrInvalidArgument)
}

func TestStoreLockedByAnotherProcess(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locked")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	must(t, err)
	stdout, err := cmd.StdoutPipe()
	must(t, err)
	cmd.Stderr = os.Stderr
	must(t, cmd.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		_ = cmd.Process.Kill()
		t.Fatalf("helper said %q (%v)", line, err)
	}

	_, err = grovekv.Open(dir)
	wantErr(t, err, grovekv.ErrStoreLocked)
	if !strings.Contains(err.Error(), "locked") {
		t.Fatalf("message should name the path: %v", err)
	}

	must(t, stdin.Close())
	must(t, cmd.Wait())
	db, err := grovekv.Open(dir)
	must(t, err)
	must(t, db.Close())
}

func hammer(t *testing.T, db *grovekv.DB, goroutines, perG int) {
	c := db.Counter("hits")
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perG; i++ {
				if _, err := c.Increment(1); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, err := c.Get()
	must(t, err)
	if got != int64(goroutines*perG) {
		t.Fatalf("counter %d, want %d", got, goroutines*perG)
	}
}

func TestSixteenGoroutinesOneCounterMemory(t *testing.T) {
	hammer(t, mem(t), 16, 2000)
}

func TestSixteenGoroutinesOneCounterDisk(t *testing.T) {
	db, err := grovekv.Open(filepath.Join(t.TempDir(), "s"))
	must(t, err)
	defer db.Close()
	hammer(t, db, 16, 500)
}

// Concurrent Close while other goroutines use the store: they get values or ErrClosed, never
// a crash.
func TestCloseWhileInUse(t *testing.T) {
	db, err := grovekv.OpenMemory()
	must(t, err)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			c := db.Counter("x")
			for i := 0; i < 500; i++ {
				if err := db.Set(fmt.Sprintf("k%d", g), []byte("v")); err != nil && !errors.Is(err, grovekv.ErrClosed) {
					t.Error(err)
				}
				if _, err := c.Increment(1); err != nil && !errors.Is(err, grovekv.ErrClosed) {
					t.Error(err)
				}
			}
		}(g)
	}
	time.Sleep(2 * time.Millisecond)
	must(t, db.Close())
	wg.Wait()
}

// Handles dropped without Close are released by finalizers (run under GOGC=1 in test.sh).
func TestFinalizersReleaseForgottenHandles(t *testing.T) {
	for i := 0; i < 200; i++ {
		db, err := grovekv.OpenMemory()
		must(t, err)
		_, err = db.Counter("c").Increment(1)
		must(t, err)
		_ = db.Scan("")
	}
	runtime.GC()
	runtime.GC()
	dir := filepath.Join(t.TempDir(), "forgotten")
	func() {
		db, err := grovekv.Open(dir)
		must(t, err)
		must(t, db.Set("k", []byte("v")))
	}()
	// The forgotten handle's finalizer closes the engine and releases the directory lock;
	// reopening in this process works either way (the registry shares the engine).
	runtime.GC()
	db, err := grovekv.Open(dir)
	must(t, err)
	v, err := db.Get("k")
	must(t, err)
	if string(v) != "v" {
		t.Fatal(string(v))
	}
	must(t, db.Close())
}
