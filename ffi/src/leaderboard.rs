//! The leaderboard at `lb:<name>:<member>`: members ranked by score, highest first.

use crate::buf::{grove_bytes, text_arg};
use crate::error::{grove_error, grove_status, run_void};
use crate::kv::put;
use crate::store::{check_open, grove_store, put_handle, store_ref};
use grove_core::{Leaderboard, Ranked, Store};

/// A leaderboard: members (UTF-8) with finite `double` scores, ranked highest first, ties
/// ordered by member bytes; rank 0 is the highest. Rank and range do not scan the board.
/// Thread-safe: share it freely until `grove_leaderboard_free`.
pub struct grove_leaderboard {
    inner: Leaderboard,
    /// The store it came from: `top`, `range` and `len` are answered from the in-memory index
    /// without touching the store, so the handle checks for CLOSED itself.
    store: Store,
}

/// One member of a board as returned in a `grove_ranked_list`.
#[repr(C)]
#[derive(Debug)]
pub struct grove_ranked {
    /// Position in the board, 0 for the highest score.
    pub rank: u64,
    /// The member: UTF-8, not NUL-terminated; owned by the list it came in (never free it on
    /// its own).
    pub member: grove_bytes,
    /// Its score.
    pub score: f64,
}

/// An array of `len` ranked members at `ptr` (`{NULL, 0}` when empty), in rank order.
/// Release it with `grove_ranked_list_free`; never call free() on it or on its members.
#[repr(C)]
#[derive(Debug)]
pub struct grove_ranked_list {
    /// The first item, or NULL for an empty list.
    pub ptr: *mut grove_ranked,
    /// The number of items.
    pub len: usize,
}

impl grove_ranked_list {
    fn from_core(items: Vec<Ranked>) -> grove_ranked_list {
        if items.is_empty() {
            return grove_ranked_list {
                ptr: std::ptr::null_mut(),
                len: 0,
            };
        }
        let boxed: Box<[grove_ranked]> = items
            .into_iter()
            .map(|r| grove_ranked {
                rank: r.rank,
                member: grove_bytes::from_vec(r.member.into_bytes()),
                score: r.score,
            })
            .collect();
        let len = boxed.len();
        let ptr = Box::into_raw(boxed).cast::<grove_ranked>();
        grove_ranked_list { ptr, len }
    }
}

/// Releases a list the library returned (every member and the array) and resets it to
/// `{NULL, 0}`; NULL, and a list already `{NULL, 0}`, are accepted and ignored.
#[no_mangle]
pub unsafe extern "C" fn grove_ranked_list_free(list: *mut grove_ranked_list) {
    if list.is_null() {
        return;
    }
    run_void(|| {
        // SAFETY: a non-NULL `list` points to a grove_ranked_list the caller owns (contract).
        let l = unsafe { &mut *list };
        if !l.ptr.is_null() {
            let raw = std::ptr::slice_from_raw_parts_mut(l.ptr, l.len);
            // SAFETY: ptr/len came from Box::<[grove_ranked]>::into_raw in `from_core`; they
            // are reset below, so a second call frees nothing.
            let items = unsafe { Box::from_raw(raw) };
            for mut item in items.into_vec() {
                // SAFETY: each member was made by grove_bytes::from_vec and is freed once.
                unsafe { crate::buf::grove_bytes_free(&mut item.member) };
            }
        }
        l.ptr = std::ptr::null_mut();
        l.len = 0;
    });
}

/// Makes a handle to the leaderboard `name` (UTF-8, `name_len` bytes, no ':'; members at
/// `lb:<name>:<member>`) of `store` into `*out`; free it with `grove_leaderboard_free`. The
/// board's index is built from the store on first use. Errors: INVALID_ARGUMENT (NULL, empty,
/// non-UTF-8 name or one containing ':', name too long for a key), CLOSED.
#[no_mangle]
pub unsafe extern "C" fn grove_leaderboard_new(
    store: *const grove_store,
    name: *const u8,
    name_len: usize,
    out: *mut *mut grove_leaderboard,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, name, out], {
        // SAFETY: `name` points to `name_len` readable bytes; `store` is live (contract).
        let (store, name) = unsafe { (store_ref(store), text_arg(name, name_len, "name")?) };
        check_open(store)?;
        let lb = store.leaderboard(name)?;
        let store = store.clone();
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe { put_handle(out, grove_leaderboard { inner: lb, store }) };
        Ok(())
    })
}

