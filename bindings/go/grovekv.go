// Package grovekv is the Go door of Grove, an embedded engine for coordination primitives
// (atomic counters, key/value with TTL, distributed locks, rate limiters, sessions,
// leaderboards, job queues, …) over sled, LMDB or memory. It links libgrove statically through cgo
// (build it first: `cargo build --release -p grove-ffi` at the repository root).
//
//	db, err := grovekv.Open("./data")
//	if err != nil { ... }
//	defer db.Close()
//	n, err := db.Counter("visitors").Increment(1)
//
// Replicas converge through CRDTs (CRDTCounter, CRDTRegister, CRDTSet, CRDTMap), merged by
// Sync between two stores or by ExportChanges/ApplyChanges bytes across processes.
//
// Every error wraps one of the sentinel errors (ErrNotFound, ErrWrongType, …): test them with
// errors.Is. A *DB, its namespaces, counters, locks, rate limiters, session stores,
// leaderboards, queues and CRDT handles are safe for concurrent use.
package grovekv

/*
#include <stdlib.h>
#include "grove.h"
*/
import "C"

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// Version returns the version of the linked libgrove ("0.1.0").
func Version() string {
	return C.GoString(C.grove_version())
}

// ABIVersion returns the (major, minor) C ABI version of the linked libgrove.
func ABIVersion() (major, minor int) {
	v := uint32(C.grove_abi_version())
	return int(v >> 16), int(v & 0xffff)
}

type config struct {
	nodeID           *string
	durable          bool
	flushMs          *uint64
	connectTimeoutMs *uint64
	replyTimeoutMs   *uint64
	compressMin      *int
	encryptionKey    *[]byte
	oldKeys          [][]byte
}

// DefaultCompressMinBytes is the threshold of WithCompression: payloads of at least this many
// bytes are stored compressed.
const DefaultCompressMinBytes = 1024

// Option configures Open and OpenMemory.
type Option func(*config)

// WithNodeID sets this replica's id (1 to 64 characters of [A-Za-z0-9._:-]); by default one
// is generated and persisted on first open.
func WithNodeID(id string) Option {
	return func(c *config) { c.nodeID = &id }
}

// WithFlushInterval flushes in the background every d (the default is 500ms); a crash may
// lose the writes of the last interval, never corrupt earlier ones.
func WithFlushInterval(d time.Duration) Option {
	return func(c *config) {
		// Whole milliseconds, negative as 0: libgrove checks the range (1 to 86400000 ms) and
		// that WithDurableWrites is not given too.
		var ms uint64
		if d > 0 {
			ms = uint64(d.Milliseconds())
		}
		c.flushMs = &ms
	}
}

// WithDurableWrites fsyncs every write before it returns (concurrent writers share fsyncs).
// Giving WithFlushInterval too makes Open fail with ErrInvalidArgument.
func WithDurableWrites() Option {
	return func(c *config) { c.durable = true }
}

// WithConnectTimeout bounds how long Open waits for a network store's server (redis://…) before
// failing with ErrIo naming the address; the default is 5s. libgrove counts whole milliseconds:
// d is rounded up to the next millisecond, and d <= 0 is passed as 0, which Open rejects with
// ErrInvalidArgument, as it rejects the option on an engine with no server (a path, lmdb:,
// memory:, OpenMemory).
func WithConnectTimeout(d time.Duration) Option {
	return func(c *config) { c.connectTimeoutMs = wholeMs(d) }
}

// WithReplyTimeout bounds how long a network store's server (redis://…) may take to answer a
// command before the call fails with ErrIo and its connection is dropped; the default is 20s.
// Rounded and checked as WithConnectTimeout is. A Context call's deadline, when sooner, bounds
// its round trips too.
func WithReplyTimeout(d time.Duration) Option {
	return func(c *config) { c.replyTimeoutMs = wholeMs(d) }
}

