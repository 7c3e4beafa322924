//! The counter's hot path as raw Node-API callbacks.
//!
//! napi-rs 3's generated glue spends ~250 ns per class-method call (argument scope, borrow
//! tracking, class identity checks) — more than a whole in-memory increment. Counters are the
//! benchmarked primitive, so their operations are registered here directly with `napi_sys`:
//! a counter is a type-tagged `napi_external` owning a boxed [`Counter`], and each callback
//! checks the tag, converts its numbers, calls the core under `catch_unwind` and throws coded
//! errors itself (`napi_throw_error` sets `code`). index.js is the only caller and passes
//! validated arguments; the checks here still keep a misuse from ever being unsound.

use grove_core::{Counter, ErrorKind};
use napi::sys;
use std::ffi::{c_void, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

/// Type tag of counter externals (random constant; tells our pointers from anyone else's).
static COUNTER_TAG: sys::napi_type_tag = sys::napi_type_tag {
    lower: 0x6f9c_2b1e_84d3_4a57,
    upper: 0xc0a1_7e55_3d2f_9b08,
};

/// Largest integer a JS number holds exactly (2^53 - 1).
const MAX_SAFE: i64 = (1 << 53) - 1;

/// Why a callback failed: a coded error to throw (or an exception already pending).
enum Fail {
    /// Throw an `Error` with `code` = the kind.
    Grove(grove_core::Error),
    /// Throw a `TypeError` with code `InvalidArgument`.
    Type(String),
    /// A JS exception is already pending.
    Pending,
}

impl From<grove_core::Error> for Fail {
    fn from(e: grove_core::Error) -> Self {
        Fail::Grove(e)
    }
}

/// A C string for napi, with any interior NUL replaced so it always converts.
fn cstring(s: &str) -> CString {
    CString::new(s.replace('\0', "\u{fffd}")).unwrap_or_default()
}

/// Checks a napi status, turning a failure into a pending-or-internal error.
fn check(status: sys::napi_status) -> Result<(), Fail> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else if status == sys::Status::napi_pending_exception {
        Err(Fail::Pending)
    } else {
        Err(Fail::Grove(grove_core::Error::new(
            ErrorKind::Internal,
            format!("Node-API call failed with status {status}"),
        )))
    }
}

/// Throws `fail` into JS (unless an exception is already pending).
unsafe fn throw(env: sys::napi_env, fail: Fail) {
    let (type_error, code, msg) = match fail {
        Fail::Pending => return,
        Fail::Grove(e) => (false, e.kind().as_str(), e.message().to_string()),
        Fail::Type(m) => (true, ErrorKind::InvalidArgument.as_str(), m),
    };
    let code = cstring(code);
    let msg = cstring(&msg);
    // SAFETY: `env` is the live env of the running callback, on its JS thread (caller contract);
    // `code` and `msg` are NUL-terminated `CString`s that outlive the call, which copies them.
    unsafe {
        if type_error {
            sys::napi_throw_type_error(env, code.as_ptr(), msg.as_ptr());
        } else {
            sys::napi_throw_error(env, code.as_ptr(), msg.as_ptr());
        }
    }
}

/// Runs a callback body: a core error or bad argument is thrown, a panic becomes `Internal`.
unsafe fn run(
    env: sys::napi_env,
    f: impl FnOnce() -> Result<sys::napi_value, Fail>,
) -> sys::napi_value {
    let fail = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => return v,
        Ok(Err(fail)) => fail,
        Err(payload) => {
            let what = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".to_string());
            std::mem::forget(payload);
            Fail::Grove(grove_core::Error::new(
                ErrorKind::Internal,
                format!("a bug in grovekv (Rust panic): {what}"),
            ))
        }
    };
    // SAFETY: `env` is the live env of the running callback (caller contract), all `throw` needs.
    unsafe { throw(env, fail) };
    ptr::null_mut()
}

/// The callback's arguments (up to `N`; missing ones are `undefined`).
unsafe fn args<const N: usize>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> Result<[sys::napi_value; N], Fail> {
    let mut argv = [ptr::null_mut(); N];
    let mut argc = N;
    // SAFETY: `env` and `info` are the pair Node-API passed to the running callback (caller
    // contract); `argv` has room for `argc` = N values, the most Node-API writes; the `this` and
    // `data` out-params may be NULL.
    check(unsafe {
        sys::napi_get_cb_info(
            env,
            info,
            &mut argc,
            argv.as_mut_ptr(),
            ptr::null_mut(),
            ptr::null_mut(),
        )
    })?;
    if argc < N {
        let mut undef = ptr::null_mut();
        // SAFETY: `env` is live (caller contract) and `undef` is a writable `napi_value` slot.
        check(unsafe { sys::napi_get_undefined(env, &mut undef) })?;
        for slot in argv.iter_mut().skip(argc) {
            *slot = undef;
        }
    }
    Ok(argv)
}

