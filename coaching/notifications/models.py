"""Notifications, each person's choices about them, their push subscriptions, and sends already made."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coaching.notifications.kinds import KIND_CHOICES


class Notification(models.Model):
    """One thing that happened for one person, shown in-app and sent by email or push as they chose."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=KIND_CHOICES)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    # Names the sentence needs (a circle, a session's title, a date): never the text of a chat message.
    params = models.JSONField(default=dict, blank=True)
    # A short plain-text excerpt of a message, only on kinds about a message the recipient may read.
    snippet = models.CharField(_("excerpt"), max_length=200, blank=True)
    url = models.CharField(_("link"), max_length=300)
    # The conversation a message belongs to ("room:12"): one email covers a burst in one conversation, and
    # reading the conversation up to `position` (the message's seq) reads the notification.
    conversation = models.CharField(max_length=40, blank=True)
    position = models.BigIntegerField(null=True, blank=True)
    # The same event notifies a person once, whoever reports it and however often.
    dedupe_key = models.CharField(max_length=160)
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_due_at = models.DateTimeField(null=True, blank=True)  # None: no email planned (or sent)
    emailed_at = models.DateTimeField(null=True, blank=True)
    push_due_at = models.DateTimeField(null=True, blank=True)  # None: no push planned (or sent)
    pushed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="one_notification_per_event")
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["recipient", "conversation", "position"], name="notification_conversation"),
            models.Index(fields=["email_due_at"], name="notification_email_due"),
            models.Index(fields=["push_due_at"], name="notification_push_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"


class NotificationSettings(models.Model):
    """A person's choices: quiet hours in their own zone, the daily digest, kinds not to email or push."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_settings",
        verbose_name=_("person"),
    )
    quiet_from = models.TimeField(_("quiet from"), default=dt.time(22, 0))
    quiet_until = models.TimeField(_("quiet until"), default=dt.time(8, 0))
    digest = models.BooleanField(_("daily digest at 8:00"), default=True)
    email_off = models.JSONField(default=list, blank=True)  # kinds never emailed
    push_off = models.JSONField(default=list, blank=True)  # kinds never pushed

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return f"settings of {self.user_id}"


class PushSubscription(models.Model):
    """One device (browser) that asked to be notified: its push endpoint and the keys to encrypt for it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="push_subscriptions",
        verbose_name=_("person"),
    )
    endpoint = models.URLField(_("endpoint"), max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    label = models.CharField(_("device"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")

    def __str__(self) -> str:
        return self.label or self.endpoint[:60]


class Delivery(models.Model):
    """A send made or under way, by its dedupe key: a retried job finds it and never sends twice."""

    key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return self.key
