//! Native halves of the CRDTs (PN-counter, LWW register, add-wins set, LWW map) and of
//! replication (`sync`, `exportChanges`, `applyChanges`). Values cross as JSON text: index.js
//! encodes with its JSON codec and parses what comes back; the core canonicalizes. As in
//! `coord.rs`, every method checks that its store is still open first, so anything made from a
//! closed store throws code `Closed`. 64-bit numbers come back as a number when exact, else as
//! a bigint; index.js applies the number policy (RangeError or `{ bigint: true }`).

use crate::coord::{open_check, u64_out, whole};
use crate::{guard, Result};
use grove_core::{CrdtCounter, CrdtMap, CrdtRegister, CrdtSet, ErrorKind, Store, SyncReport};
use napi::bindgen_prelude::{BigInt, Buffer, Either};
use napi_derive::napi;

/// Largest integer a JS number holds exactly (2^53 - 1).
const MAX_SAFE: i64 = (1 << 53) - 1;

fn invalid(msg: impl Into<String>) -> grove_core::Error {
    grove_core::Error::new(ErrorKind::InvalidArgument, msg.into())
}

/// A signed 64-bit result: a number when it is a safe integer, otherwise an exact bigint.
pub(crate) fn i64_out(v: i64) -> Either<f64, BigInt> {
    if (-MAX_SAFE..=MAX_SAFE).contains(&v) {
        Either::A(v as f64)
    } else {
        Either::B(BigInt::from(v))
    }
}

/// An unsigned 64-bit argument: a safe-integer number or a bigint (index.js range-checks it).
pub(crate) fn u64_arg(v: &Either<f64, BigInt>, what: &str) -> grove_core::Result<u64> {
    match v {
        Either::A(n) => whole(*n, what),
        Either::B(b) => match b.get_u64() {
            (false, v, true) => Ok(v),
            _ => Err(invalid(format!(
                "{what} must be a whole number from 0 to 2^64-1"
            ))),
        },
    }
}

/// A signed 64-bit argument: a safe-integer number or a bigint (index.js range-checks it).
pub(crate) fn i64_arg(v: &Either<f64, BigInt>, what: &str) -> grove_core::Result<i64> {
    match v {
        Either::A(n) => {
            if n.fract() == 0.0 && (-(MAX_SAFE as f64)..=MAX_SAFE as f64).contains(n) {
                Ok(*n as i64)
            } else {
                Err(invalid(format!(
                    "{what} must be an integer within ±(2^53-1) (or a bigint), got {n}"
                )))
            }
        }
        Either::B(b) => match b.get_i64() {
            (v, true) => Ok(v),
            _ => Err(invalid(format!(
                "{what} does not fit in a signed 64-bit integer"
            ))),
        },
    }
}

/// What a sync or an `applyChanges` did (counts of keys).
#[napi(object)]
pub struct NativeSyncReport {
    /// Keys this side received that it did not have.
    pub pulled: f64,
    /// Keys the other side received that it did not have (0 for `applyChanges`).
    pub pushed: f64,
    /// Keys both sides had whose merge changed at least one side.
    pub merged: f64,
}

impl From<SyncReport> for NativeSyncReport {
    fn from(r: SyncReport) -> Self {
        NativeSyncReport {
            pulled: r.pulled as f64,
            pushed: r.pushed as f64,
            merged: r.merged as f64,
        }
    }
}

/// What `exportChanges` returns.
#[napi(object)]
pub struct NativeChanges {
    /// The bundle: bytes any transport can carry, for `applyChanges` on another store.
    pub data: Buffer,
    /// The cursor to pass as `since` next time (a bigint only past 2^53-1).
    pub cursor: Either<f64, BigInt>,
}

/// A node's `(increments, decrements)`, as `contributions` returns it.
#[napi(object)]
pub struct NativeContribution {
    /// The node id.
    pub node: String,
    /// Its increments (a bigint only past 2^53-1).
    pub positive: Either<f64, BigInt>,
    /// Its decrements (a bigint only past 2^53-1).
    pub negative: Either<f64, BigInt>,
}

/// A map field with its value as canonical JSON text, as `CrdtMap.all` returns it.
#[napi(object)]
pub struct NativeField {
    /// The field name.
    pub field: String,
    /// Its value as canonical JSON text.
    pub json: String,
}

// ---- store-side functions (called from `NativeStore` in lib.rs) ----

/// `crdtCounter(key)`: the PN-counter at `key`.
pub(crate) fn counter(store: &Store, key: &str) -> Result<NativeCrdtCounter> {
    guard(|| {
        open_check(store)?;
        Ok(NativeCrdtCounter {
            inner: store.crdt_counter(key)?,
            store: store.clone(),
        })
    })
}

/// `crdtRegister(key)`: the LWW register at `key`.
pub(crate) fn register(store: &Store, key: &str) -> Result<NativeCrdtRegister> {
    guard(|| {
        open_check(store)?;
        Ok(NativeCrdtRegister {
            inner: store.crdt_register(key)?,
            store: store.clone(),
        })
    })
}

