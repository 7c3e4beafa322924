//! Status codes, the error object, and the one macro that wraps every export.

use grove_core::{Error, ErrorKind};
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The result of every fallible call: `GROVE_OK` (0) or one value per Grove error kind.
///
/// The numbers are the core's `ErrorKind::code()`; a compile-time check keeps them equal.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum grove_status {
    /// Success.
    GROVE_OK = 0,
    /// The key, job, session or member does not exist.
    GROVE_NOT_FOUND = 1,
    /// The key holds another kind of value than the operation needs.
    GROVE_WRONG_TYPE = 2,
    /// An argument is NULL, out of range, malformed or not UTF-8; nothing was changed.
    GROVE_INVALID_ARGUMENT = 3,
    /// A checked arithmetic operation would leave the signed 64-bit range.
    GROVE_OVERFLOW = 4,
    /// The handle (or the store it came from) was closed.
    GROVE_CLOSED = 5,
    /// Another process holds the store's directory.
    GROVE_STORE_LOCKED = 6,
    /// A lock could not be acquired within the timeout.
    GROVE_LOCK_TIMEOUT = 7,
    /// A remote timestamp is further in the future than the allowed drift.
    GROVE_CLOCK_DRIFT = 8,
    /// Stored or received bytes could not be decoded.
    GROVE_CORRUPT = 9,
    /// The operating system reported an I/O failure.
    GROVE_IO = 10,
    /// A bug in Grove or a dependency (including a caught panic); please report it.
    GROVE_INTERNAL = 11,
    /// A sealed value cannot be opened: no encryption key, another key, or the value was changed
    /// or copied from another key.
    GROVE_ENCRYPTION = 12,
}

impl grove_status {
    /// The status of a core error kind. Exhaustive on purpose: a new `ErrorKind` fails to
    /// compile here until it has a status.
    pub const fn from_kind(kind: ErrorKind) -> grove_status {
        match kind {
            ErrorKind::NotFound => grove_status::GROVE_NOT_FOUND,
            ErrorKind::WrongType => grove_status::GROVE_WRONG_TYPE,
            ErrorKind::InvalidArgument => grove_status::GROVE_INVALID_ARGUMENT,
            ErrorKind::Overflow => grove_status::GROVE_OVERFLOW,
            ErrorKind::Closed => grove_status::GROVE_CLOSED,
            ErrorKind::StoreLocked => grove_status::GROVE_STORE_LOCKED,
            ErrorKind::LockTimeout => grove_status::GROVE_LOCK_TIMEOUT,
            ErrorKind::ClockDrift => grove_status::GROVE_CLOCK_DRIFT,
            ErrorKind::Corrupt => grove_status::GROVE_CORRUPT,
            ErrorKind::Io => grove_status::GROVE_IO,
            ErrorKind::Internal => grove_status::GROVE_INTERNAL,
            ErrorKind::Encryption => grove_status::GROVE_ENCRYPTION,
        }
    }

    /// The name of a status as the API spells the kind ("WrongType"), NUL-terminated.
    const fn name_nul(self) -> &'static [u8] {
        match self {
            grove_status::GROVE_OK => b"OK\0",
            grove_status::GROVE_NOT_FOUND => b"NotFound\0",
            grove_status::GROVE_WRONG_TYPE => b"WrongType\0",
            grove_status::GROVE_INVALID_ARGUMENT => b"InvalidArgument\0",
            grove_status::GROVE_OVERFLOW => b"Overflow\0",
            grove_status::GROVE_CLOSED => b"Closed\0",
            grove_status::GROVE_STORE_LOCKED => b"StoreLocked\0",
            grove_status::GROVE_LOCK_TIMEOUT => b"LockTimeout\0",
            grove_status::GROVE_CLOCK_DRIFT => b"ClockDrift\0",
            grove_status::GROVE_CORRUPT => b"Corrupt\0",
            grove_status::GROVE_IO => b"Io\0",
            grove_status::GROVE_INTERNAL => b"Internal\0",
            grove_status::GROVE_ENCRYPTION => b"Encryption\0",
        }
    }
}

// Compile-time drift check: every core kind maps to the status with the same number, and the
// statuses are exactly 0 plus one per kind.
const _: () = {
    let mut i = 0;
    while i < ErrorKind::ALL.len() {
        let kind = ErrorKind::ALL[i];
        assert!(grove_status::from_kind(kind) as i32 == kind as i32);
        assert!(kind as i32 == i as i32 + 1);
        i += 1;
    }
    assert!(grove_status::GROVE_ENCRYPTION as i32 == ErrorKind::ALL.len() as i32);
};

/// An error's status and message. Made by a failing call through its `grove_error **err`
/// out-param; the caller owns it and releases it with `grove_error_free`.
pub struct grove_error {
    status: grove_status,
    message: CString,
}

impl grove_error {
    fn new(e: &Error) -> grove_error {
        let text = e.message().replace('\0', "\\0");
        grove_error {
            status: grove_status::from_kind(e.kind()),
            message: CString::new(text).unwrap_or_default(),
        }
    }
}

/// The status of `err` (`GROVE_OK` when `err` is NULL).
#[no_mangle]
pub unsafe extern "C" fn grove_error_status(err: *const grove_error) -> grove_status {
    if err.is_null() {
        return grove_status::GROVE_OK;
    }
    // SAFETY: a non-NULL `err` was made by this library and not yet freed (caller contract).
    unsafe { (*err).status }
}

