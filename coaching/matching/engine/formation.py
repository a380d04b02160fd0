"""Forming one coach's circles: an optimisation (OR-Tools CP-SAT) over the coach's newcomers and open circles.

Given the coach, the newcomers the assignment gave them, and the coach's open circles with free
seats, every newcomer goes to an open circle, a new circle, or nowhere, maximising in this order
(a lexicographic objective, one weighted sum whose weights keep each tier above all lower ones):

1. newcomers placed in circles that meet every hard rule (rules.py): a language everyone speaks,
   coach included; a shared free stretch of at least `min_overlap_hours`, coach included; at most
   `circle_max` members (and no more than an open circle's free seats);
2. fewest new circles of one member (when `circle_min` > 1);
3. most newcomers seated in open circles (free seats are filled first);
4. fewest new circles below `circle_min`;
5. fewest new circles;
6. most shared time: the sum over circles of their shared stretch in minutes, coach included.

The model. Free time is arcs on a day (or week) clock (freetime.py); a circle's shared stretch
starts where someone's free time starts, so each circle picks one such *anchor* and one language;
a member may sit in it only if they speak that language and are free for `min_overlap_hours` from
the anchor on, and the circle's window is at most what each member (and the coach, and seated
people) has left from the anchor. New circles are slots 1..n; the slot a member may take is at most
their own position (circles are ordered by their first member), which removes relabelled copies of
the same partition. A greedy solution is the hint. CP-SAT stops after the time limit with the best
solution found, and the relative gap between it and the proven bound is reported (0 = optimal).
A member no circle meeting the hard rules can take is left out: `no_circle_fits`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from .freetime import anchors_of, clock_period, free_arcs, remaining, shared_stretch
from .overlap import Window
from .problem import Coach, ExistingCircle, Member, Rules
from .rules import TOO_SMALL, Issue, circle_issues, circle_language


@dataclass(frozen=True, slots=True)
class Circle:
    """A circle of the proposal: new (`existing` None) or an open one with `seated` people already in it.

    `members` are the newcomers only; `window` is the stretch when coach, seated and newcomers are all
    free (None if never); `issues` are every rule it breaks (rules.circle_issues).
    """

    coach: str
    members: tuple[str, ...]
    window: Window | None
    existing: str | None = None
    seated: tuple[str, ...] = ()
    language: str | None = None
    issues: tuple[Issue, ...] = ()

    @property
    def undersized(self) -> bool:
        return any(issue.code == TOO_SMALL for issue in self.issues)


@dataclass(frozen=True, slots=True)
class FormationStats:
    coach: str
    gap: float
    status: str  # "optimal" | "feasible" | "time_limit"
    seconds: float

    def as_json(self) -> dict[str, object]:
        return {"coach": self.coach, "gap": self.gap, "status": self.status, "seconds": self.seconds}


@dataclass(frozen=True, slots=True)
class Formation:
    circles: tuple[Circle, ...]
    unplaced: tuple[str, ...]
    stats: FormationStats
    objective: tuple[int, ...]  # the tiers' values, in the order above (minimised ones negated)


def form_circles(
    *,
    coach: Coach,
    members: Sequence[Member],
    existing: Sequence[ExistingCircle] = (),
    rules: Rules,
    on: date,
    seconds: float | None = None,
) -> Formation:
    """The coach's circles: open circles filled first where the rules allow, the rest in new circles."""
    started = time.perf_counter()
    data = _Data(coach=coach, members=members, existing=existing, rules=rules, on=on)
    choice, gap, status = _solve(data, seconds=rules.formation_seconds if seconds is None else seconds)
    circles = _circles(data, choice)
    placed = {member for circle in circles for member in circle.members}
    return Formation(
        circles=tuple(circles),
        unplaced=tuple(member.id for member in members if member.id not in placed),
        stats=FormationStats(
            coach=coach.id, gap=gap, status=status, seconds=round(time.perf_counter() - started, 3)
        ),
        objective=objective_tiers(data, choice),
    )