/// `crdtSet(key)`: the add-wins set at `key`.
pub(crate) fn set(store: &Store, key: &str) -> Result<NativeCrdtSet> {
    guard(|| {
        open_check(store)?;
        Ok(NativeCrdtSet {
            inner: store.crdt_set(key)?,
            store: store.clone(),
        })
    })
}

/// `crdtMap(key)`: the map of LWW fields at `key`.
pub(crate) fn map(store: &Store, key: &str) -> Result<NativeCrdtMap> {
    guard(|| {
        open_check(store)?;
        Ok(NativeCrdtMap {
            inner: store.crdt_map(key)?,
            store: store.clone(),
        })
    })
}

/// `grovekv.sync(a, b)`: merges every CRDT both ways; both handles must be open.
pub(crate) fn sync(a: &Store, b: &Store) -> Result<NativeSyncReport> {
    guard(|| {
        open_check(a)?;
        open_check(b)?;
        Ok(grove_core::sync(a, b)?.into())
    })
}

/// `exportChanges(since)`: the cursor travels as a number or BigInt, as u64s do in this door.
pub(crate) fn export_changes(store: &Store, since: &Either<f64, BigInt>) -> Result<NativeChanges> {
    guard(|| {
        open_check(store)?;
        let (data, cursor) = store.export_changes(u64_arg(since, "since")?)?;
        Ok(NativeChanges {
            data: Buffer::from(data),
            cursor: u64_out(cursor),
        })
    })
}

/// `applyChanges(data)`: merges another store's exported changes.
pub(crate) fn apply_changes(store: &Store, data: &[u8]) -> Result<NativeSyncReport> {
    guard(|| {
        open_check(store)?;
        Ok(store.apply_changes(data)?.into())
    })
}

/// `setMaxDrift(secs)`: how far ahead a remote stamp may be, for every handle of the engine.
pub(crate) fn set_max_drift(store: &Store, secs: f64) -> Result<()> {
    guard(|| {
        open_check(store)?;
        store.set_max_drift(max_drift(secs)?);
        Ok(())
    })
}

/// A max drift in seconds from JS, by the core's rule for durations.
pub(crate) fn max_drift(secs: f64) -> grove_core::Result<std::time::Duration> {
    grove_core::duration_from_secs("maxDrift", secs)
}

// ---- the CRDT handles ----

/// A PN-counter CRDT (native half of `CrdtCounter` in index.js).
#[napi]
pub struct NativeCrdtCounter {
    /// The Rust PN-counter this object wraps.
    pub(crate) inner: CrdtCounter,
    /// The store it came from: each call checks that handle is still open (`Closed` otherwise).
    pub(crate) store: Store,
}

#[napi]
impl NativeCrdtCounter {
    /// Adds `n` (>= 0) to this node's increments; returns the new value.
    #[napi]
    pub fn increment(&self, n: Either<f64, BigInt>) -> Result<Either<f64, BigInt>> {
        guard(|| {
            open_check(&self.store)?;
            Ok(i64_out(self.inner.increment(u64_arg(&n, "n")?)?))
        })
    }

    /// Adds `n` (>= 0) to this node's decrements; returns the new value.
    #[napi]
    pub fn decrement(&self, n: Either<f64, BigInt>) -> Result<Either<f64, BigInt>> {
        guard(|| {
            open_check(&self.store)?;
            Ok(i64_out(self.inner.decrement(u64_arg(&n, "n")?)?))
        })
    }

    /// Adds a signed amount (an increment or a decrement); returns the new value.
    #[napi]
    pub fn add(&self, delta: Either<f64, BigInt>) -> Result<Either<f64, BigInt>> {
        guard(|| {
            open_check(&self.store)?;
            Ok(i64_out(self.inner.add(i64_arg(&delta, "delta")?)?))
        })
    }

    /// Sum of increments minus sum of decrements over all nodes.
    #[napi]
    pub fn value(&self) -> Result<Either<f64, BigInt>> {
        guard(|| {
            open_check(&self.store)?;
            Ok(i64_out(self.inner.value()?))
        })
    }

    /// `[increments, decrements]` summed over all nodes.
    #[napi]
    pub fn totals(&self) -> Result<Vec<Either<f64, BigInt>>> {
        guard(|| {
            open_check(&self.store)?;
            let (p, n) = self.inner.totals()?;
            Ok(vec![u64_out(p), u64_out(n)])
        })
    }

    /// Each node's increments and decrements, by node id.
    #[napi]
    pub fn contributions(&self) -> Result<Vec<NativeContribution>> {
        guard(|| {
            open_check(&self.store)?;
            Ok(self
                .inner
                .contributions()?
                .into_iter()
                .map(|(node, (p, n))| NativeContribution {
                    node,
                    positive: u64_out(p),
                    negative: u64_out(n),
                })
                .collect())
        })
    }

    /// Makes this node's net contribution 0 by a monotone update; returns the new value.
    #[napi]
    pub fn reset_local(&self) -> Result<Either<f64, BigInt>> {
        guard(|| {
            open_check(&self.store)?;
            Ok(i64_out(self.inner.reset_local()?))
        })
    }

