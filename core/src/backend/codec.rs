//! Compression and encryption at rest: a backend that wraps every engine and transforms the
//! payload of Grove's value envelopes on their way to and from the engine, so every primitive
//! and every engine get both without knowing of them.
//!
//! Only the payload changes; the envelope's header (`[kind][flags][expires_at]`) stays readable,
//! so an engine still sees kinds and expiries (Redis keeps `PXAT`, scripts still tell a record
//! they do not handle and hand it to the generic path). Two flag bits say what was done:
//!
//! - `FLAG_COMPRESSED`: the payload is `[original length: u32 BE][zstd frame]`.
//! - `FLAG_SEALED`: the payload is `[key id: 4][nonce: 12][AES-256-GCM ciphertext+tag]`
//!   of the (possibly compressed) payload, with the physical key, the kind and the two flag bits
//!   as associated data: a value copied onto another key, or relabelled, does not open.
//!
//! A native queue's job payload lives outside any envelope (in the engine's own types): it is
//! sealed and opened whole with [`Codec::seal_opaque`] / [`Codec::open_opaque`], bound to its
//! queue and job id, its form kept beside it by the engine.
//!
//! Reading never depends on the options: a compressed value reads back with compression off,
//! and a sealed one opens with any key of the store's keyring (the current key or an old one).
//! What stays plaintext: every key name, metadata (node id, clocks), the envelope header, and
//! the kinds whose payload is only numbers that engines compute on natively (counters, rate
//! limiter state, leaderboard scores) and locks (a random owner token, a lease and a fence).

use super::caps::{
    Delivered, Dequeued, Enqueued, EntryEdit, EntryStep, Imported, NativeCounter, NativeEntry,
    NativeLeaderboard, NativeLock, NativeQueue, NativeRateLimit, QueueStep,
};
use super::{Backend, Page, Txn, Write};
use crate::error::{Error, ErrorKind, Result};
use crate::queue::QueueStats;
use crate::sync::Mutex;
use crate::value::{Kind, FLAG_COMPRESSED, FLAG_EXPIRES, FLAG_SEALED};
use aes_gcm::aead::{Aead, AeadInPlace, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Bytes of an encryption key.
pub const KEY_LEN: usize = 32;
/// Bytes of a key id in a sealed payload.
const KEY_ID_LEN: usize = 4;
/// Bytes of a GCM nonce.
const NONCE_LEN: usize = 12;
/// Bytes of a GCM tag.
const TAG_LEN: usize = 16;
/// Largest original length a compressed payload may claim (the value limit plus headroom for a
/// kind's own framing), so a forged length cannot make a read allocate without bound.
const MAX_INFLATED: usize = crate::store::MAX_VALUE_LEN + (1 << 20);
/// zstd's level: its default, a good balance for values of a few KB.
const ZSTD_LEVEL: i32 = 3;

/// A fresh encryption key from the OS CSPRNG.
pub fn new_encryption_key() -> Result<[u8; KEY_LEN]> {
    let mut k = [0u8; KEY_LEN];
    crate::random::fill(&mut k)?;
    Ok(k)
}

/// One AEAD key and its id (a MAC of a constant under the key, so ids reveal nothing of it).
struct SealKey {
    id: [u8; KEY_ID_LEN],
    cipher: Aes256Gcm,
}

impl SealKey {
    fn new(key: &[u8; KEY_LEN]) -> Result<SealKey> {
        let cipher = Aes256Gcm::new(key.into());
        let tag = cipher
            .encrypt(
                Nonce::from_slice(&[0u8; NONCE_LEN]),
                Payload {
                    msg: b"",
                    aad: b"grove key id v1",
                },
            )
            .map_err(|_| Error::new(ErrorKind::Internal, "deriving a key id failed"))?;
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&tag[..KEY_ID_LEN]);
        Ok(SealKey { id, cipher })
    }
}

/// What a store does to values it writes, and the keys it can open values with.
pub(crate) struct Codec {
    /// Compress payloads of at least this many bytes (`None`: never).
    compress_min: Option<usize>,
    /// New values are sealed with the first key; the others only open old values.
    keys: Vec<SealKey>,
    /// Nonces are a random 4-byte prefix and a 64-bit counter from a random start, both drawn
    /// per open: two opens collide only if their prefixes match (2^-32) and their counter runs
    /// overlap (about 2n/2^64 for n writes), so no syscall per value is needed for uniqueness.
    nonce_prefix: [u8; NONCE_LEN - 8],
    nonce_counter: AtomicU64,
    /// A short, secret-free description of the settings, to refuse a second open of the same
    /// store in this process with other settings.
    fingerprint: String,
}

impl Codec {
    /// A codec compressing payloads of at least `compress_min` bytes, sealing with `key` and
    /// opening with it or any of `old_keys`.
    pub(crate) fn new(
        compress_min: Option<usize>,
        key: Option<&[u8; KEY_LEN]>,
        old_keys: &[[u8; KEY_LEN]],
    ) -> Result<Codec> {
        if key.is_none() && !old_keys.is_empty() {
            return Err(Error::invalid(
                "old encryption keys need a current encryption key (new values are sealed with it)",
            ));
        }
        let mut keys = Vec::new();
        for k in key.into_iter().chain(old_keys) {
            let k = SealKey::new(k)?;
            if keys.iter().any(|o: &SealKey| o.id == k.id) {
                return Err(Error::invalid(
                    "the same encryption key is given twice (current and old keys must differ)",
                ));
            }
            keys.push(k);
        }
        let mut nonce_prefix = [0u8; NONCE_LEN - 8];
        crate::random::fill(&mut nonce_prefix)?;
        let mut start = [0u8; 8];
        crate::random::fill(&mut start)?;
        let ids: Vec<String> = keys.iter().map(|k| hex(&k.id)).collect();
        Ok(Codec {
            fingerprint: format!("compress={compress_min:?} keys={ids:?}"),
            compress_min,
            keys,
            nonce_prefix,
            nonce_counter: AtomicU64::new(u64::from_le_bytes(start)),
        })
    }

