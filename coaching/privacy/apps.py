"""Privacy: a person's copy of their data, and the erasure of an account."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "coaching.privacy"
    label = "privacy"
    verbose_name = _("Privacy")
