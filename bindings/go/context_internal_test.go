package grovekv

import (
	"context"
	"errors"
	"testing"
	"time"
)

// waitInSlices with a scripted attempt: the slices it asks for, the attempts it makes, and what
// wins when an attempt succeeds as the context ends.
func TestWaitInSlices(t *testing.T) {
	never := func(slices *[]time.Duration) func(time.Duration) (bool, error) {
		return func(s time.Duration) (bool, error) {
			*slices = append(*slices, s)
			time.Sleep(s)
			return false, nil
		}
	}

	// Timeout 0: exactly one attempt, of slice 0.
	var slices []time.Duration
	got, err := waitInSlices(context.Background(), "op", 0, never(&slices))
	if got || err != nil || len(slices) != 1 || slices[0] != 0 {
		t.Fatalf("timeout 0: %v %v, slices %v", got, err, slices)
	}

	// A timeout: slices of at most waitSlice, the last one cut to what is left; false, nil.
	slices = nil
	start := time.Now()
	got, err = waitInSlices(context.Background(), "op", 35*time.Millisecond, never(&slices))
	if got || err != nil || time.Since(start) < 35*time.Millisecond {
		t.Fatalf("timeout: %v %v after %v", got, err, time.Since(start))
	}
	if len(slices) < 2 {
		t.Fatalf("slices %v", slices)
	}
	for _, s := range slices {
		if s < 0 || s > waitSlice {
			t.Fatalf("slice %v outside [0, %v]: %v", s, waitSlice, slices)
		}
	}

	// A deadline before the timeout: no slice runs past it, and the error is the deadline's.
	slices = nil
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Millisecond)
	defer cancel()
	deadline, _ := ctx.Deadline()
	// Each slice is chosen after the previous attempt returned, so it may last at most until the
	// deadline as seen then.
	prev := time.Now()
	got, err = waitInSlices(ctx, "op", time.Hour, func(s time.Duration) (bool, error) {
		if left := deadline.Sub(prev); s > left {
			t.Errorf("slice %v runs past the deadline (%v left)", s, left)
		}
		slices = append(slices, s)
		time.Sleep(s)
		prev = time.Now()
		return false, nil
	})
	if got || !errors.Is(err, context.DeadlineExceeded) || err.Error() != "grovekv: op: context deadline exceeded" {
		t.Fatalf("deadline: %v %v", got, err)
	}

	// An attempt that succeeds while ctx ends wins: true, nil.
	ctx2, cancel2 := context.WithCancel(context.Background())
	got, err = waitInSlices(ctx2, "op", time.Hour, func(time.Duration) (bool, error) {
		cancel2()
		return true, nil
	})
	if !got || err != nil {
		t.Fatalf("success at the cancel: %v %v", got, err)
	}
	// The next call, with ctx done, makes no attempt.
	attempts := 0
	got, err = waitInSlices(ctx2, "op", time.Hour, func(time.Duration) (bool, error) {
		attempts++
		return true, nil
	})
	if got || !errors.Is(err, context.Canceled) || attempts != 0 {
		t.Fatalf("done ctx: %v %v after %d attempts", got, err, attempts)
	}
	// An attempt's error ends the wait as it is.
	boom := errors.New("boom")
	if _, err := waitInSlices(context.Background(), "op", time.Hour, func(time.Duration) (bool, error) { return false, boom }); err != boom {
		t.Fatalf("attempt error: %v", err)
	}
	if _, err := waitInSlices(context.Background(), "op", -1, never(&slices)); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("negative timeout: %v", err)
	}
	if _, err := waitInSlices(nil, "op", 0, never(&slices)); !errors.Is(err, ErrInvalidArgument) { // a nil ctx is bad input
		t.Fatalf("nil ctx: %v", err)
	}
}

// runUntilDone returns at once when ctx ends, and hands the late result to abandon.
func TestRunUntilDone(t *testing.T) {
	release := make(chan struct{})
	abandoned := make(chan int, 1)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(10 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	v, err := runUntilDone(ctx, "op", func() (int, error) {
		<-release
		return 7, nil
	}, func(v int, err error) { abandoned <- v })
	if v != 0 || !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Fatalf("%v %v after %v", v, err, time.Since(start))
	}
	select {
	case <-abandoned:
		t.Fatal("abandoned before f returned")
	default:
	}
	close(release)
	select {
	case v := <-abandoned:
		if v != 7 {
			t.Fatalf("abandoned %d", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("abandon never called")
	}

	// A live ctx: f's result; context.Background(): f runs on this goroutine.
	live, cancelLive := context.WithCancel(context.Background())
	defer cancelLive()
	if v, err := runUntilDone(live, "op", func() (int, error) { return 3, nil }, nil); v != 3 || err != nil {
		t.Fatalf("%v %v", v, err)
	}
	boom := errors.New("boom")
	if _, err := runUntilDone(context.Background(), "op", func() (int, error) { return 0, boom }, nil); err != boom {
		t.Fatalf("%v", err)
	}
	// A done ctx: f does not run.
	ran := false
	if _, err := runUntilDone(ctx, "op", func() (int, error) { ran = true; return 0, nil }, nil); !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("%v, ran %v", err, ran)
	}
}
