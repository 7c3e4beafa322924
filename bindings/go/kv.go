package grovekv

/*
#include <stdlib.h>
#include <string.h>
#include "grove.h"
*/
import "C"

import (
	"math"
	"runtime"
	"time"
	"unsafe"
)

// Kind is what a key holds.
type Kind int

// The kinds a key can hold; KindNone means absent or expired.
const (
	KindNone Kind = iota
	KindBytes
	KindCounter
	KindLock
	KindRateLimit
	KindSession
	KindLeaderboard
	KindQueue
	KindCRDTCounter
	KindCRDTRegister
	KindCRDTSet
	KindCRDTMap
)

var kindNames = [...]string{"none", "string", "counter", "lock", "ratelimit", "session",
	"leaderboard", "queue", "crdt-counter", "crdt-register", "crdt-set", "crdt-map"}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// SetOption configures Set and SetMany.
type SetOption func(*setConfig)

type setConfig struct {
	ttl    time.Duration
	hasTTL bool
}

// WithTTL makes the written keys expire after ttl (> 0; otherwise ErrInvalidArgument).
func WithTTL(ttl time.Duration) SetOption {
	return func(c *setConfig) {
		c.ttl = ttl
		c.hasTTL = true
	}
}

// ttlArg returns the TTL argument for C: NULL for none, else a pointer to the seconds.
func ttlArg(opts []SetOption) *C.double {
	var cfg setConfig
	for _, o := range opts {
		o(&cfg)
	}
	if !cfg.hasTTL {
		return nil
	}
	secs := (*C.double)(C.malloc(C.sizeof_double))
	*secs = C.double(cfg.ttl.Seconds())
	return secs
}

func freeTTL(p *C.double) {
	if p != nil {
		C.free(unsafe.Pointer(p))
	}
}

func status(st C.grove_status, cerr *C.grove_error) error {
	if st != C.GROVE_OK {
		return takeError(st, cerr)
	}
	return nil
}

// Get returns the bytes stored at key; ErrNotFound when it is absent or expired, ErrWrongType
// when it holds something else (a counter, …).
func (db *DB) Get(key string) ([]byte, error) {
	var out []byte
	err := db.with(func(p *C.grove_store) error {
		var val C.grove_bytes
		var found C.bool
		var cerr *C.grove_error
		kp, kn := stringArg(key)
		st := C.grove_store_get(p, kp, kn, &val, &found, &cerr)
		runtime.KeepAlive(key)
		if st != C.GROVE_OK {
			return takeError(st, cerr)
		}
		if !bool(found) {
			return newError(int(C.GROVE_NOT_FOUND), "key '"+key+"' does not exist")
		}
		out = takeBytes(&val)
		return nil
	})
	return out, err
}

// Set stores value at key, replacing bytes already there; WithTTL makes it expire. A key
// holding another kind (a counter, …) gives ErrWrongType: delete it first. New keys under
// "lb:" and "queue:" belong to leaderboards and queues: ErrInvalidArgument.
func (db *DB) Set(key string, value []byte, opts ...SetOption) error {
	ttl := ttlArg(opts)
	defer freeTTL(ttl)
	return db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		kp, kn := stringArg(key)
		vp, vn := bytesArg(value)
		st := C.grove_store_set(p, kp, kn, vp, vn, ttl, &cerr)
		runtime.KeepAlive(key)
		runtime.KeepAlive(value)
		return status(st, cerr)
	})
}

// boolOp runs a C call of the shape f(store, key, len, *bool, **err).
func (db *DB) boolOp(key string, f func(*C.grove_store, *C.uint8_t, C.size_t, *C.bool, **C.grove_error) C.grove_status) (bool, error) {
	var out C.bool
	err := db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		kp, kn := stringArg(key)
		st := f(p, kp, kn, &out, &cerr)
		runtime.KeepAlive(key)
		return status(st, cerr)
	})
	return bool(out), err
}

// Delete removes key whatever it holds; it reports whether a live key was removed.
func (db *DB) Delete(key string) (bool, error) {
	return db.boolOp(key, func(p *C.grove_store, k *C.uint8_t, n C.size_t, out *C.bool, e **C.grove_error) C.grove_status {
		return C.grove_store_delete(p, k, n, out, e)
	})
}

// Exists reports whether key holds a live value of any kind.
func (db *DB) Exists(key string) (bool, error) {
	return db.boolOp(key, func(p *C.grove_store, k *C.uint8_t, n C.size_t, out *C.bool, e **C.grove_error) C.grove_status {
		return C.grove_store_exists(p, k, n, out, e)
	})
}

// Persist removes the expiry of key; it reports whether it had one.
func (db *DB) Persist(key string) (bool, error) {
	return db.boolOp(key, func(p *C.grove_store, k *C.uint8_t, n C.size_t, out *C.bool, e **C.grove_error) C.grove_status {
		return C.grove_store_persist(p, k, n, out, e)
	})
}

