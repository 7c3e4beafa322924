package grovekv

/*
#include "grove.h"

// Wrappers that return results by value, so the counter's hot paths pass no Go pointer to C.
typedef struct {
	int32_t status;
	int64_t value;
	grove_error *err;
} grovego_crdt_i64;

static grovego_crdt_i64 grovego_crdt_counter_increment(const grove_crdt_counter *c, uint64_t n) {
	grovego_crdt_i64 r = {0, 0, NULL};
	r.status = grove_crdt_counter_increment(c, n, &r.value, &r.err);
	return r;
}

static grovego_crdt_i64 grovego_crdt_counter_decrement(const grove_crdt_counter *c, uint64_t n) {
	grovego_crdt_i64 r = {0, 0, NULL};
	r.status = grove_crdt_counter_decrement(c, n, &r.value, &r.err);
	return r;
}

static grovego_crdt_i64 grovego_crdt_counter_add(const grove_crdt_counter *c, int64_t delta) {
	grovego_crdt_i64 r = {0, 0, NULL};
	r.status = grove_crdt_counter_add(c, delta, &r.value, &r.err);
	return r;
}

static grovego_crdt_i64 grovego_crdt_counter_value(const grove_crdt_counter *c) {
	grovego_crdt_i64 r = {0, 0, NULL};
	r.status = grove_crdt_counter_value(c, &r.value, &r.err);
	return r;
}

static grovego_crdt_i64 grovego_crdt_counter_reset_local(const grove_crdt_counter *c) {
	grovego_crdt_i64 r = {0, 0, NULL};
	r.status = grove_crdt_counter_reset_local(c, &r.value, &r.err);
	return r;
}
*/
import "C"

import (
	"encoding/json"
	"math"
	"runtime"
	"unsafe"
)

// CRDT values cross as JSON: the methods that take `v any` marshal it with encoding/json (a
// json.RawMessage goes through as is, after validation; a []byte becomes a base64 string, as
// encoding/json does), and Grove stores the canonical form (sorted keys, no whitespace), which
// is what the *JSON getters return. A value json.Marshal refuses is ErrInvalidArgument.

// marshalJSON encodes v for a CRDT call; a marshal failure wraps ErrInvalidArgument.
func marshalJSON(v interface{}) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, errInvalid("value cannot be encoded as JSON: %v", err)
	}
	return b, nil
}

// unmarshalInto decodes canonical JSON into out; a failure wraps ErrInvalidArgument.
func unmarshalInto(raw []byte, out interface{}) error {
	if err := json.Unmarshal(raw, out); err != nil {
		return errInvalid("cannot decode %s into %T: %v", raw, out, err)
	}
	return nil
}

// takeBytesList copies a library-owned list of buffers into Go memory and releases it.
func takeBytesList(list *C.grove_bytes_list) [][]byte {
	out := make([][]byte, 0, int(list.len))
	if list.ptr != nil && list.len > 0 {
		for _, b := range unsafe.Slice(list.ptr, int(list.len)) {
			if b.ptr == nil {
				out = append(out, []byte{})
				continue
			}
			out = append(out, C.GoBytes(unsafe.Pointer(b.ptr), C.int(b.len)))
		}
	}
	C.grove_bytes_list_free(list)
	return out
}

// goBytes copies a buffer the library still owns (part of a list).
func goBytes(b C.grove_bytes) []byte {
	if b.ptr == nil {
		return []byte{}
	}
	return C.GoBytes(unsafe.Pointer(b.ptr), C.int(b.len))
}

// mergeStatus finishes a merge call.
func mergeStatus(st C.grove_status, changed C.bool, cerr *C.grove_error) (bool, error) {
	if st != C.GROVE_OK {
		return false, takeError(st, cerr)
	}
	return bool(changed), nil
}

// stateStatus finishes a state call.
func stateStatus(st C.grove_status, out *C.grove_bytes, cerr *C.grove_error) ([]byte, error) {
	if st != C.GROVE_OK {
		return nil, takeError(st, cerr)
	}
	return takeBytes(out), nil
}

