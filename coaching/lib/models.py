"""Rows that must not silently change or disappear: append-only records and undeletable ones.

Model.save()/delete() guard one instance; the queryset guards bulk writes, which skip both.
Cascades are not guarded here: give every foreign key to these rows on_delete=PROTECT.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models


class AppendOnlyError(PermissionError):
    """A write that would rewrite or remove an append-only (or undeletable) row."""

    def __init__(self, model: type[models.Model], what: str) -> None:
        super().__init__(f"{model._meta.object_name} is {what}.")


class UndeletableQuerySet(models.QuerySet[Any]):
    """Rows may change but never go: bulk deletes are refused."""

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(self.model, "never deleted")

    def _raw_delete(self, using: str | None) -> int:
        # Used by deletion's fast path; refuse it too so no route deletes without a trace.
        raise AppendOnlyError(self.model, "never deleted")


class AppendOnlyQuerySet(UndeletableQuerySet):
    """Rows are only ever inserted: every bulk write that would rewrite or remove one is refused."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(self.model, "append-only: its rows are never changed")

    def bulk_update(self, objs: Iterable[Any], fields: Any, batch_size: int | None = None) -> int:
        raise AppendOnlyError(self.model, "append-only: its rows are never changed")

    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> list[Any]:
        if kwargs.get("update_conflicts"):
            raise AppendOnlyError(self.model, "append-only: its rows are never changed")
        return super().bulk_create(objs, *args, **kwargs)

    def update_or_create(
        self,
        defaults: Mapping[str, Any] | None = None,
        create_defaults: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> tuple[Any, bool]:
        """Create the row if none matches; refuse to rewrite one that does."""
        row, created = self.get_or_create(
            defaults=create_defaults if create_defaults is not None else defaults, **kwargs
        )
        if not created:
            raise AppendOnlyError(self.model, "append-only: its rows are never changed")
        return row, created

    def erase_text(self, *fields: str) -> int:
        """Blank the named text fields: the one rewrite allowed, when a person's account is erased."""
        # The record of what happened (who, what kind, when) stays; only the words go.
        return super().update(**dict.fromkeys(fields, ""))


class UndeletableModel(models.Model):
    """A record that may change state but is never deleted, one by one or in bulk."""

    objects = UndeletableQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(type(self), "never deleted")


class AppendOnlyModel(models.Model):
    """A record written once: never edited or deleted, one by one or in bulk."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(type(self), "append-only: its rows are never changed")
        # Always an INSERT: a new instance carrying an existing pk must not become an UPDATE.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(type(self), "append-only: its rows are never deleted")
