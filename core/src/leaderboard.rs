//! The leaderboard at `lb:<name>:<member>`: scores persisted one key per member, ranked through
//! an in-memory order-statistics index (sorted blocks plus a Fenwick tree of block sizes) that is
//! built from the store on first use after open and kept in step with every write.
//!
//! One mutex per board orders its writes: the store write and the index update happen under it,
//! so the index never disagrees with the store. Member keys cannot be deleted or expired through
//! the plain key/value API (that would bypass the index); use `remove` and `clear`.

use crate::error::{Error, Result};
use crate::kv::prefix_end;
use crate::store::Store;
use crate::sync::Mutex;
use crate::value::{encode, Entry, Kind};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::ops::Bound;
use std::sync::Arc;

/// Target block size of the index; blocks split at twice this.
const BLOCK: usize = 512;
/// Members read from the store per page while building the index.
const BUILD_PAGE: usize = 4096;

/// A member with its score and its rank (0 = highest).
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// Position in the board, 0 for the highest score.
    pub rank: u64,
    /// The member.
    pub member: String,
    /// Its score.
    pub score: f64,
}

#[derive(Debug, Clone)]
struct Item {
    score: f64,
    member: Box<str>,
}

/// Board order: higher score first, ties by member in byte order.
fn order(a_score: f64, a_member: &str, b_score: f64, b_member: &str) -> Ordering {
    b_score
        .total_cmp(&a_score)
        .then_with(|| a_member.cmp(b_member))
}

/// Sorted blocks of items with a Fenwick tree over block sizes for O(log n) ranks, plus each
/// member's score by a 64-bit hash of the member, so `rank`, `score` and `incr` need no store read.
#[derive(Debug, Default)]
struct Index {
    blocks: Vec<Vec<Item>>,
    fenwick: Vec<u64>,
    len: u64,
    /// Score by member hash; NaN marks a hash shared by two members (then read the store).
    scores: HashMap<u64, f64>,
}

fn member_hash(member: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    member.hash(&mut h);
    h.finish()
}

/// What the score map knows about a member.
enum Known {
    Absent,
    Score(f64),
    Ambiguous,
}

impl Index {
    fn from_sorted(items: Vec<Item>) -> Index {
        let len = items.len() as u64;
        let mut scores = HashMap::with_capacity(items.len());
        for it in &items {
            note_score(&mut scores, member_hash(&it.member), it.score);
        }
        let mut blocks = Vec::with_capacity(items.len() / BLOCK + 1);
        let mut it = items.into_iter().peekable();
        while it.peek().is_some() {
            blocks.push(it.by_ref().take(BLOCK).collect::<Vec<_>>());
        }
        let mut idx = Index {
            blocks,
            fenwick: Vec::new(),
            len,
            scores,
        };
        idx.rebuild_fenwick();
        idx
    }

    fn rebuild_fenwick(&mut self) {
        let n = self.blocks.len();
        self.fenwick = vec![0; n + 1];
        for i in 0..n {
            self.fenwick_add(i, self.blocks[i].len() as i64);
        }
    }

    fn fenwick_add(&mut self, block: usize, delta: i64) {
        let mut i = block + 1;
        while i < self.fenwick.len() {
            self.fenwick[i] = (self.fenwick[i] as i64 + delta) as u64;
            i += i & i.wrapping_neg();
        }
    }

    /// Members in blocks before `block`.
    fn before(&self, block: usize) -> u64 {
        let mut i = block;
        let mut sum = 0;
        while i > 0 {
            sum += self.fenwick[i];
            i -= i & i.wrapping_neg();
        }
        sum
    }

    /// The block holding rank `r` and the offset in it (`r < len`).
    fn locate(&self, mut r: u64) -> (usize, usize) {
        let mut pos = 0;
        let mut step = self.fenwick.len().next_power_of_two();
        while step > 0 {
            let next = pos + step;
            if next < self.fenwick.len() && self.fenwick[next] <= r {
                pos = next;
                r -= self.fenwick[next];
            }
            step >>= 1;
        }
        (pos, r as usize)
    }

    fn block_for(&self, score: f64, member: &str) -> usize {
        let b = self.blocks.partition_point(|blk| {
            let last = blk.last().expect("blocks are never empty");
            order(last.score, &last.member, score, member) == Ordering::Less
        });
        b.min(self.blocks.len().saturating_sub(1))
    }

