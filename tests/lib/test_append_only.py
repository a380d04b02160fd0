"""Append-only and undeletable records: no route (instance or bulk) rewrites or removes a row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import models, transaction
from django.db.models import ProtectedError

from circles.models import AssignmentAudit, Circle
from coaching.lib.models import AppendOnlyError
from coaching.progress import concerns
from coaching.progress.models import Concern, ConcernEvent
from tests.progress.conftest import user

pytestmark = pytest.mark.django_db


@pytest.fixture
def concern(demo: dict[str, Any]) -> Concern:
    return concerns.raise_concern(
        member=user("kofi"),
        circle=Circle.objects.get(name="Harambee"),
        to="coach",
        subject="Session clash",
        text="My shift moved.",
    )


def snapshot(model: type[models.Model]) -> list[tuple[Any, ...]]:
    return list(model._default_manager.order_by("pk").values_list())


def refused(attempt: Callable[[], object], model: type[models.Model]) -> str:
    with transaction.atomic(), pytest.raises(AppendOnlyError) as raised:
        attempt()
    message = str(raised.value)
    assert str(model._meta.object_name) in message
    return message


def rewrites(model: type[models.Model], field: str, value: Any) -> list[Callable[[], object]]:
    """Every route that would rewrite or remove an existing row of `model`."""
    manager = model._default_manager
    row = manager.order_by("pk").first()
    assert row is not None
    edited = manager.get(pk=row.pk)
    setattr(edited, field, value)
    clone = manager.get(pk=row.pk)
    clone._state.adding = True  # a new instance that carries an existing pk

    return [
        lambda: manager.update(**{field: value}),
        lambda: manager.filter(pk=row.pk).update(**{field: value}),
        lambda: manager.all().delete(),
        lambda: manager.filter(pk=row.pk).delete(),
        lambda: manager.bulk_update([edited], [field]),
        lambda: manager.update_or_create(pk=row.pk, defaults={field: value}),
        lambda: manager.bulk_create(
            [clone], update_conflicts=True, unique_fields=["id"], update_fields=[field]
        ),
        edited.save,
        lambda: edited.save(update_fields=[field]),
        row.delete,
    ]


def test_it_refuses_every_rewrite_and_removal_of_the_assignment_audit(demo):
    before = snapshot(AssignmentAudit)
    assert before
    for attempt in rewrites(AssignmentAudit, "reason", "rewritten"):
        refused(attempt, AssignmentAudit)
    assert snapshot(AssignmentAudit) == before


def test_it_refuses_every_rewrite_and_removal_of_a_concerns_history(concern):
    before = snapshot(ConcernEvent)
    for attempt in rewrites(ConcernEvent, "text", "rewritten"):
        refused(attempt, ConcernEvent)
    assert snapshot(ConcernEvent) == before


def test_it_never_deletes_a_concern_but_lets_its_status_change_through_the_services(concern):
    for attempt in (
        concern.delete,
        Concern.objects.all().delete,
        Concern.objects.filter(pk=concern.pk).delete,
    ):
        refused(attempt, Concern)
    with pytest.raises(ProtectedError):
        user("kofi").delete()  # a member with a concern on record cannot vanish with it
    concerns.answer_concern(responder=user("amani.coach"), concern=concern, text="Let us move it.")
    concerns.resolve_concern(user=user("kofi"), concern=concern)
    concern.refresh_from_db()
    assert concern.status == Concern.Status.RESOLVED
    assert list(concern.events.values_list("kind", flat=True)) == ["raised", "answered", "resolved"]


def test_it_still_records_new_rows(demo):
    programme = Circle.objects.get(name="Harambee").programme
    count = AssignmentAudit.objects.count()
    created, was_created = AssignmentAudit.objects.update_or_create(
        programme=programme, action="create_circle", reason="a new entry"
    )
    assert was_created
    AssignmentAudit.objects.bulk_create(
        [AssignmentAudit(programme=programme, action="close_circle", reason="in bulk")]
    )
    assert AssignmentAudit.objects.count() == count + 2
    assert AssignmentAudit.objects.get(pk=created.pk).reason == "a new entry"