/// The counter inside a handle made by [`new_counter`]; TypeError for anything else.
unsafe fn counter<'a>(env: sys::napi_env, v: sys::napi_value) -> Result<&'a Counter, Fail> {
    let mut ok = false;
    // SAFETY: `env` is live and `v` belongs to the running callback's scope (caller contract);
    // `COUNTER_TAG` is a static and `ok` a writable bool. A non-object `v` only makes the call
    // fail (`napi_object_expected`), which gives the TypeError below.
    let status = unsafe { sys::napi_check_object_type_tag(env, v, &COUNTER_TAG, &mut ok) };
    if status != sys::Status::napi_ok || !ok {
        return Err(Fail::Type("expected a grovekv counter handle".into()));
    }
    let mut data = ptr::null_mut();
    // SAFETY: `env` and `v` as above; `data` is a writable pointer slot. A tagged `v` that is not
    // an external only makes the call fail (`napi_invalid_arg`), which `check` turns into an error.
    check(unsafe { sys::napi_get_value_external(env, v, &mut data) })?;
    // SAFETY: the tag proves `new_counter` made this external around a live `Box<Counter>` (the
    // tag is private to this crate; only `new_counter` applies it), which is only freed by the
    // finalizer once the external is unreachable. `v` is held by the running callback's handle
    // scope, so it stays reachable for as long as callers use the reference (they never keep it
    // past the callback). Only shared access is handed out (`Counter` methods take `&self`).
    Ok(unsafe { &*(data as *const Counter) })
}

/// A safe-integer JS number argument as i64; TypeError/InvalidArgument otherwise.
unsafe fn int_arg(env: sys::napi_env, v: sys::napi_value, what: &str) -> Result<i64, Fail> {
    let mut d = 0f64;
    // SAFETY: `env` is live and `v` belongs to the running callback's scope (caller contract);
    // `d` is a writable f64. A non-number `v` only makes the call fail (`napi_number_expected`).
    let status = unsafe { sys::napi_get_value_double(env, v, &mut d) };
    if status == sys::Status::napi_number_expected {
        return Err(Fail::Type(format!("{what} must be a number")));
    }
    check(status)?;
    if d.fract() != 0.0 || !(-(MAX_SAFE as f64)..=MAX_SAFE as f64).contains(&d) {
        return Err(Fail::Grove(grove_core::Error::new(
            ErrorKind::InvalidArgument,
            format!("{what} must be an integer within ±(2^53-1), got {d}"),
        )));
    }
    Ok(d as i64)
}

/// A bigint argument that fits in i64; TypeError/InvalidArgument otherwise.
unsafe fn big_arg(env: sys::napi_env, v: sys::napi_value, what: &str) -> Result<i64, Fail> {
    let mut n = 0i64;
    let mut lossless = false;
    // SAFETY: `env` is live and `v` belongs to the running callback's scope (caller contract);
    // `n` and `lossless` are writable. A non-bigint `v` only makes the call fail
    // (`napi_bigint_expected`).
    let status = unsafe { sys::napi_get_value_bigint_int64(env, v, &mut n, &mut lossless) };
    if status == sys::Status::napi_bigint_expected {
        return Err(Fail::Type(format!("{what} must be a bigint")));
    }
    check(status)?;
    if !lossless {
        return Err(Fail::Grove(grove_core::Error::new(
            ErrorKind::InvalidArgument,
            format!("{what} does not fit in a signed 64-bit integer"),
        )));
    }
    Ok(n)
}

/// A number (safe integer) or bigint argument as i64; TypeError/InvalidArgument otherwise.
unsafe fn num_or_big_arg(env: sys::napi_env, v: sys::napi_value, what: &str) -> Result<i64, Fail> {
    let mut t = 0;
    // SAFETY: `env` is live and `v` belongs to the running callback's scope (caller contract);
    // `t` is a writable `napi_valuetype`.
    check(unsafe { sys::napi_typeof(env, v, &mut t) })?;
    if t == sys::ValueType::napi_bigint {
        // SAFETY: as above (caller contract).
        unsafe { big_arg(env, v, what) }
    } else {
        // SAFETY: as above (caller contract).
        unsafe { int_arg(env, v, what) }
    }
}

