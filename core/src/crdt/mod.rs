//! CRDTs stored in Grove: a PN-counter, an LWW register, an add-wins set and a map of LWW fields,
//! ordered by a hybrid logical clock, encoded as versioned, type-tagged bytes, with a change log
//! that lets `export_changes` send only what changed since a cursor.
//!
//! Stored value of a CRDT key: the envelope (kind) around `[change seq: u64 BE][state bytes]`.
//! State bytes: `b"GRV"`, format version, kind tag, then the postcard encoding of the state.
//!
//! Change tracking costs no extra write: each change stamps the key's value with a fresh
//! sequence number, in the same compare-and-swap as the state, so the two can never disagree
//! after a crash. `export_changes` answers from an in-memory index (sequence -> key) built from
//! the stored values the first time it is needed after open and kept current by every change.
//! Sequence numbers are reserved in blocks whose high-water mark is persisted before use, so a
//! cursor handed out before a restart stays valid after it.
//!
//! That in-memory bookkeeping is only true while this engine is the store's only writer (sled).
//! On a store other processes share (lmdb, and the memory engine, which models it), nothing of it
//! is kept in memory: each change takes its number from the stored `mseq` inside the same
//! transaction as the state, so numbers are unique across processes and land in order, and a
//! stored change record `mchg<seq>` -> key replaces the index. `export_changes` reads `mseq`
//! first, then the records above the cursor: every change numbered up to it has landed.

pub(crate) mod hlc;
pub(crate) mod map;
pub(crate) mod orset;
pub(crate) mod pncounter;
pub(crate) mod register;

use crate::backend::Write;
use crate::error::{Error, ErrorKind, Result};
use crate::store::{Store, DATA_MARKER};
use crate::value::{encode, Entry, Kind};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::collections::{hash_map::Entry as MapEntry, BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;

pub use hlc::Stamp;

const MAGIC: &[u8; 3] = b"GRV";
/// Version of the state encoding written by this build.
pub const STATE_VERSION: u8 = 1;
const BUNDLE_MAGIC: &[u8; 4] = b"GRVX";
const BUNDLE_VERSION: u8 = 1;
/// Private metadata key of the persisted change-sequence high-water mark.
pub(crate) const SEQ_KEY: &[u8] = b"mseq";
/// Sequence numbers reserved per persisted high-water mark.
const SEQ_BLOCK: u64 = 1 << 20;
/// Private prefix of the stored change records of a shared store: `mchg<seq BE>` -> physical key.
const CHANGE_PREFIX: &[u8] = b"mchg";
/// Change records read per page by `export_changes` on a shared store.
const CHANGE_PAGE: usize = 1024;

/// The stored change record of sequence number `seq`.
fn change_key(seq: u64) -> Vec<u8> {
    let mut k = CHANGE_PREFIX.to_vec();
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// A stored sequence number (`mseq`), 0 when absent.
fn stored_seq(raw: Option<Vec<u8>>) -> Result<u64> {
    match raw {
        None => Ok(0),
        Some(v) => {
            Ok(u64::from_be_bytes(v.as_slice().try_into().map_err(
                |_| Error::corrupt("stored change sequence is malformed"),
            )?))
        }
    }
}

/// Engine-wide change tracking of CRDT keys.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    /// Last sequence number handed out, and the persisted limit of the current block.
    last: u64,
    reserved: u64,
    /// Sequence numbers handed out whose writes have not finished yet.
    in_flight: BTreeSet<u64>,
    /// Latest sequence per CRDT key (physical), built lazily.
    index: Option<ChangeIndex>,
}

impl Changes {
    /// Tracking that resumes above a persisted high-water mark.
    pub(crate) fn starting_at(hwm: u64) -> Changes {
        Changes {
            last: hwm,
            reserved: hwm,
            ..Changes::default()
        }
    }
}

#[derive(Debug, Default)]
struct ChangeIndex {
    by_seq: BTreeMap<u64, Vec<u8>>,
    by_key: HashMap<Vec<u8>, u64>,
}

impl ChangeIndex {
    /// Records that `pk` changed at `seq` (ignored if a later change is already known).
    fn note(&mut self, pk: &[u8], seq: u64) {
        if let Some(&old) = self.by_key.get(pk) {
            if old >= seq {
                return;
            }
            self.by_seq.remove(&old);
        }
        self.by_key.insert(pk.to_vec(), seq);
        self.by_seq.insert(seq, pk.to_vec());
    }
}

/// A replicated data type as stored: mergeable, encodable, with the stamps its merge trusts.
pub(crate) trait CrdtState:
    Serialize + DeserializeOwned + Default + Clone + PartialEq + std::fmt::Debug
{
    const KIND: Kind;
    /// Folds `other` into `self` (commutative, associative, idempotent).
    fn merge(&mut self, other: &Self) -> Result<()>;
    /// The latest physical time (ms) among its stamps, for the drift check of remote states.
    fn max_stamp_ms(&self) -> u64 {
        0
    }
}

/// Encodes a state as versioned, type-tagged bytes.
pub(crate) fn encode_state<S: CrdtState>(s: &S) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(MAGIC);
    out.push(STATE_VERSION);
    out.push(S::KIND as u8);
    out.extend(postcard::to_allocvec(s).expect("CRDT states always serialize"));
    out
}