class _Data:
    """The numbers the model needs: who may sit where, from which anchors, in which languages."""

    def __init__(
        self,
        *,
        coach: Coach,
        members: Sequence[Member],
        existing: Sequence[ExistingCircle],
        rules: Rules,
        on: date,
    ) -> None:
        self.coach, self.members, self.rules, self.on = coach, list(members), rules, on
        self.existing = [circle for circle in existing if circle.coach == coach.id]
        seated = [person for circle in self.existing for person in circle.seated]
        self.period = clock_period([coach, *members, *seated])
        arcs = {
            person.id: free_arcs(person, rules=rules, on=on, period=self.period)
            for person in _people(coach, [*members, *seated])
        }
        self.need = rules.min_overlap_minutes
        anchors = anchors_of(list(arcs.values()))
        coach_left = remaining(arcs[coach.id], anchors, period=self.period)
        # Only anchors from which the coach has the minimum left can start a circle's window.
        keep = coach_left >= max(1, self.need)
        self.anchors = anchors[keep]
        self.coach_left = coach_left[keep]
        self.left: NDArray[np.int64] = np.array(
            [remaining(arcs[member.id], self.anchors, period=self.period) for member in members],
            dtype=np.int64,
        ).reshape(len(members), len(self.anchors))
        self.fits: NDArray[np.bool_] = self.left >= max(1, self.need)
        self.languages = list(coach.languages)
        self.speaks = [[language in member.languages for language in self.languages] for member in members]
        # An open circle: the most each anchor allows with the coach and those seated, its languages,
        # and how many newcomers it can take without breaking circle_max.
        self.open_left: list[NDArray[np.int64]] = []
        self.open_languages: list[list[bool]] = []
        self.open_seats: list[int] = []
        for circle in self.existing:
            left = self.coach_left.copy()
            for person in circle.seated:
                left = np.minimum(left, remaining(arcs[person.id], self.anchors, period=self.period))
            self.open_left.append(left)
            self.open_languages.append(
                [all(language in person.languages for person in circle.seated) for language in self.languages]
            )
            room = min(circle.capacity, rules.circle_max) - len(circle.seated)
            usable = (left >= max(1, self.need)).any() and any(self.open_languages[-1])
            self.open_seats.append(max(0, room) if usable else 0)

    def placeable(self, member: int) -> bool:
        return bool(self.fits[member].any()) and any(self.speaks[member])


@dataclass(frozen=True, slots=True)
class _Choice:
    """Where each newcomer sits: ("open", circle index) or ("new", circle number), or None."""

    seat: tuple[tuple[str, int] | None, ...]


@dataclass(frozen=True, slots=True)
class _Kind:
    """A kind of circle: its language, its anchor, and the least time its members have from the anchor."""

    language: int
    anchor: int
    level: int  # the circle's window in minutes (coach included)


def _solve(data: _Data, *, seconds: float) -> tuple[_Choice, float, str]:
    groups = _twin_groups(data)
    if not groups:
        return _Choice((None,) * len(data.members)), 0.0, "optimal"  # nobody can be placed
    model, plan = _model(data, groups)
    solver = cp_model.CpSolver()
    # Deterministic time, so the same problem gives the same circles however busy the machine is; the
    # wall-clock limit is only a backstop.
    solver.parameters.max_deterministic_time = seconds
    solver.parameters.max_time_in_seconds = 20 * seconds
    solver.parameters.num_workers = 1  # each coach's model is small; threads would cost more than they give
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE or status == cp_model.MODEL_INVALID:
        raise RuntimeError(f"the formation model of coach {data.coach.id} is {solver.status_name(status)}")
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _greedy(data), 1.0, "time_limit"  # nothing found in time: the greedy circles, gap unknown
    choice = plan.choice(solver)
    if status == cp_model.OPTIMAL:
        return choice, 0.0, "optimal"
    value, bound = solver.objective_value, solver.best_objective_bound
    return choice, round(max(0.0, (bound - value) / max(1.0, abs(value))), 9), "time_limit"


def _twin_groups(data: _Data) -> list[list[int]]:
    """Placeable newcomers grouped by what the model sees of them (languages the coach speaks, time left)."""
    groups: dict[tuple[object, ...], list[int]] = {}
    for member in range(len(data.members)):
        if data.placeable(member):
            key = (tuple(data.speaks[member]), tuple(np.minimum(data.left[member], data.coach_left).tolist()))
            groups.setdefault(key, []).append(member)
    return list(groups.values())


