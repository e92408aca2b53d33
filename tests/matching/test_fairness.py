"""Gini and top-N share of recent hours, for the batch plan page."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.fairness import gini, top_share

HOURS = st.lists(st.floats(0, 1e4, allow_nan=False), max_size=60)


def test_equal_values_have_gini_zero():
    assert gini([3.0, 3.0, 3.0, 3.0]) == 0.0


def test_one_holder_of_everything_has_gini_n_minus_one_over_n():
    assert gini([0, 0, 0, 10]) == pytest.approx(3 / 4)


def test_gini_of_a_known_spread():
    # Mean absolute difference over all ordered pairs / (2 * mean): for 1, 2, 3, 4 it is 0.25.
    assert gini([4, 1, 3, 2]) == pytest.approx(0.25)


def test_empty_and_all_zero_are_even():
    assert gini([]) == 0.0 and gini([0, 0]) == 0.0
    assert top_share([]) == 0.0 and top_share([0, 0]) == 0.0


def test_top_share_of_the_largest_values():
    values = list(range(1, 21))  # total 210, top 10 = 11..20 = 155
    assert top_share(values) == pytest.approx(155 / 210)
    assert top_share(values, top=1) == pytest.approx(20 / 210)
    assert top_share([5, 5], top=10) == 1.0


def test_negative_nan_or_bad_top_are_refused():
    with pytest.raises(ValueError):
        gini([1.0, -1.0])
    with pytest.raises(ValueError):
        top_share([1.0, math.nan])
    with pytest.raises(ValueError):
        top_share([1.0], top=-1)


@given(HOURS)
def test_gini_matches_the_pairwise_definition(values):
    x = np.array(values)
    if len(x) == 0 or x.sum() == 0:
        assert gini(values) == 0.0
        return
    pairwise = np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean())
    assert gini(values) == pytest.approx(pairwise, abs=1e-9)
    assert 0.0 <= gini(values) <= (len(x) - 1) / len(x) + 1e-12


@given(HOURS, st.integers(0, 80))
def test_top_share_matches_sorting(values, top):
    x = sorted(values, reverse=True)
    total = sum(x)
    expected = sum(x[:top]) / total if total > 0 and top > 0 else 0.0
    assert top_share(values, top) == pytest.approx(expected, abs=1e-9)
    assert top_share(values, top) <= 1.0 + 1e-12


@given(HOURS, st.floats(0.1, 100))
def test_both_ignore_the_unit(values, factor):
    scaled = [v * factor for v in values]
    assert gini(scaled) == pytest.approx(gini(values), abs=1e-9)
    assert top_share(scaled, 3) == pytest.approx(top_share(values, 3), abs=1e-9)
