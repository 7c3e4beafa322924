//! The server's clock: TTLs, leases, windows and deadlines on a Redis store are measured by the
//! server every client shares, not by each machine's own clock.

use super::conn::{Effect, Pool};
use crate::clock::{Clock, SystemClock};
use crate::error::Result;
use crate::sync::Mutex;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the offset to the server's clock is measured again.
const RESYNC: Duration = Duration::from_secs(10);

/// This machine's clock corrected by its measured offset to the server's `TIME`.
pub(crate) struct ServerClock {
    pool: Arc<Pool>,
    /// Server time minus local time (ms), and when it was last measured (or tried).
    state: Mutex<(i64, Instant)>,
}

impl ServerClock {
    /// Measures the offset once; fails when the server does not answer.
    pub(crate) fn new(pool: Arc<Pool>) -> Result<ServerClock> {
        let offset = measure(&pool)?;
        Ok(ServerClock {
            pool,
            state: Mutex::new((offset, Instant::now())),
        })
    }
}

/// Server time minus local time, taking the server's reading as made halfway through the call.
fn measure(pool: &Pool) -> Result<i64> {
    let before = SystemClock.now_ms() as i64;
    let started = Instant::now();
    let (secs, micros): (i64, i64) = pool.run(Effect::Read, |c| redis::cmd("TIME").query(c))?;
    let half_rtt = (started.elapsed().as_millis() / 2) as i64;
    let server = secs * 1000 + micros / 1000;
    Ok(server - (before + half_rtt))
}

impl Clock for ServerClock {
    fn now_ms(&self) -> u64 {
        let mut st = self.state.lock();
        if st.1.elapsed() >= RESYNC {
            // A failed measurement keeps the last offset; the calls that need the server fail
            // on their own with the reason.
            if let Ok(o) = measure(&self.pool) {
                st.0 = o;
            }
            st.1 = Instant::now();
        }
        let offset = st.0;
        drop(st);
        (SystemClock.now_ms() as i64 + offset).max(0) as u64
    }
}
