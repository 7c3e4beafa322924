package grovekv

/*
#include "grove.h"
*/
import "C"

import (
	"math"
	"runtime"
	"unsafe"
)

// Ranked is a member of a leaderboard with its score and rank (0 = highest).
type Ranked struct {
	Rank   int
	Member string
	Score  float64
}

// Leaderboard ranks members by score, highest first, ties ordered by member (byte order);
// members live at keys "lb:<name>:<member>" of kind leaderboard, which the key/value API can
// neither overwrite nor delete. Rank, Top, Range and Around use an index kept in step with
// every write, so they do not scan the board. NaN and infinite scores are ErrInvalidArgument.
// Safe for concurrent use; it needs no Close.
type Leaderboard struct {
	ptr  *C.grove_leaderboard
	name string
	err  error // set when the board could not be made; every method returns it
}

// Leaderboard returns the leaderboard name (non-empty, without ':'). An invalid name or a
// closed store is reported by the methods.
func (db *DB) Leaderboard(name string) *Leaderboard {
	lb := &Leaderboard{name: name}
	lb.err = db.with(func(p *C.grove_store) error {
		var cerr *C.grove_error
		np, nn := stringArg(name)
		st := C.grove_leaderboard_new(p, np, nn, &lb.ptr, &cerr)
		runtime.KeepAlive(name)
		return status(st, cerr)
	})
	if lb.ptr != nil {
		runtime.SetFinalizer(lb, (*Leaderboard).finalize)
	}
	return lb
}

func (lb *Leaderboard) finalize() {
	C.grove_leaderboard_free(lb.ptr)
	lb.ptr = nil
}

// count checks a Go int count/position for C.
func count(n int, what string) (C.uint64_t, error) {
	if n < 0 {
		return 0, errInvalid("%s must be >= 0, got %d", what, n)
	}
	return C.uint64_t(n), nil
}

// Add sets member's score, adding the member if new.
func (lb *Leaderboard) Add(member string, score float64) error {
	if lb.err != nil {
		return lb.err
	}
	var cerr *C.grove_error
	mp, mn := stringArg(member)
	st := C.grove_leaderboard_add(lb.ptr, mp, mn, C.double(score), &cerr)
	runtime.KeepAlive(member)
	runtime.KeepAlive(lb)
	return status(st, cerr)
}

// Incr adds delta to member's score (from 0 when new) and returns the new score; a result
// outside the finite float64 range is ErrOverflow and changes nothing.
func (lb *Leaderboard) Incr(member string, delta float64) (float64, error) {
	if lb.err != nil {
		return 0, lb.err
	}
	var out C.double
	var cerr *C.grove_error
	mp, mn := stringArg(member)
	st := C.grove_leaderboard_incr(lb.ptr, mp, mn, C.double(delta), &out, &cerr)
	runtime.KeepAlive(member)
	runtime.KeepAlive(lb)
	if st != C.GROVE_OK {
		return 0, takeError(st, cerr)
	}
	return float64(out), nil
}

func (lb *Leaderboard) notFound(member string) error {
	return newError(int(C.GROVE_NOT_FOUND), "member '"+member+"' is not on leaderboard '"+lb.name+"'")
}

// Score returns member's score; ErrNotFound when it is not on the board (as db.Get).
func (lb *Leaderboard) Score(member string) (float64, error) {
	if lb.err != nil {
		return 0, lb.err
	}
	var out C.double
	var found C.bool
	var cerr *C.grove_error
	mp, mn := stringArg(member)
	st := C.grove_leaderboard_score(lb.ptr, mp, mn, &out, &found, &cerr)
	runtime.KeepAlive(member)
	runtime.KeepAlive(lb)
	if st != C.GROVE_OK {
		return 0, takeError(st, cerr)
	}
	if !bool(found) {
		return 0, lb.notFound(member)
	}
	return float64(out), nil
}

// Rank returns member's rank (0 = highest); ErrNotFound when it is not on the board.
func (lb *Leaderboard) Rank(member string) (int, error) {
	if lb.err != nil {
		return 0, lb.err
	}
	var out C.uint64_t
	var found C.bool
	var cerr *C.grove_error
	mp, mn := stringArg(member)
	st := C.grove_leaderboard_rank(lb.ptr, mp, mn, &out, &found, &cerr)
	runtime.KeepAlive(member)
	runtime.KeepAlive(lb)
	if st != C.GROVE_OK {
		return 0, takeError(st, cerr)
	}
	if !bool(found) {
		return 0, lb.notFound(member)
	}
	return int(out), nil
}