    /// Whether this codec changes anything it writes.
    fn writes(&self) -> bool {
        self.compress_min.is_some() || !self.keys.is_empty()
    }

    /// `payload` as a compressed body (`[original length: u32 BE][zstd frame]`) when this codec
    /// compresses payloads of its size and the frame comes out smaller; `None` otherwise.
    fn deflate(&self, payload: &[u8]) -> Result<Option<Vec<u8>>> {
        let Some(min) = self.compress_min else {
            return Ok(None);
        };
        if payload.len() < min {
            return Ok(None);
        }
        let frame = compress(payload)?;
        if frame.len() + 4 >= payload.len() {
            return Ok(None);
        }
        let mut c = Vec::with_capacity(4 + frame.len());
        c.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        c.extend_from_slice(&frame);
        Ok(Some(c))
    }

    /// A description of the settings without secrets (key ids only).
    pub(crate) fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The stored form of `value` at physical key `pk`.
    fn encode<'a>(&self, pk: &[u8], value: &'a [u8]) -> Result<Cow<'a, [u8]>> {
        if !self.writes() || !is_data(pk) {
            return Ok(Cow::Borrowed(value));
        }
        let Some((kind, flags, header)) = header(value) else {
            return Ok(Cow::Borrowed(value));
        };
        if !transformed(kind) || flags & (FLAG_COMPRESSED | FLAG_SEALED) != 0 {
            return Ok(Cow::Borrowed(value));
        }
        let payload = &value[header..];
        let mut flags = flags;
        let mut body: Cow<'_, [u8]> = Cow::Borrowed(payload);
        if let Some(c) = self.deflate(payload)? {
            body = Cow::Owned(c);
            flags |= FLAG_COMPRESSED;
        }
        if let Some(key) = self.keys.first() {
            // One buffer, sealed in place: header, key id, nonce, ciphertext, tag.
            flags |= FLAG_SEALED;
            let nonce = self.next_nonce();
            let mut out =
                Vec::with_capacity(header + KEY_ID_LEN + NONCE_LEN + body.len() + TAG_LEN);
            out.extend_from_slice(&value[..header]);
            out[1] = flags;
            out.extend_from_slice(&key.id);
            out.extend_from_slice(&nonce);
            let at = out.len();
            out.extend_from_slice(&body);
            let tag = with_aad(pk, kind, flags, |aad| {
                key.cipher
                    .encrypt_in_place_detached(Nonce::from_slice(&nonce), aad, &mut out[at..])
            })
            .map_err(|_| Error::new(ErrorKind::Internal, "sealing a value failed"))?;
            out.extend_from_slice(&tag);
            return Ok(Cow::Owned(out));
        }
        if flags == value[1] {
            return Ok(Cow::Borrowed(value));
        }
        let mut out = Vec::with_capacity(header + body.len());
        out.extend_from_slice(&value[..header]);
        out[1] = flags;
        out.extend_from_slice(&body);
        Ok(Cow::Owned(out))
    }

    /// The plain form of the stored `value` at physical key `pk`.
    fn decode<'a>(&self, pk: &[u8], value: &'a [u8]) -> Result<Cow<'a, [u8]>> {
        if !is_data(pk) {
            return Ok(Cow::Borrowed(value));
        }
        let Some((kind, flags, header)) = header(value) else {
            return Ok(Cow::Borrowed(value));
        };
        if flags & (FLAG_COMPRESSED | FLAG_SEALED) == 0 {
            return Ok(Cow::Borrowed(value));
        }
        let name = || String::from_utf8_lossy(&pk[1..]).into_owned();
        let mut body: Cow<'_, [u8]> = Cow::Borrowed(&value[header..]);
        if flags & FLAG_SEALED != 0 {
            if body.len() < KEY_ID_LEN + NONCE_LEN + TAG_LEN {
                return Err(Error::corrupt(format!(
                    "sealed value at '{}' is too short",
                    name()
                )));
            }
            let (id, rest) = body.split_at(KEY_ID_LEN);
            let (nonce, ct) = rest.split_at(NONCE_LEN);
            let Some(key) = self.keys.iter().find(|k| k.id == id) else {
                return Err(Error::new(
                    ErrorKind::Encryption,
                    if self.keys.is_empty() {
                        format!(
                            "the value at '{}' is encrypted and this store was opened without \
                             an encryption key",
                            name()
                        )
                    } else {
                        format!(
                            "the value at '{}' is encrypted with a key this store was not given \
                             (key id {}); pass it as the encryption key or an old one",
                            name(),
                            hex(id)
                        )
                    },
                ));
            };
            let (ct, tag) = ct.split_at(ct.len() - TAG_LEN);
            let refused = || {
                Error::new(
                    ErrorKind::Encryption,
                    format!(
                        "the value at '{}' does not open with its key: it was changed, or \
                         copied from another key",
                        name()
                    ),
                )
            };
            // Opened in place: straight into the envelope when nothing else is to be undone.
            let compressed = flags & FLAG_COMPRESSED != 0;
            let skip = if compressed { 0 } else { header };
            let mut buf = Vec::with_capacity(skip + ct.len());
            if !compressed {
                buf.extend_from_slice(&value[..header]);
                buf[1] = flags & FLAG_EXPIRES;
            }
            buf.extend_from_slice(ct);
            with_aad(pk, kind, flags, |aad| {
                key.cipher.decrypt_in_place_detached(
                    Nonce::from_slice(nonce),
                    aad,
                    &mut buf[skip..],
                    tag.into(),
                )
            })
            .map_err(|_| refused())?;
            if !compressed {
                return Ok(Cow::Owned(buf));
            }
            body = Cow::Owned(buf);
        }
        if flags & FLAG_COMPRESSED != 0 {
            let plain = inflate(&body, &format!("value at '{}'", name()))?;
            body = Cow::Owned(plain);
        }
        let mut out = Vec::with_capacity(header + body.len());
        out.extend_from_slice(&value[..header]);
        out[1] = flags & FLAG_EXPIRES;
        out.extend_from_slice(&body);
        Ok(Cow::Owned(out))
    }

    /// An opaque payload (a queue job's, kept outside Grove's envelopes) in stored form, and
    /// its form: `""` unchanged, `"z"` compressed (`[original length: u32 BE][zstd frame]`),
    /// `"s<key id hex>"` sealed (`[nonce][ciphertext][tag]`, the key id in the form), `"zs<key
    /// id hex>"` compressed then sealed. Sealed with `aad` (what the payload belongs to) and
    /// the form's two flags as associated data.
    pub(crate) fn seal_opaque(&self, aad: &[u8], payload: &[u8]) -> Result<(Vec<u8>, String)> {
        let mut flags = 0;
        let mut body: Cow<'_, [u8]> = Cow::Borrowed(payload);
        if let Some(c) = self.deflate(payload)? {
            body = Cow::Owned(c);
            flags |= FLAG_COMPRESSED;
        }
        let Some(key) = self.keys.first() else {
            let form = if flags == 0 { "" } else { "z" };
            return Ok((body.into_owned(), form.to_string()));
        };
        flags |= FLAG_SEALED;
        let nonce = self.next_nonce();
        let mut out = Vec::with_capacity(NONCE_LEN + body.len() + TAG_LEN);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&body);
        let tag = with_opaque_aad(aad, flags, |a| {
            key.cipher.encrypt_in_place_detached(
                Nonce::from_slice(&nonce),
                a,
                &mut out[NONCE_LEN..],
            )
        })
        .map_err(|_| Error::new(ErrorKind::Internal, "sealing a payload failed"))?;
        out.extend_from_slice(&tag);
        let z = if flags & FLAG_COMPRESSED != 0 {
            "z"
        } else {
            ""
        };
        Ok((out, format!("{z}s{}", hex(&key.id))))
    }

    /// The plain payload of `stored`, of form `form`, sealed with `aad` (see
    /// [`Codec::seal_opaque`]); `what` names it in errors.
    pub(crate) fn open_opaque(
        &self,
        aad: &[u8],
        stored: Vec<u8>,
        form: &str,
        what: &dyn Fn() -> String,
    ) -> Result<Vec<u8>> {
        let (compressed, sealed) = match form.split_once('s') {
            None if form.is_empty() => return Ok(stored),
            None if form == "z" => (true, None),
            Some((z, id)) if z.is_empty() || z == "z" => (z == "z", Some(id)),
            _ => {
                return Err(Error::corrupt(format!(
                    "{} has an unknown form {form:?}",
                    what()
                )))
            }
        };
        let mut body = stored;
        if let Some(id) = sealed {
            let Some(key) = self.keys.iter().find(|k| hex(&k.id) == id) else {
                return Err(self.missing_key(&what(), id));
            };
            if body.len() < NONCE_LEN + TAG_LEN {
                return Err(Error::corrupt(format!("sealed {} is too short", what())));
            }
            let flags = FLAG_SEALED | if compressed { FLAG_COMPRESSED } else { 0 };
            let mut ct = body.split_off(NONCE_LEN);
            let tag = ct.split_off(ct.len() - TAG_LEN);
            with_opaque_aad(aad, flags, |a| {
                key.cipher.decrypt_in_place_detached(
                    Nonce::from_slice(&body),
                    a,
                    &mut ct,
                    tag.as_slice().into(),
                )
            })
            .map_err(|_| {
                Error::new(
                    ErrorKind::Encryption,
                    format!(
                        "{} does not open with its key: it was changed, or moved from another \
                         job or queue",
                        what()
                    ),
                )
            })?;
            body = ct;
        }
        if !compressed {
            return Ok(body);
        }
        inflate(&body, &what())
    }

    /// The ids (hex, as forms write them) of the keys this codec opens with.
    pub(crate) fn key_ids(&self) -> Vec<String> {
        self.keys.iter().map(|k| hex(&k.id)).collect()
    }

    /// Whether new payloads are sealed.
    pub(crate) fn seals(&self) -> bool {
        !self.keys.is_empty()
    }

    /// The `Encryption` error for `what`, sealed with key `id` (hex) this codec lacks.
    pub(crate) fn missing_key(&self, what: &str, id: &str) -> Error {
        Error::new(
            ErrorKind::Encryption,
            if self.keys.is_empty() {
                format!("{what} is encrypted and this store was opened without an encryption key")
            } else {
                format!(
                    "{what} is encrypted with a key this store was not given (key id {id}); \
                     pass it as the encryption key or an old one"
                )
            },
        )
    }

    /// A fresh nonce: the random prefix and the next count.
    fn next_nonce(&self) -> [u8; NONCE_LEN] {
        let mut nonce = [0u8; NONCE_LEN];
        nonce[..NONCE_LEN - 8].copy_from_slice(&self.nonce_prefix);
        let n = self.nonce_counter.fetch_add(1, Ordering::Relaxed);
        nonce[NONCE_LEN - 8..].copy_from_slice(&n.to_be_bytes());
        nonce
    }

    /// The stored form of `value`, reusing it when nothing changes.
    fn encode_owned(&self, pk: &[u8], value: Vec<u8>) -> Result<Vec<u8>> {
        Ok(match self.encode(pk, &value)? {
            Cow::Borrowed(_) => value,
            Cow::Owned(e) => e,
        })
    }

    /// `w` with the value it puts in stored form.
    fn encode_write(&self, pk: &[u8], w: Write) -> Result<Write> {
        Ok(match w {
            Write::Put(v) => Write::Put(self.encode_owned(pk, v)?),
            other => other,
        })
    }

    fn decode_owned(&self, pk: &[u8], value: Vec<u8>) -> Result<Vec<u8>> {
        match self.decode(pk, &value)? {
            Cow::Borrowed(_) => Ok(value),
            Cow::Owned(v) => Ok(v),
        }
    }

    fn decode_opt(&self, pk: &[u8], value: Option<Vec<u8>>) -> Result<Option<Vec<u8>>> {
        value.map(|v| self.decode_owned(pk, v)).transpose()
    }
}