// optionalJSON finishes a get call that writes bytes and a found flag.
func optionalJSON(st C.grove_status, out *C.grove_bytes, found C.bool, cerr *C.grove_error) (json.RawMessage, bool, error) {
	if st != C.GROVE_OK {
		return nil, false, takeError(st, cerr)
	}
	b := takeBytes(out)
	if !bool(found) {
		return nil, false, nil
	}
	return json.RawMessage(b), true, nil
}

// ---------------------------------------------------------------- PN-counter

// CRDTCounter is a PN-counter CRDT: each replica (node id) keeps unsigned totals of its
// increments and decrements, merged by per-node maximum, so replicas that count independently
// converge on the exact sum. The value is checked: leaving the int64 range is ErrOverflow.
// Safe for concurrent use; it needs no Close and fails with ErrClosed once its store is closed.
type CRDTCounter struct {
	ptr *C.grove_crdt_counter
	err error // set when the handle could not be made; every method returns it
}

// Contribution is one node's share of a CRDTCounter.
type Contribution struct {
	Increments uint64
	Decrements uint64
}

// CRDTCounter returns the PN-counter CRDT at key (any key; it is not prefixed). An invalid key
// or a closed store is reported by the methods; a key holding another kind gives ErrWrongType.
func (db *DB) CRDTCounter(key string) *CRDTCounter {
	c := &CRDTCounter{}
	c.err = db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		kp, kn := stringArg(key)
		st := C.grove_crdt_counter_new(p, kp, kn, &c.ptr, &cerr)
		runtime.KeepAlive(key)
		return status(st, cerr)
	})
	if c.ptr != nil {
		runtime.SetFinalizer(c, (*CRDTCounter).finalize)
	}
	return c
}

func (c *CRDTCounter) finalize() {
	C.grove_crdt_counter_free(c.ptr)
	c.ptr = nil
}

func (c *CRDTCounter) result(r C.grovego_crdt_i64) (int64, error) {
	runtime.KeepAlive(c)
	if r.status != C.GROVE_OK {
		return 0, takeError(C.grove_status(r.status), r.err)
	}
	return int64(r.value), nil
}

// Increment adds n to this node's increments and returns the new value.
func (c *CRDTCounter) Increment(n uint64) (int64, error) {
	if c.err != nil {
		return 0, c.err
	}
	return c.result(C.grovego_crdt_counter_increment(c.ptr, C.uint64_t(n)))
}

// Decrement adds n to this node's decrements and returns the new value.
func (c *CRDTCounter) Decrement(n uint64) (int64, error) {
	if c.err != nil {
		return 0, c.err
	}
	return c.result(C.grovego_crdt_counter_decrement(c.ptr, C.uint64_t(n)))
}

// Add adds a signed delta (an increment when >= 0, else a decrement) and returns the new value.
func (c *CRDTCounter) Add(delta int64) (int64, error) {
	if c.err != nil {
		return 0, c.err
	}
	return c.result(C.grovego_crdt_counter_add(c.ptr, C.int64_t(delta)))
}

// Value returns the sum of increments minus the sum of decrements over all nodes (0 when unset).
func (c *CRDTCounter) Value() (int64, error) {
	if c.err != nil {
		return 0, c.err
	}
	return c.result(C.grovego_crdt_counter_value(c.ptr))
}

// Totals returns the increments and the decrements summed over all nodes.
func (c *CRDTCounter) Totals() (increments, decrements uint64, err error) {
	if c.err != nil {
		return 0, 0, c.err
	}
	var p, n C.uint64_t
	var cerr *C.grove_error
	st := C.grove_crdt_counter_totals(c.ptr, &p, &n, &cerr)
	runtime.KeepAlive(c)
	if st != C.GROVE_OK {
		return 0, 0, takeError(st, cerr)
	}
	return uint64(p), uint64(n), nil
}

