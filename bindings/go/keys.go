package grovekv

/*
#include "grove.h"
*/
import "C"

import (
	"context"
	"runtime"
	"sync"
)

// Iterator walks the live keys under a prefix in byte order, reading lazily page by page.
//
//	it := db.Scan("user:")
//	defer it.Close()
//	for it.Next() { fmt.Println(it.Key()) }
//	if err := it.Err(); err != nil { ... }
type Iterator struct {
	mu  sync.Mutex
	ptr *C.grove_keys
	key string
	err error
	ctx context.Context // ScanContext's; nil for Scan
}

// Scan starts iterating over the live keys that start with prefix ("" for every key).
// Errors (ErrClosed, …) are reported by Err after Next returns false.
func (db *DB) Scan(prefix string) *Iterator {
	it := &Iterator{}
	it.err = db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		pp, pn := stringArg(prefix)
		st := C.grove_store_keys(p, pp, pn, &it.ptr, &cerr)
		runtime.KeepAlive(prefix)
		return status(st, cerr)
	})
	if it.ptr != nil {
		runtime.SetFinalizer(it, (*Iterator).Close)
	}
	return it
}

// ScanContext is Scan bound to ctx: Next looks at ctx before each step and, once ctx has
// ended, returns false with Err wrapping ctx's error (errors.Is(err, context.Canceled) or
// context.DeadlineExceeded). An already done ctx gives an iterator that starts with that error,
// without touching the store. Close it as any Iterator.
func (db *DB) ScanContext(ctx context.Context, prefix string) *Iterator {
	if err := checkCtx(ctx, "DB.Scan"); err != nil {
		return &Iterator{err: err}
	}
	it := db.Scan(prefix)
	it.ctx = ctx
	return it
}

// KeysContext is Keys that stops when ctx ends: it returns the keys read so far and an error
// wrapping ctx's (see ScanContext).
func (db *DB) KeysContext(ctx context.Context, prefix string) ([]string, error) {
	it := db.ScanContext(ctx, prefix)
	defer it.Close()
	keys := []string{}
	for it.Next() {
		keys = append(keys, it.Key())
	}
	return keys, it.Err()
}

// Next advances to the next key; false at the end or on error (see Err).
func (it *Iterator) Next() bool {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.ptr == nil || it.err != nil {
		return false
	}
	if it.ctx != nil {
		if err := ctxDone(it.ctx); err != nil {
			it.err = ctxError("Iterator.Next", err)
			return false
		}
	}
	var key C.grove_bytes
	var has C.bool
	var cerr *C.grove_error
	st := C.grove_keys_next(it.ptr, &key, &has, &cerr)
	runtime.KeepAlive(it)
	if st != C.GROVE_OK {
		it.err = takeError(st, cerr)
		return false
	}
	if !bool(has) {
		return false
	}
	it.key = string(takeBytes(&key))
	return true
}

// Key is the key Next moved to.
func (it *Iterator) Key() string {
	it.mu.Lock()
	defer it.mu.Unlock()
	return it.key
}

// Err is the error that stopped the iteration, if any.
func (it *Iterator) Err() error {
	it.mu.Lock()
	defer it.mu.Unlock()
	return it.err
}

// Close releases the iterator; calling it again is fine.
func (it *Iterator) Close() error {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.ptr != nil {
		C.grove_keys_free(it.ptr)
		it.ptr = nil
		runtime.SetFinalizer(it, nil)
	}
	return nil
}

// Keys returns every live key that starts with prefix, in byte order.
func (db *DB) Keys(prefix string) ([]string, error) {
	it := db.Scan(prefix)
	defer it.Close()
	keys := []string{}
	for it.Next() {
		keys = append(keys, it.Key())
	}
	return keys, it.Err()
}