thread_local! {
    // A zstd context costs more to make than to compress a few KB with: one per thread, reused.
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { std::cell::RefCell::new(None) };
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// `payload` as one zstd frame, with this thread's context.
fn compress(payload: &[u8]) -> Result<Vec<u8>> {
    let fail = |e: std::io::Error| Error::new(ErrorKind::Internal, format!("zstd: {e}"));
    COMPRESSOR.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_none() {
            *c = Some(zstd::bulk::Compressor::new(ZSTD_LEVEL).map_err(fail)?);
        }
        c.as_mut()
            .expect("made above")
            .compress(payload)
            .map_err(fail)
    })
}

/// The payload of zstd frame `frame`, at most `capacity` bytes, with this thread's context.
/// The payload a compressed `body` (`[len u32][zstd frame]`) holds; `what` names it in errors.
/// The claimed length is checked before anything is allocated, and against what came out.
fn inflate(body: &[u8], what: &str) -> Result<Vec<u8>> {
    if body.len() < 4 {
        return Err(Error::corrupt(format!("compressed {what} is too short")));
    }
    let len = u32::from_be_bytes(body[..4].try_into().expect("4 bytes")) as usize;
    if len > MAX_INFLATED {
        return Err(Error::corrupt(format!(
            "compressed {what} claims {len} bytes"
        )));
    }
    let plain = decompress(&body[4..], len)
        .map_err(|e| Error::corrupt(format!("compressed {what} does not decompress: {e}")))?;
    if plain.len() != len {
        return Err(Error::corrupt(format!(
            "compressed {what} inflates to {} bytes, not {len}",
            plain.len()
        )));
    }
    Ok(plain)
}

