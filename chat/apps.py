"""Real-time circle chat (the rooms arrive with the chat issue)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = _("Chat")

    def ready(self) -> None:
        from chat import receivers  # noqa: F401 - connects the signal receivers