    fn position(&self, score: f64, member: &str) -> Option<(usize, usize)> {
        if self.blocks.is_empty() {
            return None;
        }
        let b = self.block_for(score, member);
        self.blocks[b]
            .binary_search_by(|it| order(it.score, &it.member, score, member))
            .ok()
            .map(|i| (b, i))
    }

    fn rank(&self, score: f64, member: &str) -> Option<u64> {
        self.position(score, member)
            .map(|(b, i)| self.before(b) + i as u64)
    }

    fn known(&self, member: &str) -> Known {
        match self.scores.get(&member_hash(member)) {
            None => Known::Absent,
            Some(s) if s.is_nan() => Known::Ambiguous,
            Some(s) => Known::Score(*s),
        }
    }

    fn insert(&mut self, score: f64, member: &str) {
        note_score(&mut self.scores, member_hash(member), score);
        let item = Item {
            score,
            member: member.into(),
        };
        if self.blocks.is_empty() {
            self.blocks.push(vec![item]);
            self.len = 1;
            self.rebuild_fenwick();
            return;
        }
        let b = self.block_for(score, member);
        let blk = &mut self.blocks[b];
        let i = blk
            .binary_search_by(|it| order(it.score, &it.member, score, member))
            .unwrap_or_else(|i| i);
        blk.insert(i, item);
        self.len += 1;
        if blk.len() >= 2 * BLOCK {
            let tail = blk.split_off(BLOCK);
            self.blocks.insert(b + 1, tail);
            self.rebuild_fenwick();
        } else {
            self.fenwick_add(b, 1);
        }
    }

    fn remove(&mut self, score: f64, member: &str) -> bool {
        let Some((b, i)) = self.position(score, member) else {
            return false;
        };
        let h = member_hash(member);
        if self.scores.get(&h).is_some_and(|s| !s.is_nan()) {
            self.scores.remove(&h);
        }
        self.blocks[b].remove(i);
        self.len -= 1;
        if self.blocks[b].is_empty() {
            self.blocks.remove(b);
            self.rebuild_fenwick();
        } else {
            self.fenwick_add(b, -1);
        }
        true
    }

    /// Items with ranks in `[start, stop)`.
    fn slice(&self, start: u64, stop: u64) -> Vec<Ranked> {
        let stop = stop.min(self.len);
        if start >= stop {
            return Vec::new();
        }
        let (mut b, mut i) = self.locate(start);
        let mut out = Vec::with_capacity((stop - start).min(10_000) as usize);
        let mut rank = start;
        while rank < stop {
            let it = &self.blocks[b][i];
            out.push(Ranked {
                rank,
                member: it.member.to_string(),
                score: it.score,
            });
            rank += 1;
            i += 1;
            if i == self.blocks[b].len() {
                b += 1;
                i = 0;
            }
        }
        out
    }
}

/// Records `score` under `h`; a hash already used by another member becomes ambiguous (NaN).
/// Callers remove a member's old score before recording its new one.
fn note_score(scores: &mut HashMap<u64, f64>, h: u64, score: f64) {
    scores
        .entry(h)
        .and_modify(|s| *s = f64::NAN)
        .or_insert(score);
}

/// The shared state of one board in one engine: its lazily built index.
#[derive(Debug, Default)]
pub(crate) struct Board {
    index: Mutex<Option<Index>>,
}

/// A leaderboard of members ranked by score (highest first, ties by member).
#[derive(Debug, Clone)]
pub struct Leaderboard {
    store: Store,
    /// Caller-visible key prefix, `lb:<name>:`.
    prefix: String,
    /// Physical key prefix of the members.
    pk_prefix: Vec<u8>,
    board: Arc<Board>,
}

impl Store {
    /// The leaderboard `name` (members at `lb:<name>:<member>`); `name` may not contain ':'.
    pub fn leaderboard(&self, name: &str) -> Result<Leaderboard> {
        check_name(name, "leaderboard")?;
        let prefix = format!("lb:{name}:");
        let pk_prefix = self.data_key(prefix.as_bytes())?;
        let board = self.board(&pk_prefix);
        Ok(Leaderboard {
            store: self.clone(),
            prefix,
            pk_prefix,
            board,
        })
    }
}

