package grovekv

/*
#include "grove.h"
*/
import "C"

import (
	"encoding/json"
	"fmt"
)

// OpMetrics is one operation's metrics (see DB.Metrics): calls and failed calls (exact), and
// the median and 99th percentile latency in microseconds over the timed calls (one in 16 of
// each operation, the first always).
type OpMetrics struct {
	Count     uint64  `json:"count"`
	Errors    uint64  `json:"errors"`
	P50Micros float64 `json:"p50_us"`
	P99Micros float64 `json:"p99_us"`
}

// Metrics returns this handle's metrics by operation ("counter.increment", "kv.get",
// "queue.dequeue", …): every call made through this *DB, its namespaces and the primitives
// made from them since Open. Another Open of the same store has its own. ErrClosed after Close.
func (db *DB) Metrics() (map[string]OpMetrics, error) {
	var out C.grove_bytes
	err := db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		return status(C.grove_store_metrics_json(p, &out, &cerr), cerr)
	})
	if err != nil {
		return nil, err
	}
	m := map[string]OpMetrics{}
	if err := json.Unmarshal(takeBytes(&out), &m); err != nil {
		return nil, fmt.Errorf("grovekv: metrics JSON from libgrove: %w", err)
	}
	return m, nil
}

// MetricsPrometheus returns DB.Metrics in the Prometheus text exposition format
// (grove_ops_total, grove_op_errors_total and the histogram grove_op_duration_seconds, each
// with an op label), for serving on a /metrics endpoint.
func (db *DB) MetricsPrometheus() (string, error) {
	var out C.grove_bytes
	err := db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		return status(C.grove_store_metrics_prometheus(p, &out, &cerr), cerr)
	})
	if err != nil {
		return "", err
	}
	return string(takeBytes(&out)), nil
}