/// The kind of a state's bytes, after checking magic and version.
pub(crate) fn state_kind(bytes: &[u8]) -> Result<Kind> {
    if bytes.len() < 5 || &bytes[..3] != MAGIC {
        return Err(Error::corrupt("not a Grove CRDT state (bad magic)"));
    }
    if bytes[3] != STATE_VERSION {
        return Err(Error::corrupt(format!(
            "CRDT state format version {} is not supported (this build reads {STATE_VERSION})",
            bytes[3]
        )));
    }
    match Kind::from_tag(bytes[4]) {
        Some(k @ (Kind::CrdtCounter | Kind::CrdtRegister | Kind::CrdtSet | Kind::CrdtMap)) => Ok(k),
        _ => Err(Error::corrupt(format!(
            "unknown CRDT type tag {}",
            bytes[4]
        ))),
    }
}

/// Decodes state bytes of type `S`: another CRDT type is `WrongType`, never an empty value.
pub(crate) fn decode_state<S: CrdtState>(bytes: &[u8]) -> Result<S> {
    let kind = state_kind(bytes)?;
    if kind != S::KIND {
        return Err(Error::new(
            ErrorKind::WrongType,
            format!("state is a {}, not a {}", kind.name(), S::KIND.name()),
        ));
    }
    let (s, rest) = postcard::take_from_bytes::<S>(&bytes[5..])
        .map_err(|e| Error::corrupt(format!("malformed {} state: {e}", kind.name())))?;
    if !rest.is_empty() {
        return Err(Error::corrupt("trailing bytes after CRDT state"));
    }
    Ok(s)
}

/// Splits a stored CRDT payload into its change sequence number and state bytes.
fn split_payload(payload: &[u8]) -> Result<(u64, &[u8])> {
    if payload.len() < 8 {
        return Err(Error::corrupt("CRDT value too short"));
    }
    let seq = u64::from_be_bytes(payload[..8].try_into().expect("length checked"));
    Ok((seq, &payload[8..]))
}

/// Canonical JSON text of a JSON document: sorted keys, no whitespace, integers as integers and
/// other numbers in their shortest float spelling (`1e2` and `100.0` are one value). An integer
/// outside the 64-bit range is `InvalidArgument`: it would otherwise be rounded silently.
pub fn canonical_json(text: &str) -> Result<String> {
    let mut v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| Error::invalid(format!("not valid JSON: {e}")))?;
    canonical_numbers(&mut v)?;
    Ok(v.to_string())
}

fn canonical_numbers(v: &mut serde_json::Value) -> Result<()> {
    use serde_json::{Number, Value};
    match v {
        Value::Number(n) => {
            let canon = if let Some(i) = n.as_i64() {
                Number::from(i)
            } else if let Some(u) = n.as_u64() {
                Number::from(u)
            } else {
                let text = n.to_string();
                if !text.contains(['.', 'e', 'E']) {
                    return Err(Error::invalid(format!(
                        "integer {text} is outside the 64-bit range"
                    )));
                }
                n.as_f64()
                    .filter(|f| f.is_finite())
                    .and_then(Number::from_f64)
                    .ok_or_else(|| {
                        Error::invalid(format!("number {text} is not a finite double"))
                    })?
            };
            *n = canon;
        }
        Value::Array(items) => items.iter_mut().try_for_each(canonical_numbers)?,
        Value::Object(map) => map.values_mut().try_for_each(canonical_numbers)?,
        _ => {}
    }
    Ok(())
}

