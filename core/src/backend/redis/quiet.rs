//! Keeps asynchronous signals off the calling thread while it talks to Redis, so the sockets'
//! reply timeouts can be set.
//!
//! Why: with a socket read or write timeout (`SO_RCVTIMEO`/`SO_SNDTIMEO`), Linux does not restart
//! a `recv` or `send` that a signal handler interrupted, even under `SA_RESTART`: the call fails
//! with `EINTR`, and the redis client reports the connection as failed (for a write, with its
//! outcome unknown). Go's runtime signals its threads all the time (goroutine preemption,
//! `SIGURG`), and Python's handlers are installed without `SA_RESTART`, so a timeout alone broke
//! calls from those doors. Without a timeout, a server that accepts a command and never answers
//! (stopped, wedged) hangs the caller forever. Blocking the catchable asynchronous signals for the
//! length of one call gives both: the kernel keeps a signal pending and delivers it the moment
//! the call returns (at most the reply timeout later), and no handler ever interrupts our I/O.
//! Signals the CPU raises for this thread (`SIGSEGV`, `SIGBUS`, `SIGFPE`, `SIGILL`, `SIGTRAP`,
//! `SIGSYS`) stay unblocked: blocking those is undefined.
#![allow(unsafe_code)] // pthread_sigmask and the sigset_t calls only, each with a SAFETY note

/// While alive, the calling thread's catchable asynchronous signals are blocked; dropping it
/// restores the mask it found (so guards nest).
pub(crate) struct Quiet {
    #[cfg(unix)]
    old: libc::sigset_t,
    /// A guard restores the mask of the thread that made it, so it must not move to another.
    _here: std::marker::PhantomData<*const ()>,
}

impl Quiet {
    /// Blocks the signals; see the module comment.
    #[cfg(unix)]
    pub(crate) fn new() -> Quiet {
        // SAFETY: sigset_t is plain data that sigemptyset/sigfillset initialise before any read;
        // pthread_sigmask only reads `set` and writes `old`, both valid for the call.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut set);
            for sig in [
                libc::SIGSEGV,
                libc::SIGBUS,
                libc::SIGFPE,
                libc::SIGILL,
                libc::SIGTRAP,
                libc::SIGSYS,
            ] {
                libc::sigdelset(&mut set, sig);
            }
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut old);
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
            Quiet {
                old,
                _here: std::marker::PhantomData,
            }
        }
    }

    /// No signals to block on this platform.
    #[cfg(not(unix))]
    pub(crate) fn new() -> Quiet {
        Quiet {
            _here: std::marker::PhantomData,
        }
    }
}

impl Drop for Quiet {
    fn drop(&mut self) {
        // SAFETY: `old` is the mask pthread_sigmask filled in `new`, on this same thread (the
        // guard is not Send).
        #[cfg(unix)]
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.old, std::ptr::null_mut());
        }
    }
}
