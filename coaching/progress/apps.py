"""Progress: goals, weekly check-ins, concerns, kudos, response times and engagement, shown as charts."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgressConfig(AppConfig):
    name = "coaching.progress"
    label = "progress"
    verbose_name = _("Progress")
