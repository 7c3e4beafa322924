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

// emptyID backs the pointer passed for an empty id: C takes NULL as a missing argument, while
// "" is just an id Grove never issues (not found, like any malformed one).
var emptyID [1]byte

// idArg is stringArg for session ids: never NULL, even for "".
func idArg(id string) (*C.uint8_t, C.size_t) {
	if id == "" {
		return (*C.uint8_t)(unsafe.Pointer(&emptyID[0])), 0
	}
	return stringArg(id)
}

// Sessions is a session store: sessions at "<prefix>:<id>" with 256-bit random ids from the
// OS CSPRNG (43 characters of unpadded URL-safe base64) and a TTL that restarts on every
// Update and Touch. Update and Touch of a missing or expired session return false and never
// recreate it. Safe for concurrent use; it needs no Close.
type Sessions struct {
	ptr *C.grove_sessions
	err error // set when the store could not be made; every method returns it
}

// Sessions returns a session store whose sessions live ttl (> 0) after their last update or
// touch, under keys "<prefix>:<id>" (the usual prefix is "sess"; "" is ErrInvalidArgument).
// Invalid arguments or a closed store are reported by the methods.
func (db *DB) Sessions(ttl time.Duration, prefix string) *Sessions {
	s := &Sessions{}
	s.err = db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		pp, pn := stringArg(prefix)
		st := C.grove_sessions_new(p, C.double(ttl.Seconds()), pp, pn, &s.ptr, &cerr)
		runtime.KeepAlive(prefix)
		return status(st, cerr)
	})
	if s.ptr != nil {
		runtime.SetFinalizer(s, (*Sessions).finalize)
	}
	return s
}

func (s *Sessions) finalize() {
	C.grove_sessions_free(s.ptr)
	s.ptr = nil
}

// Create stores data under a new random id and returns the id.
func (s *Sessions) Create(data []byte) (string, error) {
	if s.err != nil {
		return "", s.err
	}
	var id C.grove_bytes
	var cerr *C.grove_error
	dp, dn := bytesArg(data)
	st := C.grove_sessions_create(s.ptr, dp, dn, &id, &cerr)
	runtime.KeepAlive(data)
	runtime.KeepAlive(s)
	if st != C.GROVE_OK {
		return "", takeError(st, cerr)
	}
	return string(takeBytes(&id)), nil
}

// Get returns the data of the live session id; ErrNotFound when it is missing, expired or
// not an id Grove could have issued (as db.Get for a missing key).
func (s *Sessions) Get(id string) ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	var data C.grove_bytes
	var found C.bool
	var cerr *C.grove_error
	ip, in := idArg(id)
	st := C.grove_sessions_get(s.ptr, ip, in, &data, &found, &cerr)
	runtime.KeepAlive(id)
	runtime.KeepAlive(s)
	if st != C.GROVE_OK {
		return nil, takeError(st, cerr)
	}
	if !bool(found) {
		return nil, newError(int(C.GROVE_NOT_FOUND), "session '"+id+"' does not exist or expired")
	}
	return takeBytes(&data), nil
}

// boolOp runs a C call of the shape f(sessions, id, len, *bool, **err).
func (s *Sessions) boolOp(id string, f func(*C.grove_sessions, *C.uint8_t, C.size_t, *C.bool, **C.grove_error) C.grove_status) (bool, error) {
	if s.err != nil {
		return false, s.err
	}
	var out C.bool
	var cerr *C.grove_error
	ip, in := idArg(id)
	st := f(s.ptr, ip, in, &out, &cerr)
	runtime.KeepAlive(id)
	runtime.KeepAlive(s)
	return bool(out), status(st, cerr)
}

// Update replaces the data of the live session id and restarts its TTL; false (nothing
// written, nothing recreated) when it is missing or expired.
func (s *Sessions) Update(id string, data []byte) (bool, error) {
	return s.boolOp(id, func(p *C.grove_sessions, ip *C.uint8_t, in C.size_t, out *C.bool, e **C.grove_error) C.grove_status {
		dp, dn := bytesArg(data)
		st := C.grove_sessions_update(p, ip, in, dp, dn, out, e)
		runtime.KeepAlive(data)
		return st
	})
}

// Touch restarts the TTL of the live session id; false (nothing recreated) when it is
// missing or expired.
func (s *Sessions) Touch(id string) (bool, error) {
	return s.boolOp(id, func(p *C.grove_sessions, ip *C.uint8_t, in C.size_t, out *C.bool, e **C.grove_error) C.grove_status {
		return C.grove_sessions_touch(p, ip, in, out, e)
	})
}

// Delete deletes the session id; it reports whether it was live.
func (s *Sessions) Delete(id string) (bool, error) {
	return s.boolOp(id, func(p *C.grove_sessions, ip *C.uint8_t, in C.size_t, out *C.bool, e **C.grove_error) C.grove_status {
		return C.grove_sessions_delete(p, ip, in, out, e)
	})
}

// Exists reports whether the session id is live (it does not restart the TTL).
func (s *Sessions) Exists(id string) (bool, error) {
	return s.boolOp(id, func(p *C.grove_sessions, ip *C.uint8_t, in C.size_t, out *C.bool, e **C.grove_error) C.grove_status {
		return C.grove_sessions_exists(p, ip, in, out, e)
	})
}
