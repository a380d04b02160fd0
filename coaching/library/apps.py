"""The circle library: pinned messages, the links shared in the chat, and the circle's notes."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LibraryConfig(AppConfig):
    name = "coaching.library"
    label = "library"
    verbose_name = _("Circle library")
