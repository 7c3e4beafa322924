//! The job queue under `queue:<name>:`: FIFO, delays, visibility timeout, dead letters.

use crate::buf::{bytes_arg, grove_bytes, text_arg};
use crate::error::{grove_error, grove_status, run_void};
use crate::kv::{put, secs_arg};
use crate::store::{check_open, grove_store, put_handle, store_ref};
use grove_core::{Job, Queue, QueueStats};

/// A job queue: FIFO among ready jobs; a delivered job is invisible until acked, nacked or its
/// visibility timeout passes, then it is delivered again with `attempts + 1`; a job delivered
/// `max_attempts` times without an ack moves to the dead-letter list. Every state change is
/// atomic: no job is handed to two consumers at once. Thread-safe: share it freely until
/// `grove_queue_free`.
pub struct grove_queue {
    inner: Queue,
}

/// A delivered (or dead) job. Its `payload` is owned by the job: release it with
/// `grove_job_free` (never free() it); a job inside a `grove_job_list` is released with the list.
#[repr(C)]
#[derive(Debug)]
pub struct grove_job {
    /// The job's id, unique in its queue (ids start at 1).
    pub id: u64,
    /// The bytes given to `grove_queue_enqueue`.
    pub payload: grove_bytes,
    /// How many times the job has been delivered, this delivery included.
    pub attempts: u32,
    /// When it was enqueued, in milliseconds since the Unix epoch.
    pub enqueued_at_ms: u64,
}

impl grove_job {
    /// The empty job written when nothing was delivered: `{0, {NULL, 0}, 0, 0}`.
    const EMPTY: grove_job = grove_job {
        id: 0,
        payload: grove_bytes::EMPTY,
        attempts: 0,
        enqueued_at_ms: 0,
    };

    fn from_core(job: Job) -> grove_job {
        grove_job {
            id: job.id,
            payload: grove_bytes::from_vec(job.payload),
            attempts: job.attempts,
            enqueued_at_ms: job.enqueued_at_ms,
        }
    }
}

/// An array of `len` jobs at `ptr` (`{NULL, 0}` when empty). Release it with
/// `grove_job_list_free`; never call free() on it, and never `grove_job_free` its items.
#[repr(C)]
#[derive(Debug)]
pub struct grove_job_list {
    /// The first job, or NULL for an empty list.
    pub ptr: *mut grove_job,
    /// The number of jobs.
    pub len: usize,
}

/// Counts of a queue's jobs by state, as written by `grove_queue_stats`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct grove_queue_counts {
    /// Waiting for delivery (delayed jobs included).
    pub ready: u64,
    /// Delivered and neither acked nor nacked (a job whose visibility timeout passed stays here
    /// until it is delivered again).
    pub in_flight: u64,
    /// On the dead-letter list.
    pub dead: u64,
}

impl grove_queue_counts {
    fn from_core(s: QueueStats) -> grove_queue_counts {
        grove_queue_counts {
            ready: s.ready,
            in_flight: s.in_flight,
            dead: s.dead,
        }
    }
}

/// Releases the payload of a job the library returned and resets the job to
/// `{0, {NULL, 0}, 0, 0}`; NULL, and a job already reset, are accepted and ignored.
#[no_mangle]
pub unsafe extern "C" fn grove_job_free(job: *mut grove_job) {
    if job.is_null() {
        return;
    }
    run_void(|| {
        // SAFETY: a non-NULL `job` points to a grove_job the caller owns (contract); its
        // payload was made by grove_bytes::from_vec and grove_bytes_free resets it.
        unsafe {
            crate::buf::grove_bytes_free(&mut (*job).payload);
            job.write(grove_job::EMPTY);
        }
    });
}

/// Releases a job list the library returned (every payload and the array) and resets it to
/// `{NULL, 0}`; NULL, and a list already `{NULL, 0}`, are accepted and ignored.
#[no_mangle]
pub unsafe extern "C" fn grove_job_list_free(list: *mut grove_job_list) {
    if list.is_null() {
        return;
    }
    run_void(|| {
        // SAFETY: a non-NULL `list` points to a grove_job_list the caller owns (contract).
        let l = unsafe { &mut *list };
        if !l.ptr.is_null() {
            let raw = std::ptr::slice_from_raw_parts_mut(l.ptr, l.len);
            // SAFETY: ptr/len came from Box::<[grove_job]>::into_raw in `job_list`; they are
            // reset below, so a second call frees nothing.
            let jobs = unsafe { Box::from_raw(raw) };
            for mut job in jobs.into_vec() {
                // SAFETY: each payload was made by grove_bytes::from_vec and is freed once.
                unsafe { crate::buf::grove_bytes_free(&mut job.payload) };
            }
        }
        l.ptr = std::ptr::null_mut();
        l.len = 0;
    });
}