// Expire makes key (of any kind) expire after ttl (0 deletes it now; negative is
// ErrInvalidArgument); it reports false when the key does not exist.
func (db *DB) Expire(key string, ttl time.Duration) (bool, error) {
	secs := C.double(ttl.Seconds())
	return db.boolOp(key, func(p *C.grove_store, k *C.uint8_t, n C.size_t, out *C.bool, e **C.grove_error) C.grove_status {
		return C.grove_store_expire(p, k, n, secs, out, e)
	})
}

// TTL returns the time left before key expires and true, or 0 and false when it has no
// expiry; ErrNotFound when the key is absent or expired.
func (db *DB) TTL(key string) (time.Duration, bool, error) {
	var secs C.double
	var has C.bool
	err := db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		kp, kn := stringArg(key)
		st := C.grove_store_ttl(p, kp, kn, &secs, &has, &cerr)
		runtime.KeepAlive(key)
		return status(st, cerr)
	})
	if err != nil || !bool(has) {
		return 0, false, err
	}
	return time.Duration(math.Round(float64(secs) * float64(time.Second))), true, nil
}

// Type returns what key holds (KindNone when absent or expired).
func (db *DB) Type(key string) (Kind, error) {
	var kind C.grove_kind
	err := db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		kp, kn := stringArg(key)
		st := C.grove_store_kind_of(p, kp, kn, &kind, &cerr)
		runtime.KeepAlive(key)
		return status(st, cerr)
	})
	return Kind(kind), err
}

// PurgeExpired removes every expired key in this view now and returns how many.
func (db *DB) PurgeExpired() (int64, error) {
	var n C.uint64_t
	err := db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		return status(C.grove_store_purge_expired(p, &n, &cerr), cerr)
	})
	return int64(n), err
}

// cSlices copies byte strings into one C allocation laid out as n grove_slice headers
// followed by the bytes (a Go array of pointers into Go memory may not be passed to C).
// The caller frees the returned block with C.free.
func cSlices(parts []string) (*C.grove_slice, unsafe.Pointer) {
	total := 0
	for _, s := range parts {
		total += len(s)
	}
	head := C.size_t(len(parts)) * C.sizeof_grove_slice
	block := C.malloc(head + C.size_t(total) + 1)
	slices := unsafe.Slice((*C.grove_slice)(block), len(parts))
	data := unsafe.Add(block, head)
	off := 0
	for i, s := range parts {
		p := unsafe.Add(data, off)
		if len(s) > 0 {
			sp, sn := stringArg(s)
			C.memcpy(p, unsafe.Pointer(sp), sn)
		}
		slices[i] = C.grove_slice{ptr: (*C.uint8_t)(p), len: C.size_t(len(s))}
		off += len(s)
	}
	runtime.KeepAlive(parts)
	return (*C.grove_slice)(block), block
}

// GetMany reads several keys as one consistent snapshot; a missing key gives a nil entry
// (a present empty value is a non-nil empty slice).
func (db *DB) GetMany(keys []string) ([][]byte, error) {
	if len(keys) == 0 {
		// Still ask libgrove: the store may have been closed through another handle (a
		// namespace view), which only the C side knows.
		err := db.with(func(p *C.grove_store) error {
			var cerr *C.grove_error
			return status(C.grove_store_get_many(p, nil, 0, nil, nil, &cerr), cerr)
		})
		if err != nil {
			return nil, err
		}
		return [][]byte{}, nil
	}
	slices, block := cSlices(keys)
	defer C.free(block)
	vals := make([]C.grove_bytes, len(keys))
	found := make([]C.bool, len(keys))
	var out [][]byte
	err := db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		st := C.grove_store_get_many(p, slices, C.size_t(len(keys)), &vals[0], &found[0], &cerr)
		if st != C.GROVE_OK {
			return takeError(st, cerr)
		}
		out = make([][]byte, len(keys))
		for i := range vals {
			if bool(found[i]) {
				out[i] = takeBytes(&vals[i])
			}
		}
		return nil
	})
	return out, err
}

// SetMany stores every pair atomically (all or nothing); WithTTL makes them expire.
func (db *DB) SetMany(items map[string][]byte, opts ...SetOption) error {
	ttl := ttlArg(opts)
	defer freeTTL(ttl)
	parts := make([]string, 0, 2*len(items))
	for k, v := range items {
		parts = append(parts, k, string(v))
	}
	var pairs *C.grove_pair
	if len(items) > 0 {
		slices, block := cSlices(parts)
		defer C.free(block)
		// n pairs of (key, value) slices have the layout of 2n slices.
		pairs = (*C.grove_pair)(unsafe.Pointer(slices))
	}
	return db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		return status(C.grove_store_set_many(p, pairs, C.size_t(len(items)), ttl, &cerr), cerr)
	})
}