/// What a sync or an `apply_changes` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncReport {
    /// Keys this side received that it did not have.
    pub pulled: u64,
    /// Keys the other side received that it did not have (0 for `apply_changes`).
    pub pushed: u64,
    /// Keys both sides had, whose merge changed at least one side.
    pub merged: u64,
}

impl Store {
    /// A fresh change sequence number, registered as in flight.
    fn begin_change(&self) -> Result<u64> {
        let mut ch = self.changes().lock();
        let seq = ch.last.checked_add(1).ok_or_else(|| {
            Error::corrupt("CRDT change sequence numbers are exhausted (corrupt store metadata?)")
        })?;
        if seq > ch.reserved {
            let hwm = seq.saturating_add(SEQ_BLOCK);
            self.backend()?
                .insert(SEQ_KEY, hwm.to_be_bytes().to_vec())?;
            ch.reserved = hwm;
        }
        ch.last = seq;
        ch.in_flight.insert(seq);
        Ok(seq)
    }

    /// Makes the next change sequence number larger than `seq`, one found stored on a key.
    fn skip_changes_past(&self, seq: u64) -> Result<()> {
        if seq == u64::MAX {
            return Err(Error::corrupt(
                "CRDT value has the largest change sequence number",
            ));
        }
        let mut ch = self.changes().lock();
        ch.last = ch.last.max(seq);
        Ok(())
    }

    /// Ends the changes `seqs`; `landed` is the key and sequence that was written, if any.
    fn end_change(&self, seqs: &[u64], landed: Option<(&[u8], u64)>) {
        let mut ch = self.changes().lock();
        for s in seqs {
            ch.in_flight.remove(s);
        }
        if let (Some(ix), Some((pk, seq))) = (ch.index.as_mut(), landed) {
            ix.note(pk, seq);
        }
    }

    /// Reads the state at `key` (default when absent), lets `f` change it, and writes it back
    /// stamped with a new change sequence if it changed. Returns `f`'s output and whether it
    /// changed. `f` may run several times.
    pub(crate) fn crdt_update<S: CrdtState, T>(
        &self,
        key: &[u8],
        mut f: impl FnMut(&mut S) -> Result<T>,
    ) -> Result<(T, bool)> {
        let pk = self.data_key(key)?;
        if !self.exclusive() {
            return self.crdt_update_shared(key, &pk, f);
        }
        let mut seqs = Vec::new();
        let result = loop {
            // Allocated outside any backend lock; a key's stored sequence only ever grows, so a
            // write that raced past this one sends us round again with a newer number.
            let seq = match self.begin_change() {
                Ok(seq) => seq,
                Err(e) => break Err(e),
            };
            seqs.push(seq);
            // The stored sequence when it is not below ours (the attempt is stale).
            let mut stale = None;
            let res = self.update_entry(&pk, |cur| {
                stale = None;
                let (old_seq, mut state) = match cur {
                    None => (None, S::default()),
                    Some(e) => {
                        e.expect(S::KIND, key)?;
                        let (s, bytes) = split_payload(e.payload)?;
                        (Some(s), decode_state::<S>(bytes)?)
                    }
                };
                let before = state.clone();
                let out = f(&mut state)?;
                // No change writes nothing, not even an empty state for an absent key.
                if state == before {
                    return Ok((Write::Keep, Some((out, false))));
                }
                if let Some(old) = old_seq.filter(|&old| old >= seq) {
                    stale = Some(old);
                    return Ok((Write::Keep, None));
                }
                let mut payload = seq.to_be_bytes().to_vec();
                payload.extend(encode_state(&state));
                Ok((
                    Write::Put(encode(S::KIND, None, &payload)),
                    Some((out, true)),
                ))
            });
            match res {
                // Jump past the stored sequence rather than counting up to it: a value written
                // above this engine's counter (a store without its `mseq`) would take forever.
                Ok(None) => match stale.map(|old| self.skip_changes_past(old)) {
                    Some(Ok(())) => continue,
                    Some(Err(e)) => break Err(e),
                    None => unreachable!("only a stale attempt returns no output"),
                },
                Ok(Some((out, changed))) => break Ok((out, changed, seq)),
                Err(e) => break Err(e),
            }
        };
        match result {
            Ok((out, changed, seq)) => {
                self.end_change(&seqs, changed.then_some((pk.as_slice(), seq)));
                Ok((out, changed))
            }
            Err(e) => {
                self.end_change(&seqs, None);
                Err(e)
            }
        }
    }