// wholeMs is d in whole milliseconds for libgrove, rounded up (d <= 0 becomes 0, which the
// open refuses).
func wholeMs(d time.Duration) *uint64 {
	var ms uint64
	if d > 0 {
		ms = uint64(d / time.Millisecond)
		if d%time.Millisecond != 0 {
			ms++
		}
	}
	return &ms
}

// WithCompression stores values of at least DefaultCompressMinBytes (1024) bytes
// zstd-compressed. Reading never depends on it: values written compressed read back with it off.
func WithCompression() Option {
	return WithCompressionMinBytes(DefaultCompressMinBytes)
}

// WithCompressionMinBytes is WithCompression with another threshold (0 compresses every value);
// a negative one makes Open fail with ErrInvalidArgument.
func WithCompressionMinBytes(minBytes int) Option {
	return func(c *config) { c.compressMin = &minBytes }
}

// WithEncryptionKey seals every value written with key (32 bytes, from crypto/rand or
// `grove keygen`); old are keys of earlier rotations, whose values still open. The bytes are
// copied. A key of another length makes Open fail with ErrInvalidArgument; reading a sealed
// value without its key, or with another one, fails with ErrEncryption. Key names stay
// plaintext, and so do counters, rate limiter state and leaderboard scores.
func WithEncryptionKey(key []byte, old ...[]byte) Option {
	key = append([]byte(nil), key...)
	olds := make([][]byte, len(old))
	for i, k := range old {
		olds[i] = append([]byte(nil), k...)
	}
	return func(c *config) {
		c.encryptionKey = &key
		c.oldKeys = olds
	}
}

// emptyKey gives an empty key a non-NULL pointer, so libgrove reports its length, not a NULL.
var emptyKey [1]byte

// keyArg is bytesArg for key bytes: never NULL.
func keyArg(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return (*C.uint8_t)(&emptyKey[0]), 0
	}
	return bytesArg(b)
}

// makeOptions builds a grove_options from opts; the caller frees it with grove_options_free.
func makeOptions(opts []Option) (*C.grove_options, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	var copts *C.grove_options
	var cerr *C.grove_error
	if st := C.grove_options_new(&copts, &cerr); st != C.GROVE_OK {
		return nil, takeError(st, cerr)
	}
	if cfg.nodeID != nil {
		p, n := stringArg(*cfg.nodeID)
		st := C.grove_options_set_node_id(copts, p, n, &cerr)
		runtime.KeepAlive(cfg.nodeID)
		if st != C.GROVE_OK {
			C.grove_options_free(copts)
			return nil, takeError(st, cerr)
		}
	}
	if cfg.flushMs != nil {
		st := C.grove_options_set_durability(copts, C.GROVE_DURABILITY_PERIODIC, C.uint64_t(*cfg.flushMs), &cerr)
		if st != C.GROVE_OK {
			C.grove_options_free(copts)
			return nil, takeError(st, cerr)
		}
	}
	if cfg.durable {
		// A flush interval given too is passed along for libgrove to refuse the combination.
		var ms uint64
		if cfg.flushMs != nil {
			ms = *cfg.flushMs
		}
		st := C.grove_options_set_durability(copts, C.GROVE_DURABILITY_EVERY_WRITE, C.uint64_t(ms), &cerr)
		if st != C.GROVE_OK {
			C.grove_options_free(copts)
			return nil, takeError(st, cerr)
		}
	}
	if cfg.connectTimeoutMs != nil {
		st := C.grove_options_set_connect_timeout(copts, C.uint64_t(*cfg.connectTimeoutMs), &cerr)
		if st != C.GROVE_OK {
			C.grove_options_free(copts)
			return nil, takeError(st, cerr)
		}
	}
	if cfg.replyTimeoutMs != nil {
		st := C.grove_options_set_reply_timeout(copts, C.uint64_t(*cfg.replyTimeoutMs), &cerr)
		if st != C.GROVE_OK {
			C.grove_options_free(copts)
			return nil, takeError(st, cerr)
		}
	}
	if cfg.compressMin != nil {
		if *cfg.compressMin < 0 {
			C.grove_options_free(copts)
			return nil, errInvalid("the compression threshold must be >= 0, got %d", *cfg.compressMin)
		}
		st := C.grove_options_set_compression(copts, C.uint64_t(*cfg.compressMin), &cerr)
		if st != C.GROVE_OK {
			C.grove_options_free(copts)
			return nil, takeError(st, cerr)
		}
	}
	if cfg.encryptionKey != nil {
		p, n := keyArg(*cfg.encryptionKey)
		st := C.grove_options_set_encryption_key(copts, p, n, &cerr)
		runtime.KeepAlive(cfg.encryptionKey)
		if st != C.GROVE_OK {
			C.grove_options_free(copts)
			return nil, takeError(st, cerr)
		}
	}
	for _, k := range cfg.oldKeys {
		p, n := keyArg(k)
		st := C.grove_options_add_old_encryption_key(copts, p, n, &cerr)
		runtime.KeepAlive(k)
		if st != C.GROVE_OK {
			C.grove_options_free(copts)
			return nil, takeError(st, cerr)
		}
	}
	return copts, nil
}

