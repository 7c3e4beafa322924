//! The leaderboard at `lb:<name>:<member>`: scores persisted one key per member, ranked through
//! an in-memory order-statistics index (sorted blocks plus a Fenwick tree of block sizes).
//!
//! One mutex per board and engine orders that engine's use of its index. Member keys cannot be
//! deleted or expired through the plain key/value API (that would bypass the index); use `remove`
//! and `clear`.
//!
//! On an exclusive engine (sled: one process holds the directory) every write goes through this
//! engine, so the index is built once from the store and kept in step with each write: the old
//! score an `incr` needs comes from it, and no read touches the store.
//!
//! On a shared engine (memory, which models them, and lmdb) another process may write at any
//! moment, so the index is only a cache of the store at some point in its history. To know which
//! point, each board stores, under metadata keys no user key can reach (`m` + `lb` + the length of
//! the board's physical prefix + that prefix, so boards and namespace views never collide):
//! - `…g`: the board's generation, bumped by every write (add, incr, remove, clear);
//! - `…l<gen>`: a change record per generation (member and new score, member removed, or board
//!   cleared), of which the last [`LOG_KEEP`] are kept; each write deletes the record that falls
//!   out, so the log never grows past that bound.
//!
//! Every write is one backend transaction that reads the old score from the store (never from the
//! cache), writes the member key, bumps the generation and appends the record. Every call first
//! reads the stored generation (one point read); if it moved since the cache's, the cache replays
//! the records in between, or rebuilds from the member keys when the log no longer reaches back.
//! So a read made after a write returned, in any process, sees that write; and rank stays one
//! point read plus the in-memory lookup.
//!
//! An engine with native leaderboards (Redis: a sorted set, see `backend::caps`) takes every
//! operation instead, each one atomic step on the server; there is no index, generation or
//! change log then. Members still keep their records at `lb:<name>:<member>`, written by the
//! engine, so the key/value rules above hold on it unchanged.

use crate::backend::caps::{BoardOp, BoardWrite, NativeLeaderboard};
use crate::backend::Txn;
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
/// Members (or change records) read from the store per page while building (or catching up).
const BUILD_PAGE: usize = 4096;
/// Change records a shared board keeps: a cache at most this many writes behind catches up by
/// replaying them; one further behind rebuilds from the member keys.
#[doc(hidden)]
pub const LOG_KEEP: u64 = 65_536;

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

    /// `member`'s score by a walk over every item: only for a hash shared by two members.
    fn find(&self, member: &str) -> Option<f64> {
        self.blocks
            .iter()
            .flatten()
            .find(|it| &*it.member == member)
            .map(|it| it.score)
    }

    /// `member`'s score in this index (never the store's, which may be ahead of it).
    fn cached(&self, member: &str) -> Option<f64> {
        match self.known(member) {
            Known::Absent => None,
            Known::Score(s) => Some(s),
            Known::Ambiguous => self.find(member),
        }
    }

    /// Sets (`Some`) or removes (`None`) `member`, whatever the index held for it: replaying a
    /// change record may meet a member at any score, or not at all.
    fn set(&mut self, member: &str, score: Option<f64>) {
        if let Some(old) = self.cached(member) {
            self.remove(old, member);
        }
        if let Some(s) = score {
            self.insert(s, member);
        }
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

/// One engine's cache of a board: the index, and (on shared engines) the stored generation it
/// reflects exactly.
#[derive(Debug, Default)]
struct Cache {
    index: Option<Index>,
    gen: u64,
}

/// The shared state of one board in one engine: its lazily built index.
#[derive(Debug, Default)]
pub(crate) struct Board {
    cache: Mutex<Cache>,
}

/// A change record's first byte: the member's new score follows, then the member.
const REC_SET: u8 = b's';
/// A change record's first byte: the member follows, which was removed.
const REC_REMOVED: u8 = b'r';
/// A change record's first byte: the board was cleared.
const REC_CLEARED: u8 = b'c';

/// A leaderboard of members ranked by score (highest first, ties by member).
#[derive(Debug, Clone)]
pub struct Leaderboard {
    store: Store,
    /// Caller-visible key prefix, `lb:<name>:`.
    prefix: String,
    /// Physical key prefix of the members.
    pk_prefix: Vec<u8>,
    /// Physical prefix of the board's metadata (generation and change log), see the module doc.
    meta: Arc<[u8]>,
    /// Physical key of the board's stored generation (`meta` + `g`).
    gen_key: Arc<[u8]>,
    board: Arc<Board>,
}

impl Store {
    /// The leaderboard `name` (members at `lb:<name>:<member>`); `name` may not contain ':'.
    pub fn leaderboard(&self, name: &str) -> Result<Leaderboard> {
        check_name(name, "leaderboard")?;
        let prefix = format!("lb:{name}:");
        let pk_prefix = self.data_key(prefix.as_bytes())?;
        let board = self.board(&pk_prefix);
        // The length makes the encoding prefix-free: one board's metadata never lies under
        // another's, even when one physical prefix extends the other (a namespace named `lb:x`).
        let mut meta = b"mlb".to_vec();
        meta.extend_from_slice(&(pk_prefix.len() as u32).to_be_bytes());
        meta.extend_from_slice(&pk_prefix);
        let mut gen_key = meta.clone();
        gen_key.push(b'g');
        Ok(Leaderboard {
            store: self.clone(),
            prefix,
            pk_prefix,
            meta: meta.into(),
            gen_key: gen_key.into(),
            board,
        })
    }
}

/// The name of a counter or lock: not empty (`counter:` alone names no counter).
pub(crate) fn check_plain_name(name: &str, what: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid(format!("{what} name is empty")));
    }
    Ok(())
}