    /// [`Store::crdt_update`] on a store other processes share: one transaction reads the state
    /// and the stored sequence, and writes the state, the next sequence and its change record.
    fn crdt_update_shared<S: CrdtState, T>(
        &self,
        key: &[u8],
        pk: &[u8],
        mut f: impl FnMut(&mut S) -> Result<T>,
    ) -> Result<(T, bool)> {
        let now = self.now_ms();
        let mut out = None;
        self.backend()?.transaction(&mut |tx| {
            out = None;
            let raw = tx.get(pk)?;
            let (old_seq, expired, mut state) = match raw.as_deref() {
                None => (None, false, S::default()),
                Some(raw) => {
                    let e = Entry::decode(raw)?;
                    if e.expired_at(now) {
                        (Some(split_payload(e.payload)?.0), true, S::default())
                    } else {
                        e.expect(S::KIND, key)?;
                        let (seq, bytes) = split_payload(e.payload)?;
                        (Some(seq), false, decode_state::<S>(bytes)?)
                    }
                }
            };
            let before = state.clone();
            let o = f(&mut state)?;
            if state == before {
                if expired {
                    // Reclaim the expired value we just looked at, as `update_entry` does.
                    tx.delete(pk)?;
                }
                out = Some((o, false));
                return Ok(());
            }
            // The stamps and slots above carry this engine's node id; another process may have
            // reopened the shared store under another one since (last opener wins), and writing
            // under the old id would make one store speak as two replicas.
            let stored_id = tx.get(crate::store::NODE_ID_KEY)?;
            if stored_id.as_deref() != Some(self.node_id().as_bytes()) {
                return Err(Error::invalid(format!(
                    "this store's node id is now {:?}, set by another process that opened it \
                     since; this handle was opened as {:?} and may not write CRDTs under it \
                     (reopen the store, or open every process with the same node_id)",
                    String::from_utf8_lossy(stored_id.as_deref().unwrap_or_default()),
                    self.node_id()
                )));
            }
            let last = stored_seq(tx.get(SEQ_KEY)?)?;
            let seq = last
                .max(old_seq.unwrap_or(0))
                .checked_add(1)
                .ok_or_else(|| {
                    Error::corrupt("CRDT value has the largest change sequence number")
                })?;
            tx.put(SEQ_KEY, seq.to_be_bytes().to_vec())?;
            if let Some(old) = old_seq {
                tx.delete(&change_key(old))?;
            }
            tx.put(&change_key(seq), pk.to_vec())?;
            let mut payload = seq.to_be_bytes().to_vec();
            payload.extend(encode_state(&state));
            tx.put(pk, encode(S::KIND, None, &payload))?;
            out = Some((o, true));
            Ok(())
        })?;
        let (o, changed) =
            out.ok_or_else(|| Error::new(ErrorKind::Internal, "transaction never ran"))?;
        if changed {
            self.wrote()?;
        }
        Ok((o, changed))
    }

    /// Physical keys of CRDTs changed after `since`, from the stored change records of a shared
    /// store, and the cursor: the stored sequence read first, so every change up to it is listed.
    fn changed_keys_shared(&self, since: u64) -> Result<(Vec<Vec<u8>>, u64)> {
        let cursor = stored_seq(self.backend()?.get(SEQ_KEY)?)?.max(since);
        let Some(first) = since.checked_add(1) else {
            return Ok((Vec::new(), cursor));
        };
        let mut upper = CHANGE_PREFIX.to_vec();
        *upper.last_mut().expect("non-empty prefix") += 1;
        let mut keys = Vec::new();
        self.scan_pages(
            Bound::Included(&change_key(first)),
            Bound::Excluded(&upper),
            CHANGE_PAGE,
            |_, pk| {
                keys.push(pk.to_vec());
                Ok(true)
            },
        )?;
        Ok((keys, cursor))
    }