fn job_list(jobs: Vec<Job>) -> grove_job_list {
    if jobs.is_empty() {
        return grove_job_list {
            ptr: std::ptr::null_mut(),
            len: 0,
        };
    }
    let boxed: Box<[grove_job]> = jobs.into_iter().map(grove_job::from_core).collect();
    let len = boxed.len();
    let ptr = Box::into_raw(boxed).cast::<grove_job>();
    grove_job_list { ptr, len }
}

/// Makes a handle to the queue `name` (UTF-8, `name_len` bytes, no ':'; keys under
/// `queue:<name>:`) of `store` into `*out`; free it with `grove_queue_free`. A delivered job
/// stays invisible for `visibility_timeout_secs` (> 0) seconds; after `max_attempts` (>= 1)
/// deliveries without an ack it goes to the dead-letter list. Errors: INVALID_ARGUMENT (NULL,
/// empty, non-UTF-8 name or one containing ':', timeout <= 0, NaN or infinite,
/// max_attempts 0), CLOSED.
#[no_mangle]
pub unsafe extern "C" fn grove_queue_new(
    store: *const grove_store,
    name: *const u8,
    name_len: usize,
    visibility_timeout_secs: f64,
    max_attempts: u32,
    out: *mut *mut grove_queue,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, name, out], {
        // SAFETY: `name` points to `name_len` readable bytes; `store` is live (contract).
        let (store, name) = unsafe { (store_ref(store), text_arg(name, name_len, "name")?) };
        let timeout = secs_arg(visibility_timeout_secs, "visibility_timeout_secs")?;
        check_open(store)?;
        let q = store.queue(name, timeout, max_attempts)?;
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe { put_handle(out, grove_queue { inner: q }) };
        Ok(())
    })
}

/// Borrows the core queue of a live, non-NULL handle.
///
/// # Safety
/// `q` must be a live, non-NULL handle.
unsafe fn queue_ref<'a>(q: *const grove_queue) -> &'a Queue {
    // SAFETY: caller contract.
    unsafe { &(*q).inner }
}

/// Adds a job with `payload` (`payload_len` bytes, may be empty), deliverable after
/// `delay_secs` seconds (0: now), and writes its id to `*out_id`. Once this returns OK on a
/// durable store the job survives a crash. Errors: INVALID_ARGUMENT (NULL with a length,
/// oversized payload, negative, NaN or infinite delay), WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_queue_enqueue(
    q: *const grove_queue,
    payload: *const u8,
    payload_len: usize,
    delay_secs: f64,
    out_id: *mut u64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [q, out_id], {
        // SAFETY: live handle; `payload` readable for `payload_len` bytes or NULL with 0.
        let (q, payload) = unsafe { (queue_ref(q), bytes_arg(payload, payload_len, "payload")?) };
        let id = q.enqueue(payload, secs_arg(delay_secs, "delay_secs")?)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_id, id) };
        Ok(())
    })
}

/// Writes a delivered job to `*out_job` and whether there was one to `*out_found`.
///
/// # Safety
/// Both outputs non-NULL and writable.
unsafe fn put_job(out_job: *mut grove_job, out_found: *mut bool, job: Option<Job>) {
    // SAFETY: caller contract.
    unsafe {
        put(out_found, job.is_some());
        put(out_job, job.map_or(grove_job::EMPTY, grove_job::from_core));
    }
}

/// Delivers the oldest ready job (or one whose visibility timeout passed) without waiting:
/// `*out_found` true and the job in `*out_job` (release it with `grove_job_free`), or false and
/// `{0, {NULL, 0}, 0, 0}` when none is ready. The job is then invisible to other consumers
/// until acked, nacked or its visibility timeout passes. Errors: INVALID_ARGUMENT, WRONG_TYPE,
/// CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_queue_dequeue(
    q: *const grove_queue,
    out_job: *mut grove_job,
    out_found: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [q, out_job, out_found], {
        // SAFETY: live handle (contract).
        let job = unsafe { queue_ref(q) }.dequeue()?;
        // SAFETY: outputs non-NULL (checked) and writable (contract).
        unsafe { put_job(out_job, out_found, job) };
        Ok(())
    })
}

