package grovekv_test

// A context's deadline reaches a call already waiting on a Redis server: against a server that
// accepts commands and never answers (stopped with SIGSTOP), a Context call returns at the
// deadline with an error matching both context.DeadlineExceeded and ErrIo, instead of after the
// store's 20 s reply timeout.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	grovekv "github.com/grovekv/grove/bindings/go"
)

// stoppableRedis starts a redis-server of the test's own on a free loopback port; it is killed
// when the test ends.
func stoppableRedis(t *testing.T) (*exec.Cmd, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	must(t, l.Close())
	cmd := exec.Command("redis-server", "--port", fmt.Sprint(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir())
	must(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			_ = c.Close()
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("redis-server on %s did not start", addr)
		}
	}
	return cmd, "redis://" + addr
}

func TestContextDeadlineCutsAStalledRedisCallShort(t *testing.T) {
	if os.Getenv("GROVE_TEST_REDIS") == "" {
		t.Skip("GROVE_TEST_REDIS is not set: no redis-server to stop")
	}
	server, url := stoppableRedis(t)
	db, err := grovekv.Open(url)
	must(t, err)
	c := db.Counter("hits")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	got, err := c.IncrementContext(ctx, 1)
	cancel()
	must(t, err)
	if got != 1 {
		t.Fatalf("first increment gave %d", got)
	}

	must(t, server.Process.Signal(syscall.SIGSTOP))
	for _, what := range []string{"increment", "get", "lock"} {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		start := time.Now()
		switch what {
		case "increment":
			_, err = c.IncrementContext(ctx, 1)
		case "get":
			_, err = db.GetContext(ctx, "k")
		case "lock":
			_, err = db.Lock("deploy", 10*time.Second).AcquireContext(ctx, 5*time.Second)
		}
		took := time.Since(start)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: want DeadlineExceeded, got %v", what, err)
		}
		if what != "lock" && !errors.Is(err, grovekv.ErrIo) {
			t.Fatalf("%s: want ErrIo too, got %v", what, err)
		}
		// The 300 ms deadline, plus a connection's handshake bounded by it too, plus slack for
		// a loaded machine; the reply timeout it replaces is 20 s.
		if took > 3*time.Second {
			t.Fatalf("%s took %v", what, took)
		}
		t.Logf("stopped server, 300 ms deadline: %s returned after %v: %v", what, took, err)
	}
	must(t, server.Process.Signal(syscall.SIGCONT))
	got, err = c.Increment(1)
	must(t, err)
	if got < 2 {
		t.Fatalf("counter at %d after the server resumed", got)
	}
	must(t, db.Close())
}

func TestWithReplyTimeoutBoundsACallToAStalledServer(t *testing.T) {
	if _, err := grovekv.OpenMemory(grovekv.WithReplyTimeout(time.Second)); !errors.Is(err, grovekv.ErrInvalidArgument) {
		t.Fatalf("a reply timeout on memory: want ErrInvalidArgument, got %v", err)
	}
	if os.Getenv("GROVE_TEST_REDIS") == "" {
		t.Skip("GROVE_TEST_REDIS is not set: no redis-server to stop")
	}
	server, url := stoppableRedis(t)
	if _, err := grovekv.Open(url, grovekv.WithReplyTimeout(0)); !errors.Is(err, grovekv.ErrInvalidArgument) {
		t.Fatalf("a reply timeout of 0: want ErrInvalidArgument, got %v", err)
	}
	db, err := grovekv.Open(url, grovekv.WithReplyTimeout(300*time.Millisecond))
	must(t, err)
	c := db.Counter("hits")
	_, err = c.Increment(1)
	must(t, err)
	must(t, server.Process.Signal(syscall.SIGSTOP))
	start := time.Now()
	_, err = c.Increment(1)
	took := time.Since(start)
	if !errors.Is(err, grovekv.ErrIo) || took > 3*time.Second {
		t.Fatalf("a stalled server: want ErrIo within 3s (the 300ms reply timeout), got %v after %v", err, took)
	}
	t.Logf("stopped server, 300 ms reply timeout: Increment returned after %v: %v", took, err)
	must(t, server.Process.Signal(syscall.SIGCONT))
	_, err = c.Increment(1)
	must(t, err)
	must(t, db.Close())
}