// Contributions returns each node's increments and decrements, by node id.
func (c *CRDTCounter) Contributions() (map[string]Contribution, error) {
	if c.err != nil {
		return nil, c.err
	}
	var list C.grove_crdt_contribution_list
	var cerr *C.grove_error
	st := C.grove_crdt_counter_contributions(c.ptr, &list, &cerr)
	runtime.KeepAlive(c)
	if st != C.GROVE_OK {
		return nil, takeError(st, cerr)
	}
	out := make(map[string]Contribution, int(list.len))
	if list.ptr != nil && list.len > 0 {
		for _, it := range unsafe.Slice(list.ptr, int(list.len)) {
			out[string(goBytes(it.node))] = Contribution{Increments: uint64(it.p), Decrements: uint64(it.n)}
		}
	}
	C.grove_crdt_contribution_list_free(&list)
	return out, nil
}

// ResetLocal makes this node's net contribution 0 by raising its smaller total to the larger
// one (a monotone update, so it survives merges) and returns the new value.
func (c *CRDTCounter) ResetLocal() (int64, error) {
	if c.err != nil {
		return 0, c.err
	}
	return c.result(C.grovego_crdt_counter_reset_local(c.ptr))
}

// State returns the versioned, type-tagged state bytes, for Merge on another replica.
func (c *CRDTCounter) State() ([]byte, error) {
	if c.err != nil {
		return nil, c.err
	}
	var out C.grove_bytes
	var cerr *C.grove_error
	st := C.grove_crdt_counter_state(c.ptr, &out, &cerr)
	runtime.KeepAlive(c)
	return stateStatus(st, &out, cerr)
}

// Merge folds state bytes from another replica into this counter and reports whether it
// changed. Another CRDT type is ErrWrongType, bytes that are not a Grove state ErrCorrupt, a
// stamp too far in the future ErrClockDrift; on any error nothing changes.
func (c *CRDTCounter) Merge(state []byte) (bool, error) {
	if c.err != nil {
		return false, c.err
	}
	var changed C.bool
	var cerr *C.grove_error
	sp, sn := bytesArg(state)
	st := C.grove_crdt_counter_merge(c.ptr, sp, sn, &changed, &cerr)
	runtime.KeepAlive(state)
	runtime.KeepAlive(c)
	return mergeStatus(st, changed, cerr)
}

// ---------------------------------------------------------------- LWW register

// CRDTRegister is a last-writer-wins register of one JSON value, ordered by hybrid logical
// clock then node id. Set/Get marshal and unmarshal Go values with encoding/json;
// SetJSON/GetJSON take and return the JSON text itself. Safe for concurrent use; no Close.
type CRDTRegister struct {
	ptr *C.grove_crdt_register
	err error
}

// CRDTRegister returns the LWW register CRDT at key (not prefixed).
func (db *DB) CRDTRegister(key string) *CRDTRegister {
	r := &CRDTRegister{}
	r.err = db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		kp, kn := stringArg(key)
		st := C.grove_crdt_register_new(p, kp, kn, &r.ptr, &cerr)
		runtime.KeepAlive(key)
		return status(st, cerr)
	})
	if r.ptr != nil {
		runtime.SetFinalizer(r, (*CRDTRegister).finalize)
	}
	return r
}

func (r *CRDTRegister) finalize() {
	C.grove_crdt_register_free(r.ptr)
	r.ptr = nil
}

// Set writes v (marshalled with encoding/json), stamped by this node's clock.
func (r *CRDTRegister) Set(v interface{}) error {
	b, err := marshalJSON(v)
	if err != nil {
		return err
	}
	return r.SetJSON(b)
}

// SetJSON writes the JSON text raw; text that is not JSON is ErrInvalidArgument.
func (r *CRDTRegister) SetJSON(raw json.RawMessage) error {
	if r.err != nil {
		return r.err
	}
	var cerr *C.grove_error
	jp, jn := bytesArg(raw)
	st := C.grove_crdt_register_set(r.ptr, jp, jn, &cerr)
	runtime.KeepAlive(raw)
	runtime.KeepAlive(r)
	return status(st, cerr)
}

