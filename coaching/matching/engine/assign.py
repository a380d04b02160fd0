"""Who gets which coach: the optimal assignment (min-cost flow, certified by seat prices), and a greedy one.

Optimal means the most members assigned, then the highest total score. OR-Tools' integer min-cost
flow finds exactly that: profiles of interchangeable members -> allowed coaches (cost
`POINTS - points` per member) -> sink (at most `capacity` per coach), solved as the maximum flow
with the least cost.

Pairs grow with members x coaches, so the flow first sees only each profile's `candidates` best
coaches. That shortcut is checked, never assumed. The same optimum minimises
`penalty * unassigned + cost` for a penalty above any total the scores could reach: a linear
programme whose dual is a price per coach seat. From the restricted optimum we derive prices (>= 0,
0 where a seat is free) under which every member sits at their cheapest option, price included.
If no left-out pair is cheaper than a member's current place at those prices, the prices prove the
assignment optimal for the full problem (LP duality: its cost equals the dual bound); otherwise the
cheaper pairs join and the flow runs again. Each round adds pairs, so the loop ends, usually after
one to three rounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow

from .score import POINTS, PairTable

CANDIDATES = 12
# Left-out pairs within this many points of a profile's current place also join a new round: prices
# move between rounds, and pairs that are nearly worth it now are the likeliest to be next time.
NEAR = 100


@dataclass(frozen=True, slots=True)
class Assignment:
    """The coach index of every member (-1 when unassigned), and how the flow was found."""

    coach_of: NDArray[np.int64]
    rounds: int = 0
    arcs: int = 0


def optimal_assignment(
    *,
    table: PairTable,
    profile_of: NDArray[np.int64],
    capacity: NDArray[np.int64],
    candidates: int = CANDIDATES,
    surcharge: NDArray[np.int64] | None = None,
) -> Assignment:
    """The assignment with the most members, then the least total surcharge, then the highest total score.

    Columns are places with a capacity each (coaches, or parts of a coach's seats: see seats.py);
    `surcharge` (profiles x places, >= 0) is added to each pair's cost, and must be large enough to
    rank above every score difference when it stands for a lexicographic tier.
    """
    sizes = np.bincount(profile_of, minlength=len(table.allowed))
    usable = table.allowed & (capacity > 0)  # a coach without seats can take no one
    extra = 0 if surcharge is None else int(surcharge.max(initial=0))
    penalty = len(profile_of) * (POINTS + extra) + 1
    # Prices and costs stay within +-penalty: 32 bits hold them below a million members, and halve
    # the memory traffic of the profile x coach arithmetic.
    wide = np.int32 if penalty < 2**30 else np.int64
    cost = (POINTS - table.points).astype(wide)
    if surcharge is not None:
        cost = cost + surcharge.astype(wide)
    chosen = _cheapest(cost, usable, per_profile=candidates)
    rounds = 0
    while True:
        rounds += 1
        profile, coach = np.nonzero(chosen)
        arc_cost = cost[profile, coach].astype(np.int64)
        flow = _min_cost_flow(profile, coach, arc_cost, sizes, capacity)
        prices, standing = _seat_prices(profile, coach, arc_cost, flow, sizes, capacity, penalty)
        # How much dearer each pair is than its profile's current place, seat prices included.
        reduced = cost + prices.astype(wide)
        reduced -= standing.astype(wide)[:, None]
        cheaper = usable & (reduced < 0)
        if (cheaper & chosen).any():
            raise RuntimeError("seat prices contradict the flow: the solver's answer is not optimal")
        if not cheaper.any():
            coach_of = _spread(profile, coach, flow, profile_of, sizes)
            return Assignment(coach_of=coach_of, rounds=rounds, arcs=len(profile))
        chosen |= _cheapest(reduced, usable & ~chosen & (reduced < NEAR), per_profile=candidates)


def greedy_assignment(
    *, table: PairTable, profile_of: NDArray[np.int64], capacity: NDArray[np.int64]
) -> Assignment:
    """The baseline: each member in input order takes their best-scoring allowed coach who has room."""
    coaches = table.allowed.shape[1]
    # Best score first, ties to the lower coach; the allowed coaches come first in every row.
    cost = POINTS - table.points.astype(np.int64)
    key = np.where(table.allowed, cost * coaches + np.arange(coaches), np.iinfo(np.int64).max)
    ranked = np.argsort(key, axis=1)
    ranked_coaches = [
        row[:count].tolist() for row, count in zip(ranked, table.allowed.sum(axis=1).tolist(), strict=True)
    ]
    room = capacity.tolist()
    coach_of = np.full(len(profile_of), -1, dtype=np.int64)
    for member, profile in enumerate(profile_of.tolist()):
        for coach in ranked_coaches[profile]:
            if room[coach] > 0:
                room[coach] -= 1
                coach_of[member] = coach
                break
    return Assignment(coach_of=coach_of)


def _cheapest(cost: NDArray[Any], eligible: NDArray[np.bool_], *, per_profile: int) -> NDArray[np.bool_]:
    """Each profile's `per_profile` cheapest eligible coaches (signed integer costs), as a mask.

    Ties are broken deterministically.
    """
    profiles, coaches = cost.shape
    if coaches <= per_profile:
        return eligible.copy()
    # A partial sort per row is linear in the coaches, where a full sort is not.
    key = np.where(eligible, cost, np.iinfo(cost.dtype).max)
    columns = np.argpartition(key, per_profile - 1, axis=1)[:, :per_profile]
    rows = np.arange(profiles)[:, None]
    picked = np.zeros(cost.shape, dtype=bool)
    picked[rows, columns] = eligible[rows, columns]
    return picked


def _min_cost_flow(
    profile: NDArray[np.int64],
    coach: NDArray[np.int64],
    cost: NDArray[np.int64],
    sizes: NDArray[np.int64],
    capacity: NDArray[np.int64],
) -> NDArray[np.int64]:
    """The most members through the given pairs at the least cost: members of each profile on each pair."""
    profiles, coaches = len(sizes), len(capacity)
    source, sink = profiles + coaches, profiles + coaches + 1
    every_profile = np.arange(profiles, dtype=np.int64)
    every_coach = np.arange(coaches, dtype=np.int64)
    tails = np.concatenate([profile, np.full(profiles, source), profiles + every_coach])
    heads = np.concatenate([profiles + coach, every_profile, np.full(coaches, sink)])
    capacities = np.concatenate([sizes[profile], sizes, capacity])
    costs = np.concatenate([cost, np.zeros(profiles + coaches, dtype=np.int64)])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), capacities.astype(np.int64), costs.astype(np.int64)
    )
    flow.set_node_supply(source, int(sizes.sum()))
    flow.set_node_supply(sink, -int(sizes.sum()))
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status}")
    return np.asarray(flow.flows(np.arange(len(profile), dtype=np.int32)), dtype=np.int64)


def _seat_prices(
    profile: NDArray[np.int64],
    coach: NDArray[np.int64],
    cost: NDArray[np.int64],
    flow: NDArray[np.int64],
    sizes: NDArray[np.int64],
    capacity: NDArray[np.int64],
    penalty: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Seat prices per coach, and each profile's cost at its current place with them (LP duals of the flow).

    Prices are >= 0, 0 where a seat is free, and make every place a profile holds its cheapest option
    (staying unassigned costs `penalty`, at price 0). Each condition
    "price[a] <= price[b] + length" is an edge b -> a, so the highest prices meeting them all are the
    shortest distances from "unassigned" over the coaches; the flow being optimal over these pairs is
    what rules out negative cycles.
    """
    coaches, profiles = len(capacity), len(sizes)
    unassigned = coaches
    used = flow > 0
    load = np.bincount(coach[used], weights=flow[used], minlength=coaches)
    left = sizes - np.bincount(profile[used], weights=flow[used], minlength=profiles)
    # Where each profile stands (coaches it fills, and "unassigned" if members are left) ...
    waiting = np.flatnonzero(left > 0)
    stay_profile = np.concatenate([profile[used], waiting])
    stay_place = np.concatenate([coach[used], np.full(len(waiting), unassigned)])
    stay_cost = np.concatenate([cost[used], np.full(len(waiting), penalty)])
    # ... must be no dearer than any option it has: every given pair, and staying unassigned.
    every_profile = np.arange(profiles)
    option_profile = np.concatenate([profile, every_profile])
    option_place = np.concatenate([coach, np.full(profiles, unassigned)])
    option_cost = np.concatenate([cost, np.full(profiles, penalty)])
    option, stay = _same_profile(option_profile, stay_profile)
    free = np.flatnonzero(load < capacity)
    every_coach = np.arange(coaches)
    tails = np.concatenate([option_place[option], np.full(len(free), unassigned), every_coach])
    heads = np.concatenate([stay_place[stay], free, np.full(coaches, unassigned)])
    # A free seat's price is at most 0, and no price is below 0.
    lengths = np.concatenate([option_cost[option] - stay_cost[stay], np.zeros(len(free) + coaches)])
    edges = np.full((coaches + 1, coaches + 1), np.inf)
    np.minimum.at(edges, (tails, heads), lengths.astype(np.float64))
    prices = np.full(coaches + 1, np.inf)
    prices[unassigned] = 0
    for _ in range(coaches + 2):  # shortest paths have at most `coaches` edges
        relaxed = np.minimum(prices, (prices[:, None] + edges).min(axis=0))
        if np.array_equal(relaxed, prices):
            standing = np.full(profiles, np.inf)
            np.minimum.at(standing, stay_profile, stay_cost + prices[stay_place])
            # Only coaches without seats stay unreachable; no one may take them, so any price will do.
            return np.where(np.isfinite(prices), prices, 0)[:coaches].astype(np.int64), standing.astype(
                np.int64
            )
        prices = relaxed
    raise RuntimeError("negative cycle in seat prices: the solver's answer is not optimal")


def _same_profile(
    left: NDArray[np.int64], right: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Every pair of positions (i, j) with left[i] == right[j]."""
    order = np.argsort(right, kind="stable")
    counts = np.bincount(right, minlength=int(max(left.max(initial=-1), right.max(initial=-1))) + 1)
    first = np.cumsum(counts) - counts
    repeats = counts[left]
    i = np.repeat(np.arange(len(left)), repeats)
    within = np.arange(len(i)) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    return i, order[first[left[i]] + within]


def _spread(
    profile: NDArray[np.int64],
    coach: NDArray[np.int64],
    flow: NDArray[np.int64],
    profile_of: NDArray[np.int64],
    sizes: NDArray[np.int64],
) -> NDArray[np.int64]:
    """Each member's coach: a profile's members, in input order, fill its pairs' flows in coach order."""
    used = flow > 0
    seat_profile = np.repeat(profile[used], flow[used])
    seat_coach = np.repeat(coach[used], flow[used])
    rank = np.arange(len(seat_profile)) - np.searchsorted(seat_profile, seat_profile)
    members_by_profile = np.argsort(profile_of, kind="stable")
    first = np.cumsum(sizes) - sizes
    coach_of = np.full(len(profile_of), -1, dtype=np.int64)
    coach_of[members_by_profile[first[seat_profile] + rank]] = seat_coach
    return coach_of