/// A bounded change's result for JS: the new value (see [`i64_value`]), or null when refused.
unsafe fn opt_i64_value(env: sys::napi_env, n: Option<i64>) -> Result<sys::napi_value, Fail> {
    match n {
        // SAFETY: `env` is live (caller contract).
        Some(n) => unsafe { i64_value(env, n) },
        None => {
            let mut v = ptr::null_mut();
            // SAFETY: `env` is live (caller contract) and `v` is a writable `napi_value` slot.
            check(unsafe { sys::napi_get_null(env, &mut v) })?;
            Ok(v)
        }
    }
}

/// A counter value for JS: a number when it is a safe integer, otherwise an exact bigint.
unsafe fn i64_value(env: sys::napi_env, n: i64) -> Result<sys::napi_value, Fail> {
    let mut v = ptr::null_mut();
    if (-MAX_SAFE..=MAX_SAFE).contains(&n) {
        // SAFETY: `env` is live (caller contract) and `v` is a writable `napi_value` slot.
        check(unsafe { sys::napi_create_int64(env, n, &mut v) })?;
    } else {
        // SAFETY: `env` is live (caller contract) and `v` is a writable `napi_value` slot.
        check(unsafe { sys::napi_create_bigint_int64(env, n, &mut v) })?;
    }
    Ok(v)
}

/// `undefined`.
unsafe fn undefined(env: sys::napi_env) -> Result<sys::napi_value, Fail> {
    let mut v = ptr::null_mut();
    // SAFETY: `env` is live (caller contract) and `v` is a writable `napi_value` slot.
    check(unsafe { sys::napi_get_undefined(env, &mut v) })?;
    Ok(v)
}

/// Frees the boxed counter when its external is garbage-collected.
unsafe extern "C" fn finalize_counter(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the `Box<Counter>` leaked by `new_counter`, finalized exactly once.
    let _ = catch_unwind(|| drop(unsafe { Box::from_raw(data as *mut Counter) }));
}

/// Wraps `c` in a type-tagged external that owns it.
pub(crate) unsafe fn new_counter(env: sys::napi_env, c: Counter) -> napi::Result<sys::napi_value> {
    let data = Box::into_raw(Box::new(c));
    let mut v = ptr::null_mut();
    // SAFETY: `env` is the live env of the current call (caller contract); `data` is a valid,
    // uniquely owned `Box<Counter>` pointer whose ownership passes to the external on success,
    // to be freed exactly once by `finalize_counter` (which ignores its hint, so NULL is fine);
    // `v` is a writable `napi_value` slot.
    let status = unsafe {
        sys::napi_create_external(
            env,
            data.cast(),
            Some(finalize_counter),
            ptr::null_mut(),
            &mut v,
        )
    };
    if status != sys::Status::napi_ok {
        // SAFETY: `data` came from `Box::into_raw` above, and the external that would own it was
        // not created: Node-API's `napi_create_external` only fails in its env/argument checks,
        // before the external and its finalizer exist. So the Box is still ours, freed once here.
        drop(unsafe { Box::from_raw(data) });
        return Err(napi::Error::from_reason(
            "could not create a counter handle",
        ));
    }
    // SAFETY: `v` is the external just created in the live `env`; `COUNTER_TAG` is a static
    // (Node-API copies it). If tagging fails the untagged external still owns the Box and its
    // finalizer still frees it; `counter` rejects an untagged value, so it is never read.
    napi::check_status!(unsafe { sys::napi_type_tag_object(env, v, &COUNTER_TAG) })?;
    Ok(v)
}

/// Defines one raw callback: `$name(env, argv)` with `$n` arguments.
macro_rules! callback {
    ($fn:ident, $n:literal, |$env:ident, $argv:ident| $body:block) => {
        unsafe extern "C" fn $fn(
            $env: sys::napi_env,
            info: sys::napi_callback_info,
        ) -> sys::napi_value {
            // SAFETY: Node-API calls this function (registered by `register`) on the JS thread
            // with the live `env` and the `info` of this call, which is exactly what `run`,
            // `args` and the helpers in `$body` (`counter`, `int_arg`, `big_arg`, `num_or_big_arg`,
            // `i64_value`, `opt_i64_value`, `undefined`, Node-API calls) require: a live env and `napi_value`s of this
            // callback's scope. `counter` checks the type tag, so any JS value is safe to pass.
            unsafe {
                run($env, || {
                    let $argv = args::<$n>($env, info)?;
                    $body
                })
            }
        }
    };
}

