//! The LWW register of JSON values, ordered by (HLC stamp, node id); equal stamps with different
//! values resolve by the values' canonical bytes, so merge stays commutative.

use super::{canonical_json, CrdtState, Stamp};
use crate::error::Result;
use crate::store::Store;
use crate::value::Kind;
use serde::{Deserialize, Serialize};

/// The winning write, if any: its stamp and canonical JSON value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct RegState {
    entry: Option<(Stamp, String)>,
}

impl CrdtState for RegState {
    const KIND: Kind = Kind::CrdtRegister;

    fn merge(&mut self, other: &Self) -> Result<()> {
        if let Some(theirs) = &other.entry {
            let take = match &self.entry {
                None => true,
                Some(mine) => (&theirs.0, &theirs.1) > (&mine.0, &mine.1),
            };
            if take {
                self.entry = other.entry.clone();
            }
        }
        Ok(())
    }

    fn max_stamp_ms(&self) -> u64 {
        self.entry.as_ref().map_or(0, |(s, _)| s.ms)
    }
}

/// A last-writer-wins register of a JSON value at a key of your choice.
#[derive(Debug, Clone)]
pub struct CrdtRegister {
    store: Store,
    key: Vec<u8>,
}

impl Store {
    /// The LWW register CRDT at `key`.
    pub fn crdt_register(&self, key: &str) -> Result<CrdtRegister> {
        self.data_key(key.as_bytes())?;
        Ok(CrdtRegister {
            store: self.clone(),
            key: key.as_bytes().to_vec(),
        })
    }
}

impl CrdtRegister {
    /// Writes a JSON value (text), stamped by this node's clock.
    pub fn set(&self, json: &str) -> Result<()> {
        self.store
            .measured(crate::metrics::Op::CrdtRegisterSet, || {
                let value = canonical_json(json)?;
                crate::store::check_value(value.as_bytes())?;
                let now = self.store.hlc_now()?;
                let (stamp, _) = self.store.crdt_update::<RegState, Stamp>(&self.key, |s| {
                    let stamp = super::hlc::stamp_above(&now, s.entry.as_ref().map(|(st, _)| st));
                    s.entry = Some((stamp.clone(), value.clone()));
                    Ok(stamp)
                })?;
                self.store.hlc_witness(&stamp)
            })
    }

    /// The current value as canonical JSON text, or `None` when never set.
    pub fn get(&self) -> Result<Option<String>> {
        self.store
            .measured(crate::metrics::Op::CrdtRegisterGet, || {
                Ok(self
                    .store
                    .crdt_read::<RegState>(&self.key)?
                    .entry
                    .map(|(_, v)| v))
            })
    }

    /// The stamp of the current value.
    pub fn stamp(&self) -> Result<Option<Stamp>> {
        self.store
            .measured(crate::metrics::Op::CrdtRegisterStamp, || {
                Ok(self
                    .store
                    .crdt_read::<RegState>(&self.key)?
                    .entry
                    .map(|(s, _)| s))
            })
    }

    /// The versioned, type-tagged state bytes.
    pub fn state(&self) -> Result<Vec<u8>> {
        self.store
            .measured(crate::metrics::Op::CrdtRegisterState, || {
                self.store.crdt_state_bytes::<RegState>(&self.key)
            })
    }

    /// Merges state bytes from another replica; true if this one changed.
    pub fn merge(&self, state: &[u8]) -> Result<bool> {
        self.store
            .measured(crate::metrics::Op::CrdtRegisterMerge, || {
                self.store.crdt_merge_bytes::<RegState>(&self.key, state)
            })
    }
}
