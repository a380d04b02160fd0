"""Events other apps listen to; sent after the transaction that caused them commits."""

from __future__ import annotations

from django.dispatch import Signal

# Sent with circle_id and user_id when someone loses their seat in a circle (removed, moved out,
# coach replaced, circle closed). Chat uses it to close that person's sockets to the room.
seat_ended = Signal()
