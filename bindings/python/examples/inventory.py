"""The seed's inventory example, written so concurrent buyers can never oversell.

The seed read the stock, compared, then decremented: two buyers could both pass the check.
Here the decrement itself is the check: it is atomic and returns the new value, so a buyer
who takes the stock below zero puts back what they took and reports failure.
"""

from __future__ import annotations

import grovekv


class InsufficientStock(Exception):
    """Raised when a product does not have the requested quantity."""


def decrement_stock(db: grovekv.Store, product_id: str, qty: int) -> int:
    """Takes ``qty`` of ``product_id`` atomically; returns the stock left or raises."""
    if qty <= 0:
        raise ValueError(f"qty must be positive, got {qty}")
    stock = db.counter(f"stock:{product_id}")
    left = stock.decrement(qty)
    if left < 0:
        # Compensate: give back exactly what this call took. Other buyers may briefly see
        # a negative value and fail too, but no two buyers can both get the last unit.
        stock.increment(qty)
        raise InsufficientStock(f"insufficient stock for {product_id}: need {qty}")
    return left


def restock_product(db: grovekv.Store, product_id: str, qty: int) -> int:
    """Adds ``qty`` to the stock of ``product_id``; returns the new stock."""
    return db.counter(f"stock:{product_id}").increment(qty)