// GetJSON returns the value as canonical JSON text and true, or nil and false when the
// register was never set.
func (r *CRDTRegister) GetJSON() (json.RawMessage, bool, error) {
	if r.err != nil {
		return nil, false, r.err
	}
	var out C.grove_bytes
	var found C.bool
	var cerr *C.grove_error
	st := C.grove_crdt_register_get(r.ptr, &out, &found, &cerr)
	runtime.KeepAlive(r)
	return optionalJSON(st, &out, found, cerr)
}

// Get unmarshals the value into out (as json.Unmarshal) and returns true, or returns false and
// leaves out alone when the register was never set.
func (r *CRDTRegister) Get(out interface{}) (bool, error) {
	raw, ok, err := r.GetJSON()
	if err != nil || !ok {
		return false, err
	}
	return true, unmarshalInto(raw, out)
}

// State returns the versioned, type-tagged state bytes.
func (r *CRDTRegister) State() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	var out C.grove_bytes
	var cerr *C.grove_error
	st := C.grove_crdt_register_state(r.ptr, &out, &cerr)
	runtime.KeepAlive(r)
	return stateStatus(st, &out, cerr)
}

// Merge folds state bytes from another replica in and reports whether this register changed;
// errors as CRDTCounter.Merge (ErrClockDrift for a stamp beyond the store's max drift).
func (r *CRDTRegister) Merge(state []byte) (bool, error) {
	if r.err != nil {
		return false, r.err
	}
	var changed C.bool
	var cerr *C.grove_error
	sp, sn := bytesArg(state)
	st := C.grove_crdt_register_merge(r.ptr, sp, sn, &changed, &cerr)
	runtime.KeepAlive(state)
	runtime.KeepAlive(r)
	return mergeStatus(st, changed, cerr)
}

// ---------------------------------------------------------------- add-wins set

// CRDTSet is an add-wins observed-remove set of JSON values; an element's identity is its
// canonical JSON. An add wins over a concurrent remove that did not observe it. Safe for
// concurrent use; no Close.
type CRDTSet struct {
	ptr *C.grove_crdt_set
	err error
}

// CRDTSet returns the add-wins set CRDT at key (not prefixed).
func (db *DB) CRDTSet(key string) *CRDTSet {
	s := &CRDTSet{}
	s.err = db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		kp, kn := stringArg(key)
		st := C.grove_crdt_set_new(p, kp, kn, &s.ptr, &cerr)
		runtime.KeepAlive(key)
		return status(st, cerr)
	})
	if s.ptr != nil {
		runtime.SetFinalizer(s, (*CRDTSet).finalize)
	}
	return s
}

func (s *CRDTSet) finalize() {
	C.grove_crdt_set_free(s.ptr)
	s.ptr = nil
}

// element marshals v, or returns the handle's error.
func (s *CRDTSet) element(v interface{}) ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	return marshalJSON(v)
}

// Add adds v (marshalled with encoding/json; a json.RawMessage as is).
func (s *CRDTSet) Add(v interface{}) error {
	b, err := s.element(v)
	if err != nil {
		return err
	}
	var cerr *C.grove_error
	jp, jn := bytesArg(b)
	st := C.grove_crdt_set_add(s.ptr, jp, jn, &cerr)
	runtime.KeepAlive(b)
	runtime.KeepAlive(s)
	return status(st, cerr)
}

// Remove removes v (the adds this replica has seen) and reports whether it was a member.
func (s *CRDTSet) Remove(v interface{}) (bool, error) {
	b, err := s.element(v)
	if err != nil {
		return false, err
	}
	var out C.bool
	var cerr *C.grove_error
	jp, jn := bytesArg(b)
	st := C.grove_crdt_set_remove(s.ptr, jp, jn, &out, &cerr)
	runtime.KeepAlive(b)
	runtime.KeepAlive(s)
	return bool(out), status(st, cerr)
}