/// Names of scanned structures (leaderboards, queues) must not contain ':' so that one name's
/// keys can never fall under another name's prefix.
pub(crate) fn check_name(name: &str, what: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid(format!("{what} name is empty")));
    }
    if name.contains(':') {
        return Err(Error::invalid(format!(
            "{what} name {name:?} may not contain ':'"
        )));
    }
    Ok(())
}

fn check_score(score: f64) -> Result<f64> {
    if !score.is_finite() {
        return Err(Error::invalid(format!(
            "score must be a finite number, got {score}"
        )));
    }
    // -0.0 and 0.0 are one score.
    Ok(if score == 0.0 { 0.0 } else { score })
}

fn decode_score(e: &Entry<'_>, key: &[u8]) -> Result<f64> {
    e.expect(Kind::Leaderboard, key)?;
    let b: [u8; 8] = e
        .payload
        .try_into()
        .map_err(|_| Error::corrupt("leaderboard score is not 8 bytes"))?;
    Ok(f64::from_bits(u64::from_be_bytes(b)))
}

fn encode_score(score: f64) -> Vec<u8> {
    encode(Kind::Leaderboard, None, &score.to_bits().to_be_bytes())
}

impl Leaderboard {
    fn member_key(&self, member: &str) -> Result<(Vec<u8>, Vec<u8>)> {
        if member.is_empty() {
            return Err(Error::invalid("leaderboard member is empty"));
        }
        let key = format!("{}{member}", self.prefix).into_bytes();
        let pk = self.store.data_key(&key)?;
        Ok((key, pk))
    }

    /// Runs `f` on the index, building it from the store first if needed.
    fn with_index<T>(&self, f: impl FnOnce(&mut Index) -> Result<T>) -> Result<T> {
        self.store.check_open()?;
        let mut guard = self.board.index.lock();
        if guard.is_none() {
            *guard = Some(self.build()?);
        }
        f(guard.as_mut().expect("index just built"))
    }

    fn build(&self) -> Result<Index> {
        let end = prefix_end(&self.pk_prefix);
        let end_ref = match &end {
            Bound::Excluded(e) => Bound::Excluded(e.as_slice()),
            _ => Bound::Unbounded,
        };
        let mut start = Bound::Included(self.pk_prefix.clone());
        let mut items = Vec::new();
        loop {
            let s = match &start {
                Bound::Included(k) => Bound::Included(k.as_slice()),
                Bound::Excluded(k) => Bound::Excluded(k.as_slice()),
                Bound::Unbounded => Bound::Unbounded,
            };
            let page = self.store.backend()?.scan(s, end_ref, false, BUILD_PAGE)?;
            for (k, v) in &page {
                let user_key = &k[self.store.physical_prefix().len()..];
                let entry = Entry::decode(v)?;
                if entry.kind != Kind::Leaderboard {
                    // Another primitive (a CRDT, a session…) chose a key under this prefix.
                    continue;
                }
                let score = decode_score(&entry, user_key)?;
                let member = std::str::from_utf8(&k[self.pk_prefix.len()..])
                    .map_err(|_| Error::corrupt("leaderboard member is not UTF-8"))?;
                items.push(Item {
                    score,
                    member: member.into(),
                });
            }
            match page.last() {
                Some((k, _)) if page.len() == BUILD_PAGE => start = Bound::Excluded(k.clone()),
                _ => break,
            }
        }
        items.sort_unstable_by(|a, b| order(a.score, &a.member, b.score, &b.member));
        Ok(Index::from_sorted(items))
    }

    /// `member`'s score from the index, reading the store only for an ambiguous hash.
    fn score_in(&self, idx: &Index, member: &str, pk: &[u8], key: &[u8]) -> Result<Option<f64>> {
        match idx.known(member) {
            Known::Absent => Ok(None),
            Known::Score(s) => Ok(Some(s)),
            Known::Ambiguous => self.stored_score(pk, key),
        }
    }

    fn stored_score(&self, pk: &[u8], key: &[u8]) -> Result<Option<f64>> {
        match self.store.read_live(pk)? {
            None => Ok(None),
            Some(raw) => Ok(Some(decode_score(&Entry::decode(&raw)?, key)?)),
        }
    }