/// The human-readable message of `err`, NUL-terminated UTF-8 without the kind name ("" when
/// `err` is NULL). Owned by `err`: valid until `grove_error_free(err)`, never free it yourself.
#[no_mangle]
pub unsafe extern "C" fn grove_error_message(err: *const grove_error) -> *const c_char {
    if err.is_null() {
        return b"\0".as_ptr().cast();
    }
    // SAFETY: a non-NULL `err` was made by this library and not yet freed (caller contract).
    unsafe { (*err).message.as_ptr() }
}

/// Releases an error made by the library. NULL is accepted and ignored.
#[no_mangle]
pub unsafe extern "C" fn grove_error_free(err: *mut grove_error) {
    if err.is_null() {
        return;
    }
    // SAFETY: a non-NULL `err` came from Box::into_raw in `fail` and is freed only once.
    drop(unsafe { Box::from_raw(err) });
}

/// The name of a status as the API spells the kind ("OK", "NotFound", "WrongType", …, or
/// "Unknown" for a value that is no status): a static NUL-terminated string, never free it.
#[no_mangle]
pub extern "C" fn grove_status_name(status: i32) -> *const c_char {
    let name: &'static [u8] = if status == 0 {
        grove_status::GROVE_OK.name_nul()
    } else {
        match ErrorKind::from_code(status) {
            Some(kind) => grove_status::from_kind(kind).name_nul(),
            None => b"Unknown\0",
        }
    };
    name.as_ptr().cast()
}

/// Reports `e` through the `err` out-param (when not NULL) and returns its status.
pub(crate) fn fail(err: *mut *mut grove_error, e: Error) -> grove_status {
    let status = grove_status::from_kind(e.kind());
    if !err.is_null() {
        let boxed = Box::into_raw(Box::new(grove_error::new(&e)));
        // SAFETY: a non-NULL `err` points to a writable `grove_error *` (caller contract).
        unsafe { err.write(boxed) };
    }
    status
}

/// Runs an export's body, turning its error into a status and a panic into `GROVE_INTERNAL`.
pub(crate) fn run(
    err: *mut *mut grove_error,
    body: impl FnOnce() -> grove_core::Result<()>,
) -> grove_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => grove_status::GROVE_OK,
        Ok(Err(e)) => fail(err, e),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            // Dropping the payload could itself panic; leak it instead of unwinding into C.
            std::mem::forget(payload);
            fail(
                err,
                Error::new(
                    ErrorKind::Internal,
                    format!("panic inside libgrove: {what}"),
                ),
            )
        }
    }
}

/// Runs a function that cannot report errors (the `_free` functions); a panic is swallowed so
/// it never crosses into C.
pub(crate) fn run_void(body: impl FnOnce()) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(body)) {
        std::mem::forget(payload);
    }
}

/// An `InvalidArgument` error naming a NULL argument.
pub(crate) fn null_arg(name: &str) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        format!("argument `{name}` is NULL"),
    )
}

/// The body of every fallible export: checks the listed pointers for NULL
/// (`GROVE_INVALID_ARGUMENT`), then runs the block under `catch_unwind` (`GROVE_INTERNAL`);
/// the block returns `grove_core::Result<()>` and errors go to the `err` out-param.
macro_rules! ffi_body {
    ($err:ident, [$($nonnull:ident),* $(,)?], $body:block) => {{
        let err_out: *mut *mut $crate::error::grove_error = $err;
        $(
            if $nonnull.is_null() {
                return $crate::error::fail(
                    err_out,
                    $crate::error::null_arg(stringify!($nonnull)),
                );
            }
        )*
        $crate::error::run(err_out, move || -> grove_core::Result<()> { $body })
    }};
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn every_kind_has_the_same_number_and_name() {
        assert_eq!(ErrorKind::ALL.len(), 12);
        for kind in ErrorKind::ALL {
            let s = grove_status::from_kind(kind);
            assert_eq!(s as i32, kind.code());
            // SAFETY: grove_status_name returns a static NUL-terminated string.
            let name = unsafe { CStr::from_ptr(grove_status_name(kind.code())) };
            assert_eq!(name.to_str().unwrap(), kind.as_str());
        }
        // SAFETY: as above.
        let ok = unsafe { CStr::from_ptr(grove_status_name(0)) };
        assert_eq!(ok.to_str().unwrap(), "OK");
        // SAFETY: as above.
        let unknown = unsafe { CStr::from_ptr(grove_status_name(99)) };
        assert_eq!(unknown.to_str().unwrap(), "Unknown");
    }

    #[test]
    fn a_panic_becomes_internal_with_a_message() {
        let mut err: *mut grove_error = std::ptr::null_mut();
        let status = run(&mut err, || panic!("boom"));
        assert_eq!(status, grove_status::GROVE_INTERNAL);
        // SAFETY: err was just made by `run`, is read while live and freed once.
        unsafe {
            assert_eq!(grove_error_status(err), grove_status::GROVE_INTERNAL);
            let msg = CStr::from_ptr(grove_error_message(err));
            assert!(msg.to_str().unwrap().contains("boom"));
            grove_error_free(err);
        }
    }

    #[test]
    fn messages_with_nul_bytes_survive() {
        let mut err: *mut grove_error = std::ptr::null_mut();
        let status = fail(&mut err, Error::new(ErrorKind::NotFound, "a\0b"));
        assert_eq!(status, grove_status::GROVE_NOT_FOUND);
        // SAFETY: err was just made by `fail`, is read while live and freed once; NULL is
        // accepted by both functions.
        unsafe {
            let msg = CStr::from_ptr(grove_error_message(err));
            assert_eq!(msg.to_str().unwrap(), "a\\0b");
            grove_error_free(err);
            assert_eq!(grove_error_status(std::ptr::null()), grove_status::GROVE_OK);
            grove_error_free(std::ptr::null_mut());
        }
    }
}
