package grovekv

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: ${SRCDIR}/../../target/release/libgrove.a -lpthread -ldl -lm
#include <stdlib.h>
#include "grove.h"

*/
import "C"

import "unsafe"

// bytesArg returns a pointer/length pair for b, borrowed for one C call (b must stay alive).
func bytesArg(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

// stringArg returns a pointer/length pair for s without copying, borrowed for one C call.
// The C side only reads it (every input buffer is const in grove.h).
func stringArg(s string) (*C.uint8_t, C.size_t) {
	if len(s) == 0 {
		return nil, 0
	}
	// The Go 1.19-compatible spelling of unsafe.StringData.
	b := *(*[]byte)(unsafe.Pointer(&struct {
		s string
		c int
	}{s, len(s)}))
	return (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(s))
}

// takeBytes copies a library-owned buffer into Go memory and releases it.
func takeBytes(b *C.grove_bytes) []byte {
	if b.ptr == nil {
		return []byte{}
	}
	out := C.GoBytes(unsafe.Pointer(b.ptr), C.int(b.len))
	C.grove_bytes_free(b)
	return out
}
