package grovekv_test

import (
	"errors"
	"fmt"

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
