"""The Redis engine over TLS (``rediss://``), through the Python door, against the test
command's TLS server, which also requires AUTH (``GROVE_TEST_REDIS_TLS``, with its throwaway
CA in ``GROVE_TEST_REDIS_TLS_DIR``): exact counts, one lock owner and a KV round trip across
two handles; an untrusted server, a wrong password and TLS to a plain server are ``IoError``."""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from pathlib import Path

import pytest

import grovekv

INCREMENTS = 100


@pytest.fixture
def tls() -> tuple[str, Path]:
    """The TLS server's URL (``rediss://grove:PASSWORD@localhost:PORT``, no ``?ca=``) and the
    folder of its certificates; skips when the test command did not start one."""
    url = os.environ.get("GROVE_TEST_REDIS_TLS")
    certs = os.environ.get("GROVE_TEST_REDIS_TLS_DIR")
    if not url or not certs:
        pytest.skip(
            "GROVE_TEST_REDIS_TLS / GROVE_TEST_REDIS_TLS_DIR are not set "
            "(scripts/test.sh starts a TLS redis-server and sets them)"
        )
    return url, Path(certs)


def _increment(db: grovekv.Store) -> None:
    """``INCREMENTS`` increments of the counter ``hits`` through ``db``."""
    hits = db.counter("hits")
    for _ in range(INCREMENTS):
        hits.increment()


def test_tls_with_the_ca_counts_locks_and_round_trips(tls: tuple[str, Path]) -> None:
    url, certs = tls
    target = f"{url}?store=py{uuid.uuid4().hex}&ca={certs / 'ca.pem'}"
    # The second handle also presents the client certificate (the server accepts one).
    mutual = f"{target}&cert={certs / 'client.pem'}&key={certs / 'client.key'}"
    with grovekv.open(target) as a, grovekv.open(mutual, connect_timeout=2.0) as b:
        threads = [threading.Thread(target=_increment, args=(h,)) for h in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert a.counter("hits").get() == 2 * INCREMENTS
        assert b.counter("hits").get() == 2 * INCREMENTS

        first, second = a.lock("deploy", ttl=10.0), b.lock("deploy", ttl=10.0)
        assert first.acquire() is True
        assert second.acquire() is False, "one owner across handles"
        assert second.release() is False
        assert first.release() is True
        assert second.acquire() is True
        assert second.fencing_token > first.fencing_token
        assert second.release() is True

        a.set("greeting", "héllo over TLS")
        assert b.get("greeting") == "héllo over TLS".encode()


def test_tls_without_the_ca_is_io_naming_the_certificate(tls: tuple[str, Path]) -> None:
    url, _ = tls
    # The system's CA store does not trust the test command's throwaway CA.
    with pytest.raises(grovekv.IoError, match="certificate") as info:
        grovekv.open(url, connect_timeout=2.0)
    assert info.value.kind == "Io"


def test_tls_with_a_wrong_password_is_io(tls: tuple[str, Path]) -> None:
    url, certs = tls
    wrong = url.replace("grove:", "grove:wrong", 1)
    with pytest.raises(grovekv.IoError, match=r"(?i)authentication") as info:
        grovekv.open(f"{wrong}?ca={certs / 'ca.pem'}", connect_timeout=2.0)
    password = url.split("grove:", 1)[1].split("@", 1)[0]
    assert password not in str(info.value)


def test_tls_to_a_plain_server_is_io_within_the_connect_timeout(tls: tuple[str, Path]) -> None:
    _, certs = tls
    plain = os.environ.get("GROVE_TEST_REDIS")
    if not plain:
        pytest.skip("GROVE_TEST_REDIS is not set (scripts/test.sh starts a Redis and sets it)")
    address = plain.split("://", 1)[1].split("/", 1)[0]
    # A plain server never answers a TLS handshake: the 1 s connect timeout bounds the wait
    # (the 4 s bound is below the 5 s default and leaves room for a slow machine).
    start = time.monotonic()
    with pytest.raises(grovekv.IoError, match=re.escape(address)):
        grovekv.open(f"rediss://{address}?ca={certs / 'ca.pem'}", connect_timeout=1.0)
    assert time.monotonic() - start < 4.0
