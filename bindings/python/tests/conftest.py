"""Shared fixtures: every store test runs on both the sled and the memory backend."""

from __future__ import annotations

import importlib.util
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
