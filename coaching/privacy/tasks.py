"""The worker's daily purge of personal data past its retention (coaching/privacy/retention.py)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from coaching.privacy.retention import purge_expired

log = logging.getLogger(__name__)


@db_periodic_task(crontab(hour="3", minute="23"))
def purge_expired_personal_data() -> dict[str, int]:
    """Every day at 03:23 UTC: delete what the RETAIN_* settings no longer allow; one log line of counts."""
    purged = purge_expired()
    log.info("retention purge: %s", ", ".join(f"{count} {what}" for what, count in purged.items()))
    return purged
