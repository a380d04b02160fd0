"""Close the sockets of people who lose access: removed from a circle, or account disabled."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

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