    /// The current state of the CRDT at `key` (default when absent).
    pub(crate) fn crdt_read<S: CrdtState>(&self, key: &[u8]) -> Result<S> {
        let pk = self.data_key(key)?;
        match self.read_live(&pk)? {
            None => Ok(S::default()),
            Some(raw) => {
                let e = Entry::decode(&raw)?;
                e.expect(S::KIND, key)?;
                decode_state(split_payload(e.payload)?.1)
            }
        }
    }

    /// The state bytes at `key` of type `S` (an empty state's bytes when absent).
    pub(crate) fn crdt_state_bytes<S: CrdtState>(&self, key: &[u8]) -> Result<Vec<u8>> {
        Ok(encode_state(&self.crdt_read::<S>(key)?))
    }

    /// Merges remote state bytes of type `S` into `key`; true if the local state changed.
    pub(crate) fn crdt_merge_bytes<S: CrdtState>(&self, key: &[u8], bytes: &[u8]) -> Result<bool> {
        self.check_open()?;
        let remote: S = decode_state(bytes)?;
        self.check_drift(remote.max_stamp_ms())?;
        let (_, changed) = self.crdt_update::<S, ()>(key, |s| s.merge(&remote))?;
        self.hlc_observe(remote.max_stamp_ms())?;
        Ok(changed)
    }

    /// The change index, built from the stored values on first use; `f` runs with it locked.
    fn with_change_index<T>(&self, f: impl FnOnce(&ChangeIndex, &Changes) -> T) -> Result<T> {
        let mut ch = self.changes().lock();
        if ch.index.is_none() {
            // Built under the lock: a change landing meanwhile waits in `end_change` and is
            // noted right after, so none is missed.
            let mut ix = ChangeIndex::default();
            let start = [DATA_MARKER];
            let end = [DATA_MARKER + 1];
            let mut lower = Bound::Included(start.to_vec());
            loop {
                let l = match &lower {
                    Bound::Included(k) => Bound::Included(k.as_slice()),
                    Bound::Excluded(k) => Bound::Excluded(k.as_slice()),
                    Bound::Unbounded => Bound::Unbounded,
                };
                let page = self
                    .backend()?
                    .scan(l, Bound::Excluded(&end), false, 1024)?;
                for (pk, raw) in &page {
                    let e = Entry::decode(raw)?;
                    if is_crdt(e.kind) {
                        ix.note(pk, split_payload(e.payload)?.0);
                    }
                }
                match page.last() {
                    Some((k, _)) if page.len() == 1024 => lower = Bound::Excluded(k.clone()),
                    _ => break,
                }
            }
            ch.index = Some(ix);
        }
        let ch = &*ch;
        Ok(f(ch.index.as_ref().expect("index just built"), ch))
    }

    /// Changed CRDT keys of this view since `since` (0: all), as bytes any transport can carry,
    /// and the cursor to pass next time. A key may come again in a later export (merging is
    /// idempotent); none that changed after `since` is left out.
    pub fn export_changes(&self, since: u64) -> Result<(Vec<u8>, u64)> {
        self.measured(crate::metrics::Op::SyncExportChanges, || {
            self.check_open()?;
            let (candidates, cursor) = if !self.exclusive() {
                self.changed_keys_shared(since)?
            } else {
                self.with_change_index(|ix, ch| {
                    let candidates: Vec<Vec<u8>> = ix
                        .by_seq
                        .range(since.saturating_add(1)..)
                        .map(|(_, pk)| pk.clone())
                        .collect();
                    // Never past a change still being written: it may land with a lower number.
                    let cursor = match ch.in_flight.first() {
                        Some(first) => (first - 1).max(since),
                        None => ch.last.max(since),
                    };
                    (candidates, cursor)
                })?
            };
            let prefix = self.physical_prefix().to_vec();
            let mut entries: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for pk in candidates {
                // A record left by a key deleted and made again can name a key twice.
                if !pk.starts_with(&prefix) || !seen.insert(pk.clone()) {
                    continue;
                }
                let Some(raw) = self.backend()?.get(&pk)? else {
                    continue;
                };
                let e = Entry::decode(&raw)?;
                if !is_crdt(e.kind) {
                    continue;
                }
                let (stored_seq, state) = split_payload(e.payload)?;
                if stored_seq > since {
                    entries.push((pk[prefix.len()..].to_vec(), state.to_vec()));
                }
            }
            let mut out = BUNDLE_MAGIC.to_vec();
            out.push(BUNDLE_VERSION);
            out.extend(
                postcard::to_allocvec(&Bundle {
                    origin: self.node_id().to_string(),
                    entries,
                })
                .expect("bundles always serialize"),
            );
            Ok((out, cursor))
        })
    }