// Contains reports whether v is a member.
func (s *CRDTSet) Contains(v interface{}) (bool, error) {
	b, err := s.element(v)
	if err != nil {
		return false, err
	}
	var out C.bool
	var cerr *C.grove_error
	jp, jn := bytesArg(b)
	st := C.grove_crdt_set_contains(s.ptr, jp, jn, &out, &cerr)
	runtime.KeepAlive(b)
	runtime.KeepAlive(s)
	return bool(out), status(st, cerr)
}

// Members returns every member as canonical JSON text, in byte order of that text.
func (s *CRDTSet) Members() ([]json.RawMessage, error) {
	if s.err != nil {
		return nil, s.err
	}
	var list C.grove_bytes_list
	var cerr *C.grove_error
	st := C.grove_crdt_set_members(s.ptr, &list, &cerr)
	runtime.KeepAlive(s)
	if st != C.GROVE_OK {
		return nil, takeError(st, cerr)
	}
	items := takeBytesList(&list)
	out := make([]json.RawMessage, len(items))
	for i, b := range items {
		out[i] = json.RawMessage(b)
	}
	return out, nil
}

// Len returns the number of members.
func (s *CRDTSet) Len() (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	var n C.uint64_t
	var cerr *C.grove_error
	st := C.grove_crdt_set_len(s.ptr, &n, &cerr)
	runtime.KeepAlive(s)
	if st != C.GROVE_OK {
		return 0, takeError(st, cerr)
	}
	if uint64(n) > math.MaxInt {
		return 0, newError(int(C.GROVE_OVERFLOW), "count does not fit an int")
	}
	return int(n), nil
}

// State returns the versioned, type-tagged state bytes.
func (s *CRDTSet) State() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	var out C.grove_bytes
	var cerr *C.grove_error
	st := C.grove_crdt_set_state(s.ptr, &out, &cerr)
	runtime.KeepAlive(s)
	return stateStatus(st, &out, cerr)
}

// Merge folds state bytes from another replica in and reports whether this set changed;
// errors as CRDTCounter.Merge.
func (s *CRDTSet) Merge(state []byte) (bool, error) {
	if s.err != nil {
		return false, s.err
	}
	var changed C.bool
	var cerr *C.grove_error
	sp, sn := bytesArg(state)
	st := C.grove_crdt_set_merge(s.ptr, sp, sn, &changed, &cerr)
	runtime.KeepAlive(state)
	runtime.KeepAlive(s)
	return mergeStatus(st, changed, cerr)
}

// ---------------------------------------------------------------- LWW map

// CRDTMap is a map of independent last-writer-wins fields holding JSON values. Delete leaves a
// stamped tombstone (never reclaimed), so an older concurrent Set elsewhere cannot bring the
// field back. Safe for concurrent use; no Close.
type CRDTMap struct {
	ptr *C.grove_crdt_map
	err error
}

// CRDTMap returns the LWW map CRDT at key (not prefixed).
func (db *DB) CRDTMap(key string) *CRDTMap {
	m := &CRDTMap{}
	m.err = db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		kp, kn := stringArg(key)
		st := C.grove_crdt_map_new(p, kp, kn, &m.ptr, &cerr)
		runtime.KeepAlive(key)
		return status(st, cerr)
	})
	if m.ptr != nil {
		runtime.SetFinalizer(m, (*CRDTMap).finalize)
	}
	return m
}

func (m *CRDTMap) finalize() {
	C.grove_crdt_map_free(m.ptr)
	m.ptr = nil
}

// Set sets field (non-empty) to v, marshalled with encoding/json.
func (m *CRDTMap) Set(field string, v interface{}) error {
	b, err := marshalJSON(v)
	if err != nil {
		return err
	}
	return m.SetJSON(field, b)
}

// SetJSON sets field to the JSON text raw; text that is not JSON is ErrInvalidArgument.
func (m *CRDTMap) SetJSON(field string, raw json.RawMessage) error {
	if m.err != nil {
		return m.err
	}
	var cerr *C.grove_error
	fp, fn := stringArg(field)
	jp, jn := bytesArg(raw)
	st := C.grove_crdt_map_set(m.ptr, fp, fn, jp, jn, &cerr)
	runtime.KeepAlive(field)
	runtime.KeepAlive(raw)
	runtime.KeepAlive(m)
	return status(st, cerr)
}

