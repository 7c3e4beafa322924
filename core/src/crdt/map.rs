//! The map of independent LWW fields. A delete writes a stamped tombstone, so an older set made
//! concurrently elsewhere cannot bring the field back. Tombstones are never reclaimed: dropping
//! one safely needs proof that every replica has seen it, which Grove does not track, and a
//! dropped tombstone is exactly what would let an old set resurrect the field.

use super::{canonical_json, CrdtState, Stamp};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::value::Kind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Each field's winning write: its stamp and canonical JSON value, or `None` for a tombstone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct MapState {
    fields: BTreeMap<String, (Stamp, Option<String>)>,
}

/// Order of two writes to one field: stamp first, then the value bytes (a tombstone lowest).
fn wins(a: &(Stamp, Option<String>), b: &(Stamp, Option<String>)) -> bool {
    (&a.0, a.1.as_deref().unwrap_or("")) > (&b.0, b.1.as_deref().unwrap_or(""))
}

impl CrdtState for MapState {
    const KIND: Kind = Kind::CrdtMap;

    fn merge(&mut self, other: &Self) -> Result<()> {
        for (field, theirs) in &other.fields {
            match self.fields.get(field) {
                Some(mine) if !wins(theirs, mine) => {}
                _ => {
                    self.fields.insert(field.clone(), theirs.clone());
                }
            }
        }
        Ok(())
    }

    fn max_stamp_ms(&self) -> u64 {
        self.fields.values().map(|(s, _)| s.ms).max().unwrap_or(0)
    }
}

/// A map of independent last-writer-wins fields holding JSON values, at a key of your choice.
#[derive(Debug, Clone)]
pub struct CrdtMap {
    store: Store,
    key: Vec<u8>,
}

impl Store {
    /// The LWW-map CRDT at `key`.
    pub fn crdt_map(&self, key: &str) -> Result<CrdtMap> {
        self.data_key(key.as_bytes())?;
        Ok(CrdtMap {
            store: self.clone(),
            key: key.as_bytes().to_vec(),
        })
    }
}

fn check_field(field: &str) -> Result<()> {
    if field.is_empty() {
        return Err(Error::invalid("map field name is empty"));
    }
    crate::store::check_key(field.as_bytes())
}

impl CrdtMap {
    fn write(&self, field: &str, value: Option<String>) -> Result<bool> {
        check_field(field)?;
        let now = self.store.hlc_now()?;
        let ((was_live, stamp), _) =
            self.store
                .crdt_update::<MapState, (bool, Stamp)>(&self.key, |s| {
                    let old = s.fields.get(field);
                    let was = matches!(old, Some((_, Some(_))));
                    let stamp = super::hlc::stamp_above(&now, old.map(|(st, _)| st));
                    s.fields
                        .insert(field.to_string(), (stamp.clone(), value.clone()));
                    Ok((was, stamp))
                })?;
        self.store.hlc_witness(&stamp)?;
        Ok(was_live)
    }

    /// Sets `field` to a JSON value (text).
    pub fn set(&self, field: &str, json: &str) -> Result<()> {
        self.store.measured(crate::metrics::Op::CrdtMapSet, || {
            let v = canonical_json(json)?;
            crate::store::check_value(v.as_bytes())?;
            self.write(field, Some(v)).map(|_| ())
        })
    }

    /// Deletes `field` with a tombstone; true if it had a value.
    pub fn delete(&self, field: &str) -> Result<bool> {
        self.store.measured(crate::metrics::Op::CrdtMapDelete, || {
            self.write(field, None)
        })
    }

    /// The value of `field` as canonical JSON text, or `None`.
    pub fn get(&self, field: &str) -> Result<Option<String>> {
        self.store.measured(crate::metrics::Op::CrdtMapGet, || {
            check_field(field)?;
            Ok(self
                .store
                .crdt_read::<MapState>(&self.key)?
                .fields
                .remove(field)
                .and_then(|(_, v)| v))
        })
    }

    /// Names of the fields that have a value, in order.
    pub fn keys(&self) -> Result<Vec<String>> {
        self.store.measured(crate::metrics::Op::CrdtMapKeys, || {
            Ok(self.all()?.into_iter().map(|(k, _)| k).collect())
        })
    }

    /// Every field with a value, as `(name, canonical JSON)` in name order.
    pub fn all(&self) -> Result<Vec<(String, String)>> {
        self.store.measured(crate::metrics::Op::CrdtMapAll, || {
            Ok(self
                .store
                .crdt_read::<MapState>(&self.key)?
                .fields
                .into_iter()
                .filter_map(|(k, (_, v))| v.map(|v| (k, v)))
                .collect())
        })
    }

    /// The versioned, type-tagged state bytes.
    pub fn state(&self) -> Result<Vec<u8>> {
        self.store.measured(crate::metrics::Op::CrdtMapState, || {
            self.store.crdt_state_bytes::<MapState>(&self.key)
        })
    }

    /// Merges state bytes from another replica; true if this one changed.
    pub fn merge(&self, state: &[u8]) -> Result<bool> {
        self.store.measured(crate::metrics::Op::CrdtMapMerge, || {
            self.store.crdt_merge_bytes::<MapState>(&self.key, state)
        })
    }
}
