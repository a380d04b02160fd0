"""Reading a problem: good input becomes typed records; bad input is refused in one line naming the record."""

from __future__ import annotations

from datetime import date

import pytest

from coaching.matching.engine import ProblemError, Weights, parse_problem

from .builders import coach, member, problem


def refusal(data: object) -> str:
    with pytest.raises(ProblemError) as caught:
        parse_problem(data)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_it_reads_a_problem():
    parsed = parse_problem(
        problem(
            coaches=[coach("c1", languages=["es", "en"], focus=["career"], capacity=16)],
            members=[member("m1", "America/Bogota", prefer=["c1"], avoid=["c7"])],
        )
    )
    assert parsed.reference_date == date(2026, 1, 15)
    assert parsed.rules.min_overlap_minutes == 120
    assert parsed.rules.waking_minutes == 14 * 60
    assert parsed.rules.weights == Weights()
    assert parsed.coaches[0].languages == ("es", "en")
    assert parsed.members[0].prefer == frozenset({"c1"})


def test_it_leaves_prefer_avoid_and_focus_optional():
    parsed = parse_problem(
        problem(coaches=[], members=[{"id": "m1", "timezone": "UTC", "languages": ["en"]}])
    )
    assert parsed.members[0].focus == ()
    assert parsed.members[0].prefer == frozenset()


def test_it_reads_custom_weights_and_keeps_the_defaults_for_the_rest():
    parsed = parse_problem(problem(coaches=[], members=[], weights={"prefer": 1}))
    assert parsed.rules.weights == Weights(prefer=1)


def test_it_names_a_member_with_an_unknown_time_zone():
    assert (
        refusal(problem(coaches=[], members=[member("m9", "Mars/Base")]))
        == 'member m9: unknown time zone "Mars/Base"'
    )


def test_it_names_a_duplicate_id():
    message = refusal(problem(coaches=[coach("c1"), coach("c2"), coach("c1")], members=[]))
    assert message == "coach c1: duplicate id (coach #1 and coach #3)"


def test_it_names_a_coach_with_a_negative_capacity():
    assert refusal(problem(coaches=[coach("c2", capacity=-3)], members=[])) == (
        'coach c2: "capacity" must be at least 0, got -3'
    )


def test_it_names_the_missing_field():
    data = problem(coaches=[], members=[member("m1")])
    del data["members"][0]["languages"]
    assert refusal(data) == 'member m1: missing field "languages"'


def test_it_names_a_record_without_an_id_by_its_position():
    assert refusal(problem(coaches=[coach("c1"), {"timezone": "UTC"}], members=[])) == (
        'coach #2: missing field "id"'
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"capacity": "8"}, 'coach c1: "capacity" must be a whole number, got "8"'),
        ({"capacity": True}, 'coach c1: "capacity" must be a whole number, got true'),
        ({"languages": "es"}, 'coach c1: "languages" must be a list of non-empty strings, got "es"'),
        ({"languages": []}, 'coach c1: "languages" must not be empty'),
        ({"timezone": ""}, 'coach c1: "timezone" must be a non-empty string, got ""'),
        ({"timezone": "../../etc/passwd"}, 'coach c1: unknown time zone "../../etc/passwd"'),
    ],
)
def test_it_names_a_field_of_the_wrong_kind(change, expected):
    assert refusal(problem(coaches=[coach("c1", **change)], members=[])) == expected


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ({"min_overlap_hours": -1}, 'rules: "min_overlap_hours" must be at least 0, got -1'),
        ({"waking_hours": [22, 8]}, 'rules: "waking_hours" must be [start, end] with 0 <= start < end <= 24'),
        ({"circle_size": {"min": 5, "max": 4}}, 'rules.circle_size: "max" must be at least 5, got 4'),
        (
            {"weights": {"focus": 0, "prefer": 0, "time": 0, "language": 0}},
            "rules.weights: at least one weight",
        ),
        ({"weights": {"fcous": 1}}, 'rules.weights: unknown field "fcous"'),
    ],
)
def test_it_names_a_bad_rule(rules, expected):
    assert refusal(problem(coaches=[], members=[], **rules)).startswith(expected)


def test_it_refuses_a_date_that_is_not_iso():
    assert refusal(problem(coaches=[], members=[], reference_date="15/01/2026")) == (
        'reference_date: expected a date like "2026-01-15", got "15/01/2026"'
    )


def test_it_refuses_data_that_is_not_an_object():
    assert refusal([]) == "problem: expected an object, got []"
