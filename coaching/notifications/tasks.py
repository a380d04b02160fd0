"""Background deliveries of notifications, run by the worker: each retried run sends nothing twice."""

from __future__ import annotations

# Web Push ---------------------------------------------------------------------------------------------
# Imported under their own names: each delivery channel appends its block to this file.
from huey import crontab as _push_crontab
from huey.contrib import djhuey as _push_huey

from coaching.notifications import push as _push


@_push_huey.db_periodic_task(_push_crontab(minute="*"))
def send_due_pushes() -> int:
    """Every minute: push the notifications whose time has come (after quiet hours, retries)."""
    return _push.send_due_pushes()


@_push_huey.db_task()
def send_push_now(notification_id: int) -> bool:
    """Right after a notification due now is stored: push it within seconds instead of the next minute."""
    return _push.send_push_now(notification_id)
