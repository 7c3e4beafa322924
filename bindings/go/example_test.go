package grovekv_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	grovekv "github.com/grovekv/grove/bindings/go"
)

func Example() {
	db, err := grovekv.OpenMemory()
	if err != nil {
		panic(err)
	}
	defer db.Close()

	visitors := db.Counter("visitors")
	n, _ := visitors.Increment(1)
	fmt.Println("visitors:", n)

	_ = db.Set("greeting", []byte("hello"))
	if _, err := db.Get("counter:visitors"); errors.Is(err, grovekv.ErrWrongType) {
		fmt.Println("counter:visitors holds a counter, not bytes")
	}
	if _, err := db.Get("nobody"); errors.Is(err, grovekv.ErrNotFound) {
		fmt.Println("nobody: not found")
	}
	// Output:
	// visitors: 1
	// counter:visitors holds a counter, not bytes
	// nobody: not found
}

func ExampleDB_WithLock() {
	db, err := grovekv.OpenMemory()
	if err != nil {
		panic(err)
	}
	defer db.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Acquires (waiting until ctx ends: then ErrLockTimeout), runs, releases via defer.
	err = db.WithLock(ctx, "deploy", 30*time.Second, func(fence uint64) error {
		fmt.Println("deploying with fencing token", fence)
		return nil
	})
	fmt.Println("err:", err)
	// Output:
	// deploying with fencing token 1
	// err: <nil>
}

func ExampleRateLimiter() {
	db, err := grovekv.OpenMemory()
	if err != nil {
		panic(err)
	}
	defer db.Close()

	rl := db.RateLimiter("api", 2, time.Minute) // 2 requests per sliding minute, per key
	for i := 0; i < 3; i++ {
		d, err := rl.Allow("alice", 1)
		if err != nil {
			panic(err)
		}
		fmt.Println(d.Allowed, d.Remaining, d.RetryAfter > 0)
	}
	// Output:
	// true 1 false
	// true 0 false
	// false 0 true
}

func ExampleSessions() {
	db, err := grovekv.OpenMemory()
	if err != nil {
		panic(err)
	}
	defer db.Close()

	sessions := db.Sessions(30*time.Minute, "sess")
	id, _ := sessions.Create([]byte(`{"user":"ada"}`))
	data, _ := sessions.Get(id)
	fmt.Println(len(id), string(data))
	_, _ = sessions.Touch(id) // sliding TTL
	_, _ = sessions.Delete(id)
	if _, err := sessions.Get(id); errors.Is(err, grovekv.ErrNotFound) {
		fmt.Println("gone")
	}
	ok, _ := sessions.Update(id, []byte("x")) // never recreates
	fmt.Println(ok)
	// Output:
	// 43 {"user":"ada"}
	// gone
	// false
}

func ExampleSync() {
	usEast, _ := grovekv.OpenMemory(grovekv.WithNodeID("us-east-1"))
	defer usEast.Close()
	euWest, _ := grovekv.OpenMemory(grovekv.WithNodeID("eu-west-1"))
	defer euWest.Close()

	_, _ = usEast.CRDTCounter("page:home:views").Increment(100)
	_, _ = euWest.CRDTCounter("page:home:views").Increment(250)
	_ = euWest.CRDTSet("tags:article:1").Add("crdt")

	report, _ := grovekv.Sync(usEast, euWest)
	views, _ := usEast.CRDTCounter("page:home:views").Value()
	tags, _ := usEast.CRDTSet("tags:article:1").Members()
	fmt.Printf("%+v\n", report)
	fmt.Println(views, string(tags[0]))

	// Across processes: ship the bytes any way you like.
	changes, cursor, _ := usEast.ExportChanges(0)
	other, _ := grovekv.OpenMemory(grovekv.WithNodeID("ap-south-1"))
	defer other.Close()
	applied, _ := other.ApplyChanges(changes)
	fmt.Println(applied.Pulled, cursor > 0)
	// Output:
	// {Pulled:1 Pushed:0 Merged:1}
	// 350 "crdt"
	// 2 true
}

func ExampleQueue_DequeueWaitContext() {
	db, err := grovekv.OpenMemory()
	if err != nil {
		panic(err)
	}
	defer db.Close()
	q := db.Queue("emails", 30*time.Second, 5)
	_, _ = q.Enqueue([]byte("to:ada"), 0)
	_, _ = q.Enqueue([]byte("to:bob"), 0)

	// A worker that stops when its context ends; a job is never taken by a wait that ends
	// with an error, so stopping loses none.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for {
		job, err := q.DequeueWaitContext(ctx, time.Minute)
		if err != nil {
			fmt.Println("stopped:", err, errors.Is(err, context.Canceled))
			break
		}
		if job == nil {
			continue // a minute with nothing to do
		}
		fmt.Printf("sending %s\n", job.Payload)
		_, _ = q.Ack(job.ID)
		if st, _ := q.Stats(); st.Ready == 0 {
			cancel() // say, a shutdown signal
		}
	}
	// Output:
	// sending to:ada
	// sending to:bob
	// stopped: grovekv: Queue.DequeueWait: context canceled true
}