    /// The versioned, type-tagged state bytes.
    #[napi]
    pub fn state(&self) -> Result<Buffer> {
        guard(|| {
            open_check(&self.store)?;
            Ok(Buffer::from(self.inner.state()?))
        })
    }

    /// Merges state bytes from another replica; true if this one changed.
    #[napi]
    pub fn merge(&self, state: Buffer) -> Result<bool> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.merge(&state)
        })
    }
}

/// A last-writer-wins register of a JSON value (native half of `CrdtRegister` in index.js).
#[napi]
pub struct NativeCrdtRegister {
    /// The Rust LWW register this object wraps.
    pub(crate) inner: CrdtRegister,
    /// The store it came from: each call checks that handle is still open (`Closed` otherwise).
    pub(crate) store: Store,
}

#[napi]
impl NativeCrdtRegister {
    /// Writes a JSON value (text), stamped by this node's clock.
    #[napi]
    pub fn set(&self, json: String) -> Result<()> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.set(&json)
        })
    }

    /// The current value as canonical JSON text, or null when never set.
    #[napi]
    pub fn get(&self) -> Result<Option<String>> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.get()
        })
    }

    /// The versioned, type-tagged state bytes.
    #[napi]
    pub fn state(&self) -> Result<Buffer> {
        guard(|| {
            open_check(&self.store)?;
            Ok(Buffer::from(self.inner.state()?))
        })
    }

    /// Merges state bytes from another replica; true if this one changed.
    #[napi]
    pub fn merge(&self, state: Buffer) -> Result<bool> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.merge(&state)
        })
    }
}

/// An add-wins set of JSON values (native half of `CrdtSet` in index.js).
#[napi]
pub struct NativeCrdtSet {
    /// The Rust add-wins set this object wraps.
    pub(crate) inner: CrdtSet,
    /// The store it came from: each call checks that handle is still open (`Closed` otherwise).
    pub(crate) store: Store,
}

#[napi]
impl NativeCrdtSet {
    /// Adds a JSON value (text).
    #[napi]
    pub fn add(&self, json: String) -> Result<()> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.add(&json)
        })
    }

    /// Removes a value (the adds this replica has seen); true if it was present.
    #[napi]
    pub fn remove(&self, json: String) -> Result<bool> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.remove(&json)
        })
    }

    /// Whether the value is present.
    #[napi]
    pub fn contains(&self, json: String) -> Result<bool> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.contains(&json)
        })
    }

    /// Every member as canonical JSON text, in canonical-text order.
    #[napi]
    pub fn members(&self) -> Result<Vec<String>> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.members()
        })
    }

    /// Number of members.
    #[napi]
    pub fn len(&self) -> Result<f64> {
        guard(|| {
            open_check(&self.store)?;
            Ok(self.inner.len()? as f64)
        })
    }

    /// The versioned, type-tagged state bytes.
    #[napi]
    pub fn state(&self) -> Result<Buffer> {
        guard(|| {
            open_check(&self.store)?;
            Ok(Buffer::from(self.inner.state()?))
        })
    }

    /// Merges state bytes from another replica; true if this one changed.
    #[napi]
    pub fn merge(&self, state: Buffer) -> Result<bool> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.merge(&state)
        })
    }
}

/// A map of independent LWW fields holding JSON values (native half of `CrdtMap` in index.js).
#[napi]
pub struct NativeCrdtMap {
    /// The Rust LWW map this object wraps.
    pub(crate) inner: CrdtMap,
    /// The store it came from: each call checks that handle is still open (`Closed` otherwise).
    pub(crate) store: Store,
}

#[napi]
impl NativeCrdtMap {
    /// Sets `field` to a JSON value (text).
    #[napi]
    pub fn set(&self, field: String, json: String) -> Result<()> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.set(&field, &json)
        })
    }

    /// The value of `field` as canonical JSON text, or null.
    #[napi]
    pub fn get(&self, field: String) -> Result<Option<String>> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.get(&field)
        })
    }

    /// Deletes `field` with a tombstone; true if it had a value.
    #[napi]
    pub fn delete(&self, field: String) -> Result<bool> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.delete(&field)
        })
    }

    /// Names of the fields that have a value, in order.
    #[napi]
    pub fn keys(&self) -> Result<Vec<String>> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.keys()
        })
    }

    /// Every field with a value, in name order.
    #[napi]
    pub fn all(&self) -> Result<Vec<NativeField>> {
        guard(|| {
            open_check(&self.store)?;
            Ok(self
                .inner
                .all()?
                .into_iter()
                .map(|(field, json)| NativeField { field, json })
                .collect())
        })
    }

    /// The versioned, type-tagged state bytes.
    #[napi]
    pub fn state(&self) -> Result<Buffer> {
        guard(|| {
            open_check(&self.store)?;
            Ok(Buffer::from(self.inner.state()?))
        })
    }

    /// Merges state bytes from another replica; true if this one changed.
    #[napi]
    pub fn merge(&self, state: Buffer) -> Result<bool> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.merge(&state)
        })
    }
}