    /// Merges a bundle from `export_changes` (of any store) into this view. Every entry is
    /// checked first (format, type against the local key, clock drift); if one is refused,
    /// nothing is applied.
    pub fn apply_changes(&self, bytes: &[u8]) -> Result<SyncReport> {
        self.measured(crate::metrics::Op::SyncApplyChanges, || {
            Ok(self.apply_changes_keys(bytes)?.0)
        })
    }

    fn apply_changes_keys(&self, bytes: &[u8]) -> Result<(SyncReport, Vec<Vec<u8>>)> {
        self.check_open()?;
        let bundle = decode_bundle(bytes)?;
        // A key listed twice must have one type too, or the second entry would fail after the
        // first was applied.
        let mut kinds: HashMap<&[u8], Kind> = HashMap::new();
        // A PN-counter merge can be refused (`Overflow`): try each one here, on the local
        // state plus the bundle's earlier entries for the key, so none is refused half-way.
        let mut counters: HashMap<&[u8], pncounter::PnState> = HashMap::new();
        for (key, state) in &bundle.entries {
            let kind = state_kind(state)?;
            if let Some(local) = self.kind_of(key)? {
                if local != kind {
                    return Err(crate::value::wrong_type(key, local, kind));
                }
            }
            if let Some(&first) = kinds.get(key.as_slice()) {
                if first != kind {
                    return Err(Error::new(
                        ErrorKind::WrongType,
                        format!(
                            "change bundle holds key '{}' as both a {} and a {}",
                            String::from_utf8_lossy(key),
                            first.name(),
                            kind.name()
                        ),
                    ));
                }
            }
            kinds.insert(key, kind);
            if kind == Kind::CrdtCounter {
                let remote = decode_state::<pncounter::PnState>(state)?;
                let pending = match counters.entry(key) {
                    MapEntry::Occupied(o) => o.into_mut(),
                    MapEntry::Vacant(v) => v.insert(self.crdt_read(key)?),
                };
                pending.merge(&remote)?;
            }
            let max_ms = state_max_stamp_ms(kind, state)?;
            self.check_drift(max_ms)?;
        }
        let mut report = SyncReport::default();
        let mut merged_keys = Vec::new();
        for (key, state) in &bundle.entries {
            let existed = self.exists(key)?;
            let changed = self.crdt_merge_state(key, state)?;
            if !changed {
                continue;
            }
            if !existed {
                report.pulled += 1;
            } else {
                report.merged += 1;
                merged_keys.push(key.clone());
            }
        }
        Ok((report, merged_keys))
    }
}

fn is_crdt(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::CrdtCounter | Kind::CrdtRegister | Kind::CrdtSet | Kind::CrdtMap
    )
}

/// The latest stamp time in state bytes of `kind`, decoding them fully (so bad bytes fail here).
fn state_max_stamp_ms(kind: Kind, state: &[u8]) -> Result<u64> {
    Ok(match kind {
        Kind::CrdtCounter => decode_state::<pncounter::PnState>(state)?.max_stamp_ms(),
        Kind::CrdtRegister => decode_state::<register::RegState>(state)?.max_stamp_ms(),
        Kind::CrdtSet => decode_state::<orset::SetState>(state)?.max_stamp_ms(),
        _ => decode_state::<map::MapState>(state)?.max_stamp_ms(),
    })
}

#[derive(Serialize, Deserialize)]
struct Bundle {
    origin: String,
    entries: Vec<(Vec<u8>, Vec<u8>)>,
}

