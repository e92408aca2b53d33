"""The batch answer depends on the input only: not on machine load, not on input order."""

from __future__ import annotations

import multiprocessing as mp
import time

from matching.batch import assign_batch
from matching.params import MatchParams
from tests.matching.factories import NOW
from tests.matching.instances import crowded_day

# Components up to 10k edges go to CP-SAT, with a work limit it reaches on this instance.
PARAMS = MatchParams(exact_max_edges=10_000, exact_work_limit=0.1)


def _burn(stop) -> None:
    while not stop.is_set():
        for _ in range(100_000):
            pass


def _solve(orders, table):
    r = assign_batch(orders, table, PARAMS, NOW)
    return r, sorted((a.order_id, a.volunteer_id) for a in r.assignments)


def test_same_instance_same_assignment_with_and_without_load():
    orders, table = crowded_day(60, 600, seed=1)
    quiet, quiet_pairs = _solve(orders, table)
    # The instance does reach CP-SAT's work limit: where it stops decides the answer.
    assert quiet.stats["exact_components"] > 0 and not quiet.proven_optimal
    assert quiet.stats["exact_work"] >= PARAMS.exact_work_limit
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    burners = [ctx.Process(target=_burn, args=(stop,), daemon=True) for _ in range(2)]
    for p in burners:
        p.start()
    try:
        time.sleep(0.5)  # let the burners get going (spawn imports take a moment)
        loaded, loaded_pairs = _solve(orders, table)
    finally:
        stop.set()
        for p in burners:
            p.join(5)
    assert loaded_pairs == quiet_pairs
    assert (loaded.filled, loaded.total_score) == (quiet.filled, quiet.total_score)
    assert loaded.stats["exact_work"] == quiet.stats["exact_work"]


def test_same_instance_same_assignment_in_any_input_order():
    orders, table = crowded_day(60, 600, seed=1)
    _, forward = _solve(orders, table)
    _, backward = _solve(orders[::-1], table)
    assert forward == backward
