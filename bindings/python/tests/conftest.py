"""Shared fixtures: every store test runs on both the sled and the memory backend."""

from __future__ import annotations

import importlib.util
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import grovekv

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(params=["sled", "memory"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[grovekv.Store]:
    """An open store on each backend, closed after the test."""
    store = grovekv.open(tmp_path / "db") if request.param == "sled" else grovekv.open_memory()
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def black_hole() -> Iterator[str]:
    """``host:port`` on loopback whose TCP handshake never completes: a listener with a backlog
    of 0 whose accept queue is full of connections nobody accepts, so the kernel (Linux) drops
    further SYNs and a connect waits for its own timeout, as to a non-routable address."""
    listener = socket.socket()
    sockets = [listener]
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        host, port = listener.getsockname()
        for _ in range(8):
            filler = socket.socket()
            sockets.append(filler)
            filler.settimeout(0.2)
            try:
                filler.connect((host, port))
            except TimeoutError:
                break  # the queue is full
        else:
            pytest.fail(f"{host}:{port} kept completing handshakes")
        yield f"{host}:{port}"
    finally:
        for s in sockets:
            s.close()


@pytest.fixture(scope="session")
def visitor_counter() -> ModuleType:
    """The seed's visitor counter, from ``examples/visitor_counter.py``."""
    return load_example("visitor_counter")


@pytest.fixture(scope="session")
def inventory() -> ModuleType:
    """The seed's inventory, written correctly, from ``examples/inventory.py``."""
    return load_example("inventory")


def load_example(name: str) -> ModuleType:
    """Imports ``examples/<name>.py`` as a module."""
    spec = importlib.util.spec_from_file_location(
        f"grovekv_example_{name}", EXAMPLES / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