fn decode_bundle(bytes: &[u8]) -> Result<Bundle> {
    if bytes.len() < 5 || &bytes[..4] != BUNDLE_MAGIC {
        return Err(Error::corrupt("not a Grove change bundle (bad magic)"));
    }
    if bytes[4] != BUNDLE_VERSION {
        return Err(Error::corrupt(format!(
            "change bundle version {} is not supported (this build reads {BUNDLE_VERSION})",
            bytes[4]
        )));
    }
    let (b, rest) = postcard::take_from_bytes::<Bundle>(&bytes[5..])
        .map_err(|e| Error::corrupt(format!("malformed change bundle: {e}")))?;
    if !rest.is_empty() {
        return Err(Error::corrupt("trailing bytes after change bundle"));
    }
    Ok(b)
}

/// Merges every CRDT of `a` and `b` both ways. A second sync reports nothing to do.
/// Refuses two handles of one engine and two stores with the same node id.
pub fn sync(a: &Store, b: &Store) -> Result<SyncReport> {
    if a.same_engine(b) {
        return Err(Error::invalid("cannot sync a store with itself"));
    }
    if a.node_id() == b.node_id() {
        return Err(Error::invalid(format!(
            "both stores have node id {:?}; every replica needs its own",
            a.node_id()
        )));
    }
    let (to_b, _) = a.export_changes(0)?;
    let (rb, merged_b) = b.apply_changes_keys(&to_b)?;
    let (to_a, _) = b.export_changes(0)?;
    let (ra, merged_a) = a.apply_changes_keys(&to_a)?;
    let mut merged: Vec<Vec<u8>> = merged_a.into_iter().chain(merged_b).collect();
    merged.sort();
    merged.dedup();
    Ok(SyncReport {
        pulled: ra.pulled,
        pushed: rb.pulled,
        merged: merged.len() as u64,
    })
}

impl Store {
    /// The state of the CRDT at `key` as pretty JSON, for debugging (`grove crdt show`).
    pub fn crdt_debug_json(&self, key: &[u8]) -> Result<String> {
        let kind = self
            .kind_of(key)?
            .ok_or_else(|| Error::new(ErrorKind::NotFound, "no CRDT at this key"))?;
        let json = match kind {
            Kind::CrdtCounter => {
                serde_json::to_string_pretty(&self.crdt_read::<pncounter::PnState>(key)?)
            }
            Kind::CrdtRegister => {
                serde_json::to_string_pretty(&self.crdt_read::<register::RegState>(key)?)
            }
            Kind::CrdtSet => serde_json::to_string_pretty(&self.crdt_read::<orset::SetState>(key)?),
            Kind::CrdtMap => serde_json::to_string_pretty(&self.crdt_read::<map::MapState>(key)?),
            other => {
                return Err(Error::new(
                    ErrorKind::WrongType,
                    format!("key holds a {}, not a CRDT", other.name()),
                ))
            }
        };
        json.map_err(|e| Error::new(ErrorKind::Internal, e.to_string()))
    }

    /// Merges state bytes of any CRDT type into `key` (`grove crdt merge`); true if it changed.
    pub fn crdt_merge_state(&self, key: &[u8], state: &[u8]) -> Result<bool> {
        match state_kind(state)? {
            Kind::CrdtCounter => self.crdt_merge_bytes::<pncounter::PnState>(key, state),
            Kind::CrdtRegister => self.crdt_merge_bytes::<register::RegState>(key, state),
            Kind::CrdtSet => self.crdt_merge_bytes::<orset::SetState>(key, state),
            _ => self.crdt_merge_bytes::<map::MapState>(key, state),
        }
    }

    /// The state bytes of the CRDT at `key`, whatever its type (`grove crdt state`).
    pub fn crdt_state(&self, key: &[u8]) -> Result<Vec<u8>> {
        match self.kind_of(key)? {
            Some(Kind::CrdtCounter) => self.crdt_state_bytes::<pncounter::PnState>(key),
            Some(Kind::CrdtRegister) => self.crdt_state_bytes::<register::RegState>(key),
            Some(Kind::CrdtSet) => self.crdt_state_bytes::<orset::SetState>(key),
            Some(Kind::CrdtMap) => self.crdt_state_bytes::<map::MapState>(key),
            Some(other) => Err(Error::new(
                ErrorKind::WrongType,
                format!("key holds a {}, not a CRDT", other.name()),
            )),
            None => Err(Error::new(ErrorKind::NotFound, "no CRDT at this key")),
        }
    }
}
