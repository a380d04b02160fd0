"""Close the sockets of people who lose access (removed from a circle, account disabled); drop the stored
bytes of attachments whose rows are deleted."""

from __future__ import annotations

import functools
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from chat.models import Attachment, attachment_storage
from circles.signals import seat_ended
from coaching.accounts.models import User
from coaching.lib.realtime import send_event_on_commit, user_group


@receiver(seat_ended)
def close_circle_sockets(sender: Any, *, circle_id: int, user_id: int, **kwargs: Any) -> None:
    """A seat ended (already committed): that person's sockets to the circle close with 4403."""
    send_event_on_commit([(user_group(user_id), {"type": "access.revoked", "room": f"circle:{circle_id}"})])


@receiver(post_save, sender=User)
def close_sockets_of_disabled_accounts(sender: Any, instance: User, **kwargs: Any) -> None:
    """A disabled account loses every room once the change commits."""
    if not instance.is_active:
        send_event_on_commit([(user_group(instance.pk), {"type": "access.revoked", "room": None})])


@receiver(post_delete, sender=Attachment)
def delete_stored_file(sender: Any, instance: Attachment, **kwargs: Any) -> None:
    """An attachment's row is gone (its message deleted, swept, its room gone): its bytes go after commit."""
    names = [name for name in (instance.file.name, instance.thumb.name) if name]
    if names:
        transaction.on_commit(functools.partial(_delete_stored, names))


def _delete_stored(names: list[str]) -> None:
    storage = attachment_storage()
    for name in names:
        storage.delete(name)