// DB is an open store or a namespaced view of one. Safe for concurrent use.
type DB struct {
	mu     sync.RWMutex
	ptr    *C.grove_store // nil once closed on the Go side
	nodeID string
	path   string
}

// Open opens (creating if needed) the store at target: "./data" or "sled:./data" (sled, one
// process), "lmdb:./data" (shared by every process of this machine), "memory:" or
// "redis://host:port[/db]" (every process that reaches the server). A path already open in this
// process shares its engine; a sled path held by another process gives ErrStoreLocked; a server
// not reached within the connect timeout (WithConnectTimeout) gives ErrIo.
func Open(path string, opts ...Option) (*DB, error) {
	copts, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	defer C.grove_options_free(copts)
	var ptr *C.grove_store
	var cerr *C.grove_error
	p, n := stringArg(path)
	st := C.grove_store_open(p, n, copts, &ptr, &cerr)
	runtime.KeepAlive(path)
	if st != C.GROVE_OK {
		return nil, takeError(st, cerr)
	}
	return newDB(ptr)
}

// OpenContext is Open that gives up when ctx ends first: it returns an error wrapping ctx's
// (errors.Is(err, context.Canceled) or context.DeadlineExceeded), at once when ctx is already
// done, without touching the target. Opening itself cannot be interrupted: when ctx ends
// during it, OpenContext returns then and the open goes on in the background, and the store
// it opens is closed again (a process-wide engine another handle shares stays open).
func OpenContext(ctx context.Context, path string, opts ...Option) (*DB, error) {
	return runUntilDone(ctx, "Open", func() (*DB, error) { return Open(path, opts...) }, func(db *DB, err error) {
		if err == nil {
			_ = db.Close()
		}
	})
}

// OpenMemory opens a fresh in-memory store: the same semantics, nothing on disk.
func OpenMemory(opts ...Option) (*DB, error) {
	copts, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	defer C.grove_options_free(copts)
	var ptr *C.grove_store
	var cerr *C.grove_error
	if st := C.grove_store_open_memory(copts, &ptr, &cerr); st != C.GROVE_OK {
		return nil, takeError(st, cerr)
	}
	return newDB(ptr)
}

// newDB wraps a fresh handle, caching its node id and path, with a finalizer as a safety net.
func newDB(ptr *C.grove_store) (*DB, error) {
	var id, path C.grove_bytes
	var cerr *C.grove_error
	if st := C.grove_store_node_id(ptr, &id, &cerr); st != C.GROVE_OK {
		C.grove_store_free(ptr)
		return nil, takeError(st, cerr)
	}
	if st := C.grove_store_path(ptr, &path, &cerr); st != C.GROVE_OK {
		C.grove_bytes_free(&id)
		C.grove_store_free(ptr)
		return nil, takeError(st, cerr)
	}
	db := &DB{ptr: ptr, nodeID: string(takeBytes(&id)), path: string(takeBytes(&path))}
	runtime.SetFinalizer(db, (*DB).finalize)
	return db, nil
}

