"""Maximum flow at minimum cost (OR-tools) over orders -> volunteer groups.

Network: source -> order (capacity = slots) -> group of the edge's volunteer (capacity 1,
cost = -score) -> sink (capacity 1). The maximum flow fills as many slots as possible and,
among those fillings, the minimum cost maximizes the total score: exactly "fill first, then
score". Scores are exact integers (score * 10**decimals), so the optimum is exact too.
"""

from __future__ import annotations

import numpy as np

from matching.batch.graph import CandidateGraph


def solve_flow(
    graph: CandidateGraph,
    edge_group: np.ndarray,
    n_groups: int,
    edges: np.ndarray | None = None,
    *,
    reserve_skills: bool = False,
    slots: np.ndarray | None = None,
) -> np.ndarray:
    """Boolean mask of chosen edges; ``edges`` restricts the solve to a subset of edge indices.

    ``reserve_skills`` gives each multi-skill order with enough slots one reserved slot per
    required skill (fed only by volunteers holding it) plus the remaining slots, so a fully
    staffed order is always covered. That network is neither a relaxation nor a restriction of
    the coverage rule in general, so callers use it as a good primal solution only.
    ``slots`` replaces the orders' slots (what is left of them, for a partial solution).
    """
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
    order_slots = graph.slots if slots is None else np.asarray(slots, dtype=np.int64)
    caps = np.concatenate(
        [order_slots, np.ones(len(idx), dtype=np.int64), np.ones(len(used_groups), dtype=np.int64)]
    )
    costs = np.concatenate(
        [
            np.zeros(n_orders, dtype=np.int64),
            -graph.edge_score_int[idx],
            np.zeros(len(used_groups), dtype=np.int64),
        ]
    )
    extra_arcs: list[tuple[int, int, int, int, int]] = []  # tail, head, cap, cost, edge
    if reserve_skills:
        tails, heads, caps, costs, extra_arcs = _reserve_skill_slots(
            graph, idx, edge_group, group_node, tails, heads, caps, costs
        )
    from ortools.graph.python import min_cost_flow  # heavy import, only when a batch is solved

    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32),
        heads.astype(np.int32),
        caps.astype(np.int64),
        costs.astype(np.int64),
    )
    supply = int(order_slots.sum())
    smcf.set_node_supply(source, supply)
    smcf.set_node_supply(sink, -supply)
    status = smcf.solve_max_flow_with_min_cost()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status}")
    edge_arcs = np.asarray(arcs)[n_orders : n_orders + len(idx)]
    chosen[idx] = smcf.flows(edge_arcs) > 0
    if extra_arcs:
        first = len(tails) - len(extra_arcs)
        flows = smcf.flows(np.asarray(arcs)[first:])
        used = np.array([a[4] for a in extra_arcs])[flows > 0]
        chosen[used[used >= 0]] = True  # -1 marks the source -> reserved-slot arcs
    return chosen


def _reserve_skill_slots(graph, idx, edge_group, group_node, tails, heads, caps, costs):
    """Re-route multi-skill orders through per-skill reserved slots (see ``solve_flow``)."""
    full = graph.full_cover
    width = np.array([int(f).bit_count() for f in full])
    special = np.flatnonzero((full > 0) & (graph.slots >= width))
    if len(special) == 0:
        return tails, heads, caps, costs, []
    is_special = np.zeros(graph.n_orders, dtype=bool)
    is_special[special] = True
    # The order node keeps only the unreserved slots; its own edge arcs stay as they are.
    caps = caps.copy()
    caps[special] = graph.slots[special] - width[special]
    next_node = int(max(tails.max(), heads.max())) + 1
    reserved_node: dict[tuple[int, int], int] = {}
    extra: list[tuple[int, int, int, int, int]] = []
    scores = graph.edge_score_int
    for o in special:
        for bit in range(int(full[o]).bit_length()):
            reserved_node[(int(o), bit)] = next_node
            extra.append((0, next_node, 1, 0, -1))  # source -> reserved slot
            next_node += 1
    for e in idx[is_special[graph.edge_order[idx]]]:
        o, cover = int(graph.edge_order[e]), int(graph.edge_cover[e])
        for bit in range(cover.bit_length()):
            if cover >> bit & 1:
                node = reserved_node[(o, bit)]
                extra.append((node, int(group_node[edge_group[e]]), 1, -int(scores[e]), int(e)))
    supply_arcs = [a for a in extra if a[4] == -1]
    edge_arcs = [a for a in extra if a[4] != -1]
    add = supply_arcs + edge_arcs
    tails = np.concatenate([tails, [a[0] for a in add]])
    heads = np.concatenate([heads, [a[1] for a in add]])
    caps = np.concatenate([caps, [a[2] for a in add]])
    costs = np.concatenate([costs, [a[3] for a in add]])
    return tails, heads, caps, costs, add
