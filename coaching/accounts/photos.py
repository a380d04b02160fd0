"""A person's profile photo: replacing or removing it in the "avatars" storage.

The caller passes a portrait already made by `coaching.lib.images.square_portrait` (checked, square, no
metadata). It is stored under a fresh random name, so its URL changes with it and caches never show an old
face; the replaced file is removed once the new name is committed.
"""

from __future__ import annotations

import uuid

from django.core.files.base import ContentFile
from django.db import transaction

from coaching.accounts.models import User, avatar_storage


def _remove_after_commit(name: str) -> None:
    if name:
        transaction.on_commit(lambda: avatar_storage().delete(name))


@transaction.atomic
def replace_photo(*, user: User, portrait: bytes) -> None:
    """Store `portrait` as the person's photo, removing the one it replaces."""
    old = str(user.photo.name or "")
    stored = avatar_storage().save(f"{uuid.uuid4().hex}.webp", ContentFile(portrait))
    try:
        user.photo.name = stored
        user.save(update_fields=["photo"])
    except BaseException:
        avatar_storage().delete(stored)
        raise
    _remove_after_commit(old)


@transaction.atomic
def remove_photo(*, user: User) -> None:
    """Take the person's photo away (their initials show instead)."""
    old = str(user.photo.name or "")
    if not old:
        return
    user.photo.name = ""
    user.save(update_fields=["photo"])
    _remove_after_commit(old)