/// As `grove_queue_dequeue`, but blocks the calling thread up to `timeout_secs` seconds for a
/// job (polling with a pause growing from 1 to 50 ms, never spinning); `*out_found` false when
/// the timeout passed (not an error). Errors: INVALID_ARGUMENT (negative, NaN or infinite
/// timeout), and as `grove_queue_dequeue`.
#[no_mangle]
pub unsafe extern "C" fn grove_queue_dequeue_wait(
    q: *const grove_queue,
    timeout_secs: f64,
    out_job: *mut grove_job,
    out_found: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [q, out_job, out_found], {
        let timeout = secs_arg(timeout_secs, "timeout_secs")?;
        // SAFETY: live handle (contract).
        let job = unsafe { queue_ref(q) }.dequeue_wait(timeout)?;
        // SAFETY: outputs non-NULL (checked) and writable (contract).
        unsafe { put_job(out_job, out_found, job) };
        Ok(())
    })
}

/// Marks the in-flight job `id` done and removes it; `*out_acked` is false (and nothing
/// changes) when it is not in flight: unknown, already acked, nacked, or dead.
/// Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_queue_ack(
    q: *const grove_queue,
    id: u64,
    out_acked: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [q, out_acked], {
        // SAFETY: live handle (contract).
        let acked = unsafe { queue_ref(q) }.ack(id)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_acked, acked) };
        Ok(())
    })
}

/// Gives the in-flight job `id` back, deliverable again after `delay_secs` seconds (its
/// attempts are kept, so it counts towards `max_attempts`); `*out_nacked` is false (and
/// nothing changes) when it is not in flight. Errors: INVALID_ARGUMENT (negative, NaN or
/// infinite delay), WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_queue_nack(
    q: *const grove_queue,
    id: u64,
    delay_secs: f64,
    out_nacked: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [q, out_nacked], {
        let delay = secs_arg(delay_secs, "delay_secs")?;
        // SAFETY: live handle (contract).
        let nacked = unsafe { queue_ref(q) }.nack(id, delay)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_nacked, nacked) };
        Ok(())
    })
}

/// Writes the counts of ready, in-flight and dead jobs to `*out_stats`.
/// Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_queue_stats(
    q: *const grove_queue,
    out_stats: *mut grove_queue_counts,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [q, out_stats], {
        // SAFETY: live handle (contract).
        let stats = unsafe { queue_ref(q) }.stats()?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_stats, grove_queue_counts::from_core(stats)) };
        Ok(())
    })
}

/// Writes the jobs on the dead-letter list, oldest id first, to `*out_list` (their `attempts`
/// is `max_attempts`); release it with `grove_job_list_free`.
/// Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_queue_dead_letters(
    q: *const grove_queue,
    out_list: *mut grove_job_list,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [q, out_list], {
        // SAFETY: live handle (contract).
        let jobs = unsafe { queue_ref(q) }.dead_letters()?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_list, job_list(jobs)) };
        Ok(())
    })
}

/// Releases a queue handle (the jobs are kept). NULL is accepted and ignored.
#[no_mangle]
pub unsafe extern "C" fn grove_queue_free(q: *mut grove_queue) {
    if q.is_null() {
        return;
    }
    // SAFETY: a non-NULL `q` came from grove_queue_new and is freed once, after every other
    // thread is done with it (contract).
    run_void(|| drop(unsafe { Box::from_raw(q) }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_and_list_frees_are_idempotent() {
        let job = |id| Job {
            id,
            payload: b"p".to_vec(),
            attempts: 1,
            enqueued_at_ms: 5,
        };
        let mut j = grove_job::from_core(job(3));
        let mut l = job_list(vec![job(1), job(2)]);
        // SAFETY: both were made by this module; the frees reset them, so twice is fine.
        unsafe {
            assert_eq!((*l.ptr.add(1)).id, 2);
            grove_job_free(&mut j);
            assert!(j.payload.ptr.is_null() && j.id == 0);
            grove_job_free(&mut j);
            grove_job_free(std::ptr::null_mut());
            grove_job_list_free(&mut l);
            assert!(l.ptr.is_null() && l.len == 0);
            grove_job_list_free(&mut l);
            grove_job_list_free(std::ptr::null_mut());
        }
        assert!(job_list(Vec::new()).ptr.is_null());
    }
}
