package grovekv_test

import (
	"testing"

	grovekv "github.com/grovekv/grove/bindings/go"
)

// BenchmarkCounterIncrement: counter increment on the memory backend through cgo
// (tests/c/bench.sh compares it with the Rust core and the C ABI).
func BenchmarkCounterIncrement(b *testing.B) {
	db, err := grovekv.OpenMemory()
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	c := db.Counter("bench")
	for i := 0; i < b.N/10; i++ { // warm-up, as the Rust and C benches
		if _, err := c.Increment(1); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Increment(1); err != nil {
			b.Fatal(err)
		}
	}
}