// takeRanked copies a library-owned list into Go memory and releases it.
func takeRanked(list *C.grove_ranked_list) []Ranked {
	if list.ptr == nil || list.len == 0 {
		C.grove_ranked_list_free(list)
		return []Ranked{}
	}
	items := unsafe.Slice(list.ptr, int(list.len))
	out := make([]Ranked, len(items))
	for i := range items {
		it := &items[i]
		member := ""
		if it.member.ptr != nil {
			member = C.GoStringN((*C.char)(unsafe.Pointer(it.member.ptr)), C.int(it.member.len))
		}
		out[i] = Ranked{Rank: int(it.rank), Member: member, Score: float64(it.score)}
	}
	C.grove_ranked_list_free(list)
	return out
}

// list runs a C call that fills a grove_ranked_list.
func (lb *Leaderboard) list(f func(*C.grove_ranked_list, **C.grove_error) C.grove_status) ([]Ranked, error) {
	if lb.err != nil {
		return nil, lb.err
	}
	var list C.grove_ranked_list
	var cerr *C.grove_error
	st := f(&list, &cerr)
	runtime.KeepAlive(lb)
	if st != C.GROVE_OK {
		return nil, takeError(st, cerr)
	}
	return takeRanked(&list), nil
}

// Top returns the n highest members (fewer when the board is smaller); n < 0 is
// ErrInvalidArgument.
func (lb *Leaderboard) Top(n int) ([]Ranked, error) {
	cn, err := count(n, "n")
	if err != nil {
		return nil, err
	}
	return lb.list(func(out *C.grove_ranked_list, e **C.grove_error) C.grove_status {
		return C.grove_leaderboard_top(lb.ptr, cn, out, e)
	})
}

// Range returns the members with ranks in [start, stop), as a Go slice expression would:
// empty when start >= stop or past the end. Negative bounds are ErrInvalidArgument.
func (lb *Leaderboard) Range(start, stop int) ([]Ranked, error) {
	cs, err := count(start, "start")
	if err != nil {
		return nil, err
	}
	ce, err := count(stop, "stop")
	if err != nil {
		return nil, err
	}
	return lb.list(func(out *C.grove_ranked_list, e **C.grove_error) C.grove_status {
		return C.grove_leaderboard_range(lb.ptr, cs, ce, out, e)
	})
}

// Around returns member with up to n members ranked above it and n below, in rank order;
// empty (not an error) when member is not on the board.
func (lb *Leaderboard) Around(member string, n int) ([]Ranked, error) {
	cn, err := count(n, "n")
	if err != nil {
		return nil, err
	}
	return lb.list(func(out *C.grove_ranked_list, e **C.grove_error) C.grove_status {
		mp, mn := stringArg(member)
		st := C.grove_leaderboard_around(lb.ptr, mp, mn, cn, out, e)
		runtime.KeepAlive(member)
		return st
	})
}

// Remove removes member; it reports whether it was on the board.
func (lb *Leaderboard) Remove(member string) (bool, error) {
	if lb.err != nil {
		return false, lb.err
	}
	var out C.bool
	var cerr *C.grove_error
	mp, mn := stringArg(member)
	st := C.grove_leaderboard_remove(lb.ptr, mp, mn, &out, &cerr)
	runtime.KeepAlive(member)
	runtime.KeepAlive(lb)
	return bool(out), status(st, cerr)
}

// u64 runs a C call that writes one uint64_t.
func (lb *Leaderboard) u64(f func(*C.grove_leaderboard, *C.uint64_t, **C.grove_error) C.grove_status) (int, error) {
	if lb.err != nil {
		return 0, lb.err
	}
	var out C.uint64_t
	var cerr *C.grove_error
	st := f(lb.ptr, &out, &cerr)
	runtime.KeepAlive(lb)
	if st != C.GROVE_OK {
		return 0, takeError(st, cerr)
	}
	if uint64(out) > math.MaxInt {
		return 0, newError(int(C.GROVE_OVERFLOW), "count does not fit an int")
	}
	return int(out), nil
}

// Len returns the number of members.
func (lb *Leaderboard) Len() (int, error) {
	return lb.u64(func(p *C.grove_leaderboard, out *C.uint64_t, e **C.grove_error) C.grove_status {
		return C.grove_leaderboard_len(p, out, e)
	})
}

// Clear removes every member and returns how many there were.
func (lb *Leaderboard) Clear() (int, error) {
	return lb.u64(func(p *C.grove_leaderboard, out *C.uint64_t, e **C.grove_error) C.grove_status {
		return C.grove_leaderboard_clear(p, out, e)
	})
}