class _Plan:
    """The model's variables, and how to read circles back from a solved model."""

    def __init__(self, data: _Data, groups: list[list[int]]) -> None:
        self.data, self.groups = data, groups
        # per new-circle kind: (kind, {group: members-of-group var}, circles var, small var, single var)
        self.new: list[
            tuple[_Kind, dict[int, cp_model.IntVar], cp_model.IntVar, cp_model.IntVar, cp_model.IntVar]
        ]
        self.new = []
        # per open circle: {group: members-of-group var}
        self.open: dict[int, dict[int, cp_model.IntVar]] = {}
        self.tiers: list[tuple[object, int]] = []

    def choice(self, solver: cp_model.CpSolver) -> _Choice:
        data = self.data
        seat: list[tuple[str, int] | None] = [None] * len(data.members)
        taken = [0] * len(self.groups)  # members of each group handed out so far, in input order

        def take(group: int, count: int) -> list[int]:
            members = self.groups[group][taken[group] : taken[group] + count]
            taken[group] += count
            return members

        for number, joins in self.open.items():
            for group, var in joins.items():
                for member in take(group, solver.value(var)):
                    seat[member] = ("open", number)
        circle = 0
        for _kind, joins, count, small, single in self.new:
            members = [m for group, var in joins.items() for m in take(group, solver.value(var))]
            sizes = _sizes(
                len(members),
                solver.value(count),
                solver.value(small),
                solver.value(single),
                data.rules.circle_min,
                data.rules.circle_max,
            )
            first = 0
            for size in sizes:
                for member in sorted(members)[first : first + size]:
                    seat[member] = ("new", circle)
                first += size
                circle += 1
        return _Choice(tuple(seat))


def _sizes(members: int, circles: int, small: int, single: int, least: int, most: int) -> list[int]:
    """Sizes for `members` people in `circles` circles: `single` of one, `small` below `least` in all."""
    if circles <= 0:
        return []
    sizes = [1] * single + [2] * (small - single) + [least] * (circles - small)
    extra = members - sum(sizes)
    # The rest tops up the small circles (still below `least`, so their number stays the model's), then
    # the others evenly: 7 people in circles of 4-5 become 4 and 3, not 5 and 2.
    order = list(range(single, small)) + list(range(small, circles))
    for index in order[: small - single]:
        grow = min(extra, max(0, least - 1 - sizes[index]))
        sizes[index] += grow
        extra -= grow
    while extra > 0 and circles > small:
        for index in order[small - single :]:
            if extra > 0 and sizes[index] < most:
                sizes[index] += 1
                extra -= 1
    return sizes