/// Names of scanned structures (leaderboards, queues) must not contain ':' so that one name's
/// keys can never fall under another name's prefix.
pub(crate) fn check_name(name: &str, what: &str) -> Result<()> {
    check_plain_name(name, what)?;
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

    /// Runs `f` on an index that reflects the store as of this call.
    fn with_index<T>(&self, f: impl FnOnce(&mut Index) -> Result<T>) -> Result<T> {
        self.store.check_open()?;
        let mut cache = self.board.cache.lock();
        self.refresh(&mut cache)?;
        f(cache.index.as_mut().expect("index just refreshed"))
    }

    /// Brings the cache up to date: on an exclusive engine, builds it once (every write goes
    /// through it afterwards); on a shared one, catches up to the stored generation.
    fn refresh(&self, cache: &mut Cache) -> Result<()> {
        if self.store.exclusive() {
            if cache.index.is_none() {
                cache.index = Some(self.build()?);
            }
            return Ok(());
        }
        let target = self.stored_gen()?;
        self.catch_up(cache, target)
    }

    /// The board's stored generation (0 before its first write on a shared engine).
    fn stored_gen(&self) -> Result<u64> {
        decode_gen(self.store.backend()?.get(&self.gen_key)?)
    }

    /// Physical key of the change record of generation `gen`.
    fn log_key(&self, gen: u64) -> Vec<u8> {
        let mut k = Vec::with_capacity(self.meta.len() + 9);
        k.extend_from_slice(&self.meta);
        k.push(b'l');
        k.extend_from_slice(&gen.to_be_bytes());
        k
    }

    /// Makes the cache reflect generation `target` or a later one: replays the change records
    /// after the cache's generation, or rebuilds when there is no cache or the log no longer
    /// reaches back that far.
    fn catch_up(&self, cache: &mut Cache, mut target: u64) -> Result<()> {
        loop {
            if cache.index.is_some() && cache.gen <= target && target - cache.gen <= LOG_KEEP {
                if cache.gen == target {
                    return Ok(());
                }
                match self.replay(cache, target) {
                    Ok(true) => return Ok(()),
                    Ok(false) => {}
                    Err(e) => {
                        cache.index = None;
                        return Err(e);
                    }
                }
            }
            // Rebuild. The member scan is paged, not one snapshot: writes landing during it may
            // leave some members newer than others. Each such write has a change record after
            // `from`, and a record sets its member outright, so replaying from `from` up to the
            // generation read after the scan makes the index exact again.
            cache.index = None;
            let from = self.stored_gen()?;
            cache.index = Some(self.build()?);
            cache.gen = from;
            target = target.max(self.stored_gen()?);
        }
    }

    /// Applies the change records after the cache's generation up to `target`; false when the
    /// log no longer holds all of them (then the caller rebuilds).
    fn replay(&self, cache: &mut Cache, target: u64) -> Result<bool> {
        let Cache { index, gen } = cache;
        let idx = index.as_mut().expect("replay needs an index");
        let mut next = *gen + 1;
        let mut complete = true;
        self.store.scan_pages(
            Bound::Included(&self.log_key(next)),
            Bound::Excluded(&self.log_key(target + 1)),
            BUILD_PAGE,
            |k, v| {
                let g = k[self.meta.len() + 1..]
                    .try_into()
                    .map(u64::from_be_bytes)
                    .map_err(|_| Error::corrupt("leaderboard change record key is malformed"))?;
                if g != next {
                    complete = false;
                    return Ok(false);
                }
                apply_record(idx, v)?;
                *gen = g;
                next += 1;
                Ok(true)
            },
        )?;
        if !complete {
            return Ok(false);
        }
        Ok(*gen == target)
    }

    /// In a write transaction that read generation `gen`: bumps the generation, appends
    /// `record` as the change of `gen + 1`, and deletes the record that falls out of the bound.
    fn log(&self, tx: &mut dyn Txn, gen: u64, record: Vec<u8>) -> Result<()> {
        let next = gen + 1;
        tx.put(&self.gen_key, next.to_be_bytes().to_vec())?;
        tx.put(&self.log_key(next), record)?;
        if next > LOG_KEEP {
            tx.delete(&self.log_key(next - LOG_KEEP))?;
        }
        Ok(())
    }

    /// After this engine's write of generation `gen + 1`: applies `change` if the cache was
    /// exactly at `gen`, else catches up from the log, which holds this write too.
    fn follow(&self, cache: &mut Cache, gen: u64, change: impl FnOnce(&mut Index)) {
        match cache.index.as_mut() {
            Some(idx) if cache.gen == gen => {
                change(idx);
                cache.gen = gen + 1;
            }
            _ => {
                // The write is committed, so it succeeded whatever happens here; a cache that
                // cannot catch up now is dropped and rebuilt by the next call.
                if self.catch_up(cache, gen + 1).is_err() {
                    cache.index = None;
                }
            }
        }
    }

    /// Change records this board's log holds on a shared engine (for the tests of its bound);
    /// 0 on an engine with native leaderboards, which keeps no log.
    #[doc(hidden)]
    pub fn change_log_len(&self) -> Result<u64> {
        if self.native(|_| Ok(()))?.is_some() {
            return Ok(0);
        }
        let mut log = self.meta.to_vec();
        log.push(b'l');
        let end = prefix_end(&log);
        let mut n = 0;
        self.store.scan_pages(
            Bound::Included(&log),
            bound_ref(&end),
            BUILD_PAGE,
            |_, _| {
                n += 1;
                Ok(true)
            },
        )?;
        Ok(n)
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
            Known::Ambiguous if self.store.exclusive() => self.stored_score(pk, key),
            // The store may be ahead of a shared engine's cache; answer from the cache.
            Known::Ambiguous => Ok(idx.find(member)),
        }
    }

    fn stored_score(&self, pk: &[u8], key: &[u8]) -> Result<Option<f64>> {
        match self.store.read_live(pk)? {
            None => Ok(None),
            Some(raw) => Ok(Some(decode_score(&Entry::decode(&raw)?, key)?)),
        }
    }

    /// Runs `f` on the engine's native leaderboards, if it has them: `None` when it has not.
    fn native<T>(&self, f: impl FnOnce(&dyn NativeLeaderboard) -> Result<T>) -> Result<Option<T>> {
        let backend = self.store.backend()?;
        match backend.native_leaderboard() {
            Some(n) => f(n).map(Some),
            None => Ok(None),
        }
    }

    /// A write on an engine with native leaderboards: `None` when it has none.
    fn write_native(&self, member: &str, op: BoardOp) -> Result<Option<f64>> {
        let (key, _) = self.member_key(member)?;
        let Some(done) = self.native(|n| n.board_write(&self.pk_prefix, member, op))? else {
            return Ok(None);
        };
        match done {
            BoardWrite::Done(score) => {
                self.store.wrote()?;
                Ok(Some(score))
            }
            BoardWrite::Overflow => Err(Error::overflow(format!(
                "score of {member:?} would leave the finite range"
            ))),
            // Another primitive chose a key under this board's prefix: report what holds it.
            BoardWrite::WrongKind(Some(kind)) => {
                Err(crate::value::wrong_type(&key, kind, Kind::Leaderboard))
            }
            BoardWrite::WrongKind(None) => Err(Error::new(
                crate::error::ErrorKind::WrongType,
                format!(
                    "key '{}' holds something Grove did not write, not a leaderboard member",
                    String::from_utf8_lossy(&key)
                ),
            )),
        }
    }

    /// Sets `member`'s score (adding the member if new).
    pub fn add(&self, member: &str, score: f64) -> Result<()> {
        self.store.measured(crate::metrics::Op::LeaderboardAdd, || {
            let score = check_score(score)?;
            if self.write_native(member, BoardOp::Set(score))?.is_some() {
                return Ok(());
            }
            self.write(member, |_| Ok(score)).map(|_| ())
        })
    }

    /// Adds `delta` to `member`'s score (from 0 if new) and returns the new score.
    pub fn incr(&self, member: &str, delta: f64) -> Result<f64> {
        self.store
            .measured(crate::metrics::Op::LeaderboardIncr, || {
                let delta = check_score(delta)?;
                if let Some(new) = self.write_native(member, BoardOp::Add(delta))? {
                    return Ok(new);
                }
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
            })
    }

    fn write(&self, member: &str, f: impl Fn(Option<f64>) -> Result<f64>) -> Result<f64> {
        let (key, pk) = self.member_key(member)?;
        if !self.store.exclusive() {
            return self.write_shared(member, &key, &pk, &f);
        }
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

    /// A write on a shared engine: one transaction reads the stored old score, writes the new
    /// one, bumps the generation and appends the change record; then the cache follows.
    fn write_shared(
        &self,
        member: &str,
        key: &[u8],
        pk: &[u8],
        f: &dyn Fn(Option<f64>) -> Result<f64>,
    ) -> Result<f64> {
        self.store.check_open()?;
        let mut cache = self.board.cache.lock();
        let mut out = None;
        self.store.backend()?.transaction(&mut |tx| {
            out = None;
            let gen = decode_gen(tx.get(&self.gen_key)?)?;
            let old = match tx.get(pk)? {
                None => None,
                Some(raw) => {
                    let e = Entry::decode(&raw)?;
                    if e.kind != Kind::Leaderboard {
                        // Another primitive chose a key under this board's prefix. Report what
                        // holds it; never overwrite it.
                        return Err(crate::value::wrong_type(key, e.kind, Kind::Leaderboard));
                    }
                    Some(decode_score(&e, key)?)
                }
            };
            let new = f(old)?;
            if old != Some(new) {
                tx.put(pk, encode_score(new))?;
                self.log(tx, gen, set_record(member, new))?;
            }
            out = Some((gen, old, new));
            Ok(())
        })?;
        let (gen, old, new) = out.ok_or_else(never_ran)?;
        if old == Some(new) {
            return Ok(new);
        }
        self.follow(&mut cache, gen, |idx| {
            if let Some(old) = old {
                idx.remove(old, member);
            }
            idx.insert(new, member);
        });
        drop(cache);
        self.store.wrote()?;
        Ok(new)
    }

    /// `member`'s score, or `None` if absent.
    pub fn score(&self, member: &str) -> Result<Option<f64>> {
        self.store
            .measured(crate::metrics::Op::LeaderboardScore, || {
                let (key, pk) = self.member_key(member)?;
                if let Some(s) = self.native(|n| n.board_score(&self.pk_prefix, member))? {
                    return Ok(s);
                }
                self.with_index(|idx| self.score_in(idx, member, &pk, &key))
            })
    }

    /// `member`'s rank (0 = highest), or `None` if absent.
    pub fn rank(&self, member: &str) -> Result<Option<u64>> {
        self.store
            .measured(crate::metrics::Op::LeaderboardRank, || {
                let (key, pk) = self.member_key(member)?;
                if let Some(r) = self.native(|n| n.board_rank(&self.pk_prefix, member))? {
                    return Ok(r);
                }
                self.with_index(|idx| {
                    Ok(match self.score_in(idx, member, &pk, &key)? {
                        None => None,
                        Some(s) => idx.rank(s, member),
                    })
                })
            })
    }

    /// The `n` highest members.
    pub fn top(&self, n: u64) -> Result<Vec<Ranked>> {
        self.store.measured(crate::metrics::Op::LeaderboardTop, || {
            self.range_unmeasured(0, n)
        })
    }

    /// Members with ranks in `[start, stop)` (stop is exclusive, as in Python slices).
    pub fn range(&self, start: u64, stop: u64) -> Result<Vec<Ranked>> {
        self.store
            .measured(crate::metrics::Op::LeaderboardRange, || {
                self.range_unmeasured(start, stop)
            })
    }

    fn range_unmeasured(&self, start: u64, stop: u64) -> Result<Vec<Ranked>> {
        if let Some(v) = self.native(|n| n.board_range(&self.pk_prefix, start, stop))? {
            return Ok(v);
        }
        self.with_index(|idx| Ok(idx.slice(start, stop)))
    }

    /// `member` with up to `n` members ranked above and `n` below; empty if absent.
    pub fn around(&self, member: &str, n: u64) -> Result<Vec<Ranked>> {
        self.store
            .measured(crate::metrics::Op::LeaderboardAround, || {
                let (key, pk) = self.member_key(member)?;
                if let Some(v) = self.native(|nat| nat.board_around(&self.pk_prefix, member, n))? {
                    return Ok(v);
                }
                self.with_index(|idx| {
                    let Some(score) = self.score_in(idx, member, &pk, &key)? else {
                        return Ok(Vec::new());
                    };
                    let Some(r) = idx.rank(score, member) else {
                        return Ok(Vec::new());
                    };
                    Ok(idx.slice(r.saturating_sub(n), r.saturating_add(n).saturating_add(1)))
                })
            })
    }

    /// Removes `member`; true if it was there.
    pub fn remove(&self, member: &str) -> Result<bool> {
        self.store
            .measured(crate::metrics::Op::LeaderboardRemove, || {
                let (key, pk) = self.member_key(member)?;
                if let Some(removed) = self.native(|n| n.board_remove(&self.pk_prefix, member))? {
                    if removed {
                        self.store.wrote()?;
                    }
                    return Ok(removed);
                }
                if !self.store.exclusive() {
                    return self.remove_shared(member, &key, &pk);
                }
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
            })
    }

    /// `remove` on a shared engine: one transaction, as for [`Leaderboard::write_shared`].
    fn remove_shared(&self, member: &str, key: &[u8], pk: &[u8]) -> Result<bool> {
        self.store.check_open()?;
        let mut cache = self.board.cache.lock();
        let mut out = None;
        self.store.backend()?.transaction(&mut |tx| {
            out = None;
            let gen = decode_gen(tx.get(&self.gen_key)?)?;
            let Some(raw) = tx.get(pk)? else {
                return Ok(());
            };
            let e = Entry::decode(&raw)?;
            if e.kind != Kind::Leaderboard {
                // Another primitive's key under this board's prefix is not a member.
                return Ok(());
            }
            let old = decode_score(&e, key)?;
            tx.delete(pk)?;
            self.log(tx, gen, removed_record(member))?;
            out = Some((gen, old));
            Ok(())
        })?;
        let Some((gen, old)) = out else {
            return Ok(false);
        };
        self.follow(&mut cache, gen, |idx| {
            idx.remove(old, member);
        });
        drop(cache);
        self.store.wrote()?;
        Ok(true)
    }

    /// Number of members.
    pub fn len(&self) -> Result<u64> {
        self.store.measured(crate::metrics::Op::LeaderboardLen, || {
            if let Some(n) = self.native(|n| n.board_len(&self.pk_prefix))? {
                return Ok(n);
            }
            self.with_index(|idx| Ok(idx.len))
        })
    }

    /// Whether the board has no members.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Heap bytes held by this board's in-memory index (vector capacities plus each member
    /// string's malloc chunk); for the memory benchmark. 0 on an engine with native
    /// leaderboards, which keeps no index in this process.
    #[doc(hidden)]
    pub fn index_heap_bytes(&self) -> Result<usize> {
        if self.native(|_| Ok(()))?.is_some() {
            return Ok(0);
        }
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
        self.store
            .measured(crate::metrics::Op::LeaderboardClear, || {
                if let Some(n) = self.native(|nat| nat.board_clear(&self.pk_prefix))? {
                    if n > 0 {
                        self.store.wrote()?;
                    }
                    return Ok(n);
                }
                if !self.store.exclusive() {
                    return self.clear_shared();
                }
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
            })
    }
}

