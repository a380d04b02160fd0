"""Live group sessions: scheduling, the stage and audience, attendance, session logs and commitments."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    name = "coaching.live"
    label = "live"
    verbose_name = _("Live sessions")
