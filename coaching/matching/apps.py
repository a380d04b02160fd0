"""Matching: proposals of coaches and circles for a programme, and members' coach preferences."""

from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "coaching.matching"
    label = "matching"
    # Plain like "Coaching": the app has no models, so the admin never shows this name.
    verbose_name = "Matching"
