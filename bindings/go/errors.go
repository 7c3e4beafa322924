package grovekv

/*
#include "grove.h"
*/
import "C"

import (
	"errors"
	"fmt"
)

// Sentinel errors, one per Grove error kind. Every error returned by this package wraps one of
// them: test with errors.Is(err, grovekv.ErrWrongType), or errors.As(err, &*grovekv.Error).
var (
	ErrNotFound        = errors.New("grovekv: NotFound")
	ErrWrongType       = errors.New("grovekv: WrongType")
	ErrInvalidArgument = errors.New("grovekv: InvalidArgument")
	ErrOverflow        = errors.New("grovekv: Overflow")
	ErrClosed          = errors.New("grovekv: Closed")
	ErrStoreLocked     = errors.New("grovekv: StoreLocked")
	ErrLockTimeout     = errors.New("grovekv: LockTimeout")
	ErrClockDrift      = errors.New("grovekv: ClockDrift")
	ErrCorrupt         = errors.New("grovekv: Corrupt")
	ErrIo              = errors.New("grovekv: Io")
	ErrInternal        = errors.New("grovekv: Internal")
	// ErrEncryption: a sealed value cannot be opened (the store was opened without its
	// encryption key or with another one, or the value was altered).
	ErrEncryption = errors.New("grovekv: Encryption")
)

// sentinels is indexed by grove_status (1..12); index 0 (OK) is unused.
var sentinels = [...]error{
	nil,
	C.GROVE_NOT_FOUND:        ErrNotFound,
	C.GROVE_WRONG_TYPE:       ErrWrongType,
	C.GROVE_INVALID_ARGUMENT: ErrInvalidArgument,
	C.GROVE_OVERFLOW:         ErrOverflow,
	C.GROVE_CLOSED:           ErrClosed,
	C.GROVE_STORE_LOCKED:     ErrStoreLocked,
	C.GROVE_LOCK_TIMEOUT:     ErrLockTimeout,
	C.GROVE_CLOCK_DRIFT:      ErrClockDrift,
	C.GROVE_CORRUPT:          ErrCorrupt,
	C.GROVE_IO:               ErrIo,
	C.GROVE_INTERNAL:         ErrInternal,
	C.GROVE_ENCRYPTION:       ErrEncryption,
}

// Error is a failure reported by Grove: its Kind ("WrongType", as in grove.h's
// grove_status_name) and a message. It unwraps to the matching sentinel (ErrWrongType, …).
type Error struct {
	Kind    string
	Message string
	code    int
}

func (e *Error) Error() string {
	if e.Message == "" {
		return "grovekv: " + e.Kind
	}
	return fmt.Sprintf("grovekv: %s: %s", e.Kind, e.Message)
}

// Unwrap returns the sentinel of the error's kind, so errors.Is works.
func (e *Error) Unwrap() error {
	if e.code > 0 && e.code < len(sentinels) {
		return sentinels[e.code]
	}
	return ErrInternal
}

// newError makes an *Error for a status and message.
func newError(code int, message string) *Error {
	kind := C.GoString(C.grove_status_name(C.int32_t(code)))
	if code <= 0 || code >= len(sentinels) {
		kind = "Internal"
		message = fmt.Sprintf("unknown status %d: %s", code, message)
		code = int(C.GROVE_INTERNAL)
	}
	return &Error{Kind: kind, Message: message, code: code}
}

// takeError turns a non-OK status and its error object into an error, freeing the object.
func takeError(status C.grove_status, cerr *C.grove_error) error {
	msg := ""
	if cerr != nil {
		msg = C.GoString(C.grove_error_message(cerr))
		C.grove_error_free(cerr)
	}
	return newError(int(status), msg)
}

// errClosed is returned by a handle closed on the Go side.
func errClosed() error {
	return newError(int(C.GROVE_CLOSED), "the store handle is closed")
}

func errInvalid(format string, args ...interface{}) error {
	return newError(int(C.GROVE_INVALID_ARGUMENT), fmt.Sprintf(format, args...))
}
