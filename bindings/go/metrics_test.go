package grovekv

import (
	"errors"
	"strings"
	"testing"
)

func TestMetricsCountExactly(t *testing.T) {
	db, err := OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, err := db.Metrics()
	if err != nil || len(m) != 0 {
		t.Fatalf("fresh metrics: %v %v", m, err)
	}
	c := db.Counter("hits")
	for i := 0; i < 40; i++ {
		if _, err := c.Increment(1); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Set("counter:text", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Counter("text").Increment(1); !errors.Is(err, ErrWrongType) {
		t.Fatalf("want WrongType, got %v", err)
	}
	view, err := db.Namespace("tenant")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		// Absent: ErrNotFound in Go, a successful call of the core (Ok(None)).
		if _, err := view.Get("nothing"); !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
	}
	m, err = view.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	inc := m["counter.increment"]
	if inc.Count != 41 || inc.Errors != 1 {
		t.Fatalf("counter.increment = %+v", inc)
	}
	if inc.P50Micros <= 0 || inc.P50Micros > inc.P99Micros {
		t.Fatalf("percentiles %+v", inc)
	}
	if g := m["kv.get"]; g.Count != 3 || g.Errors != 0 {
		t.Fatalf("kv.get = %+v", g)
	}
	if s := m["kv.set"]; s.Count != 1 {
		t.Fatalf("kv.set = %+v", s)
	}
	text, err := db.MetricsPrometheus()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\ngrove_ops_total{op=\"counter.increment\"} 41\n",
		"\ngrove_op_errors_total{op=\"counter.increment\"} 1\n",
		"# TYPE grove_op_duration_seconds histogram\n",
	} {
		if !strings.Contains(text, want) {
			t.Fatalf("prometheus text lacks %q:\n%s", want, text)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Metrics(); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
	if _, err := db.MetricsPrometheus(); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}
