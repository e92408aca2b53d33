"""Maximum flow at minimum cost (OR-tools) over orders -> volunteer groups.

Network: source -> order (capacity = slots) -> group of the edge's volunteer (capacity 1,
cost = -score) -> sink (capacity 1). The maximum flow fills as many slots as possible and,
among those fillings, the minimum cost maximizes the total score: exactly "fill first, then
score". Scores are exact integers (score * 10**decimals), so the optimum is exact too.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow

from matching.batch.graph import CandidateGraph


def solve_flow(
    graph: CandidateGraph, edge_group: np.ndarray, n_groups: int, edges: np.ndarray | None = None
) -> np.ndarray:
    """Boolean mask of chosen edges; ``edges`` restricts the solve to a subset of edge indices."""
    chosen = np.zeros(graph.n_edges, dtype=bool)
    idx = np.arange(graph.n_edges) if edges is None else np.asarray(edges, dtype=np.int64)
    if len(idx) == 0:
        return chosen
    n_orders = graph.n_orders
    source, sink = 0, 1
    order_node = 2 + np.arange(n_orders, dtype=np.int64)
    group_node = 2 + n_orders + np.arange(n_groups, dtype=np.int64)
    used_groups = np.unique(edge_group[idx])
    tails = np.concatenate(
        [np.full(n_orders, source), order_node[graph.edge_order[idx]], group_node[used_groups]]
    )
    heads = np.concatenate(
        [order_node, group_node[edge_group[idx]], np.full(len(used_groups), sink)]
    )
    caps = np.concatenate(
        [graph.slots, np.ones(len(idx), dtype=np.int64), np.ones(len(used_groups), dtype=np.int64)]
    )
    costs = np.concatenate(
        [
            np.zeros(n_orders, dtype=np.int64),
            -graph.edge_score_int[idx],
            np.zeros(len(used_groups), dtype=np.int64),
        ]
    )
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32),
        heads.astype(np.int32),
        caps.astype(np.int64),
        costs.astype(np.int64),
    )
    supply = int(graph.slots.sum())
    smcf.set_node_supply(source, supply)
    smcf.set_node_supply(sink, -supply)
    status = smcf.solve_max_flow_with_min_cost()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status}")
    edge_arcs = np.asarray(arcs)[n_orders : n_orders + len(idx)]
    chosen[idx] = smcf.flows(edge_arcs) > 0
    return chosen
