"""The coaching domain app (sessions, progress and matching grow here)."""

from django.apps import AppConfig


class CoachingConfig(AppConfig):
    name = "coaching"
    verbose_name = "Coaching"