def _model(data: _Data, groups: list[list[int]]) -> tuple[cp_model.CpModel, _Plan]:
    """The CP-SAT model over circle kinds and twin groups (see the module docstring)."""
    model = cp_model.CpModel()
    rules, need = data.rules, max(1, data.need)
    plan = _Plan(data, groups)
    size = [len(group) for group in groups]
    first = [group[0] for group in groups]  # twins see the model alike: the first stands for all
    speaks = [data.speaks[m] for m in first]
    capped = [np.minimum(data.left[m], data.coach_left) for m in first]
    spent: list[list[cp_model.IntVar]] = [[] for _ in groups]
    placed: list[cp_model.IntVar] = []
    opened: list[cp_model.IntVar] = []
    windows: list[tuple[int, cp_model.IntVar]] = []
    circles, smalls, singles = [], [], []

    for number, seats in enumerate(data.open_seats):
        if seats <= 0:
            continue
        left = data.open_left[number]
        kinds = _kinds(
            languages=[ell for ell, ok in enumerate(data.open_languages[number]) if ok],
            anchors=[a for a in range(len(data.anchors)) if left[a] >= need],
            levels=partial(_open_levels, left=left, capped=capped),
            need=need,
            speaks=speaks,
            left=capped,
            keep_empty=True,
        )
        pick = [model.new_bool_var(f"k{number}.{i}") for i in range(len(kinds))]
        model.add_exactly_one(pick)
        windows += [(kind.level, var) for kind, var in zip(kinds, pick, strict=True)]
        joins = {}
        for group in range(len(groups)):
            allowed = [
                var
                for kind, var in zip(kinds, pick, strict=True)
                if _fits(kind, speaks[group], capped[group])
            ]
            if not allowed:
                continue
            var = model.new_int_var(0, min(size[group], seats), f"j{number}.{group}")
            model.add(var <= min(size[group], seats) * sum(allowed))
            joins[group] = var
            spent[group].append(var)
        model.add(sum(joins.values()) <= seats)
        opened += joins.values()
        plan.open[number] = joins

    kinds = _kinds(
        languages=list(range(len(data.languages))),
        anchors=list(range(len(data.anchors))),
        levels=lambda a: {int(c[a]) for c in capped},
        need=need,
        speaks=speaks,
        left=capped,
    )
    for number, kind in enumerate(kinds):
        joins = {}
        for group in range(len(groups)):
            if _fits(kind, speaks[group], capped[group]):
                var = model.new_int_var(0, size[group], f"n{number}.{group}")
                joins[group] = var
                spent[group].append(var)
        if not joins:
            continue
        members = sum(joins.values())
        most = sum(size[group] for group in joins)
        count = model.new_int_var(0, most, f"c{number}")
        small = model.new_int_var(0, most, f"s{number}")
        single = model.new_int_var(0, most, f"o{number}")
        model.add(count <= members)
        model.add(members <= rules.circle_max * count)
        model.add(single <= small)
        model.add(small <= count)
        # Circles that are not small have at least circle_min members, small ones at least 2 unless single.
        model.add(members >= rules.circle_min * (count - small) + 2 * (small - single) + single)
        circles.append(count)
        smalls.append(small)
        singles.append(single)
        windows.append((kind.level, count))
        plan.new.append((kind, joins, count, small, single))
    for group, variables in enumerate(spent):
        model.add(sum(variables) <= size[group])
        placed += variables

    people = sum(size)
    # Windows counted in their greatest common unit (often whole hours): smaller weights, faster proofs.
    unit = math.gcd(data.period, *(level for level, _ in windows))
    tiers: list[tuple[object, int]] = [
        (sum(placed), people),
        (-sum(singles) if rules.circle_min > 1 else 0, people),
        (sum(opened), people),
        (-sum(smalls), people),
        (-sum(circles), people),
        (
            sum(level // unit * var for level, var in windows),
            (people + len(data.open_seats)) * data.period // unit,
        ),
    ]
    plan.tiers = tiers
    weights = _weights([span for _, span in tiers])
    model.maximize(sum(weight * term for weight, (term, _) in zip(weights, tiers, strict=True)))  # type: ignore[misc, operator]
    return model, plan


def _kinds(
    *,
    languages: list[int],
    anchors: list[int],
    levels: Callable[[int], set[int]],
    need: int,
    speaks: list[list[bool]],
    left: list[NDArray[np.int64]],
    keep_empty: bool = False,
) -> list[_Kind]:
    """The kinds of circle worth considering: none whose groups another kind takes, at a window as long.

    A circle of a dominated kind could be relabelled to the dominating one (its members fit there too,
    its window is no shorter), so dropping dominated kinds loses no solution's value.
    """
    found: dict[frozenset[int], _Kind] = {}
    for language in languages:
        for anchor in anchors:
            for level in sorted(levels(anchor)):
                if level < need:
                    continue
                kind = _Kind(language=language, anchor=anchor, level=level)
                fits = frozenset(g for g in range(len(speaks)) if _fits(kind, speaks[g], left[g]))
                # An open circle exists whoever joins it, so a kind that takes no newcomer still counts there.
                if (fits or keep_empty) and (fits not in found or found[fits].level < level):
                    found[fits] = kind
    return [
        kind
        for fits, kind in found.items()
        if not any(fits < other and kind.level <= found[other].level for other in found)
    ]


def _open_levels(anchor: int, *, left: NDArray[np.int64], capped: list[NDArray[np.int64]]) -> set[int]:
    """An open circle's possible windows from an anchor: its own, or shortened by a newcomer's."""
    return {int(left[anchor])} | {int(min(c[anchor], left[anchor])) for c in capped}


def _people(coach: Coach, people: Sequence[Member]) -> list[Coach | Member]:
    return [coach, *people]


def _fits(kind: _Kind, speaks: list[bool], left: NDArray[np.int64]) -> bool:
    return speaks[kind.language] and int(left[kind.anchor]) >= kind.level


def _weights(spans: Sequence[int]) -> list[int]:
    """Weights that make each tier worth more than every lower tier together (spans = their ranges)."""
    weights = [1] * len(spans)
    below = spans[-1]  # the most all tiers below the current one can add up to
    for tier in range(len(spans) - 2, -1, -1):
        weights[tier] = below + 1
        below += weights[tier] * spans[tier]
    return weights


def _greedy(data: _Data) -> _Choice:
    """A quick fallback when CP-SAT finds nothing in time: open circles first, then the largest kinds."""
    seat: list[tuple[str, int] | None] = [None] * len(data.members)
    waiting = [member for member in range(len(data.members)) if data.placeable(member)]
    for number, seats in enumerate(data.open_seats):
        left, spoken = data.open_left[number].copy(), list(data.open_languages[number])
        for member in list(waiting):
            if seats <= 0:
                break
            joint = np.minimum(left, data.left[member])
            speaks = [a and b for a, b in zip(spoken, data.speaks[member], strict=True)]
            if (joint >= max(1, data.need)).any() and any(speaks):
                left, spoken, seats = joint, speaks, seats - 1
                seat[member] = ("open", number)
                waiting.remove(member)
    group = 0
    while waiting:
        best: tuple[int, int, int, list[int]] | None = None
        for language in range(len(data.languages)):
            for anchor in range(len(data.anchors)):
                fit = [m for m in waiting if data.speaks[m][language] and data.fits[m, anchor]]
                if fit:
                    key = (len(fit), int(min(data.left[m, anchor] for m in fit)), -anchor, fit)
                    if best is None or key[:3] > best[:3]:
                        best = key
        if best is None:
            break
        fit = best[3]
        count = math.ceil(len(fit) / data.rules.circle_max)
        size = math.ceil(len(fit) / count)
        # The members with the most time left from the anchor first, so the circle's window is longest.
        anchor = -best[2]
        chosen = sorted(fit, key=lambda m: (-int(data.left[m, anchor]), m))[:size]
        for member in chosen:
            seat[member] = ("new", group)
            waiting.remove(member)
        group += 1
    return _canonical(data, seat)


def _canonical(data: _Data, seat: Sequence[tuple[str, int] | None]) -> _Choice:
    """New circles numbered by the position (among placeable members) of their first member."""
    placeable = [member for member in range(len(data.members)) if data.placeable(member)]
    first: dict[int, int] = {}
    for number, member in enumerate(placeable):
        place = seat[member]
        if place is not None and place[0] == "new":
            first.setdefault(place[1], number)
    return _Choice(
        tuple(
            ("new", first[place[1]]) if place is not None and place[0] == "new" else place for place in seat
        )
    )


def _circles(data: _Data, choice: _Choice) -> list[Circle]:
    coach, rules, on = data.coach, data.rules, data.on
    circles = []
    for number, open_circle in enumerate(data.existing):
        joined = [data.members[m] for m, place in enumerate(choice.seat) if place == ("open", number)]
        if not joined:
            continue
        everyone = [*open_circle.seated, *joined]
        circles.append(
            Circle(
                coach=coach.id,
                members=tuple(member.id for member in joined),
                window=_window(data, everyone),
                existing=open_circle.id,
                seated=tuple(member.id for member in open_circle.seated),
                language=circle_language(coach=coach, members=everyone),
                issues=tuple(circle_issues(coach=coach, members=everyone, rules=rules, on=on)),
            )
        )
    groups: dict[int, list[Member]] = {}
    for member, place in enumerate(choice.seat):
        if place is not None and place[0] == "new":
            groups.setdefault(place[1], []).append(data.members[member])
    for group in sorted(groups.values(), key=lambda people: data.members.index(people[0])):
        circles.append(
            Circle(
                coach=coach.id,
                members=tuple(member.id for member in group),
                window=_window(data, group),
                language=circle_language(coach=coach, members=group),
                issues=tuple(circle_issues(coach=coach, members=group, rules=rules, on=on)),
            )
        )
    return circles


def _window(data: _Data, people: Sequence[Member]) -> Window | None:
    period = clock_period([data.coach, *people])
    arcs = [
        free_arcs(person, rules=data.rules, on=data.on, period=period)
        for person in _people(data.coach, people)
    ]
    return shared_stretch(arcs, period=period)


def objective_tiers(data: _Data, choice: _Choice) -> tuple[int, ...]:
    """The objective's tiers for a choice, counted from its circles (for reports and brute-force tests)."""
    rules = data.rules
    placed = sum(place is not None for place in choice.seat)
    groups: dict[int, int] = {}
    for place in choice.seat:
        if place is not None and place[0] == "new":
            groups[place[1]] = groups.get(place[1], 0) + 1
    singles = sum(size == 1 for size in groups.values()) if rules.circle_min > 1 else 0
    opened = sum(place is not None and place[0] == "open" for place in choice.seat)
    smalls = sum(size < rules.circle_min for size in groups.values())
    minutes = 0
    for number, seats in enumerate(data.open_seats):
        if seats > 0:
            joined = [data.members[m] for m, place in enumerate(choice.seat) if place == ("open", number)]
            window = _window(data, [*data.existing[number].seated, *joined])
            minutes += window.minutes if window else 0
    for group_number in groups:
        people = [data.members[m] for m, place in enumerate(choice.seat) if place == ("new", group_number)]
        window = _window(data, people)
        minutes += window.minutes if window else 0
    return (placed, -singles, opened, -smalls, -len(groups), minutes)
