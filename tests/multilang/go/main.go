// Multilang worker (Go door): worker <target> <K> <start-file> <acked-log>
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"time"

	grovekv "github.com/grovekv/grove/bindings/go"
)

const workers = 4

func die(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "go worker: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 5 {
		die("usage: worker <target> <K> <start-file> <acked-log>")
	}
	target, start, logPath := os.Args[1], os.Args[3], os.Args[4]
	k, err := strconv.Atoi(os.Args[2])
	if err != nil {
		die("bad K: %v", err)
	}
	db, err := grovekv.Open(target)
	if err != nil {
		die("open %s: %v", target, err)
	}
	defer db.Close()
	counter := db.Counter("ml")
	board := db.Leaderboard("ml")
	q := db.Queue("ml", 120*time.Second, 5)
	done := db.Counter("ml-producers-done")

	if err := os.WriteFile(logPath+".ready", nil, 0o644); err != nil {
		die("%v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(start); err == nil {
			break
		}
		if time.Now().After(deadline) {
			die("%s never appeared", start)
		}
		time.Sleep(2 * time.Millisecond)
	}
	for i := 0; i < k; i++ {
		if _, err := counter.Increment(1); err != nil {
			die("counter: %v", err)
		}
		if _, err := board.Incr("shared", 1); err != nil {
			die("leaderboard: %v", err)
		}
		if _, err := q.Enqueue([]byte(fmt.Sprintf("go-%d", i)), 0); err != nil {
			die("enqueue: %v", err)
		}
	}
	if _, err := done.Increment(1); err != nil {
		die("done counter: %v", err)
	}

	f, err := os.Create(logPath)
	if err != nil {
		die("%v", err)
	}
	out := bufio.NewWriter(f)
	for {
		n, err := done.Get() // read before dequeue: see the C worker
		if err != nil {
			die("done counter: %v", err)
		}
		job, err := q.Dequeue()
		if err != nil {
			die("dequeue: %v", err)
		}
		if job == nil {
			if n == workers {
				break
			}
			time.Sleep(time.Millisecond)
			continue
		}
		acked, err := q.Ack(job.ID)
		if err != nil {
			die("ack: %v", err)
		}
		a := 0
		if acked {
			a = 1
		}
		fmt.Fprintf(out, "%d %s %d %d\n", job.ID, job.Payload, job.Attempts, a)
	}
	if err := out.Flush(); err != nil {
		die("%v", err)
	}
	if err := f.Close(); err != nil {
		die("%v", err)
	}
}
