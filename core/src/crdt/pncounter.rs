//! The PN-counter: per-node unsigned increment and decrement totals, merged by per-node maximum.

use super::CrdtState;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::value::Kind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Per-node `(increments, decrements)`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct PnState {
    nodes: BTreeMap<String, (u64, u64)>,
}

impl CrdtState for PnState {
    const KIND: Kind = Kind::CrdtCounter;

    /// Per-node maximum. Refused with `Overflow`, changing nothing, when the merged counter's
    /// totals or value would leave the ranges [`CrdtCounter::value`] and
    /// [`CrdtCounter::totals`] report in: accepting it would leave a counter no one can read
    /// (and every sync would spread it), just as `increment` refuses to go past them.
    fn merge(&mut self, other: &Self) -> Result<()> {
        let mut merged = self.nodes.clone();
        for (node, (p, n)) in &other.nodes {
            let mine = merged.entry(node.clone()).or_default();
            mine.0 = mine.0.max(*p);
            mine.1 = mine.1.max(*n);
        }
        let merged = PnState { nodes: merged };
        merged.value().map_err(|e| {
            Error::overflow(format!(
                "merging this counter state would overflow it ({}); nothing was merged",
                e.message()
            ))
        })?;
        *self = merged;
        Ok(())
    }
}

impl PnState {
    fn totals(&self) -> Result<(u64, u64)> {
        let (p, n) = self.nodes.values().fold((0u128, 0u128), |(p, n), (a, b)| {
            (p + *a as u128, n + *b as u128)
        });
        match (u64::try_from(p), u64::try_from(n)) {
            (Ok(p), Ok(n)) => Ok((p, n)),
            _ => Err(Error::overflow("counter totals exceed 64 bits")),
        }
    }

    fn value(&self) -> Result<i64> {
        let (p, n) = self.totals()?;
        i64::try_from(p as i128 - n as i128)
            .map_err(|_| Error::overflow("counter value leaves the signed 64-bit range"))
    }
}

/// A PN-counter CRDT at a key of your choice; replicas merge without coordination.
#[derive(Debug, Clone)]
pub struct CrdtCounter {
    store: Store,
    key: Vec<u8>,
}

impl Store {
    /// The PN-counter CRDT at `key`.
    pub fn crdt_counter(&self, key: &str) -> Result<CrdtCounter> {
        self.data_key(key.as_bytes())?;
        Ok(CrdtCounter {
            store: self.clone(),
            key: key.as_bytes().to_vec(),
        })
    }
}

impl CrdtCounter {
    fn change(&self, inc: u64, dec: u64) -> Result<i64> {
        let node = self.store.node_id().to_string();
        let (v, _) = self.store.crdt_update::<PnState, i64>(&self.key, |s| {
            let mine = s.nodes.entry(node.clone()).or_default();
            let p = mine
                .0
                .checked_add(inc)
                .ok_or_else(|| Error::overflow("this node's increments exceed 64 bits"))?;
            let n = mine
                .1
                .checked_add(dec)
                .ok_or_else(|| Error::overflow("this node's decrements exceed 64 bits"))?;
            *mine = (p, n);
            s.value()
        })?;
        Ok(v)
    }

    /// Adds `n` to this node's increments; returns the new value.
    pub fn increment(&self, n: u64) -> Result<i64> {
        self.store
            .measured(crate::metrics::Op::CrdtCounterIncrement, || {
                self.change(n, 0)
            })
    }

    /// Adds `n` to this node's decrements; returns the new value.
    pub fn decrement(&self, n: u64) -> Result<i64> {
        self.store
            .measured(crate::metrics::Op::CrdtCounterDecrement, || {
                self.change(0, n)
            })
    }

    /// Adds a signed amount (an increment or a decrement); returns the new value.
    pub fn add(&self, delta: i64) -> Result<i64> {
        self.store.measured(crate::metrics::Op::CrdtCounterAdd, || {
            if delta >= 0 {
                self.change(delta as u64, 0)
            } else {
                self.change(0, delta.unsigned_abs())
            }
        })
    }

    /// Sum of increments minus sum of decrements over all nodes.
    pub fn value(&self) -> Result<i64> {
        self.store
            .measured(crate::metrics::Op::CrdtCounterValue, || {
                self.store.crdt_read::<PnState>(&self.key)?.value()
            })
    }

    /// `(increments, decrements)` summed over all nodes.
    pub fn totals(&self) -> Result<(u64, u64)> {
        self.store
            .measured(crate::metrics::Op::CrdtCounterTotals, || {
                self.store.crdt_read::<PnState>(&self.key)?.totals()
            })
    }

    /// Each node's `(increments, decrements)`.
    pub fn contributions(&self) -> Result<BTreeMap<String, (u64, u64)>> {
        self.store
            .measured(crate::metrics::Op::CrdtCounterContributions, || {
                Ok(self.store.crdt_read::<PnState>(&self.key)?.nodes)
            })
    }

    /// Makes this node's net contribution 0 by raising its smaller total to the larger one: a
    /// monotone update, so it survives merges (unlike zeroing, which a merge would undo).
    pub fn reset_local(&self) -> Result<i64> {
        self.store
            .measured(crate::metrics::Op::CrdtCounterResetLocal, || {
                let node = self.store.node_id().to_string();
                let (v, _) = self.store.crdt_update::<PnState, i64>(&self.key, |s| {
                    if let Some(mine) = s.nodes.get_mut(&node) {
                        let top = mine.0.max(mine.1);
                        *mine = (top, top);
                    }
                    s.value()
                })?;
                Ok(v)
            })
    }

    /// The versioned, type-tagged state bytes.
    pub fn state(&self) -> Result<Vec<u8>> {
        self.store
            .measured(crate::metrics::Op::CrdtCounterState, || {
                self.store.crdt_state_bytes::<PnState>(&self.key)
            })
    }

    /// Merges state bytes from another replica; true if this one changed.
    pub fn merge(&self, state: &[u8]) -> Result<bool> {
        self.store
            .measured(crate::metrics::Op::CrdtCounterMerge, || {
                self.store.crdt_merge_bytes::<PnState>(&self.key, state)
            })
    }
}