callback!(counter_increment, 2, |env, a| {
    let c = counter(env, a[0])?;
    i64_value(env, c.increment(int_arg(env, a[1], "delta")?)?)
});
callback!(counter_increment_big, 2, |env, a| {
    let c = counter(env, a[0])?;
    i64_value(env, c.increment(big_arg(env, a[1], "delta")?)?)
});
callback!(counter_decrement, 2, |env, a| {
    let c = counter(env, a[0])?;
    i64_value(env, c.decrement(int_arg(env, a[1], "delta")?)?)
});
callback!(counter_decrement_big, 2, |env, a| {
    let c = counter(env, a[0])?;
    i64_value(env, c.decrement(big_arg(env, a[1], "delta")?)?)
});
callback!(counter_get, 1, |env, a| {
    let c = counter(env, a[0])?;
    i64_value(env, c.get()?)
});
callback!(counter_set, 2, |env, a| {
    let c = counter(env, a[0])?;
    c.set(int_arg(env, a[1], "value")?)?;
    undefined(env)
});
callback!(counter_set_big, 2, |env, a| {
    let c = counter(env, a[0])?;
    c.set(big_arg(env, a[1], "value")?)?;
    undefined(env)
});
callback!(counter_reset, 1, |env, a| {
    let c = counter(env, a[0])?;
    c.reset()?;
    undefined(env)
});
callback!(counter_try_decrement, 3, |env, a| {
    let c = counter(env, a[0])?;
    let delta = num_or_big_arg(env, a[1], "delta")?;
    let floor = num_or_big_arg(env, a[2], "floor")?;
    opt_i64_value(env, c.try_decrement(delta, floor)?)
});
callback!(counter_try_increment, 3, |env, a| {
    let c = counter(env, a[0])?;
    let delta = num_or_big_arg(env, a[1], "delta")?;
    let cap = num_or_big_arg(env, a[2], "cap")?;
    opt_i64_value(env, c.try_increment(delta, cap)?)
});
callback!(counter_key, 1, |env, a| {
    let c = counter(env, a[0])?;
    let key = String::from_utf8_lossy(c.key());
    let mut v = ptr::null_mut();
    check(sys::napi_create_string_utf8(
        env,
        key.as_ptr().cast(),
        key.len() as isize,
        &mut v,
    ))?;
    Ok(v)
});

/// The raw callbacks, by JS name.
type RawCallback = unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;
const CALLBACKS: &[(&str, RawCallback)] = &[
    ("counterIncrement", counter_increment),
    ("counterIncrementBig", counter_increment_big),
    ("counterDecrement", counter_decrement),
    ("counterDecrementBig", counter_decrement_big),
    ("counterGet", counter_get),
    ("counterSet", counter_set),
    ("counterSetBig", counter_set_big),
    ("counterReset", counter_reset),
    ("counterTryDecrement", counter_try_decrement),
    ("counterTryIncrement", counter_try_increment),
    ("counterKey", counter_key),
];

/// Adds the raw counter functions to the module's exports.
pub(crate) unsafe fn register(env: sys::napi_env, exports: sys::napi_value) -> napi::Result<()> {
    for (name, cb) in CALLBACKS {
        let cname = cstring(name);
        let mut f = ptr::null_mut();
        // SAFETY: `env` is the env being initialised (caller contract); `cname` is a live
        // NUL-terminated copy of `name` whose length is `name.len()` (the names have no NUL);
        // `cb` has the `napi_callback` signature and uses no data (NULL); `f` is writable.
        napi::check_status!(unsafe {
            sys::napi_create_function(
                env,
                cname.as_ptr(),
                name.len() as isize,
                Some(*cb),
                ptr::null_mut(),
                &mut f,
            )
        })?;
        // SAFETY: `exports` is the module's exports object in `env` (caller contract), `f` the
        // function just created in that env, and `cname` a live NUL-terminated name.
        napi::check_status!(unsafe {
            sys::napi_set_named_property(env, exports, cname.as_ptr(), f)
        })?;
    }
    Ok(())
}