// finalize releases a handle nobody closed; the engine closes with its last handle.
func (db *DB) finalize() {
	if db.ptr != nil {
		C.grove_store_free(db.ptr)
		db.ptr = nil
	}
}

// errNilDB is returned by the methods of a nil *DB (as os.File's methods return ErrInvalid for
// a nil *File): a failed Open returns a nil *DB, and using it must not panic.
func errNilDB() error {
	return errInvalid("nil *grovekv.DB (did Open fail?)")
}

// Close closes the store and everything made from it (namespaces, counters, iterators); they
// then fail with ErrClosed. The last handle in the process flushes and releases the directory.
// Closing twice is fine; closing a nil *DB is ErrInvalidArgument.
func (db *DB) Close() error {
	if db == nil {
		return errNilDB()
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.ptr == nil {
		return nil
	}
	var cerr *C.grove_error
	st := C.grove_store_close(db.ptr, &cerr)
	C.grove_store_free(db.ptr)
	db.ptr = nil
	runtime.SetFinalizer(db, nil)
	if st != C.GROVE_OK {
		return takeError(st, cerr)
	}
	return nil
}

// with runs f with the live handle under the read lock, or returns ErrClosed (a zero DB{} is
// not open, so it is closed), or ErrInvalidArgument for a nil *DB.
func (db *DB) with(f func(*C.grove_store) error) error {
	if db == nil {
		return errNilDB()
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.ptr == nil {
		return errClosed()
	}
	err := f(db.ptr)
	runtime.KeepAlive(db)
	return err
}

// NodeID is this replica's persisted id, used by CRDTs ("" for a nil *DB).
func (db *DB) NodeID() string {
	if db == nil {
		return ""
	}
	return db.nodeID
}

// Path is the store's directory ("" in memory, and for a nil *DB).
func (db *DB) Path() string {
	if db == nil {
		return ""
	}
	return db.path
}

// Flush makes every write so far durable; it returns when fsynced.
func (db *DB) Flush() error {
	return db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		if st := C.grove_store_flush(p, &cerr); st != C.GROVE_OK {
			return takeError(st, cerr)
		}
		return nil
	})
}

// FlushContext is Flush that stops waiting when ctx ends first: it returns an error wrapping
// ctx's, at once when ctx is already done (nothing is flushed then). An fsync cannot be
// interrupted: when ctx ends during it, FlushContext returns then and the flush completes in
// the background (so a later Flush or Close finds less to do); its outcome is not reported,
// and the writes are not known to be durable.
func (db *DB) FlushContext(ctx context.Context) error {
	_, err := runUntilDone(ctx, "DB.Flush", func() (struct{}, error) { return struct{}{}, db.Flush() }, func(struct{}, error) {})
	return err
}

// SizeOnDisk is the number of bytes the store occupies on disk (0 in memory).
func (db *DB) SizeOnDisk() (int64, error) {
	var size C.uint64_t
	err := db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		if st := C.grove_store_size_on_disk(p, &size, &cerr); st != C.GROVE_OK {
			return takeError(st, cerr)
		}
		return nil
	})
	return int64(size), err
}

// Namespace returns a view whose every key is prefixed with name + ":"; every primitive works
// on it. It shares the store: closing either closes both.
func (db *DB) Namespace(name string) (*DB, error) {
	var view *C.grove_store
	err := db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		np, nn := stringArg(name)
		st := C.grove_store_namespace(p, np, nn, &view, &cerr)
		runtime.KeepAlive(name)
		if st != C.GROVE_OK {
			return takeError(st, cerr)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return newDB(view)
}
