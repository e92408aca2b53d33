"""How evenly work is spread: the Gini coefficient and the share held by the top few."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def _values(values: Iterable[float]) -> np.ndarray:
    x = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got shape {x.shape}")
    if len(x) and not (np.isfinite(x).all() and (x >= 0).all()):
        raise ValueError("values must be finite and >= 0 (hours, counts)")
    return x


def gini(values: Iterable[float]) -> float:
    """Gini coefficient of non-negative values: 0 when all are equal, (n - 1) / n when one
    holds everything; 0 for no values or an all-zero total (nothing to spread unevenly)."""
    x = np.sort(_values(values))
    n = len(x)
    total = x.sum()
    if n == 0 or total == 0:
        return 0.0
    # Sorted ascending: G = sum((2i - n - 1) x_i) / (n * total), i = 1..n.
    i = np.arange(1, n + 1)
    return float(((2 * i - n - 1) * x).sum() / (n * total))


def top_share(values: Iterable[float], top: int = 10) -> float:
    """Share of the total held by the ``top`` largest values (0 for an all-zero total)."""
    if top < 0:
        raise ValueError(f"top must be >= 0, got {top}")
    x = _values(values)
    total = x.sum()
    if total == 0 or top == 0:
        return 0.0
    k = min(top, len(x))
    return float(np.partition(x, len(x) - k)[len(x) - k :].sum() / total)
