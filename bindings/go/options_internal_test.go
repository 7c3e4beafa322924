package grovekv

import (
	"testing"
	"time"
)

// WithConnectTimeout hands libgrove whole milliseconds: a partial one rounds up, d <= 0 is 0
// (which the core rejects).
func TestConnectTimeoutMilliseconds(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want uint64
	}{
		{-time.Second, 0},
		{0, 0},
		{time.Nanosecond, 1},
		{time.Millisecond, 1},
		{1500 * time.Microsecond, 2},
		{5 * time.Second, 5000},
		{time.Duration(1<<63 - 1), 9223372036855},
	} {
		var cfg config
		WithConnectTimeout(c.d)(&cfg)
		if cfg.connectTimeoutMs == nil || *cfg.connectTimeoutMs != c.want {
			t.Fatalf("%v: got %v, want %d", c.d, cfg.connectTimeoutMs, c.want)
		}
	}
}