/// Borrows the core board of a live, non-NULL handle; CLOSED once its store is closed.
///
/// # Safety
/// `lb` must be a live, non-NULL handle.
unsafe fn lb_ref<'a>(lb: *const grove_leaderboard) -> grove_core::Result<&'a Leaderboard> {
    // SAFETY: caller contract.
    let lb = unsafe { &*lb };
    check_open(&lb.store)?;
    Ok(&lb.inner)
}

/// Sets the score of `member` (UTF-8, `member_len` bytes, non-empty), adding it if new.
/// Errors: INVALID_ARGUMENT (NULL, empty or non-UTF-8 member, NaN or infinite score; nothing
/// changed), WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_leaderboard_add(
    lb: *const grove_leaderboard,
    member: *const u8,
    member_len: usize,
    score: f64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [lb, member], {
        // SAFETY: live handle; `member` readable for `member_len` bytes (contract).
        let (lb, member) = unsafe { (lb_ref(lb)?, text_arg(member, member_len, "member")?) };
        lb.add(member, score)
    })
}

/// Adds `delta` to the score of `member` (from 0 when new) and writes the new score to
/// `*out_score`. Errors: INVALID_ARGUMENT (as `grove_leaderboard_add`, NaN or infinite delta),
/// OVERFLOW (the score would leave the finite range; nothing changed), WRONG_TYPE, CLOSED,
/// CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_leaderboard_incr(
    lb: *const grove_leaderboard,
    member: *const u8,
    member_len: usize,
    delta: f64,
    out_score: *mut f64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [lb, member, out_score], {
        // SAFETY: live handle; `member` readable for `member_len` bytes (contract).
        let (lb, member) = unsafe { (lb_ref(lb)?, text_arg(member, member_len, "member")?) };
        let score = lb.incr(member, delta)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_score, score) };
        Ok(())
    })
}

/// Writes the score of `member` to `*out_score` and whether it is on the board to
/// `*out_found` (false: `*out_score` = 0). Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED,
/// CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_leaderboard_score(
    lb: *const grove_leaderboard,
    member: *const u8,
    member_len: usize,
    out_score: *mut f64,
    out_found: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [lb, member, out_score, out_found], {
        // SAFETY: live handle; `member` readable for `member_len` bytes (contract).
        let (lb, member) = unsafe { (lb_ref(lb)?, text_arg(member, member_len, "member")?) };
        let score = lb.score(member)?;
        // SAFETY: outputs non-NULL (checked) and writable (contract).
        unsafe {
            put(out_found, score.is_some());
            put(out_score, score.unwrap_or(0.0));
        }
        Ok(())
    })
}

/// Writes the rank of `member` (0 = highest) to `*out_rank` and whether it is on the board to
/// `*out_found` (false: `*out_rank` = 0). Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED,
/// CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_leaderboard_rank(
    lb: *const grove_leaderboard,
    member: *const u8,
    member_len: usize,
    out_rank: *mut u64,
    out_found: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [lb, member, out_rank, out_found], {
        // SAFETY: live handle; `member` readable for `member_len` bytes (contract).
        let (lb, member) = unsafe { (lb_ref(lb)?, text_arg(member, member_len, "member")?) };
        let rank = lb.rank(member)?;
        // SAFETY: outputs non-NULL (checked) and writable (contract).
        unsafe {
            put(out_found, rank.is_some());
            put(out_rank, rank.unwrap_or(0));
        }
        Ok(())
    })
}

