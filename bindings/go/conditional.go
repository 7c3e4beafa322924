package grovekv

/*
#include <stdlib.h>
#include "grove.h"
*/
import "C"

import "runtime"

// setWhen runs one of the conditional writes of the shape
// f(store, key, len, value, len, ttl, *written, **err) and reports whether it wrote.
func (db *DB) setWhen(key string, value []byte, opts []SetOption,
	f func(*C.grove_store, *C.uint8_t, C.size_t, *C.uint8_t, C.size_t, *C.double, *C.bool, **C.grove_error) C.grove_status) (bool, error) {
	ttl := ttlArg(opts)
	defer freeTTL(ttl)
	var written C.bool
	err := db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		kp, kn := stringArg(key)
		vp, vn := bytesArg(value)
		st := f(p, kp, kn, vp, vn, ttl, &written, &cerr)
		runtime.KeepAlive(key)
		runtime.KeepAlive(value)
		return status(st, cerr)
	})
	return bool(written), err
}

// SetIfAbsent stores value at key only if the key holds nothing live (Redis SET NX) and reports
// whether it wrote; WithTTL makes the new value expire. A key holding another kind gives
// ErrWrongType, as for Set.
func (db *DB) SetIfAbsent(key string, value []byte, opts ...SetOption) (bool, error) {
	return db.setWhen(key, value, opts, func(p *C.grove_store, k *C.uint8_t, kn C.size_t, v *C.uint8_t, vn C.size_t, ttl *C.double, out *C.bool, e **C.grove_error) C.grove_status {
		return C.grove_store_set_if_absent(p, k, kn, v, vn, ttl, out, e)
	})
}

// SetIfPresent replaces the bytes at key only if it holds some (Redis SET XX) and reports
// whether it wrote; the new value has the TTL given by WithTTL, or none, as with Set.
func (db *DB) SetIfPresent(key string, value []byte, opts ...SetOption) (bool, error) {
	return db.setWhen(key, value, opts, func(p *C.grove_store, k *C.uint8_t, kn C.size_t, v *C.uint8_t, vn C.size_t, ttl *C.double, out *C.bool, e **C.grove_error) C.grove_status {
		return C.grove_store_set_if_present(p, k, kn, v, vn, ttl, out, e)
	})
}

// CompareAndSet stores value at key only if it holds exactly expected (nil and empty both mean
// the empty value) and reports whether it wrote. An absent key never matches: to write only
// when the key is absent, use SetIfAbsent.
func (db *DB) CompareAndSet(key string, expected, value []byte, opts ...SetOption) (bool, error) {
	ttl := ttlArg(opts)
	defer freeTTL(ttl)
	// The expected bytes are copied into C memory with their grove_slice header: a Go pointer
	// may not be stored in memory passed to C.
	exp, block := cSlices([]string{string(expected)})
	defer C.free(block)
	var written C.bool
	err := db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		kp, kn := stringArg(key)
		vp, vn := bytesArg(value)
		st := C.grove_store_compare_and_set(p, kp, kn, exp, vp, vn, ttl, &written, &cerr)
		runtime.KeepAlive(key)
		runtime.KeepAlive(value)
		return status(st, cerr)
	})
	return bool(written), err
}

// getOld runs a call that returns the old value of a key as grove_store_get does.
func (db *DB) getOld(key string, f func(p *C.grove_store, k *C.uint8_t, kn C.size_t, out *C.grove_bytes, found *C.bool, e **C.grove_error) C.grove_status) ([]byte, bool, error) {
	var out []byte
	var found C.bool
	err := db.with(func(p *C.grove_store) error {
		var val C.grove_bytes
		var cerr *C.grove_error
		kp, kn := stringArg(key)
		st := f(p, kp, kn, &val, &found, &cerr)
		runtime.KeepAlive(key)
		if st != C.GROVE_OK {
			return takeError(st, cerr)
		}
		if bool(found) {
			out = takeBytes(&val)
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return out, bool(found), nil
}

// GetSet stores value at key (WithTTL makes it expire) and returns the bytes it replaced and
// true, or nil and false when the key held nothing. Unlike Get, an absent key is not
// ErrNotFound: the write happened either way.
func (db *DB) GetSet(key string, value []byte, opts ...SetOption) ([]byte, bool, error) {
	ttl := ttlArg(opts)
	defer freeTTL(ttl)
	vp, vn := bytesArg(value)
	old, found, err := db.getOld(key, func(p *C.grove_store, k *C.uint8_t, kn C.size_t, out *C.grove_bytes, found *C.bool, e **C.grove_error) C.grove_status {
		return C.grove_store_get_set(p, k, kn, vp, vn, ttl, out, found, e)
	})
	runtime.KeepAlive(value)
	return old, found, err
}

// GetDelete removes key and returns the bytes it held and true (Redis GETDEL), or nil and false
// (and no change) when it held nothing; a key holding another kind is ErrWrongType.
func (db *DB) GetDelete(key string) ([]byte, bool, error) {
	return db.getOld(key, func(p *C.grove_store, k *C.uint8_t, kn C.size_t, out *C.grove_bytes, found *C.bool, e **C.grove_error) C.grove_status {
		return C.grove_store_get_delete(p, k, kn, out, found, e)
	})
}
