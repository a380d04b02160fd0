"""The circles services: every seat rule, the audit trail, and the seat-ended event."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from circles import services
from circles.errors import CircleRuleError
from circles.models import AssignmentAudit, Circle, Membership
from circles.signals import seat_ended

pytestmark = pytest.mark.django_db


def seated(circle: Circle) -> list[str]:
    return sorted(
        circle.memberships.filter(left_at__isnull=True, role="member").values_list(
            "user__username", flat=True
        )
    )


@pytest.fixture
def ended(django_capture_on_commit_callbacks):
    """The (circle_id, user_id) pairs announced by seat_ended, after commit."""
    events: list[tuple[int, int]] = []

    def receiver(sender, circle_id, user_id, **kwargs):
        events.append((circle_id, user_id))

    seat_ended.connect(receiver)
    yield events
    seat_ended.disconnect(receiver)


def test_it_assigns_a_member_and_records_who_did_it_and_why(world):
    m = world.members[0]
    services.assign_member(actor=world.admin, circle=world.circle, member=m, reason="speaks Spanish")
    assert seated(world.circle) == ["m0"]
    entry = AssignmentAudit.objects.filter(action="assign", subject=m).get()
    assert (entry.actor, entry.subject, entry.to_circle, entry.reason) == (
        world.admin,
        m,
        world.circle,
        "speaks Spanish",
    )


def test_a_full_circle_refuses_one_more(world):
    for m in world.members[:3]:
        services.assign_member(actor=world.admin, circle=world.circle, member=m)
    with pytest.raises(CircleRuleError, match=r"Alpha is full \(3 of 3 seats taken\)") as error:
        services.assign_member(actor=world.admin, circle=world.circle, member=world.members[3])
    assert error.value.code == "circle_full"
    assert seated(world.circle) == ["m0", "m1", "m2"]


def test_a_member_has_one_active_circle_per_programme(world):
    services.assign_member(actor=world.admin, circle=world.circle, member=world.members[0])
    with pytest.raises(CircleRuleError, match="already sits in Alpha; move them instead"):
        services.assign_member(actor=world.admin, circle=world.second, member=world.members[0])
    assert seated(world.second) == []


def test_a_programme_can_allow_several_circles(world):
    world.programme.allow_several_circles = True
    world.programme.save()
    services.assign_member(actor=world.admin, circle=world.circle, member=world.members[0])
    services.assign_member(actor=world.admin, circle=world.second, member=world.members[0])
    assert seated(world.second) == ["m0"]


def test_it_refuses_a_person_from_another_programme(world):
    with pytest.raises(CircleRuleError, match="is not enrolled in Pilot") as error:
        services.assign_member(actor=world.admin, circle=world.circle, member=world.outsider)
    assert error.value.code == "not_enrolled"
    assert seated(world.circle) == []


def test_it_refuses_to_seat_a_coach_as_a_member(world):
    with pytest.raises(CircleRuleError, match="takes part as a coach"):
        services.assign_member(actor=world.admin, circle=world.circle, member=world.other_coach)


def test_it_refuses_the_same_circle_twice(world):
    services.assign_member(actor=world.admin, circle=world.circle, member=world.members[0])
    with pytest.raises(CircleRuleError, match="already in Alpha"):
        services.assign_member(actor=world.admin, circle=world.circle, member=world.members[0])


def test_it_moves_a_member_ending_the_old_seat(world, ended, django_capture_on_commit_callbacks):
    m = world.members[0]
    services.assign_member(actor=world.admin, circle=world.circle, member=m)
    with django_capture_on_commit_callbacks(execute=True):
        services.move_member(
            actor=world.admin,
            member=m,
            from_circle=world.circle,
            to_circle=world.second,
            reason="prefers English",
        )
    assert seated(world.circle) == []
    assert seated(world.second) == ["m0"]
    old = Membership.objects.get(circle=world.circle, user=m)
    assert old.left_at is not None
    entry = AssignmentAudit.objects.filter(action="move").get()
    assert (entry.from_circle, entry.to_circle, entry.reason) == (
        world.circle,
        world.second,
        "prefers English",
    )
    assert ended == [(world.circle.pk, m.pk)]


def test_a_move_needs_a_reason_and_room(world):
    m = world.members[0]
    services.assign_member(actor=world.admin, circle=world.circle, member=m)
    with pytest.raises(CircleRuleError, match="Please give a reason"):
        services.move_member(
            actor=world.admin, member=m, from_circle=world.circle, to_circle=world.second, reason="   "
        )
    for other in world.members[1:4]:
        services.assign_member(actor=world.admin, circle=world.second, member=other)
    with pytest.raises(CircleRuleError, match="Beta is full"):
        services.move_member(
            actor=world.admin, member=m, from_circle=world.circle, to_circle=world.second, reason="x"
        )
    assert seated(world.circle) == ["m0"]


def test_it_never_moves_across_programmes(world):
    m = world.members[0]
    services.assign_member(actor=world.admin, circle=world.circle, member=m)
    with pytest.raises(CircleRuleError, match="same programme"):
        services.move_member(
            actor=world.admin, member=m, from_circle=world.circle, to_circle=world.other_circle, reason="x"
        )
    assert seated(world.other_circle) == ["outsider"]


def test_removing_a_member_ends_the_seat_and_announces_it_after_commit(
    world, ended, django_capture_on_commit_callbacks
):
    m = world.members[0]
    services.assign_member(actor=world.admin, circle=world.circle, member=m)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.remove_member(actor=world.admin, circle=world.circle, member=m, reason="asked to leave")
    assert ended == []  # nothing is announced before the commit
    for callback in callbacks:
        callback()
    assert ended == [(world.circle.pk, m.pk)]
    assert seated(world.circle) == []
    assert AssignmentAudit.objects.filter(action="remove", subject=m, reason="asked to leave").exists()


def test_removing_someone_not_there_says_so(world):
    with pytest.raises(CircleRuleError, match="is not in Alpha"):
        services.remove_member(actor=world.admin, circle=world.circle, member=world.members[0], reason="x")


def test_a_removed_member_can_be_assigned_again(world):
    m = world.members[0]
    services.assign_member(actor=world.admin, circle=world.circle, member=m)
    services.remove_member(actor=world.admin, circle=world.circle, member=m, reason="break")
    services.assign_member(actor=world.admin, circle=world.circle, member=m, reason="back")
    assert seated(world.circle) == ["m0"]


def test_changing_the_coach_ends_the_previous_coachs_seat(world, ended, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.change_coach(
            actor=world.admin, circle=world.circle, coach=world.other_coach, reason="rotation"
        )
    coaches = world.circle.memberships.filter(role="coach", left_at__isnull=True)
    assert [c.user for c in coaches] == [world.other_coach]
    assert ended == [(world.circle.pk, world.coach.pk)]
    assert AssignmentAudit.objects.filter(
        action="change_coach", subject=world.other_coach, reason="rotation"
    ).exists()


def test_only_an_enrolled_coach_can_coach(world):
    with pytest.raises(CircleRuleError, match="takes part as a member, not as a coach"):
        services.change_coach(actor=world.admin, circle=world.circle, coach=world.members[0])


def test_closing_a_circle_ends_every_seat_and_keeps_it_closed(
    world, ended, django_capture_on_commit_callbacks
):
    services.assign_member(actor=world.admin, circle=world.circle, member=world.members[0])
    with django_capture_on_commit_callbacks(execute=True):
        services.close_circle(actor=world.admin, circle=world.circle, reason="programme ended")
    world.circle.refresh_from_db()
    assert world.circle.status == "closed"
    assert not world.circle.memberships.filter(left_at__isnull=True).exists()
    assert sorted(ended) == sorted(
        [(world.circle.pk, world.coach.pk), (world.circle.pk, world.members[0].pk)]
    )
    with pytest.raises(CircleRuleError, match="Alpha is closed"):
        services.assign_member(actor=world.admin, circle=world.circle, member=world.members[1])


def test_circle_names_are_unique_in_a_programme_and_validated(world):
    with pytest.raises(CircleRuleError, match="already has a circle called Alpha"):
        services.create_circle(actor=world.admin, programme=world.programme, name="Alpha", language="es")
    with pytest.raises(CircleRuleError, match="Unknown language code: xx"):
        services.create_circle(actor=world.admin, programme=world.programme, name="Delta", language="xx")
    with pytest.raises(CircleRuleError, match="not a time zone we know"):
        services.create_circle(
            actor=world.admin,
            programme=world.programme,
            name="Delta",
            language="es",
            meeting_timezone="Mars/Base",
        )
    with pytest.raises(CircleRuleError, match="between 2 and 50"):
        services.create_circle(
            actor=world.admin, programme=world.programme, name="Delta", language="es", capacity=500
        )
    circle = services.create_circle(actor=world.admin, programme=world.programme, name="Delta", language="es")
    assert circle.capacity == 3  # the programme's default size


def test_accepting_the_charter_keeps_the_first_time(world):
    services.assign_member(actor=world.admin, circle=world.circle, member=world.members[0])
    first = services.accept_charter(user=world.members[0], circle=world.circle).charter_accepted_at
    again = services.accept_charter(user=world.members[0], circle=world.circle).charter_accepted_at
    assert first is not None
    assert again == first
    with pytest.raises(CircleRuleError, match="not in this circle"):
        services.accept_charter(user=world.members[1], circle=world.circle)


def test_only_the_circles_coach_edits_the_charter(world):
    services.update_charter(actor=world.coach, circle=world.circle, text="  Be kind.  ")
    world.circle.refresh_from_db()
    assert world.circle.charter == "Be kind."
    with pytest.raises(CircleRuleError, match="Only the circle's coach"):
        services.update_charter(actor=world.other_coach, circle=world.circle, text="mine now")
    with pytest.raises(CircleRuleError, match="cannot be empty"):
        services.update_charter(actor=world.coach, circle=world.circle, text=" ")
    with pytest.raises(CircleRuleError, match="too long"):
        services.update_charter(actor=world.coach, circle=world.circle, text="x" * 5001)


def test_the_audit_is_append_only(world):
    entry = AssignmentAudit.objects.first()
    entry.reason = "rewritten"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


def test_rule_errors_speak_the_callers_language(world):
    from django.utils import translation

    with (
        translation.override("es"),
        pytest.raises(CircleRuleError, match=r"Outsider no participa en Pilot\."),
    ):
        services.assign_member(actor=world.admin, circle=world.circle, member=world.outsider)


def _race(*calls):
    """Run the calls at the same moment in threads; return what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_racing_for_the_last_seat_one_wins_the_other_hears_why(world):
    for m in world.members[:2]:
        services.assign_member(actor=world.admin, circle=world.circle, member=m)
    for _ in range(5):  # the race is real: run it a few times
        a, b = world.members[2], world.members[3]
        results = _race(
            lambda a=a: services.assign_member(actor=world.admin, circle=world.circle, member=a),
            lambda b=b: services.assign_member(actor=world.other_admin, circle=world.circle, member=b),
        )
        wins = [r for r in results if isinstance(r, Membership)]
        losses = [r for r in results if isinstance(r, CircleRuleError)]
        assert len(wins) == 1, results
        assert len(losses) == 1, results
        assert losses[0].code == "circle_full"
        assert len(seated(world.circle)) == 3
        winner = wins[0].user
        services.remove_member(actor=world.admin, circle=world.circle, member=winner, reason="reset")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_person_assigned_to_two_circles_at_once_lands_in_one(world):
    m = world.members[0]
    results = _race(
        lambda: services.assign_member(actor=world.admin, circle=world.circle, member=m),
        lambda: services.assign_member(actor=world.admin, circle=world.second, member=m),
    )
    assert sum(isinstance(r, Membership) for r in results) == 1, results
    assert [r.code for r in results if isinstance(r, CircleRuleError)] == ["already_seated"]
    assert Membership.objects.filter(user=m, left_at__isnull=True).count() == 1


def test_enrolling_many_at_once_is_idempotent_and_keeps_roles_apart(world):
    from circles.models import Enrolment
    from tests.circles.conftest import person

    newcomers = [person(f"new{i}") for i in range(3)]
    people = [(u, "member") for u in newcomers] + [(world.members[0], "member")]
    assert services.enrol_many(programme=world.programme, people=people) == 3
    assert services.enrol_many(programme=world.programme, people=people) == 0
    assert Enrolment.objects.filter(programme=world.programme, user__in=newcomers).count() == 3
    with pytest.raises(CircleRuleError, match="already enrolled as member"):
        services.enrol_many(programme=world.programme, people=[(world.members[1], "coach")])
