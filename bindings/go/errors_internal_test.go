package grovekv

import (
	"errors"
	"strings"
	"testing"
)

// Every status 1..12 maps to its sentinel and kind name, including the kinds today's
// operations cannot produce (LockTimeout, ClockDrift, Corrupt, Internal).
func TestEveryStatusMapsToItsSentinel(t *testing.T) {
	want := []struct {
		code     int
		kind     string
		sentinel error
	}{
		{1, "NotFound", ErrNotFound},
		{2, "WrongType", ErrWrongType},
		{3, "InvalidArgument", ErrInvalidArgument},
		{4, "Overflow", ErrOverflow},
		{5, "Closed", ErrClosed},
		{6, "StoreLocked", ErrStoreLocked},
		{7, "LockTimeout", ErrLockTimeout},
		{8, "ClockDrift", ErrClockDrift},
		{9, "Corrupt", ErrCorrupt},
		{10, "Io", ErrIo},
		{11, "Internal", ErrInternal},
		{12, "Encryption", ErrEncryption},
	}
	if len(want) != len(sentinels)-1 {
		t.Fatalf("%d sentinels, want %d", len(sentinels)-1, len(want))
	}
	for _, w := range want {
		err := error(newError(w.code, "some message"))
		if !errors.Is(err, w.sentinel) {
			t.Errorf("code %d: errors.Is(%v, %v) is false", w.code, err, w.sentinel)
		}
		for _, other := range want {
			if other.code != w.code && errors.Is(err, other.sentinel) {
				t.Errorf("code %d also matches %v", w.code, other.sentinel)
			}
		}
		var ge *Error
		if !errors.As(err, &ge) || ge.Kind != w.kind || ge.Message != "some message" {
			t.Errorf("code %d: got %#v", w.code, ge)
		}
		if !strings.Contains(err.Error(), w.kind) || !strings.Contains(err.Error(), "some message") {
			t.Errorf("code %d: message %q", w.code, err.Error())
		}
	}
	unknown := newError(99, "x")
	if !errors.Is(unknown, ErrInternal) {
		t.Errorf("unknown status should be Internal, got %v", unknown)
	}
}