impl Leaderboard {
    /// `clear` on a shared engine: deletes the members the up-to-date cache lists, in one
    /// transaction that first checks the generation has not moved (the list is exact only then;
    /// a transaction cannot scan), and retries after catching up if it has.
    fn clear_shared(&self) -> Result<u64> {
        self.store.check_open()?;
        let mut cache = self.board.cache.lock();
        loop {
            self.refresh(&mut cache)?;
            let gen = cache.gen;
            let members: Vec<Vec<u8>> = cache
                .index
                .as_ref()
                .expect("index just refreshed")
                .blocks
                .iter()
                .flatten()
                .map(|it| [&self.pk_prefix[..], it.member.as_bytes()].concat())
                .collect();
            if members.is_empty() {
                return Ok(0);
            }
            let mut cleared = false;
            self.store.backend()?.transaction(&mut |tx| {
                cleared = false;
                if decode_gen(tx.get(&self.gen_key)?)? != gen {
                    return Ok(());
                }
                for pk in &members {
                    tx.delete(pk)?;
                }
                self.log(tx, gen, vec![REC_CLEARED])?;
                cleared = true;
                Ok(())
            })?;
            if cleared {
                cache.index = Some(Index::default());
                cache.gen = gen + 1;
                drop(cache);
                self.store.wrote()?;
                return Ok(members.len() as u64);
            }
        }
    }
}