fn decompress(frame: &[u8], capacity: usize) -> std::io::Result<Vec<u8>> {
    DECOMPRESSOR.with(|d| {
        let mut d = d.borrow_mut();
        if d.is_none() {
            *d = Some(zstd::bulk::Decompressor::new()?);
        }
        d.as_mut().expect("made above").decompress(frame, capacity)
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `pk` holds user data (envelopes) rather than metadata.
fn is_data(pk: &[u8]) -> bool {
    pk.first() == Some(&crate::store::DATA_MARKER)
}

/// Kinds whose payload is transformed: all but those engines compute on natively, whose
/// payload is only numbers, or numbers and a random lock token (a handle, not user data).
fn transformed(kind: Kind) -> bool {
    !matches!(
        kind,
        Kind::Counter | Kind::RateLimit | Kind::Leaderboard | Kind::Lock
    )
}

/// The kind, flags and header length of an envelope, or `None` for bytes that are not one
/// (a native counter's decimal text): those pass through untouched.
fn header(value: &[u8]) -> Option<(Kind, u8, usize)> {
    if value.len() < 2 {
        return None;
    }
    let kind = Kind::from_tag(value[0])?;
    let flags = value[1];
    if flags & !(FLAG_EXPIRES | FLAG_COMPRESSED | FLAG_SEALED) != 0 {
        return None; // not Grove's: the primitive's own decoding calls it Corrupt
    }
    let len = if flags & FLAG_EXPIRES != 0 { 10 } else { 2 };
    (value.len() >= len).then_some((kind, flags, len))
}

/// Runs `f` with what a sealed payload is bound to: its key, its kind, and whether it is
/// compressed (on the stack for the usual key lengths).
fn with_aad<T>(pk: &[u8], kind: Kind, flags: u8, f: impl FnOnce(&[u8]) -> T) -> T {
    const HEAD: &[u8] = b"grove1";
    let len = HEAD.len() + 2 + pk.len();
    let mut stack = [0u8; 256];
    let mut heap = Vec::new();
    let a: &mut [u8] = if len <= stack.len() {
        &mut stack[..len]
    } else {
        heap.resize(len, 0);
        &mut heap
    };
    a[..HEAD.len()].copy_from_slice(HEAD);
    a[HEAD.len()] = kind as u8;
    a[HEAD.len() + 1] = flags & (FLAG_COMPRESSED | FLAG_SEALED);
    a[HEAD.len() + 2..].copy_from_slice(pk);
    f(a)
}

/// Runs `f` with what a sealed opaque payload is bound to: `aad` (for a job, its queue's
/// physical prefix and its id) and whether it is compressed. Its own head, so no envelope's
/// associated data is ever an opaque payload's.
fn with_opaque_aad<T>(aad: &[u8], flags: u8, f: impl FnOnce(&[u8]) -> T) -> T {
    let mut a = Vec::with_capacity(16 + aad.len());
    a.extend_from_slice(b"grove-opaque1");
    a.push(flags & (FLAG_COMPRESSED | FLAG_SEALED));
    a.extend_from_slice(aad);
    f(&a)
}

/// An engine seen through a [`Codec`].
pub(crate) struct CodecBackend {
    inner: Arc<dyn Backend>,
    codec: Codec,
    /// Per native queue (physical prefix), the id its next job should get as far as this
    /// process knows: a sealed payload is bound to its job's id, which the engine assigns, so
    /// the enqueue seals for this guess and the engine refuses it when another was taken (see
    /// [`NativeQueue::queue_enqueue`]).
    next_ids: Mutex<HashMap<Vec<u8>, u64>>,
}

/// Queues whose next id [`CodecBackend::next_ids`] remembers before it starts over.
const NEXT_IDS_MAX: usize = 10_000;

impl CodecBackend {
    /// `inner` with values transformed by `codec`.
    pub(crate) fn new(inner: Arc<dyn Backend>, codec: Codec) -> CodecBackend {
        CodecBackend {
            inner,
            codec,
            next_ids: Mutex::new(HashMap::new()),
        }
    }

    /// The inner engine's native queues (present whenever [`Backend::native_queue`] answered).
    fn inner_queue(&self) -> Result<&dyn NativeQueue> {
        self.inner
            .native_queue()
            .ok_or_else(|| Error::new(ErrorKind::Internal, "the engine has no native queues"))
    }

    /// Opens a job's payload as stored (`job.payload` in form `job.form`) in `queue`.
    fn open_job(&self, queue: &[u8], mut job: Delivered) -> Result<Delivered> {
        let what = || {
            format!(
                "the payload of job {} in queue '{}'",
                job.id,
                queue_name(queue)
            )
        };
        job.payload = self.codec.open_opaque(
            &job_aad(queue, job.id),
            std::mem::take(&mut job.payload),
            &job.form,
            &what,
        )?;
        job.form.clear();
        Ok(job)
    }
}

/// What a job's sealed payload is bound to: its queue (physical prefix) and its id.
fn job_aad(queue: &[u8], id: u64) -> Vec<u8> {
    [queue, &id.to_be_bytes()].concat()
}

/// A queue's name as messages show it (its physical prefix without the data marker).
fn queue_name(queue: &[u8]) -> String {
    String::from_utf8_lossy(queue.get(1..).unwrap_or_default()).into_owned()
}

impl NativeQueue for CodecBackend {
    fn queue_enqueue(
        &self,
        queue: &[u8],
        payload: &[u8],
        _form: &str,
        _expect: Option<u64>,
        now: u64,
        delay_ms: u64,
    ) -> Result<QueueStep<Enqueued>> {
        let inner = self.inner_queue()?;
        if !self.codec.seals() {
            let (stored, form) = self.codec.seal_opaque(&[], payload)?;
            return inner.queue_enqueue(queue, &stored, &form, None, now, delay_ms);
        }
        // Sealed for the id it is expected to get; when another process took that one, the
        // engine says which is next and it is sealed again (once per id taken meanwhile).
        let mut guess = self.next_ids.lock().get(queue).copied().unwrap_or(1);
        loop {
            let (stored, form) = self.codec.seal_opaque(&job_aad(queue, guess), payload)?;
            match inner.queue_enqueue(queue, &stored, &form, Some(guess), now, delay_ms)? {
                QueueStep::Done(Enqueued::Id(id)) => {
                    let mut ids = self.next_ids.lock();
                    if ids.len() >= NEXT_IDS_MAX && !ids.contains_key(queue) {
                        ids.clear();
                    }
                    ids.insert(queue.to_vec(), id + 1);
                    return Ok(QueueStep::Done(Enqueued::Id(id)));
                }
                QueueStep::Done(Enqueued::NextIs(next)) => guess = next,
                QueueStep::Legacy => return Ok(QueueStep::Legacy),
            }
        }
    }

    fn queue_dequeue(
        &self,
        queue: &[u8],
        now: u64,
        visibility_ms: u64,
        max_attempts: u32,
        _openable: &[String],
    ) -> Result<QueueStep<Dequeued>> {
        let step = self.inner_queue()?.queue_dequeue(
            queue,
            now,
            visibility_ms,
            max_attempts,
            &self.codec.key_ids(),
        )?;
        Ok(match step {
            QueueStep::Done(Dequeued::Job(job)) => {
                QueueStep::Done(Dequeued::Job(self.open_job(queue, job)?))
            }
            QueueStep::Done(Dequeued::Sealed(id)) => {
                let what = format!("a due job's payload in queue '{}'", queue_name(queue));
                return Err(self.codec.missing_key(&what, &id));
            }
            other => other,
        })
    }

    fn queue_settle(
        &self,
        queue: &[u8],
        id: u64,
        nack: Option<(u64, u64)>,
    ) -> Result<QueueStep<bool>> {
        self.inner_queue()?.queue_settle(queue, id, nack)
    }

    fn queue_stats(&self, queue: &[u8]) -> Result<QueueStep<QueueStats>> {
        self.inner_queue()?.queue_stats(queue)
    }

    fn queue_dead_letters(&self, queue: &[u8]) -> Result<QueueStep<Vec<Delivered>>> {
        Ok(match self.inner_queue()?.queue_dead_letters(queue)? {
            QueueStep::Done(jobs) => QueueStep::Done(
                jobs.into_iter()
                    .map(|j| self.open_job(queue, j))
                    .collect::<Result<_>>()?,
            ),
            QueueStep::Legacy => QueueStep::Legacy,
        })
    }

    fn queue_import(
        &self,
        queue: &[u8],
        last_id: u64,
        stats: QueueStats,
        jobs: Vec<Imported>,
    ) -> Result<bool> {
        let jobs = jobs
            .into_iter()
            .map(|mut j| {
                let aad = job_aad(queue, j.job.id);
                let (stored, form) = self.codec.seal_opaque(&aad, &j.job.payload)?;
                j.job.payload = stored;
                j.job.form = form;
                Ok(j)
            })
            .collect::<Result<Vec<_>>>()?;
        self.inner_queue()?
            .queue_import(queue, last_id, stats, jobs)
    }
}

struct CodecTxn<'a> {
    inner: &'a mut dyn Txn,
    codec: &'a Codec,
}

impl Txn for CodecTxn<'_> {
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let v = self.inner.get(key)?;
        self.codec.decode_opt(key, v)
    }
    fn put(&mut self, key: &[u8], value: Vec<u8>) -> Result<()> {
        let v = self.codec.encode_owned(key, value)?;
        self.inner.put(key, v)
    }
    fn delete(&mut self, key: &[u8]) -> Result<()> {
        self.inner.delete(key)
    }
}

