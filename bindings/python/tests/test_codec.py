"""Compression and encryption at rest: round trips through a reopen, EncryptionError, the data
files without the plaintext, and the option checks (sync and aio)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import grovekv
import grovekv.aio as aio

KEY = bytes(range(1, 33))
OTHER = bytes(range(0xA0, 0xC0))


def dir_contains(directory: Path, marker: bytes) -> bool:
    """Whether a file directly in ``directory`` holds ``marker``."""
    return any(p.is_file() and marker in p.read_bytes() for p in directory.iterdir())


def test_encryption_round_trip_and_errors(tmp_path: Path) -> None:
    data = tmp_path / "sealed"
    target = f"lmdb:{data}"
    with grovekv.open(target, encryption_key=KEY) as db:
        db.set("kv", b"MARKER-py-kv-8a3")
        sid = db.sessions(60).create({"note": "MARKER-py-session-8a3"})
        db.queue("jobs").enqueue(b"MARKER-py-job-8a3")
    assert not dir_contains(data, b"MARKER-py-")

    with grovekv.open(target, encryption_key=bytearray(KEY)) as db:
        assert db.get("kv") == b"MARKER-py-kv-8a3"
        assert db.sessions(60).get(sid) == {"note": "MARKER-py-session-8a3"}
        job = db.queue("jobs").dequeue()
        assert job is not None and job.payload == b"MARKER-py-job-8a3"

    for key in (None, OTHER):
        with grovekv.open(target, encryption_key=key) as db:
            with pytest.raises(grovekv.EncryptionError) as info:
                db.get("kv")
            assert info.value.kind == "Encryption"
    with grovekv.open(target, encryption_key=OTHER, old_encryption_keys=[memoryview(KEY)]) as db:
        assert db.get("kv") == b"MARKER-py-kv-8a3"

    # The same write without a key is in the files, so the check above can fail.
    plain = tmp_path / "plain"
    with grovekv.open(f"lmdb:{plain}") as db:
        db.set("kv", b"MARKER-py-kv-8a3")
    assert dir_contains(plain, b"MARKER-py-kv-8a3")


def test_memory_and_bad_options(tmp_path: Path) -> None:
    with grovekv.open_memory(encryption_key=KEY) as db:
        db.set("k", b"v")
        assert db.get("k") == b"v"
    target = f"lmdb:{tmp_path / 'bad'}"
    for bad in (KEY[:31], b"", KEY + b"x"):
        with pytest.raises(grovekv.InvalidArgumentError, match="32 bytes"):
            grovekv.open_memory(encryption_key=bad)
        with pytest.raises(grovekv.InvalidArgumentError):
            grovekv.open(target, encryption_key=bad)
    with pytest.raises(grovekv.InvalidArgumentError):
        grovekv.open_memory(old_encryption_keys=[KEY])
    with pytest.raises(TypeError):
        grovekv.open_memory(encryption_key="k" * 32)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        grovekv.open_memory(encryption_key=KEY, old_encryption_keys=KEY)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        grovekv.open_memory(compress=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        grovekv.open_memory(compress=True, compress_min_bytes=1.5)  # type: ignore[arg-type]
    with pytest.raises(grovekv.InvalidArgumentError):
        grovekv.open_memory(compress=True, compress_min_bytes=-1)


def test_compression_round_trip(tmp_path: Path) -> None:
    big = (b"compressible text " * 600)[: 10 * 1024]
    target = f"lmdb:{tmp_path / 'z'}"
    with grovekv.open(target, compress=True) as db:
        db.set("big", big)
        assert db.get("big") == big
    with grovekv.open(target) as db:
        assert db.get("big") == big
    with grovekv.open_memory(compress=True, compress_min_bytes=0, encryption_key=KEY) as db:
        db.set("big", big)
        assert db.get("big") == big


def test_aio_options_and_error(tmp_path: Path) -> None:
    target = f"lmdb:{tmp_path / 'a'}"

    async def main() -> None:
        async with aio.open(target, compress=True, encryption_key=KEY) as db:
            await db.set("kv", b"sealed")
            assert await db.get("kv") == b"sealed"
        async with aio.open(target) as db:
            with pytest.raises(aio.EncryptionError):
                await db.get("kv")
        async with aio.open_memory(encryption_key=KEY, compress=True) as db:
            await db.set("k", b"v")
            assert await db.get("k") == b"v"
        with pytest.raises(aio.InvalidArgumentError):
            await aio.open_memory(encryption_key=KEY[:8])

    asyncio.run(main())