fn never_ran() -> Error {
    Error::new(
        crate::error::ErrorKind::Internal,
        "transaction closure never ran",
    )
}

/// A borrowed view of an owned scan bound.
fn bound_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(k) => Bound::Included(k.as_slice()),
        Bound::Excluded(k) => Bound::Excluded(k.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// A stored generation (absent: 0).
fn decode_gen(raw: Option<Vec<u8>>) -> Result<u64> {
    match raw {
        None => Ok(0),
        Some(v) => v
            .as_slice()
            .try_into()
            .map(u64::from_be_bytes)
            .map_err(|_| Error::corrupt("leaderboard generation is malformed")),
    }
}

/// The change record "`member` now has `score`".
fn set_record(member: &str, score: f64) -> Vec<u8> {
    let mut r = Vec::with_capacity(9 + member.len());
    r.push(REC_SET);
    r.extend_from_slice(&score.to_bits().to_be_bytes());
    r.extend_from_slice(member.as_bytes());
    r
}

/// The change record "`member` was removed".
fn removed_record(member: &str) -> Vec<u8> {
    let mut r = Vec::with_capacity(1 + member.len());
    r.push(REC_REMOVED);
    r.extend_from_slice(member.as_bytes());
    r
}

/// Applies one change record to an index.
fn apply_record(idx: &mut Index, rec: &[u8]) -> Result<()> {
    fn member(b: &[u8]) -> Result<&str> {
        std::str::from_utf8(b).map_err(|_| Error::corrupt("leaderboard member is not UTF-8"))
    }
    match rec.split_first() {
        Some((&REC_SET, rest)) if rest.len() > 8 => {
            let (score, m) = rest.split_at(8);
            let score = f64::from_bits(u64::from_be_bytes(score.try_into().expect("8 bytes")));
            idx.set(member(m)?, Some(score));
        }
        Some((&REC_REMOVED, m)) if !m.is_empty() => idx.set(member(m)?, None),
        Some((&REC_CLEARED, [])) => *idx = Index::default(),
        _ => return Err(Error::corrupt("leaderboard change record is malformed")),
    }
    Ok(())
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
