"""How evenly work is spread: the Gini coefficient and the share of the busiest.

TODO(#11): switch to ``matching.fairness`` (gini, top_share) once it lands in main.
"""

from __future__ import annotations

import numpy as np


def gini(values) -> float:
    """Gini coefficient of non-negative values: 0 all equal, towards 1 one holds everything
    (0 for no values or an all-zero list)."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = len(x)
    total = x.sum()
    if n == 0 or total <= 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2 * (ranks * x).sum()) / (n * total) - (n + 1) / n)


def top_share(values, top: int = 10) -> float:
    """Share of the total held by the ``top`` largest values (0 when the total is 0)."""
    x = np.asarray(values, dtype=np.float64)
    total = x.sum()
    if len(x) == 0 or total <= 0:
        return 0.0
    k = min(top, len(x))
    return float(np.partition(x, len(x) - k)[len(x) - k :].sum() / total)
