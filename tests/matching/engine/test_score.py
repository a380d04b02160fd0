"""Hard rules decide which pairs may be matched; the soft score and its reasons rank the allowed ones."""

from __future__ import annotations

import pytest

from coaching.matching.engine import parse_problem, score_table
from coaching.matching.engine.score import Scorer

from .builders import coach, member, problem


def scores(**data):
    return score_table(parse_problem(problem(**data)))


def test_it_allows_a_pair_that_breaks_no_rule():
    assert scores(coaches=[coach("c1")], members=[member("m1")]) == {"m1": {"c1": pytest.approx(0.35)}}


def test_it_forbids_a_pair_without_a_shared_language():
    table = scores(
        coaches=[coach("c1", languages=["es", "pt"])], members=[member("m1", languages=["sw", "en"])]
    )
    assert table == {"m1": {}}


def test_it_forbids_a_coach_on_the_members_avoid_list():
    table = scores(coaches=[coach("c1"), coach("c2")], members=[member("m1", avoid=["c1"])])
    assert set(table["m1"]) == {"c2"}


def test_it_forbids_a_pair_whose_waking_hours_overlap_too_little():
    # Los Angeles and Nairobi are 11 hours apart in January: 3 hours of a 14-hour day in common.
    data = {"coaches": [coach("c1", "Africa/Nairobi")], "members": [member("m1", "America/Los_Angeles")]}
    assert scores(**data, min_overlap_hours=3) == {"m1": {"c1": pytest.approx(0.15)}}
    assert scores(**data, min_overlap_hours=4) == {"m1": {}}


@pytest.mark.parametrize(("reference_date", "allowed"), [("2026-01-15", True), ("2026-07-15", False)])
def test_it_applies_the_overlap_rule_with_daylight_saving_time(reference_date, allowed):
    # A 9-17 day in Santiago and in Madrid: 4 h together in January, 2 h in July.
    table = scores(
        coaches=[coach("c1", "Europe/Madrid")],
        members=[member("m1", "America/Santiago")],
        waking_hours=[9, 17],
        min_overlap_hours=3,
        reference_date=reference_date,
    )
    assert ("c1" in table["m1"]) is allowed


def test_it_gives_a_perfect_pair_the_full_score():
    table = scores(
        coaches=[coach("c1", focus=["career", "leadership"])],
        members=[member("m1", focus=["career"], prefer=["c1"])],
    )
    assert table == {"m1": {"c1": 1.0}}


def test_it_weighs_focus_preference_time_and_language():
    table = scores(
        coaches=[
            coach("c1", "Europe/Madrid", languages=["en"], focus=["career"]),
            coach("c2", "America/Bogota", languages=["es"], focus=["career", "confidence"]),
        ],
        members=[member("m1", "America/Bogota", languages=["es", "en"], focus=["career", "confidence"])],
    )
    # c1: half the focus (0.2), 8 of 12 possible spare hours (0.2 * 6/12), a second language (0.075).
    # c2: all the focus (0.4), the same clock (0.2), the first language (0.15).
    assert table == {"m1": {"c1": pytest.approx(0.375), "c2": pytest.approx(0.75)}}


def test_it_takes_the_weights_from_the_rules():
    table = scores(
        coaches=[coach("c1"), coach("c2")],
        members=[member("m1", prefer=["c2"])],
        weights={"focus": 0, "prefer": 1, "time": 0, "language": 0},
    )
    assert table == {"m1": {"c1": 0.0, "c2": 1.0}}


def test_it_ignores_coaches_named_in_prefer_or_avoid_that_are_not_in_the_problem():
    table = scores(coaches=[coach("c1")], members=[member("m1", prefer=["c99"], avoid=["c98"])])
    assert table == {"m1": {"c1": pytest.approx(0.35)}}


def test_it_explains_a_pair_in_plain_words():
    scorer = Scorer(
        parse_problem(
            problem(
                coaches=[
                    coach("c1", "Europe/London", languages=["en", "es"], focus=["leadership", "career"])
                ],
                members=[
                    member(
                        "m1",
                        "Asia/Kolkata",
                        languages=["pt", "es"],
                        focus=["career", "leadership"],
                        prefer=["c1"],
                    )
                ],
            )
        )
    )
    assert scorer.reasons(0, 0) == [
        "speaks es",
        "shares focus: career, leadership",
        "8.5 h shared waking time",
        "asked for this coach",
    ]


def test_it_leaves_out_the_reasons_that_do_not_apply():
    scorer = Scorer(parse_problem(problem(coaches=[coach("c1", focus=["career"])], members=[member("m1")])))
    assert scorer.reasons(0, 0) == ["speaks es", "14 h shared waking time"]


def test_it_scores_twins_once_and_alike():
    twins = [member(f"m{number}", "America/Lima", focus=["career"]) for number in range(1, 4)]
    scorer = Scorer(
        parse_problem(problem(coaches=[coach("c1"), coach("c2")], members=[*twins, member("m4")]))
    )
    assert scorer.profile_of.tolist() == [0, 0, 0, 1]
    table = score_table(scorer.problem)
    assert table["m1"] == table["m2"] == table["m3"] != table["m4"]