    /// Sets `member`'s score (adding the member if new).
    pub fn add(&self, member: &str, score: f64) -> Result<()> {
        let score = check_score(score)?;
        self.write(member, |_| Ok(score)).map(|_| ())
    }

    /// Adds `delta` to `member`'s score (from 0 if new) and returns the new score.
    pub fn incr(&self, member: &str, delta: f64) -> Result<f64> {
        let delta = check_score(delta)?;
        self.write(member, |old| {
            let new = old.unwrap_or(0.0) + delta;
            if new.is_finite() {
                Ok(if new == 0.0 { 0.0 } else { new })
            } else {
                Err(Error::overflow(format!(
                    "score of {member:?} would leave the finite range"
                )))
            }
        })
    }

    fn write(&self, member: &str, f: impl FnOnce(Option<f64>) -> Result<f64>) -> Result<f64> {
        let (key, pk) = self.member_key(member)?;
        let new = self.with_index(|idx| {
            let old = self.score_in(idx, member, &pk, &key)?;
            let new = f(old)?;
            if old == Some(new) {
                return Ok(new);
            }
            let backend = self.store.backend()?;
            if old.is_some() {
                backend.insert(&pk, encode_score(new))?;
            } else if let Err(current) =
                backend.compare_and_swap(&pk, None, Some(encode_score(new)))?
            {
                // Not a member, yet the key is taken: another primitive chose a key under this
                // board's prefix. Report what holds it; never overwrite it.
                let raw = current.unwrap_or_default();
                let kind = Entry::decode(&raw)?.kind;
                return Err(crate::value::wrong_type(&key, kind, Kind::Leaderboard));
            }
            if let Some(old) = old {
                idx.remove(old, member);
            }
            idx.insert(new, member);
            Ok(new)
        })?;
        self.store.wrote()?;
        Ok(new)
    }

    /// `member`'s score, or `None` if absent.
    pub fn score(&self, member: &str) -> Result<Option<f64>> {
        let (key, pk) = self.member_key(member)?;
        self.with_index(|idx| self.score_in(idx, member, &pk, &key))
    }

    /// `member`'s rank (0 = highest), or `None` if absent.
    pub fn rank(&self, member: &str) -> Result<Option<u64>> {
        let (key, pk) = self.member_key(member)?;
        self.with_index(|idx| {
            Ok(match self.score_in(idx, member, &pk, &key)? {
                None => None,
                Some(s) => idx.rank(s, member),
            })
        })
    }

    /// The `n` highest members.
    pub fn top(&self, n: u64) -> Result<Vec<Ranked>> {
        self.range(0, n)
    }

    /// Members with ranks in `[start, stop)` (stop is exclusive, as in Python slices).
    pub fn range(&self, start: u64, stop: u64) -> Result<Vec<Ranked>> {
        self.with_index(|idx| Ok(idx.slice(start, stop)))
    }

    /// `member` with up to `n` members ranked above and `n` below; empty if absent.
    pub fn around(&self, member: &str, n: u64) -> Result<Vec<Ranked>> {
        let (key, pk) = self.member_key(member)?;
        self.with_index(|idx| {
            let Some(score) = self.score_in(idx, member, &pk, &key)? else {
                return Ok(Vec::new());
            };
            let Some(r) = idx.rank(score, member) else {
                return Ok(Vec::new());
            };
            Ok(idx.slice(r.saturating_sub(n), r.saturating_add(n).saturating_add(1)))
        })
    }

    /// Removes `member`; true if it was there.
    pub fn remove(&self, member: &str) -> Result<bool> {
        let (key, pk) = self.member_key(member)?;
        let removed = self.with_index(|idx| {
            let Some(old) = self.score_in(idx, member, &pk, &key)? else {
                return Ok(false);
            };
            self.store.backend()?.remove(&pk)?;
            idx.remove(old, member);
            Ok(true)
        })?;
        if removed {
            self.store.wrote()?;
        }
        Ok(removed)
    }

    /// Number of members.
    pub fn len(&self) -> Result<u64> {
        self.with_index(|idx| Ok(idx.len))
    }

