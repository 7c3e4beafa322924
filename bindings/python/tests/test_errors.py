"""The exception hierarchy: one class per kind, each with .kind, and the builtin bases."""

from __future__ import annotations

import builtins

import pytest

import grovekv

KINDS = [
    "NotFound",
    "WrongType",
    "InvalidArgument",
    "Overflow",
    "Closed",
    "StoreLocked",
    "LockTimeout",
    "ClockDrift",
    "Corrupt",
    "Io",
    "Internal",
    "Encryption",
]


@pytest.mark.parametrize("kind", KINDS)
def test_one_class_per_kind(kind: str) -> None:
    cls = getattr(grovekv, f"{kind}Error")
    assert issubclass(cls, grovekv.GroveError)
    assert issubclass(cls, Exception)
    assert cls.kind == kind
    err = cls("message")
    assert err.kind == kind
    assert str(err) == "message"
    assert cls.__module__ == "grovekv"
    assert f"{kind}Error" in grovekv.__all__


def test_builtin_bases() -> None:
    assert issubclass(grovekv.GroveError, Exception)
    assert not issubclass(grovekv.GroveError, ValueError)
    assert issubclass(grovekv.InvalidArgumentError, ValueError)
    assert issubclass(grovekv.IoError, OSError)
    assert issubclass(grovekv.OverflowError, builtins.OverflowError)
    assert grovekv.OverflowError is not builtins.OverflowError


def test_native_errors_are_these_classes() -> None:
    db = grovekv.open_memory()
    with pytest.raises(grovekv.NotFoundError):
        db.ttl("nope")
    db.close()
    with pytest.raises(grovekv.ClosedError) as info:
        db.get("k")
    assert type(info.value) is grovekv.ClosedError
    assert str(info.value) == "the store handle is closed"


def test_version() -> None:
    assert isinstance(grovekv.__version__, str)
    assert grovekv.__version__.count(".") == 2
