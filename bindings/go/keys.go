package grovekv

/*
#include "grove.h"
*/
import "C"

import (
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

// Next advances to the next key; false at the end or on error (see Err).
func (it *Iterator) Next() bool {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.ptr == nil || it.err != nil {
		return false
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