    /// Whether the board has no members.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Heap bytes held by this board's in-memory index (vector capacities plus each member
    /// string's malloc chunk); for the memory benchmark.
    #[doc(hidden)]
    pub fn index_heap_bytes(&self) -> Result<usize> {
        self.with_index(|idx| {
            let chunk = |len: usize| (len + 8).div_ceil(16).max(2) * 16;
            let blocks: usize = idx
                .blocks
                .iter()
                .map(|b| {
                    b.capacity() * std::mem::size_of::<Item>()
                        + b.iter().map(|it| chunk(it.member.len())).sum::<usize>()
                })
                .sum();
            // hashbrown: 16-byte entries plus one control byte per bucket.
            let scores = idx.scores.capacity() * 17;
            Ok(blocks
                + idx.blocks.capacity() * std::mem::size_of::<Vec<Item>>()
                + idx.fenwick.capacity() * 8
                + scores)
        })
    }

    /// Removes every member; returns how many there were.
    pub fn clear(&self) -> Result<u64> {
        let n = self.with_index(|idx| {
            let all = idx.slice(0, idx.len);
            let backend = self.store.backend()?;
            for chunk in all.chunks(1024) {
                let ops = chunk
                    .iter()
                    .map(|r| {
                        let mut pk = self.pk_prefix.clone();
                        pk.extend_from_slice(r.member.as_bytes());
                        (pk, None)
                    })
                    .collect();
                backend.apply_batch(ops)?;
            }
            *idx = Index::default();
            Ok(all.len() as u64)
        })?;
        self.store.wrote()?;
        Ok(n)
    }
}

/// Fails if plain KV writes may not create `key`: the `lb:` and `queue:` prefixes belong to
/// leaderboards and queues, whose indexes a stray key would corrupt.
pub(crate) fn kv_may_write(key: &[u8]) -> Result<()> {
    if key.starts_with(b"lb:") || key.starts_with(b"queue:") {
        return Err(Error::invalid(format!(
            "key '{}' is under a prefix reserved for leaderboards and queues",
            String::from_utf8_lossy(key)
        )));
    }
    Ok(())
}

/// Fails unless an entry of `kind` at `key` may be deleted or expired through the plain KV API:
/// leaderboard and queue entries belong to structures with their own indexes.
pub(crate) fn kv_may_remove(kind: Kind, key: &[u8]) -> Result<()> {
    if matches!(kind, Kind::Leaderboard | Kind::Queue) {
        return Err(Error::new(
            crate::error::ErrorKind::WrongType,
            format!(
                "key '{}' belongs to a {}; remove it through the {} API",
                String::from_utf8_lossy(key),
                kind.name(),
                kind.name()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colliding_hashes_become_ambiguous_and_stay_correct() {
        let mut scores = HashMap::new();
        note_score(&mut scores, 7, 1.0);
        note_score(&mut scores, 7, 2.0);
        assert!(scores[&7].is_nan());
        let mut idx = Index::from_sorted(vec![Item {
            score: 3.0,
            member: "a".into(),
        }]);
        assert!(matches!(idx.known("a"), Known::Score(s) if s == 3.0));
        assert!(matches!(idx.known("b"), Known::Absent));
        idx.scores.insert(member_hash("b"), f64::NAN);
        assert!(matches!(idx.known("b"), Known::Ambiguous));
    }

    #[test]
    fn index_matches_a_sorted_vector() {
        let mut idx = Index::default();
        let mut model: Vec<(f64, String)> = Vec::new();
        let mut x: u64 = 7;
        for step in 0..20_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let member = format!("m{}", x % 3000);
            let score = (x % 50) as f64;
            if let Some(pos) = model.iter().position(|(_, m)| *m == member) {
                let (s, _) = model.remove(pos);
                assert!(idx.remove(s, &member));
            }
            if step % 5 != 0 {
                model.push((score, member.clone()));
                idx.insert(score, &member);
            }
            if step % 997 == 0 {
                model.sort_by(|a, b| order(a.0, &a.1, b.0, &b.1));
                assert_eq!(idx.len as usize, model.len());
                for (r, (s, m)) in model.iter().enumerate() {
                    assert_eq!(idx.rank(*s, m), Some(r as u64));
                }
                let all = idx.slice(0, u64::MAX);
                assert!(all
                    .iter()
                    .zip(&model)
                    .all(|(a, (s, m))| a.score == *s && a.member == *m));
            }
        }
    }
}
