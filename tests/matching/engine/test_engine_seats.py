"""Across coaches: open circles' free seats before new circles, and no one-member circle when avoidable."""

from __future__ import annotations

from typing import Any

from coaching.matching.engine import parse_problem, solve

from .builders import coach, member, problem


def open_circle(id_: str, coach_id: str, seated: list[dict[str, Any]], capacity: int = 8) -> dict[str, Any]:
    return {"id": id_, "coach": coach_id, "name": id_, "seated": seated, "capacity": capacity}


def solved(data: dict[str, Any]) -> dict[str, Any]:
    return solve(parse_problem(data)).as_json()


def circles_of(solution: dict[str, Any]) -> list[tuple[str, str | None, list[str]]]:
    return sorted((c["coach"], c["existing"], sorted(c["members"])) for c in solution["circles"])


def test_free_seats_of_another_coachs_circle_are_filled_before_a_better_scoring_coach_opens_one():
    # c1 shares everyone's focus (a better score), c2 has an English circle with three free seats.
    english = {"languages": ["en"]}
    data = problem(
        coaches=[
            coach("c1", languages=["es", "en"], focus=["career"]),
            coach("c2", "Africa/Nairobi", languages=["en"], focus=["leadership"]),
        ],
        members=[member(f"m{n}", "Europe/London", focus=["career"], **english) for n in range(1, 6)],
    )
    data["circles"] = [
        open_circle("circle:1", "c2", [member(f"s{n}", "Africa/Lagos", **english) for n in range(1, 6)])
    ]
    solution = solved(data)
    harambee = next(c for c in solution["circles"] if c["existing"] == "circle:1")
    assert len(harambee["members"]) == 3  # every free seat taken, though c1 scores higher
    others = [c for c in solution["circles"] if c["existing"] is None]
    # The other two share a new circle (with either coach), not one each.
    assert [len(c["members"]) for c in others] == [2]
    assert len(solution["assignments"]) == 5


def test_a_lone_member_goes_to_another_coachs_open_circle_they_fit():
    # m1 speaks Spanish and English; c1 (better focus) has no one else, c2's Spanish circle has a seat
    # and the member's own assignment would make a circle of one.
    data = problem(
        coaches=[
            coach("c1", languages=["es", "en"], focus=["career"]),
            coach("c2", "America/Bogota", languages=["es"], focus=[]),
        ],
        members=[member("m1", "America/Bogota", languages=["es", "en"], focus=["career"])],
    )
    data["circles"] = [
        open_circle("circle:1", "c2", [member(f"s{n}", "America/Bogota") for n in range(1, 8)])
    ]
    solution = solved(data)
    assert circles_of(solution) == [("c2", "circle:1", ["m1"])]


def test_no_one_member_circle_when_two_members_can_share_a_coach():
    # Alone, each would take the coach they score best with: two circles of one. Together with either
    # coach they make one circle of two.
    data = problem(
        coaches=[coach("c1", focus=["career"]), coach("c2", focus=["confidence"])],
        members=[member("m1", focus=["career"]), member("m2", focus=["confidence"])],
    )
    optimum = solve(parse_problem(data), rehome=False).as_json()
    assert sorted(len(c["members"]) for c in optimum["circles"]) == [1, 1]  # what the assignment alone gives
    solution = solved(data)
    assert [sorted(c["members"]) for c in solution["circles"]] == [["m1", "m2"]]
    assert len(solution["assignments"]) == 2


def test_a_spanish_only_member_never_joins_an_english_circle_to_fill_it():
    data = problem(
        coaches=[coach("c1", languages=["es", "en"]), coach("c2", "Europe/London", languages=["en"])],
        members=[member("m1", "America/Bogota", languages=["es"])],
    )
    data["circles"] = [
        open_circle("circle:1", "c2", [member(f"s{n}", "Europe/London", languages=["en"]) for n in range(4)]),
        open_circle(
            "circle:2", "c1", [member(f"t{n}", "America/Bogota", languages=["en"]) for n in range(4)]
        ),
    ]
    solution = solved(data)
    for circle in solution["circles"]:
        assert "m1" not in circle["members"] or circle["language"] == "es"
