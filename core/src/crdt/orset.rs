//! The add-wins observed-remove set (ORSWOT): each element carries the dots `(node, n)` of the
//! adds that produced it, and a version vector records every dot seen. A remove just drops the
//! element's dots; the version vector remembers they were seen, so metadata is bounded by
//! elements x nodes and does not grow with the number of removes.

use super::{canonical_json, CrdtState};
use crate::error::Result;
use crate::store::Store;
use crate::value::Kind;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

type Dot = (String, u64);

/// Version vector plus live elements (canonical JSON) with their dots.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct SetState {
    clock: BTreeMap<String, u64>,
    entries: BTreeMap<String, BTreeSet<Dot>>,
}

fn covered(clock: &BTreeMap<String, u64>, (node, n): &Dot) -> bool {
    clock.get(node).is_some_and(|c| c >= n)
}

impl CrdtState for SetState {
    const KIND: Kind = Kind::CrdtSet;

    fn merge(&mut self, other: &Self) -> Result<()> {
        let keys: BTreeSet<String> = self
            .entries
            .keys()
            .chain(other.entries.keys())
            .cloned()
            .collect();
        let empty = BTreeSet::new();
        let mut entries = BTreeMap::new();
        for e in keys {
            let mine = self.entries.get(&e).unwrap_or(&empty);
            let theirs = other.entries.get(&e).unwrap_or(&empty);
            // A dot survives if both sides have it, or if the side lacking it never saw it.
            let dots: BTreeSet<Dot> = mine
                .iter()
                .filter(|d| theirs.contains(*d) || !covered(&other.clock, d))
                .chain(
                    theirs
                        .iter()
                        .filter(|d| mine.contains(*d) || !covered(&self.clock, d)),
                )
                .cloned()
                .collect();
            if !dots.is_empty() {
                entries.insert(e, dots);
            }
        }
        for (node, n) in &other.clock {
            let c = self.clock.entry(node.clone()).or_default();
            *c = (*c).max(*n);
        }
        self.entries = entries;
        Ok(())
    }
}

/// An add-wins set of JSON values (identity: canonical JSON) at a key of your choice.
#[derive(Debug, Clone)]
pub struct CrdtSet {
    store: Store,
    key: Vec<u8>,
}

impl Store {
    /// The add-wins set CRDT at `key`.
    pub fn crdt_set(&self, key: &str) -> Result<CrdtSet> {
        self.data_key(key.as_bytes())?;
        Ok(CrdtSet {
            store: self.clone(),
            key: key.as_bytes().to_vec(),
        })
    }
}

impl CrdtSet {
    /// Adds a JSON value; wins over any concurrent remove that did not see this add.
    pub fn add(&self, json: &str) -> Result<()> {
        self.store.measured(crate::metrics::Op::CrdtSetAdd, || {
            let e = canonical_json(json)?;
            crate::store::check_value(e.as_bytes())?;
            let node = self.store.node_id().to_string();
            self.store.crdt_update::<SetState, ()>(&self.key, |s| {
                let n = s.clock.get(&node).copied().unwrap_or(0) + 1;
                s.clock.insert(node.clone(), n);
                s.entries
                    .insert(e.clone(), BTreeSet::from([(node.clone(), n)]));
                Ok(())
            })?;
            Ok(())
        })
    }

    /// Removes a value (the adds this replica has seen); true if it was present.
    pub fn remove(&self, json: &str) -> Result<bool> {
        self.store.measured(crate::metrics::Op::CrdtSetRemove, || {
            let e = canonical_json(json)?;
            let (had, _) = self
                .store
                .crdt_update::<SetState, bool>(&self.key, |s| Ok(s.entries.remove(&e).is_some()))?;
            Ok(had)
        })
    }

    /// Whether the value is present.
    pub fn contains(&self, json: &str) -> Result<bool> {
        self.store
            .measured(crate::metrics::Op::CrdtSetContains, || {
                let e = canonical_json(json)?;
                Ok(self
                    .store
                    .crdt_read::<SetState>(&self.key)?
                    .entries
                    .contains_key(&e))
            })
    }

    /// Every member as canonical JSON text, in canonical-text order.
    pub fn members(&self) -> Result<Vec<String>> {
        self.store.measured(crate::metrics::Op::CrdtSetMembers, || {
            Ok(self
                .store
                .crdt_read::<SetState>(&self.key)?
                .entries
                .into_keys()
                .collect())
        })
    }

    /// Number of members.
    pub fn len(&self) -> Result<u64> {
        self.store.measured(crate::metrics::Op::CrdtSetLen, || {
            Ok(self.store.crdt_read::<SetState>(&self.key)?.entries.len() as u64)
        })
    }

    /// Whether the set has no members.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// The versioned, type-tagged state bytes.
    pub fn state(&self) -> Result<Vec<u8>> {
        self.store.measured(crate::metrics::Op::CrdtSetState, || {
            self.store.crdt_state_bytes::<SetState>(&self.key)
        })
    }

    /// Merges state bytes from another replica; true if this one changed.
    pub fn merge(&self, state: &[u8]) -> Result<bool> {
        self.store.measured(crate::metrics::Op::CrdtSetMerge, || {
            self.store.crdt_merge_bytes::<SetState>(&self.key, state)
        })
    }
}
