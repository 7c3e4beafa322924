package grovekv

/*
#include "grove.h"
*/
import "C"

import (
	"runtime"
	"time"
	"unsafe"
)

// SyncReport says what a Sync or an ApplyChanges did.
type SyncReport struct {
	// Pulled counts CRDT keys this side (a for Sync) received that it did not have.
	Pulled uint64
	// Pushed counts CRDT keys the other side received that it did not have (0 for ApplyChanges).
	Pushed uint64
	// Merged counts CRDT keys both sides had whose merge changed at least one side.
	Merged uint64
}

func syncReport(r C.grove_sync_report) SyncReport {
	return SyncReport{Pulled: uint64(r.pulled), Pushed: uint64(r.pushed), Merged: uint64(r.merged)}
}

// Sync merges every CRDT of a and b both ways; a second Sync reports nothing to do. Two
// handles of one store, or two stores with the same node id, are ErrInvalidArgument; a key that
// is a different CRDT type on each side is ErrWrongType.
func Sync(a, b *DB) (SyncReport, error) {
	if a == nil || b == nil {
		return SyncReport{}, errInvalid("Sync needs two stores, got nil")
	}
	if a == b {
		return SyncReport{}, errInvalid("cannot sync a store with itself")
	}
	// Both read locks, always in address order: two Syncs of the same pair in opposite
	// directions, each waiting behind a Close, cannot deadlock.
	first, second := a, b
	if uintptr(unsafe.Pointer(b)) < uintptr(unsafe.Pointer(a)) {
		first, second = b, a
	}
	var report C.grove_sync_report
	err := first.with(func(_ *C.grove_store) error {
		return second.with(func(_ *C.grove_store) error {
			var cerr *C.grove_error
			st := C.grove_sync(a.ptr, b.ptr, &report, &cerr)
			return status(st, cerr)
		})
	})
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
	if err != nil {
		return SyncReport{}, err
	}
	return syncReport(report), nil
}

// ExportChanges returns every CRDT key changed after cursor since (0: all) as bytes any
// transport can carry to ApplyChanges on another store, and the cursor to pass next time. A key
// may come again in a later export (merging is idempotent); none changed after since is left out.
func (db *DB) ExportChanges(since uint64) ([]byte, uint64, error) {
	var out C.grove_bytes
	var cursor C.uint64_t
	err := db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		st := C.grove_store_export_changes(p, C.uint64_t(since), &out, &cursor, &cerr)
		return status(st, cerr)
	})
	if err != nil {
		return nil, 0, err
	}
	return takeBytes(&out), uint64(cursor), nil
}

// ApplyChanges merges bytes from ExportChanges (of any store) into this one. Every entry is
// checked first: bytes that are not a bundle are ErrCorrupt, an entry whose type differs from
// the local key's ErrWrongType, a stamp beyond the max drift ErrClockDrift, and then nothing
// is applied.
func (db *DB) ApplyChanges(changes []byte) (SyncReport, error) {
	var report C.grove_sync_report
	err := db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		bp, bn := bytesArg(changes)
		st := C.grove_store_apply_changes(p, bp, bn, &report, &cerr)
		runtime.KeepAlive(changes)
		return status(st, cerr)
	})
	if err != nil {
		return SyncReport{}, err
	}
	return syncReport(report), nil
}

// SetMaxDrift sets how far ahead of this machine's clock a remote CRDT stamp may be before a
// merge refuses it with ErrClockDrift (default 60s); it applies to every handle of the store.
// A negative duration is ErrInvalidArgument.
func (db *DB) SetMaxDrift(d time.Duration) error {
	return db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		st := C.grove_store_set_max_drift(p, C.double(d.Seconds()), &cerr)
		return status(st, cerr)
	})
}

// MaxDrift returns the allowed clock drift of remote CRDT stamps.
func (db *DB) MaxDrift() (time.Duration, error) {
	var secs C.double
	err := db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		st := C.grove_store_max_drift(p, &secs, &cerr)
		return status(st, cerr)
	})
	if err != nil {
		return 0, err
	}
	return time.Duration(float64(secs) * float64(time.Second)), nil
}