/// Writes the `n` highest members (fewer when the board is smaller) to `*out_list`; release it
/// with `grove_ranked_list_free`. Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_leaderboard_top(
    lb: *const grove_leaderboard,
    n: u64,
    out_list: *mut grove_ranked_list,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [lb, out_list], {
        // SAFETY: live handle (contract).
        let items = unsafe { lb_ref(lb) }?.top(n)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_list, grove_ranked_list::from_core(items)) };
        Ok(())
    })
}

/// Writes the members with ranks in `[start, stop)` (stop exclusive; empty when
/// `start >= stop` or past the end) to `*out_list`; release it with `grove_ranked_list_free`.
/// Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_leaderboard_range(
    lb: *const grove_leaderboard,
    start: u64,
    stop: u64,
    out_list: *mut grove_ranked_list,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [lb, out_list], {
        // SAFETY: live handle (contract).
        let items = unsafe { lb_ref(lb) }?.range(start, stop)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_list, grove_ranked_list::from_core(items)) };
        Ok(())
    })
}

/// Writes `member` with up to `n` members ranked above it and `n` below, in rank order, to
/// `*out_list` (empty when `member` is not on the board); release it with
/// `grove_ranked_list_free`. Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_leaderboard_around(
    lb: *const grove_leaderboard,
    member: *const u8,
    member_len: usize,
    n: u64,
    out_list: *mut grove_ranked_list,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [lb, member, out_list], {
        // SAFETY: live handle; `member` readable for `member_len` bytes (contract).
        let (lb, member) = unsafe { (lb_ref(lb)?, text_arg(member, member_len, "member")?) };
        let items = lb.around(member, n)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_list, grove_ranked_list::from_core(items)) };
        Ok(())
    })
}

/// Removes `member`; `*out_removed` tells whether it was on the board.
/// Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_leaderboard_remove(
    lb: *const grove_leaderboard,
    member: *const u8,
    member_len: usize,
    out_removed: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [lb, member, out_removed], {
        // SAFETY: live handle; `member` readable for `member_len` bytes (contract).
        let (lb, member) = unsafe { (lb_ref(lb)?, text_arg(member, member_len, "member")?) };
        let removed = lb.remove(member)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_removed, removed) };
        Ok(())
    })
}

/// Writes the number of members to `*out_len`. Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED,
/// CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_leaderboard_len(
    lb: *const grove_leaderboard,
    out_len: *mut u64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [lb, out_len], {
        // SAFETY: live handle (contract).
        let len = unsafe { lb_ref(lb) }?.len()?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_len, len) };
        Ok(())
    })
}

/// Removes every member and writes how many there were to `*out_removed`.
/// Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_leaderboard_clear(
    lb: *const grove_leaderboard,
    out_removed: *mut u64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [lb, out_removed], {
        // SAFETY: live handle (contract).
        let n = unsafe { lb_ref(lb) }?.clear()?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_removed, n) };
        Ok(())
    })
}

/// Releases a leaderboard handle (the members are kept). NULL is accepted and ignored.
#[no_mangle]
pub unsafe extern "C" fn grove_leaderboard_free(lb: *mut grove_leaderboard) {
    if lb.is_null() {
        return;
    }
    // SAFETY: a non-NULL `lb` came from grove_leaderboard_new and is freed once, after every
    // other thread is done with it (contract).
    run_void(|| drop(unsafe { Box::from_raw(lb) }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranked_list_round_trip_and_double_free_is_harmless() {
        let mut l = grove_ranked_list::from_core(vec![
            Ranked {
                rank: 0,
                member: "a".into(),
                score: 2.0,
            },
            Ranked {
                rank: 1,
                member: "b".into(),
                score: 1.0,
            },
        ]);
        assert_eq!(l.len, 2);
        // SAFETY: `l` was made by from_core; the free resets it, so freeing twice is fine.
        unsafe {
            assert_eq!((*l.ptr.add(1)).member.len, 1);
            grove_ranked_list_free(&mut l);
            assert!(l.ptr.is_null() && l.len == 0);
            grove_ranked_list_free(&mut l);
            grove_ranked_list_free(std::ptr::null_mut());
        }
        let e = grove_ranked_list::from_core(Vec::new());
        assert!(e.ptr.is_null());
    }
}