impl Backend for CodecBackend {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let v = self.inner.get(key)?;
        self.codec.decode_opt(key, v)
    }
    fn insert(&self, key: &[u8], value: Vec<u8>) -> Result<()> {
        let v = self.codec.encode_owned(key, value)?;
        self.inner.insert(key, v)
    }
    fn remove(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let v = self.inner.remove(key)?;
        self.codec.decode_opt(key, v)
    }
    fn compare_and_swap(
        &self,
        key: &[u8],
        expected: Option<&[u8]>,
        new: Option<Vec<u8>>,
    ) -> Result<Result<(), Option<Vec<u8>>>> {
        let new = new.map(|v| self.codec.encode_owned(key, v)).transpose()?;
        // The caller expects a plain value; the engine holds a stored form of it (sealed values
        // differ on every write), so a mismatch whose plain form equals `expected` is retried
        // against the stored form.
        let mut stored_expected: Option<Vec<u8>> = None;
        loop {
            let exp = match &stored_expected {
                Some(s) => Some(s.as_slice()),
                None => expected,
            };
            match self.inner.compare_and_swap(key, exp, new.clone())? {
                Ok(()) => return Ok(Ok(())),
                Err(current) => {
                    let plain = self.codec.decode_opt(key, current.clone())?;
                    if plain.as_deref() != expected || current.is_none() {
                        return Ok(Err(plain));
                    }
                    if current.as_deref() == exp {
                        // The engine refused the very bytes it holds: nothing to retry with.
                        return Ok(Err(plain));
                    }
                    stored_expected = current;
                }
            }
        }
    }
    fn update(&self, key: &[u8], f: &mut dyn FnMut(Option<&[u8]>) -> Result<Write>) -> Result<()> {
        let codec = &self.codec;
        self.inner.update(key, &mut |cur| {
            let plain = cur.map(|c| codec.decode(key, c)).transpose()?;
            codec.encode_write(key, f(plain.as_deref())?)
        })
    }
    fn update_header(
        &self,
        key: &[u8],
        f: &mut dyn FnMut(Option<&[u8]>) -> Result<Write>,
    ) -> Result<()> {
        // The header is plaintext: a transformed value is shown as its header with an empty
        // payload, so replacing a sealed value costs no open.
        let codec = &self.codec;
        self.inner.update(key, &mut |cur| {
            let view: Option<Cow<'_, [u8]>> = cur.map(|c| match header(c) {
                Some((_, flags, len))
                    if is_data(key) && flags & (FLAG_COMPRESSED | FLAG_SEALED) != 0 =>
                {
                    let mut h = c[..len].to_vec();
                    h[1] = flags & FLAG_EXPIRES;
                    Cow::Owned(h)
                }
                _ => Cow::Borrowed(c),
            });
            codec.encode_write(key, f(view.as_deref())?)
        })
    }
    fn apply_batch(&self, ops: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> Result<()> {
        let ops = ops
            .into_iter()
            .map(|(k, v)| {
                let v = v.map(|v| self.codec.encode_owned(&k, v)).transpose()?;
                Ok((k, v))
            })
            .collect::<Result<Vec<_>>>()?;
        self.inner.apply_batch(ops)
    }
    fn transaction(&self, f: &mut dyn FnMut(&mut dyn Txn) -> Result<()>) -> Result<()> {
        let codec = &self.codec;
        self.inner.transaction(&mut |tx| {
            let mut t = CodecTxn { inner: tx, codec };
            f(&mut t)
        })
    }
    fn scan(
        &self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Result<Page> {
        self.inner
            .scan(start, end, reverse, limit)?
            .into_iter()
            .map(|(k, v)| {
                let v = self.codec.decode_owned(&k, v)?;
                Ok((k, v))
            })
            .collect()
    }
    fn flush(&self) -> Result<()> {
        self.inner.flush()
    }
    fn size_on_disk(&self) -> Result<u64> {
        self.inner.size_on_disk()
    }
    fn exclusive(&self) -> bool {
        self.inner.exclusive()
    }
    fn native_counter(&self) -> Option<&dyn NativeCounter> {
        self.inner.native_counter()
    }
    // A lock is only a random token, a lease and a fence, stored untransformed (see
    // `transformed`), so its native form needs no codec; the scripts hand a sealed record
    // written by an earlier build to the generic path, which opens it here.
    fn native_lock(&self) -> Option<&dyn NativeLock> {
        self.inner.native_lock()
    }
    // Native queues have no generic path to fall back to (their layout is the engine's own):
    // this backend seals and opens their payloads itself (see its `NativeQueue`).
    fn native_queue(&self) -> Option<&dyn NativeQueue> {
        self.inner.native_queue().map(|_| self as &dyn NativeQueue)
    }
    fn native_entry(&self) -> Option<&dyn NativeEntry> {
        self.inner.native_entry().map(|_| self as &dyn NativeEntry)
    }
    fn native_leaderboard(&self) -> Option<&dyn NativeLeaderboard> {
        self.inner.native_leaderboard()
    }
    fn native_rate_limit(&self) -> Option<&dyn NativeRateLimit> {
        self.inner.native_rate_limit()
    }
    fn unwrapped(&self) -> Option<Arc<dyn Backend>> {
        Some(self.inner.clone())
    }
}

// A replacement is transformed like any write; an expiry lives in the plaintext header, outside
// what a seal binds (see `with_aad`), so the engine may patch it in place.
impl NativeEntry for CodecBackend {
    fn entry_edit(
        &self,
        pk: &[u8],
        now: u64,
        want: Option<Kind>,
        refuse: &[Kind],
        edit: EntryEdit<'_>,
    ) -> Result<EntryStep> {
        let Some(inner) = self.inner.native_entry() else {
            return Ok(EntryStep::Generic);
        };
        match edit {
            EntryEdit::Replace(v) => {
                let stored = self.codec.encode(pk, v)?;
                inner.entry_edit(pk, now, want, refuse, EntryEdit::Replace(&stored))
            }
            _ => inner.entry_edit(pk, now, want, refuse, edit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{encode, Entry};

    const K1: [u8; KEY_LEN] = [7; KEY_LEN];
    const K2: [u8; KEY_LEN] = [9; KEY_LEN];

    fn kind_of(err: Error) -> ErrorKind {
        err.kind()
    }

    #[test]
    fn sealed_and_compressed_values_round_trip_and_need_their_key() {
        let big: Vec<u8> = b"{\"sku\":\"A-1\",\"qty\":3}".repeat(500);
        let sealer = Codec::new(Some(64), Some(&K1), &[]).unwrap();
        for payload in [&b""[..], b"\x00\xff\x00", &big] {
            for exp in [None, Some(1_700_000_000_000u64)] {
                let plain = encode(Kind::Bytes, exp, payload);
                let stored = sealer.encode(b"kuser:1", &plain).unwrap().into_owned();
                assert_ne!(stored, plain);
                let e = Entry::decode_stored(&stored).unwrap();
                assert_eq!(
                    (e.kind, e.expires_at),
                    (Kind::Bytes, exp),
                    "header stays readable"
                );
                assert!(
                    Entry::decode(&stored).is_err(),
                    "primitives never take it raw"
                );
                assert_eq!(sealer.decode(b"kuser:1", &stored).unwrap(), plain);
                if payload.len() > 64 {
                    assert!(
                        stored.len() < payload.len() / 10,
                        "compressed before sealing"
                    );
                }
                // Without the key, with another key, copied to another key, relabelled, or with
                // a byte changed: the Encryption kind, never garbage.
                let none = Codec::new(None, None, &[]).unwrap();
                let other = Codec::new(None, Some(&K2), &[]).unwrap();
                for (codec, pk, bytes) in [
                    (&none, &b"kuser:1"[..], stored.clone()),
                    (&other, b"kuser:1", stored.clone()),
                    (&sealer, b"kuser:2", stored.clone()),
                    (&sealer, b"kns:user:1", stored.clone()),
                ] {
                    let err = codec.decode(pk, &bytes).unwrap_err();
                    assert_eq!(kind_of(err), ErrorKind::Encryption);
                }
                let mut relabelled = stored.clone();
                relabelled[0] = Kind::Session as u8;
                assert_eq!(
                    kind_of(sealer.decode(b"kuser:1", &relabelled).unwrap_err()),
                    ErrorKind::Encryption
                );
                for i in [stored.len() - 1, stored.len() - 20] {
                    let mut t = stored.clone();
                    t[i] ^= 1;
                    assert_eq!(
                        kind_of(sealer.decode(b"kuser:1", &t).unwrap_err()),
                        ErrorKind::Encryption
                    );
                }
            }
        }
    }

    #[test]
    fn rotation_reads_old_keys_and_seals_with_the_new_one() {
        let old = Codec::new(None, Some(&K1), &[]).unwrap();
        let plain = encode(Kind::Session, None, b"cart");
        let by_old = old.encode(b"ks", &plain).unwrap().into_owned();
        let rotated = Codec::new(None, Some(&K2), &[K1]).unwrap();
        assert_eq!(rotated.decode(b"ks", &by_old).unwrap(), plain);
        let by_new = rotated.encode(b"ks", &plain).unwrap().into_owned();
        assert_eq!(by_new[2..6], SealKey::new(&K2).unwrap().id);
        let new_only = Codec::new(None, Some(&K2), &[]).unwrap();
        assert_eq!(new_only.decode(b"ks", &by_new).unwrap(), plain);
        let err = new_only.decode(b"ks", &by_old).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Encryption);
        assert!(err.message().contains("key id"), "{err}");
        // Each write gets a fresh nonce: the same value twice is stored differently.
        assert_ne!(rotated.encode(b"ks", &plain).unwrap(), by_new);
    }

    #[test]
    fn compression_reads_back_with_the_option_off_and_skips_what_it_must() {
        let on = Codec::new(Some(0), None, &[]).unwrap();
        let off = Codec::new(None, None, &[]).unwrap();
        let text = b"abcabcabc".repeat(100);
        let plain = encode(Kind::Queue, Some(5), &text);
        let stored = on.encode(b"kq", &plain).unwrap().into_owned();
        assert!(stored.len() < plain.len());
        assert_eq!(off.decode(b"kq", &stored).unwrap(), plain);
        // Incompressible and tiny payloads stay as they are.
        for p in [&b""[..], b"x", &[0x5a, 0x13, 0xc7, 0x01]] {
            let v = encode(Kind::Bytes, None, p);
            assert_eq!(on.encode(b"kb", &v).unwrap(), v);
        }
        // Counters, rate limiters and leaderboard scores, metadata, and bytes that are not an
        // envelope are never transformed (engines compute on them natively).
        let sealer = Codec::new(Some(0), Some(&K1), &[]).unwrap();
        for (pk, v) in [
            (&b"kc"[..], encode(Kind::Counter, None, &5i64.to_le_bytes())),
            (b"kr", encode(Kind::RateLimit, None, &text)),
            (b"kl", encode(Kind::Leaderboard, None, &text)),
            (b"mnode_id", b"abc".to_vec()),
            (b"kc", b"12345".to_vec()),
        ] {
            assert_eq!(sealer.encode(pk, &v).unwrap(), v);
        }
        // A forged length is refused before anything is allocated for it.
        let mut forged = stored.clone();
        forged[10..14].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(
            off.decode(b"kq", &forged).unwrap_err().kind(),
            ErrorKind::Corrupt
        );
    }

    #[test]
    fn opaque_payloads_round_trip_and_open_only_where_they_were_sealed() {
        let what = || "job 1".to_string();
        let big = b"{\"to\":\"a@b.c\"}".repeat(200);
        let sealer = Codec::new(Some(64), Some(&K1), &[]).unwrap();
        let zipper = Codec::new(Some(64), None, &[]).unwrap();
        let plain = Codec::new(None, None, &[]).unwrap();
        let id = hex(&SealKey::new(&K1).unwrap().id);
        for payload in [&b""[..], b"\x00\xff", &big] {
            let (stored, form) = sealer.seal_opaque(b"q1", payload).unwrap();
            let z = if payload.len() >= 64 { "z" } else { "" };
            assert_eq!(form, format!("{z}s{id}"));
            assert!(!stored
                .windows(4)
                .any(|w| payload.len() > 8 && w == &payload[..4]));
            let open = |c: &Codec, aad: &[u8]| c.open_opaque(aad, stored.clone(), &form, &what);
            assert_eq!(open(&sealer, b"q1").unwrap(), payload);
            // Bound to where it was sealed, and to a key this codec has.
            for (c, aad) in [(&sealer, &b"q2"[..]), (&plain, b"q1"), (&zipper, b"q1")] {
                let err = open(c, aad).unwrap_err();
                assert_eq!(err.kind(), ErrorKind::Encryption, "{err}");
                assert!(err.message().contains("job 1"), "{err}");
            }
            // Compression alone needs no key; nothing at all leaves the bytes as they are.
            let (zs, zform) = zipper.seal_opaque(b"q1", payload).unwrap();
            assert_eq!(zform, z);
            assert_eq!(
                plain.open_opaque(b"q9", zs, &zform, &what).unwrap(),
                payload
            );
            assert_eq!(
                plain.seal_opaque(b"q1", payload).unwrap(),
                (payload.to_vec(), String::new())
            );
        }
        assert_eq!(sealer.key_ids(), [id]);
        let err = plain.open_opaque(b"q", vec![1], "x", &what).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
    }

    #[test]
    fn bad_keyrings_are_refused() {
        assert!(Codec::new(None, None, &[K1]).is_err());
        assert!(Codec::new(None, Some(&K1), &[K1]).is_err());
        assert!(Codec::new(None, Some(&K1), &[K2]).is_ok());
    }
}
