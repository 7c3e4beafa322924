"""The seed documents' examples: the visitor counter and the inventory, written correctly."""

from __future__ import annotations

import json
import random
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

import pytest

import grovekv


def _get_json(url: str) -> dict[str, int]:
    """GETs ``url`` and decodes its JSON body."""
    with urllib.request.urlopen(url, timeout=10) as resp:
        data: dict[str, int] = json.loads(resp.read())
        return data


def test_visitor_counter_over_http_is_exact(db: grovekv.Store, visitor_counter: ModuleType) -> None:
    server = visitor_counter.make_server(db)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        requests = 200
        with ThreadPoolExecutor(max_workers=16) as pool:
            seen = list(pool.map(lambda _: _get_json(base + "/")["total_views"], range(requests)))
        assert sorted(seen) == list(range(1, requests + 1))  # every view got a distinct count
        assert _get_json(base + "/stats") == {"total_views": requests}
    finally:
        server.shutdown()
        server.server_close()
    assert db.counter("page-views").get() == requests


def test_inventory_basic(db: grovekv.Store, inventory: ModuleType) -> None:
    assert inventory.restock_product(db, "SKU-001", 5) == 5
    assert inventory.decrement_stock(db, "SKU-001", 3) == 2
    with pytest.raises(inventory.InsufficientStock):
        inventory.decrement_stock(db, "SKU-001", 3)
    assert db.counter("stock:SKU-001").get() == 2  # the failed purchase left the stock alone
    assert inventory.decrement_stock(db, "SKU-001", 2) == 0
    with pytest.raises(ValueError):
        inventory.decrement_stock(db, "SKU-001", 0)


@pytest.mark.parametrize("qty_choices", [(1,), (1, 2, 3)])
def test_concurrent_buyers_never_oversell(
    db: grovekv.Store, inventory: ModuleType, qty_choices: tuple[int, ...]
) -> None:
    stock, buyers, attempts = 300, 8, 100
    inventory.restock_product(db, "hot-item", stock)
    sold: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(buyers)

    def buyer(seed: int) -> None:
        rng = random.Random(seed)
        start.wait()
        mine = 0
        for _ in range(attempts):
            qty = rng.choice(qty_choices)
            try:
                inventory.decrement_stock(db, "hot-item", qty)
                mine += qty
            except inventory.InsufficientStock:
                pass
        with lock:
            sold.append(mine)

    pool = [threading.Thread(target=buyer, args=(i,)) for i in range(buyers)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    total = sum(sold)
    left = db.counter("stock:hot-item").get()
    assert total <= stock  # never oversold
    assert left == stock - total  # every failed purchase was compensated exactly
    assert left >= 0
    if qty_choices == (1,):
        assert total == stock  # demand (800) exceeds stock: everything sells, nothing more


def test_inventory_across_processes(tmp_path: Path, inventory: ModuleType) -> None:
    """Stock lives in the store: another handle (here, a reopen) sees what was sold."""
    path = tmp_path / "inv"
    with grovekv.open(path) as db:
        inventory.restock_product(db, "p", 3)
        inventory.decrement_stock(db, "p", 1)
    with grovekv.open(path) as db:
        assert db.counter("stock:p").get() == 2