// GetJSON returns field's value as canonical JSON text and true, or nil and false when the
// field has no value (never set, or deleted).
func (m *CRDTMap) GetJSON(field string) (json.RawMessage, bool, error) {
	if m.err != nil {
		return nil, false, m.err
	}
	var out C.grove_bytes
	var found C.bool
	var cerr *C.grove_error
	fp, fn := stringArg(field)
	st := C.grove_crdt_map_get(m.ptr, fp, fn, &out, &found, &cerr)
	runtime.KeepAlive(field)
	runtime.KeepAlive(m)
	return optionalJSON(st, &out, found, cerr)
}

// Get unmarshals field's value into out and returns true, or returns false and leaves out alone
// when the field has no value.
func (m *CRDTMap) Get(field string, out interface{}) (bool, error) {
	raw, ok, err := m.GetJSON(field)
	if err != nil || !ok {
		return false, err
	}
	return true, unmarshalInto(raw, out)
}

// Delete deletes field with a tombstone and reports whether it had a value.
func (m *CRDTMap) Delete(field string) (bool, error) {
	if m.err != nil {
		return false, m.err
	}
	var out C.bool
	var cerr *C.grove_error
	fp, fn := stringArg(field)
	st := C.grove_crdt_map_delete(m.ptr, fp, fn, &out, &cerr)
	runtime.KeepAlive(field)
	runtime.KeepAlive(m)
	return bool(out), status(st, cerr)
}

// Keys returns the names of the fields that have a value, sorted.
func (m *CRDTMap) Keys() ([]string, error) {
	if m.err != nil {
		return nil, m.err
	}
	var list C.grove_bytes_list
	var cerr *C.grove_error
	st := C.grove_crdt_map_keys(m.ptr, &list, &cerr)
	runtime.KeepAlive(m)
	if st != C.GROVE_OK {
		return nil, takeError(st, cerr)
	}
	items := takeBytesList(&list)
	out := make([]string, len(items))
	for i, b := range items {
		out[i] = string(b)
	}
	return out, nil
}

// All returns every field that has a value, with its canonical JSON text.
func (m *CRDTMap) All() (map[string]json.RawMessage, error) {
	if m.err != nil {
		return nil, m.err
	}
	var list C.grove_crdt_field_list
	var cerr *C.grove_error
	st := C.grove_crdt_map_all(m.ptr, &list, &cerr)
	runtime.KeepAlive(m)
	if st != C.GROVE_OK {
		return nil, takeError(st, cerr)
	}
	out := make(map[string]json.RawMessage, int(list.len))
	if list.ptr != nil && list.len > 0 {
		for _, f := range unsafe.Slice(list.ptr, int(list.len)) {
			out[string(goBytes(f.name))] = json.RawMessage(goBytes(f.value))
		}
	}
	C.grove_crdt_field_list_free(&list)
	return out, nil
}

// State returns the versioned, type-tagged state bytes (tombstones included).
func (m *CRDTMap) State() ([]byte, error) {
	if m.err != nil {
		return nil, m.err
	}
	var out C.grove_bytes
	var cerr *C.grove_error
	st := C.grove_crdt_map_state(m.ptr, &out, &cerr)
	runtime.KeepAlive(m)
	return stateStatus(st, &out, cerr)
}

// Merge folds state bytes from another replica in and reports whether this map changed;
// errors as CRDTCounter.Merge.
func (m *CRDTMap) Merge(state []byte) (bool, error) {
	if m.err != nil {
		return false, m.err
	}
	var changed C.bool
	var cerr *C.grove_error
	sp, sn := bytesArg(state)
	st := C.grove_crdt_map_merge(m.ptr, sp, sn, &changed, &cerr)
	runtime.KeepAlive(state)
	runtime.KeepAlive(m)
	return mergeStatus(st, changed, cerr)
}
