//! The hybrid logical clock: physical milliseconds plus a logical counter, with the node id as
//! the final tie-break, so stamps are totally ordered across replicas.
//!
//! The high-water mark is persisted ahead of use (one write per second of stamps): a restarted
//! engine starts above every stamp it ever issued, so a new local write never sorts before an
//! acknowledged older one, even if the wall clock went back.

use crate::error::{Error, ErrorKind, Result};
use crate::store::Store;
use serde::{Deserialize, Serialize};

/// Physical milliseconds reserved past the last issued stamp with each persisted write.
const RESERVE_MS: u64 = 1_000;
/// Private metadata key of the persisted high-water mark.
pub(crate) const HLC_KEY: &[u8] = b"mhlc";
/// Default allowed lead of a remote stamp over the local wall clock.
pub const DEFAULT_MAX_DRIFT_MS: u64 = 60_000;

/// A hybrid-logical-clock timestamp; ordered by time, then counter, then node id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Stamp {
    /// Physical part, ms since the Unix epoch.
    pub ms: u64,
    /// Logical counter among stamps of the same millisecond.
    pub logical: u32,
    /// The node that issued it.
    pub node: String,
}

/// The engine's clock state.
#[derive(Debug, Default)]
pub(crate) struct HlcState {
    last_ms: u64,
    last_logical: u32,
    persisted_until: u64,
}

impl HlcState {
    /// Starts above the persisted high-water mark `hwm`.
    pub(crate) fn starting_at(hwm: u64) -> HlcState {
        HlcState {
            last_ms: hwm,
            last_logical: 0,
            persisted_until: hwm,
        }
    }
}

impl Store {
    fn persist_hlc(&self, st: &mut HlcState) -> Result<()> {
        if st.last_ms >= st.persisted_until {
            let hwm = st.last_ms.saturating_add(RESERVE_MS);
            // Compare-and-max, never a blind write: another process sharing the store may have
            // persisted a higher mark, and the mark must never go back.
            self.backend()?.update(HLC_KEY, &mut |cur| {
                let stored = match cur {
                    None => 0,
                    Some(v) => u64::from_be_bytes(v.try_into().map_err(|_| {
                        Error::corrupt("stored clock high-water mark is malformed")
                    })?),
                };
                Ok(if stored >= hwm {
                    crate::backend::Write::Keep
                } else {
                    crate::backend::Write::Put(hwm.to_be_bytes().to_vec())
                })
            })?;
            st.persisted_until = hwm;
        }
        Ok(())
    }

    /// A new stamp greater than every stamp this engine issued or observed.
    pub(crate) fn hlc_now(&self) -> Result<Stamp> {
        let wall = self.now_ms();
        let mut st = self.hlc().lock();
        if wall > st.last_ms {
            st.last_ms = wall;
            st.last_logical = 0;
        } else if st.last_logical == u32::MAX {
            st.last_ms += 1;
            st.last_logical = 0;
        } else {
            st.last_logical += 1;
        }
        self.persist_hlc(&mut st)?;
        Ok(Stamp {
            ms: st.last_ms,
            logical: st.last_logical,
            node: self.node_id().to_string(),
        })
    }

    /// Moves the clock past a remote stamp's time, so later local stamps sort after it.
    pub(crate) fn hlc_observe(&self, ms: u64) -> Result<()> {
        let mut st = self.hlc().lock();
        if ms >= st.last_ms {
            st.last_ms = ms.saturating_add(1);
            st.last_logical = 0;
            self.persist_hlc(&mut st)?;
        }
        Ok(())
    }

    /// Moves the clock past `stamp`, a stamp written by a local operation: later local stamps
    /// sort after it even if it was raised above this clock by [`stamp_above`].
    pub(crate) fn hlc_witness(&self, stamp: &Stamp) -> Result<()> {
        let mut st = self.hlc().lock();
        if (stamp.ms, stamp.logical) > (st.last_ms, st.last_logical) {
            st.last_ms = stamp.ms;
            st.last_logical = stamp.logical;
            self.persist_hlc(&mut st)?;
        }
        Ok(())
    }

    /// `ClockDrift` if `ms` is further ahead of the local wall clock than the allowed drift.
    pub(crate) fn check_drift(&self, ms: u64) -> Result<()> {
        let wall = self.now_ms();
        let max = self.max_drift_ms();
        if ms > wall.saturating_add(max) {
            return Err(Error::new(
                ErrorKind::ClockDrift,
                format!(
                    "remote stamp is {} ms ahead of this clock (max drift {max} ms); refused",
                    ms - wall
                ),
            ));
        }
        Ok(())
    }
}

/// `stamp` if it sorts after `floor`, else the next stamp after `floor` issued by `stamp`'s node.
///
/// A local write must win over the value it replaces, whoever wrote that: another process
/// sharing the store (whose clock this engine never saw, and which may even share this node id)
/// or a replica whose merged stamp is ahead of this clock. Pure, so it may run inside a
/// transaction; the caller then moves the clock past the result with [`Store::hlc_witness`].
pub(crate) fn stamp_above(stamp: &Stamp, floor: Option<&Stamp>) -> Stamp {
    match floor {
        Some(f) if f >= stamp => {
            let (ms, logical) = match f.logical.checked_add(1) {
                Some(l) => (f.ms, l),
                None => (f.ms.saturating_add(1), 0),
            };
            Stamp {
                ms,
                logical,
                node: stamp.node.clone(),
            }
        }
        _ => stamp.clone(),
    }
}
